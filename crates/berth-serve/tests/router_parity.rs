//! Every fixture model answers through JSON, CSV and JSON Lines exactly what onnxruntime
//! computed in Python (labels equal, float32 within 1e-5, float64 within 1e-12, relative to the
//! value when it is larger than 1), with every output returned.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use berth_serve::{ResponseOutputs, ServeConfig};
use common::{app_with, fixtures, send};
use serde_json::Value;

/// float32 outputs: what separates two float32 computations of the same model.
const TOLERANCE: f64 = 1e-5;
/// float64 outputs: tight enough that a float32 shortcut anywhere on the way would show.
const TOLERANCE_F64: f64 = 1e-12;

fn tolerance(entry: &Value, output: &str) -> f64 {
    let double =
        entry["outputs"].as_array().unwrap().iter().any(|o| {
            o["name"] == output && o["type"].as_str().is_some_and(|t| t.contains("double"))
        });
    if double { TOLERANCE_F64 } else { TOLERANCE }
}

/// The rows of the check inputs: for each row, each input's values flattened, in input order.
fn rows(entry: &Value) -> Vec<Vec<Vec<Value>>> {
    let inputs = entry["inputs"].as_array().unwrap();
    let count = entry["check_inputs"][inputs[0]["name"].as_str().unwrap()]
        .as_array()
        .unwrap()
        .len();
    (0..count)
        .map(|row| {
            inputs
                .iter()
                .map(|input| {
                    let value = &entry["check_inputs"][input["name"].as_str().unwrap()][row];
                    match value {
                        Value::Array(items) => items.clone(),
                        scalar => vec![scalar.clone()],
                    }
                })
                .collect()
        })
        .collect()
}

fn csv_cell(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn bodies(entry: &Value) -> Vec<(&'static str, String)> {
    let names: Vec<&str> = entry["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    let rows = rows(entry);
    let record = |row: &Vec<Vec<Value>>| {
        let object: serde_json::Map<String, Value> = names
            .iter()
            .zip(row)
            .map(|(name, values)| ((*name).to_owned(), Value::Array(values.clone())))
            .collect();
        Value::Object(object)
    };
    let flat = |row: &Vec<Vec<Value>>| row.iter().flatten().cloned().collect::<Vec<_>>();
    let json = if names.len() == 1 {
        serde_json::json!({"instances": rows.iter().map(|r| Value::Array(flat(r))).collect::<Vec<_>>()})
    } else {
        serde_json::json!({"instances": rows.iter().map(record).collect::<Vec<_>>()})
    };
    let csv: Vec<String> = rows
        .iter()
        .map(|r| flat(r).iter().map(csv_cell).collect::<Vec<_>>().join(","))
        .collect();
    let jsonl: Vec<String> = rows.iter().map(|r| record(r).to_string()).collect();
    vec![
        ("application/json", json.to_string()),
        ("text/csv", csv.join("\n")),
        ("application/jsonlines", jsonl.join("\n")),
    ]
}

fn flatten(value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        Value::Object(map) => map.values().for_each(|v| flatten(v, out)),
        other => out.push(other.clone()),
    }
}

fn assert_same(got: &Value, want: &Value, what: &str, tolerance: f64) {
    let close = |g: f64, w: f64| (g - w).abs() <= tolerance * w.abs().max(1.0);
    match (got, want) {
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            assert!(close(g, w), "{what}: berth {g}, onnxruntime {w}");
        }
        (Value::String(g), Value::Number(w)) => {
            let g: f64 = g
                .parse()
                .unwrap_or_else(|_| panic!("{what}: {g:?} not a number"));
            let w = w.as_f64().unwrap();
            assert!(close(g, w), "{what}: berth {g}, onnxruntime {w}");
        }
        _ => assert_eq!(got, want, "{what}"),
    }
}

/// Compares per-row output values (maps compared key by key).
fn assert_rows(got: &Value, want: &Value, what: &str, tolerance: f64) {
    let (mut g, mut w) = (Vec::new(), Vec::new());
    flatten(got, &mut g);
    flatten(want, &mut w);
    assert_eq!(g.len(), w.len(), "{what}: {got} vs {want}");
    for (i, (g, w)) in g.iter().zip(&w).enumerate() {
        assert_same(g, w, &format!("{what}[{i}]"), tolerance);
    }
    if let (Value::Array(got), Value::Array(want)) = (got, want) {
        for (g, w) in got.iter().zip(want) {
            if let (Value::Object(g), Value::Object(w)) = (g, w) {
                assert_eq!(
                    g.keys().collect::<Vec<_>>(),
                    w.keys().collect::<Vec<_>>(),
                    "{what}: map keys"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_fixture_model_gives_onnxruntimes_answers_in_every_format() {
    let dir = fixtures();
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let mut checked = 0;
    for (name, entry) in document["models"].as_object().unwrap() {
        if entry["parity"] == Value::Bool(false) {
            continue;
        }
        let config = ServeConfig {
            response_outputs: ResponseOutputs::All,
            ..ServeConfig::default()
        };
        let (app, _) = app_with(name, config).await;
        let outputs: Vec<&str> = entry["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        for (content_type, body) in bodies(entry) {
            for accept in ["application/json", "text/csv", "application/jsonlines"] {
                let what = format!("{name} {content_type} -> {accept}");
                let request = Request::post("/invocations")
                    .header("content-type", content_type)
                    .header("accept", accept)
                    .body(Body::from(body.clone()))
                    .unwrap();
                let answer = send(&app, request).await;
                assert_eq!(answer.status, StatusCode::OK, "{what}: {}", answer.body);
                match accept {
                    "application/json" => {
                        let json = answer.json();
                        for output in &outputs {
                            assert_rows(
                                &json["outputs"][output],
                                &entry["expected"][output],
                                &format!("{what} {output}"),
                                tolerance(entry, output),
                            );
                        }
                        assert_rows(
                            &json["predictions"],
                            &entry["expected"][outputs[0]],
                            &what,
                            tolerance(entry, outputs[0]),
                        );
                    }
                    "application/jsonlines" => {
                        let lines: Vec<Value> = answer
                            .body
                            .lines()
                            .map(|l| serde_json::from_str(l).unwrap())
                            .collect();
                        for output in &outputs {
                            let column =
                                Value::Array(lines.iter().map(|l| l[output].clone()).collect());
                            assert_rows(
                                &column,
                                &entry["expected"][output],
                                &format!("{what} {output}"),
                                tolerance(entry, output),
                            );
                        }
                    }
                    _ => {
                        let mut lines = answer.body.lines();
                        let header = lines.next().unwrap();
                        assert!(header.starts_with(outputs[0]), "{what}: header {header}");
                        let cells: Vec<Value> = lines
                            .flat_map(|l| {
                                l.split(',')
                                    .map(|c| Value::String(c.to_owned()))
                                    .collect::<Vec<_>>()
                            })
                            .collect();
                        let mut want = Vec::new();
                        let rows = rows(entry).len();
                        for row in 0..rows {
                            for output in &outputs {
                                let expected = &entry["expected"][output];
                                let row_value =
                                    if expected.as_array().is_some_and(|a| a.len() == rows) {
                                        expected[row].clone()
                                    } else {
                                        expected.clone()
                                    };
                                flatten(&row_value, &mut want);
                            }
                        }
                        let tolerance = outputs
                            .iter()
                            .map(|o| tolerance(entry, o))
                            .fold(TOLERANCE_F64, f64::max);
                        assert_rows(&Value::Array(cells), &Value::Array(want), &what, tolerance);
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 11 * 9, "checked only {checked} combinations");
}
