//! The demo model compiled into the binary is exactly what the pinned fixture script makes, so
//! it can always be rebuilt from source (`make demo-model`) rather than trusted as a blob.

#[test]
fn embedded_demo_model_is_the_fixture_scripts_iris_logreg() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let embedded = std::fs::read(root.join("assets/iris-demo.onnx")).unwrap();
    let fixture = root.join("../../tests/fixtures/models/iris_logreg.onnx");
    let made = std::fs::read(&fixture)
        .unwrap_or_else(|e| panic!("{}: {e}; run `make fixtures`", fixture.display()));
    assert!(
        embedded == made,
        "crates/berth/assets/iris-demo.onnx differs from the fixture script's output: run `make demo-model`"
    );
}
