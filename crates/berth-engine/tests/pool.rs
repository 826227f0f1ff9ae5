//! The inference pool with real ONNX Runtime: dynamic batching only where the probe allows it.
//!
//! The models come from `tests/fixtures/make_fixtures.py` (`make fixtures`).

use std::path::PathBuf;
use std::time::Duration;

use berth_engine::library::LibraryLocator;
use berth_engine::{EngineError, InferencePool, ModelSource, PoolOptions, Runtime, SessionOptions};

fn fixtures() -> PathBuf {
    let dir = std::env::var_os("BERTH_FIXTURES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models"),
        PathBuf::from,
    );
    assert!(
        dir.join("expected.json").is_file(),
        "fixture models missing in {}: run `make fixtures`",
        dir.display()
    );
    dir
}

fn runtime() -> Runtime {
    Runtime::load(&LibraryLocator::from_env()).expect("ONNX Runtime library (make onnxruntime)")
}

fn options(max_batch_rows: usize) -> PoolOptions {
    PoolOptions {
        workers: 1,
        queue_capacity: 64,
        acquire_timeout: Duration::from_secs(5),
        max_batch_rows,
    }
}

fn start(model: &str, options: PoolOptions) -> Result<InferencePool, EngineError> {
    let source = ModelSource::File(fixtures().join(format!("{model}.onnx")));
    InferencePool::start(&runtime(), &source, &SessionOptions::default(), options)
}

fn fixture_names() -> Vec<String> {
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
            .unwrap();
    document["models"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn batching_is_refused_for_the_batch_dependent_model_and_allowed_for_the_others() {
    let names = fixture_names();
    assert!(names.iter().any(|n| n == "batch_centred"), "{names:?}");
    for name in &names {
        let result = start(name, options(64));
        if name == "batch_centred" {
            let error = result.expect_err("batch_centred must be refused");
            assert!(
                matches!(error, EngineError::BatchingRefused { .. }),
                "{error:?}"
            );
            let message = error.to_string();
            assert!(
                message.starts_with(
                    "dynamic batching refused: the model's answers for a row change with the \
                     other rows of its batch (output 'y', probe row "
                ),
                "{message}"
            );
        } else {
            // Row-independent models (and slow_square, whose batch dimension is fixed, so it is
            // never merged) pass.
            result.unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    // Without batching asked for there is nothing to check.
    start("batch_centred", options(1)).unwrap();
}
