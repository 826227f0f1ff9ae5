//! Every fixture model, run through the engine, gives the outputs onnxruntime gave in Python.
//!
//! The models and `expected.json` come from `tests/fixtures/make_fixtures.py` (`make fixtures`).

mod common;

use berth_engine::{
    ElementType, InputTensor, MapKeys, Model, ModelSource, OutputValue, SessionOptions, TensorData,
};
use common::{fixtures, runtime};
use serde_json::Value;

fn tensor(element_type: ElementType, rows: &[Value]) -> (Vec<usize>, TensorData) {
    let width = rows[0].as_array().map_or(1, Vec::len);
    let flat: Vec<&Value> = rows
        .iter()
        .flat_map(|r| r.as_array().map_or_else(|| vec![r], |a| a.iter().collect()))
        .collect();
    let data = match element_type {
        ElementType::Float32 => {
            TensorData::Float32(flat.iter().map(|v| v.as_f64().unwrap() as f32).collect())
        }
        ElementType::Float64 => {
            TensorData::Float64(flat.iter().map(|v| v.as_f64().unwrap()).collect())
        }
        ElementType::Int64 => TensorData::Int64(flat.iter().map(|v| v.as_i64().unwrap()).collect()),
        ElementType::String => TensorData::String(
            flat.iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect(),
        ),
        other => panic!("no fixture feeds {other:?}"),
    };
    (vec![rows.len(), width], data)
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-5 * want.abs().max(1.0),
        "{what}: got {got}, onnxruntime {want}"
    );
}

fn compare(value: &OutputValue, expected: &Value, what: &str) {
    match value {
        OutputValue::Tensor { data, .. } => {
            let want: Vec<&Value> = match expected {
                Value::Array(items) => items
                    .iter()
                    .flat_map(|i| i.as_array().map_or_else(|| vec![i], |a| a.iter().collect()))
                    .collect(),
                other => vec![other],
            };
            assert_eq!(data.len(), want.len(), "{what}: element count");
            for (i, want) in want.iter().enumerate() {
                match data {
                    TensorData::Float32(v) => {
                        assert_close(f64::from(v[i]), want.as_f64().unwrap(), what)
                    }
                    TensorData::Float64(v) => assert_close(v[i], want.as_f64().unwrap(), what),
                    TensorData::Int64(v) => assert_eq!(Some(v[i]), want.as_i64(), "{what}"),
                    TensorData::String(v) => {
                        assert_eq!(Some(v[i].as_str()), want.as_str(), "{what}")
                    }
                    other => panic!("{what}: unexpected {other:?}"),
                }
            }
        }
        OutputValue::Maps(rows) => {
            let want = expected.as_array().expect("a list of maps");
            assert_eq!(rows.len(), want.len(), "{what}: rows");
            for (row, want) in rows.iter().zip(want) {
                let want = want.as_object().unwrap();
                let keys: Vec<String> = match &row.keys {
                    MapKeys::Int64(k) => k.iter().map(ToString::to_string).collect(),
                    MapKeys::String(k) => k.clone(),
                };
                assert_eq!(keys.len(), want.len(), "{what}: keys");
                let TensorData::Float32(values) = &row.values else {
                    panic!("{what}: f32 values")
                };
                for (key, value) in keys.iter().zip(values) {
                    assert_close(f64::from(*value), want[key].as_f64().unwrap(), what);
                }
            }
        }
    }
}

#[test]
fn every_fixture_model_matches_onnxruntime() {
    let dir = fixtures();
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let runtime = runtime();
    let models = document["models"].as_object().unwrap();
    assert!(models.len() >= 10, "expected at least 10 fixture models");
    for (name, entry) in models {
        if entry["parity"] == Value::Bool(false) {
            continue; // nested rows: their own tests feed them
        }
        let source = ModelSource::File(dir.join(format!("{name}.onnx")));
        let mut model = Model::load(&runtime, &source, &SessionOptions::default()).unwrap();
        assert_eq!(model.signature().sha256, entry["sha256"].as_str().unwrap());
        let inputs: Vec<InputTensor> = model
            .signature()
            .inputs
            .iter()
            .map(|spec| {
                let rows = entry["check_inputs"][&spec.name].as_array().unwrap();
                let (mut shape, data) = tensor(spec.element_type, rows);
                shape.truncate(spec.shape.len());
                InputTensor {
                    name: spec.name.clone(),
                    shape,
                    data,
                }
            })
            .collect();
        let outputs = model.run(&inputs).unwrap();
        for (output, value) in &outputs.values {
            compare(
                value,
                &entry["expected"][output],
                &format!("{name}.{output}"),
            );
        }
    }
}

#[test]
fn wrong_inputs_are_client_errors_with_clear_messages() {
    let dir = fixtures();
    let runtime = runtime();
    let source = ModelSource::File(dir.join("iris_logreg.onnx"));
    let mut model = Model::load(&runtime, &source, &SessionOptions::default()).unwrap();
    let input = |shape: Vec<usize>, data: TensorData| InputTensor {
        name: "features".into(),
        shape,
        data,
    };
    let cases = [
        (
            input(vec![1, 3], TensorData::Float32(vec![1.0; 3])),
            "expects size 4 on axis 1, got 3",
        ),
        (
            input(vec![1, 4], TensorData::Int64(vec![1; 4])),
            "expects float32 values, got int64",
        ),
        (
            input(vec![4], TensorData::Float32(vec![1.0; 4])),
            "expects 2 dimensions, got 1",
        ),
        (
            input(vec![2, 4], TensorData::Float32(vec![1.0; 4])),
            "has 4 values for shape [2, 4]",
        ),
        (
            input(vec![0, 4], TensorData::Float32(vec![])),
            "has no rows",
        ),
    ];
    for (tensor, message) in cases {
        let error = model.run(&[tensor]).unwrap_err();
        assert!(error.is_client_error(), "{error}");
        assert!(
            error.to_string().contains(message),
            "{error} should say {message}"
        );
    }
    let error = model.run(&[]).unwrap_err();
    assert_eq!(error.to_string(), "missing input 'features'");
}

#[test]
fn a_file_that_is_not_onnx_fails_to_load_without_its_path() {
    let dir = std::env::temp_dir().join(format!("berth-engine-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let load = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        Model::load(
            &runtime(),
            &ModelSource::File(path),
            &SessionOptions::default(),
        )
        .unwrap_err()
        .to_string()
    };
    // Text: named for what it is.
    let error = load("broken.onnx", b"this is not a model");
    assert!(
        error.starts_with("model broken.onnx is not an ONNX file: it is a text file"),
        "{error}"
    );
    assert!(!error.contains(dir.to_str().unwrap()), "{error}");
    // Bytes berth does not recognise: ONNX Runtime's reason, without the path it puts in it.
    let error = load("noise.onnx", &[0x00, 0xff, 0x13, 0x37, 0x00, 0x01]);
    assert!(
        error.starts_with("could not load model noise.onnx: "),
        "{error}"
    );
    assert!(!error.contains(dir.to_str().unwrap()), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}
