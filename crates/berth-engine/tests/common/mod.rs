//! Shared helpers of the engine's integration tests: where the fixture models are, and the
//! ONNX Runtime library.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use berth_engine::Runtime;
use berth_engine::library::LibraryLocator;

/// `tests/fixtures/models` (or `BERTH_FIXTURES`), made by `make fixtures`.
pub fn fixtures() -> PathBuf {
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

pub fn runtime() -> Runtime {
    Runtime::load(&LibraryLocator::from_env()).expect("ONNX Runtime library (make onnxruntime)")
}
