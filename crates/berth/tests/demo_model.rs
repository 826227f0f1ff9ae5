//! The demo model compiled into the binary is what the pinned fixture script makes, so that it can
//! always be rebuilt from source (`make demo-model`) rather than trusted as a blob.
//!
//! Not byte for byte: scikit-learn's lbfgs lands on slightly different coefficients (~1e-3) under
//! another OpenBLAS kernel, that is on another CPU, so a model trained here differs from the
//! embedded one in the last digits of its weights. What holds on every CPU, and is checked here:
//! the same graph (producer, IR version, opsets, operators and their non-float attributes), the
//! same signature, and through berth's engine the same answers on the fixture's Iris rows:
//! probabilities within `PROBABILITY_TOLERANCE`, and the same label wherever the two most likely
//! classes are clearly apart.

use std::path::{Path, PathBuf};

use berth_engine::library::LibraryLocator;
use berth_engine::{
    InputTensor, MapKeys, Model, ModelSource, OutputValue, Runtime, SessionOptions, TensorData,
};

/// Covers the spread of the weights across BLAS kernels (about 1e-3 on the probabilities) with
/// room to spare; a different model (other data, classes or options) is far outside it.
const PROBABILITY_TOLERANCE: f32 = 1e-2;

/// Labels must agree where the two most likely classes are further apart than this in both
/// models: there, no change within the tolerance can swap them.
const CLEAR_MARGIN: f32 = 2.0 * PROBABILITY_TOLERANCE;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fixture directory: `BERTH_FIXTURES` when set (fixtures made elsewhere, e.g. under another
/// OpenBLAS kernel), else `make fixtures`' output.
fn fixtures() -> PathBuf {
    let dir = std::env::var_os("BERTH_FIXTURES")
        .map_or_else(|| root().join("../../tests/fixtures/models"), PathBuf::from);
    assert!(
        dir.join("iris_logreg.onnx").is_file(),
        "{}: run `make fixtures`",
        dir.display()
    );
    dir
}

fn fixture() -> PathBuf {
    fixtures().join("iris_logreg.onnx")
}

// --- just enough of the protobuf wire format to read an ONNX graph's structure ---

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed(&'a [u8]),
}

fn varint(bytes: &mut &[u8]) -> u64 {
    let mut value = 0_u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first().expect("varint cut short");
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return value;
        }
    }
    panic!("varint longer than 10 bytes");
}

fn fields(mut bytes: &[u8]) -> Vec<(u64, Field<'_>)> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let tag = varint(&mut bytes);
        let field = match tag & 7 {
            0 => Field::Varint(varint(&mut bytes)),
            1 | 5 => {
                let (value, rest) = bytes.split_at(if tag & 7 == 1 { 8 } else { 4 });
                bytes = rest;
                Field::Fixed(value)
            }
            2 => {
                let length = usize::try_from(varint(&mut bytes)).unwrap();
                let (value, rest) = bytes.split_at(length);
                bytes = rest;
                Field::Bytes(value)
            }
            other => panic!("wire type {other} does not occur in ONNX files"),
        };
        out.push((tag >> 3, field));
    }
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// What must be equal between two exports of the same pipeline, whatever the BLAS: everything
/// but floating-point values.
fn structure(model: &[u8]) -> Vec<String> {
    // ModelProto: 1 ir_version, 2 producer_name, 3 producer_version, 7 graph, 8 opset_import.
    // GraphProto: 1 node. NodeProto: 1 input, 2 output, 4 op_type, 5 attribute, 7 domain.
    // AttributeProto: 1 name, 20 type; 2 f and 7 floats are the trained values, left out.
    let mut out = Vec::new();
    for (number, field) in fields(model) {
        match (number, field) {
            (1, Field::Varint(v)) => out.push(format!("ir_version {v}")),
            (2 | 3, Field::Bytes(b)) => out.push(format!("producer {}", text(b))),
            (8, Field::Bytes(b)) => {
                let mut domain = String::new();
                let mut version = 0;
                for (n, f) in fields(b) {
                    match (n, f) {
                        (1, Field::Bytes(d)) => domain = text(d),
                        (2, Field::Varint(v)) => version = v,
                        _ => {}
                    }
                }
                out.push(format!("opset {domain:?} {version}"));
            }
            (7, Field::Bytes(graph)) => {
                for (n, f) in fields(graph) {
                    let (1, Field::Bytes(node)) = (n, f) else {
                        continue;
                    };
                    let mut line = String::from("node");
                    for (n, f) in fields(node) {
                        match (n, f) {
                            (1 | 2 | 4 | 7, Field::Bytes(b)) => {
                                line.push_str(&format!(" {n}:{}", text(b)));
                            }
                            (5, Field::Bytes(attribute)) => {
                                for (a, f) in fields(attribute) {
                                    match (a, f) {
                                        (2 | 7, _) => {}
                                        (_, Field::Varint(v)) => {
                                            line.push_str(&format!(" @{a}={v}"))
                                        }
                                        (_, Field::Bytes(b)) => match std::str::from_utf8(b) {
                                            Ok(t) => line.push_str(&format!(" @{a}={t:?}")),
                                            Err(_) => line.push_str(&format!(" @{a}={b:?}")),
                                        },
                                        (_, Field::Fixed(b)) => {
                                            line.push_str(&format!(" @{a}={b:?}"));
                                        }
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                    out.push(line);
                }
            }
            _ => {}
        }
    }
    out
}

// --- the answers, through berth's engine ---

fn iris_rows() -> Vec<f32> {
    let path = fixtures().join("expected.json");
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    document["models"]["iris_logreg"]["check_inputs"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter())
        .map(|v| v.as_f64().unwrap() as f32)
        .collect()
}

/// Labels and class probabilities (ordered by class) for every row.
fn answers(runtime: &Runtime, path: &Path, rows: &[f32]) -> (Vec<i64>, Vec<Vec<f32>>) {
    let source = ModelSource::File(path.to_path_buf());
    let mut model = Model::load(runtime, &source, &SessionOptions::default()).unwrap();
    let input = InputTensor {
        name: "features".to_owned(),
        shape: vec![rows.len() / 4, 4],
        data: TensorData::Float32(rows.to_vec()),
    };
    let outputs = model.run(&[input]).unwrap();
    let mut labels = Vec::new();
    let mut probabilities = Vec::new();
    for (name, value) in outputs.values {
        match (name.as_str(), value) {
            (
                "output_label",
                OutputValue::Tensor {
                    data: TensorData::Int64(v),
                    ..
                },
            ) => labels = v,
            ("output_probability", OutputValue::Maps(maps)) => {
                for map in maps {
                    let (MapKeys::Int64(keys), TensorData::Float32(values)) =
                        (map.keys, map.values)
                    else {
                        panic!(
                            "{}: int64 -> float32 probabilities expected",
                            path.display()
                        );
                    };
                    let mut pairs: Vec<(i64, f32)> = keys.into_iter().zip(values).collect();
                    pairs.sort_by_key(|(class, _)| *class);
                    assert_eq!(
                        pairs.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
                        [0, 1, 2],
                        "{}: classes",
                        path.display()
                    );
                    probabilities.push(pairs.into_iter().map(|(_, p)| p).collect());
                }
            }
            (other, _) => panic!("{}: unexpected output {other}", path.display()),
        }
    }
    (labels, probabilities)
}

fn margin(probabilities: &[f32]) -> f32 {
    let mut sorted = probabilities.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    sorted[0] - sorted[1]
}

#[test]
fn embedded_demo_model_is_the_fixture_scripts_iris_logreg() {
    let embedded_path = root().join("assets/iris-demo.onnx");
    let embedded = std::fs::read(&embedded_path).unwrap();
    let made = std::fs::read(fixture()).unwrap();
    let advice = "crates/berth/assets/iris-demo.onnx is not what the fixture script makes: run \
                  `make demo-model`";

    let (want, got) = (structure(&made), structure(&embedded));
    assert!(
        want.iter().any(|l| l.contains("4:LinearClassifier")),
        "{want:?}"
    );
    assert_eq!(got, want, "{advice}: the graphs differ");

    let runtime = Runtime::load(&LibraryLocator::from_env())
        .expect("ONNX Runtime library (make onnxruntime)");
    let load = |path: &Path| {
        Model::load(
            &runtime,
            &ModelSource::File(path.to_path_buf()),
            &SessionOptions::default(),
        )
        .unwrap()
        .signature()
        .clone()
    };
    let (made_signature, embedded_signature) = (load(&fixture()), load(&embedded_path));
    assert_eq!(embedded_signature.inputs, made_signature.inputs, "{advice}");
    assert_eq!(
        embedded_signature.outputs, made_signature.outputs,
        "{advice}"
    );

    let rows = iris_rows();
    let (want_labels, want_probabilities) = answers(&runtime, &fixture(), &rows);
    let (labels, probabilities) = answers(&runtime, &embedded_path, &rows);
    assert_eq!(labels.len(), rows.len() / 4);
    let mut compared = Vec::new();
    for (row, (got, want)) in probabilities.iter().zip(&want_probabilities).enumerate() {
        for (class, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= PROBABILITY_TOLERANCE,
                "{advice}: row {row}, class {class}: probability {g}, the fixture's {w}"
            );
        }
        if margin(got) > CLEAR_MARGIN && margin(want) > CLEAR_MARGIN {
            assert_eq!(
                labels[row], want_labels[row],
                "{advice}: label of row {row}"
            );
            compared.push(labels[row]);
        }
    }
    // The label check must not pass by comparing nothing: the rows cover all three classes,
    // and the demo model is far from undecided on most of them.
    assert!(compared.len() * 4 >= rows.len() / 4 * 3, "{compared:?}");
    for class in 0..3 {
        assert!(compared.contains(&class), "class {class} never compared");
    }
}
