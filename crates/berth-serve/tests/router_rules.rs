//! Right answers or a clear refusal, through the router: column names, per-row shapes, missing
//! and non-finite values, `.npy` bodies, outputs that are not per row, and readiness after the
//! warm-up. Answers are checked against onnxruntime's own (`expected.json`).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use berth_serve::{MissingValues, ResponseOutputs, ServeConfig};
use common::{Answer, app, app_with, fixtures, get, post, send};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

fn expected(model: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join("expected.json")).unwrap();
    let document: Value = serde_json::from_str(&text).unwrap();
    document["models"][model].clone()
}

fn close(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Array(g), Value::Array(w)) => {
            g.len() == w.len() && g.iter().zip(w).all(|(g, w)| close(g, w))
        }
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            (g - w).abs() <= 1e-5 * w.abs().max(1.0)
        }
        _ => got == want,
    }
}

fn assert_close(answer: &Answer, key: &str, want: &Value, what: &str) {
    assert_eq!(answer.status, StatusCode::OK, "{what}: {}", answer.body);
    let got = &answer.json()[key];
    assert!(close(got, want), "{what}: berth {got}, onnxruntime {want}");
}

async fn post_accept(
    app: &axum::Router,
    content_type: &str,
    accept: &str,
    body: impl Into<Body>,
) -> (StatusCode, Vec<u8>) {
    let request = Request::post("/invocations")
        .header("content-type", content_type)
        .header("accept", accept)
        .body(body.into())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    (
        status,
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

#[tokio::test]
async fn columns_are_matched_by_name_in_every_body_our_users_write() {
    let entry = expected("mixed_columns");
    let want = entry["expected"]["label"].clone();
    let config = ServeConfig {
        response_outputs: ResponseOutputs::All,
        ..ServeConfig::default()
    };
    let (app, _) = app_with("mixed_columns", config).await;
    let rows = [
        ("red", 6.5, 1.0),
        ("blue", 2.0, 0.25),
        ("green", 5.5, 2.0),
        ("purple", 4.0, 0.5),
    ];
    let in_order: Vec<String> = rows
        .iter()
        .map(|(c, s, w)| format!("{c},{s},{w}"))
        .collect();
    let reordered: Vec<String> = rows
        .iter()
        .map(|(c, s, w)| format!("{w},{c},{s}"))
        .collect();
    let pandas: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, (c, s, w))| format!("{i},{s},{w},{c}"))
        .collect();
    let records: Vec<Value> = rows
        .iter()
        .map(|(c, s, w)| json!({"weight": w, "size": s, "colour": c}))
        .collect();
    let split = json!({"columns": ["weight", "colour", "size"], "data": rows.iter().map(|(c, s, w)| json!([w, c, s])).collect::<Vec<_>>()});
    let cases = [
        ("text/csv", in_order.join("\n")),
        (
            "text/csv",
            format!("colour,size,weight\n{}", in_order.join("\n")),
        ),
        (
            "text/csv",
            format!("weight,colour,size\n{}", reordered.join("\n")),
        ),
        (
            "text/csv",
            format!(",size,weight,colour\n{}", pandas.join("\n")),
        ),
        (
            "application/json",
            Value::Array(records.clone()).to_string(),
        ),
        (
            "application/json",
            json!({"dataframe_records": records}).to_string(),
        ),
        (
            "application/json",
            json!({"dataframe_split": split}).to_string(),
        ),
        ("application/json", split.to_string()),
    ];
    for (content_type, body) in cases {
        let answer = post(&app, content_type, body.clone()).await;
        assert_close(&answer, "predictions", &want, &body);
    }
    let answer = post(&app, "text/csv", "colour,size,height\nred,1,2").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let message = answer.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("unknown [\"height\"]") && message.contains("missing [\"weight\"]"),
        "{message}"
    );
}

#[tokio::test]
async fn image_rows_must_have_the_models_layout() {
    let entry = expected("image_nchw");
    let rows = entry["check_inputs"]["image"].clone();
    let app = app("image_nchw").await;
    let answer = post(
        &app,
        "application/json",
        json!({"instances": rows}).to_string(),
    )
    .await;
    assert_close(
        &answer,
        "predictions",
        &entry["expected"]["score"],
        "NCHW rows",
    );
    // The same numbers channels-last, or flat: refused, never answered.
    let nhwc: Vec<Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|image| {
            let at = |c: usize, h: usize, w: usize| image[c][h][w].clone();
            json!(
                (0..2)
                    .map(|h| (0..2)
                        .map(|w| (0..3).map(|c| at(c, h, w)).collect::<Vec<_>>())
                        .collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            )
        })
        .collect();
    let mut flat = Vec::new();
    for image in rows.as_array().unwrap() {
        let mut values = Vec::new();
        for channel in image.as_array().unwrap() {
            for line in channel.as_array().unwrap() {
                values.extend(line.as_array().unwrap().iter().cloned());
            }
        }
        flat.push(Value::Array(values));
    }
    for body in [json!({"instances": nhwc}), json!({"instances": flat})] {
        let answer = post(&app, "application/json", body.to_string()).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.body
        );
        assert!(
            answer.body.contains("takes rows of shape [3, 2, 2]"),
            "{}",
            answer.body
        );
    }
    // OIP v2: a nested tensor must have its declared shape; a flat one its element count.
    let infer = |data: Value, shape: Value| {
        Request::post("/v2/models/image_nchw/infer")
            .header("content-type", "application/json")
            .body(Body::from(json!({"inputs": [{"name": "image", "datatype": "FP32", "shape": shape, "data": data}]}).to_string()))
            .unwrap()
    };
    let answer = send(&app, infer(rows.clone(), json!([2, 3, 2, 2]))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let answer = send(&app, infer(json!(nhwc), json!([2, 3, 2, 2]))).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
}

#[tokio::test]
async fn missing_values_are_refused_or_fed_as_nan_and_never_become_a_plain_label() {
    let body = "5.1,3.5,1.4,0.2\n6.2,,4.8,1.8";
    let refusing = app("iris_logreg").await;
    let answer = post(&refusing, "text/csv", body).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    let message = answer.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("line 2, column 2") && message.contains("MISSING_VALUES=nan"),
        "{message}"
    );
    let answer = post(
        &refusing,
        "application/json",
        "[[5.1,3.5,1.4,0.2],[6.2,null,4.8,1.8]]",
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    let nan = || ServeConfig {
        missing_values: MissingValues::Nan,
        ..ServeConfig::default()
    };
    // A linear model computes NaN from NaN: its label is not an answer.
    let (logreg, _) = app_with("iris_logreg", nan()).await;
    let answer = post(&logreg, "text/csv", body).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("row 2") && answer.body.contains("does not handle them"),
        "{}",
        answer.body
    );
    // Trees route missing values: a real answer.
    let (forest, _) = app_with("iris_forest", nan()).await;
    let answer = post(&forest, "text/csv", body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["predictions"].as_array().unwrap().len(), 2);
    // Infinity and float32 overflow: refused whatever the setting, in every format.
    for (content_type, body) in [
        ("text/csv", "1e39,1,1,1"),
        ("text/csv", "1e309,1,1,1"),
        ("application/json", "[[1e39,1,1,1]]"),
    ] {
        let answer = post(&forest, content_type, body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.body
        );
    }
}

/// A `.npy` body as `np.save` writes it.
fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

#[tokio::test]
async fn npy_in_and_out_as_sagemakers_sdk_sends_and_reads() {
    let entry = expected("iris_logreg_nozipmap");
    let rows: Vec<Vec<f64>> =
        serde_json::from_value(entry["check_inputs"]["features"].clone()).unwrap();
    // Column by column, float64: what np.save writes for a DataFrame's values.
    let mut data = Vec::new();
    for column in 0..4 {
        for row in &rows {
            data.extend_from_slice(&row[column].to_le_bytes());
        }
    }
    let body = npy("<f8", true, &format!("({}, 4)", rows.len()), &data);
    let app = app("iris_logreg_nozipmap").await;
    let answer = post(&app, "application/x-npy", body.clone()).await;
    assert_close(
        &answer,
        "predictions",
        &entry["expected"]["label"],
        "npy in",
    );
    let (status, bytes) =
        post_accept(&app, "application/x-npy", "application/x-npy", body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let header_end = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let header = String::from_utf8_lossy(&bytes[10..header_end]);
    assert!(
        header.contains("'descr': '<i8'")
            && header.contains(&format!("'shape': ({},)", rows.len())),
        "{header}"
    );
    let labels: Vec<i64> = bytes[header_end..]
        .chunks_exact(8)
        .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let want: Vec<i64> = serde_json::from_value(entry["expected"]["label"].clone()).unwrap();
    assert_eq!(labels, want);
    // ZipMap probabilities have no array form.
    let zipmap = app_with(
        "iris_logreg",
        ServeConfig {
            onnx_output_name: Some("output_probability".into()),
            ..ServeConfig::default()
        },
    )
    .await
    .0;
    let (status, bytes) =
        post_accept(&zipmap, "application/x-npy", "application/x-npy", body).await;
    assert_eq!(
        status,
        StatusCode::NOT_ACCEPTABLE,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let answer = post(&app, "application/x-npy", npy("|O", false, "(1,)", &[0; 8])).await;
    assert!(answer.body.contains("pickles"), "{}", answer.body);
}

#[tokio::test]
async fn an_output_that_is_not_per_row_is_the_same_in_every_format_or_refused() {
    let entry = expected("batch_total");
    let body = entry["check_inputs"]["x"].to_string();
    let app = app("batch_total").await;
    let answer = post(&app, "application/json", body.clone()).await;
    assert_close(&answer, "predictions", &entry["expected"]["total"], "JSON");
    let (status, csv) = post_accept(&app, "application/json", "text/csv", body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(String::from_utf8(csv).unwrap(), "9.0,12.5\n");
    let (_, lines) = post_accept(
        &app,
        "application/json",
        "application/jsonlines",
        body.clone(),
    )
    .await;
    assert_eq!(String::from_utf8(lines).unwrap(), "[9.0,12.5]\n");
    let config = ServeConfig {
        response_outputs: ResponseOutputs::All,
        ..ServeConfig::default()
    };
    let (all, _) = app_with("batch_total", config).await;
    let (status, text) = post_accept(&all, "application/json", "text/csv", body).await;
    assert_eq!(
        status,
        StatusCode::NOT_ACCEPTABLE,
        "{}",
        String::from_utf8_lossy(&text)
    );
}

#[tokio::test]
async fn the_warm_up_ran_before_the_server_said_ready() {
    let app = app("iris_logreg").await;
    assert_eq!(get(&app, "/ready").await.status, StatusCode::OK);
    let metrics = get(&app, "/metrics").await.body;
    let line = metrics
        .lines()
        .find(|l| l.starts_with("berth_model_warmup_seconds "))
        .expect(&metrics);
    let seconds: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(seconds > 0.0, "{line}");
}

#[tokio::test]
async fn feature_names_must_fit_the_model() {
    let state = berth_serve::AppState::new(
        ServeConfig {
            feature_names: Some(vec!["a".into(), "b".into()]),
            ..ServeConfig::default()
        },
        "test",
    );
    let source = berth_engine::ModelSource::File(fixtures().join("iris_logreg.onnx"));
    let error = state
        .load_model(common::runtime(), source)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("FEATURE_NAMES")
            && error.contains("2 names given")
            && error.contains("4 values"),
        "{error}"
    );
}
