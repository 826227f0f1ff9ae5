//! The files of the fixture models, as `berth package` would ship them.

mod common;

use std::path::PathBuf;

use berth_engine::model_files;
use common::fixtures;

#[test]
fn a_model_with_external_weights_names_its_weights_file() {
    let model = fixtures().join("external_weights.onnx");
    let files = model_files(&model).unwrap();
    assert_eq!(files.model, model);
    assert_eq!(
        files.external_data,
        [PathBuf::from("external_weights.weights")]
    );
    assert!(files.directory().join(&files.external_data[0]).is_file());
}

#[test]
fn every_other_fixture_model_is_one_file() {
    let mut seen = 0;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".onnx") || name == "external_weights.onnx" {
            continue;
        }
        let files = model_files(&path).unwrap();
        assert!(files.external_data.is_empty(), "{name}: {files:?}");
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} fixture models");
    assert!(
        model_files(&fixtures().join("iris_logreg.onnx"))
            .unwrap()
            .external_data
            .is_empty()
    );
}

#[test]
fn a_missing_model_is_a_read_error() {
    let error = model_files(&fixtures().join("no_such_model.onnx")).unwrap_err();
    assert!(
        matches!(error, berth_engine::EngineError::ModelRead { .. }),
        "{error}"
    );
}
