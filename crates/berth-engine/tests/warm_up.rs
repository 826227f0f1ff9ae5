//! The check `berth package` makes before it ships a model, on real models.

mod common;

use berth_engine::{EngineError, WarmUp, check_model};
use common::{fixtures, runtime};

#[test]
fn a_model_that_runs_passes_with_its_signature() {
    let check = check_model(&runtime(), &fixtures().join("iris_logreg.onnx")).unwrap();
    assert!(matches!(check.warm_up, WarmUp::Ran), "{:?}", check.warm_up);
    assert_eq!(check.signature.name, "iris_logreg.onnx");
    assert_eq!(check.signature.inputs.len(), 1);
    assert_eq!(check.signature.inputs[0].shape, [None, Some(4)]);
}

#[test]
fn a_model_with_external_weights_passes() {
    let check = check_model(&runtime(), &fixtures().join("external_weights.onnx")).unwrap();
    assert!(matches!(check.warm_up, WarmUp::Ran), "{:?}", check.warm_up);
}

#[test]
fn a_model_that_loads_but_cannot_run_fails_with_the_engines_error() {
    let error = check_model(&runtime(), &fixtures().join("fails_at_run.onnx")).unwrap_err();
    assert!(!error.is_client_error(), "{error}");
    assert!(matches!(error, EngineError::Inference(_)), "{error:?}");
    assert!(error.to_string().contains("Reshape"), "{error}");
}

#[test]
fn a_file_that_is_not_onnx_fails_with_the_diagnosis() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.onnx");
    // joblib.dump of a scikit-learn model: a pickle.
    std::fs::write(&path, b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00").unwrap();
    let error = check_model(&runtime(), &path).unwrap_err();
    assert!(matches!(error, EngineError::NotOnnx { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("model model.onnx is not an ONNX file: it is a Python pickle"),
        "{error}"
    );
}
