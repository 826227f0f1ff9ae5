//! The serving options, each through the real router.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use berth_engine::ModelSource;
use berth_serve::{AppState, ColumnSelector, OutputMapSetting, ServeConfig};
use common::{app_with, fixtures, post, runtime, send};

const TWO_ROWS: &str = "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3";

async fn csv_answer(app: &axum::Router, accept: &str, body: &str) -> common::Answer {
    let request = Request::post("/invocations")
        .header("content-type", "text/csv")
        .header("accept", accept)
        .body(Body::from(body.to_owned()))
        .unwrap();
    send(app, request).await
}

#[tokio::test]
async fn id_columns_are_returned_and_feature_columns_selected() {
    let config = ServeConfig {
        tabular_id_columns: Some(ColumnSelector::parse("0").unwrap()),
        tabular_feature_columns: Some(ColumnSelector::parse("1:5").unwrap()),
        ..ServeConfig::default()
    };
    let (app, _) = app_with("iris_logreg", config).await;
    let body = "99,5.1,3.5,1.4,0.2,ignored\nabc,6.7,3.0,5.2,2.3,ignored";
    let answer = csv_answer(&app, "application/json", body).await;
    assert_eq!(
        answer.body,
        r#"{"ids":[["99"],["abc"]],"predictions":[0,2]}"#
    );
    assert_eq!(
        csv_answer(&app, "text/csv", body).await.body,
        "99,0\nabc,2\n"
    );
    let lines = csv_answer(&app, "application/jsonlines", body).await.body;
    assert_eq!(
        lines,
        "{\"ids\":[\"99\"],\"predictions\":0}\n{\"ids\":[\"abc\"],\"predictions\":2}\n"
    );
    let answer = post(&app, "application/json", r#"[[7, 5.1, 3.5, 1.4, 0.2, 0]]"#).await;
    assert_eq!(answer.body, r#"{"ids":[[7]],"predictions":[0]}"#);
    // Too narrow for the range: the selected features are then too few for the model.
    let answer = csv_answer(&app, "application/json", "1,2,3").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn out_of_range_selectors_are_400_naming_the_setting() {
    let config = ServeConfig {
        tabular_feature_columns: Some(ColumnSelector::parse("0,1,2,9").unwrap()),
        ..ServeConfig::default()
    };
    let (app, _) = app_with("iris_logreg", config).await;
    let answer = csv_answer(&app, "application/json", TWO_ROWS).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.error_code(), "invalid_input");
    assert!(
        answer
            .body
            .contains("TABULAR_FEATURE_COLUMNS selects column 9, but the row has 4 columns"),
        "{}",
        answer.body
    );
    let answer = post(&app, "application/json", "[[1,2,3,4]]").await;
    assert!(
        answer.body.contains("row 1: TABULAR_FEATURE_COLUMNS"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn predictions_from_a_named_output() {
    let config = ServeConfig {
        onnx_output_name: Some("output_probability".into()),
        ..ServeConfig::default()
    };
    let (app, _) = app_with("iris_logreg", config).await;
    let json = csv_answer(&app, "application/json", "5.1,3.5,1.4,0.2")
        .await
        .json();
    let row = json["predictions"][0].as_object().unwrap();
    assert_eq!(row.keys().collect::<Vec<_>>(), ["0", "1", "2"]);
    assert!(row["0"].as_f64().unwrap() > 0.9);
}

#[tokio::test]
async fn output_maps_name_the_outputs_in_every_format() {
    let config = ServeConfig {
        onnx_output_map_json: Some(
            OutputMapSetting::parse(r#"{"label":"label","proba":"probabilities"}"#).unwrap(),
        ),
        ..ServeConfig::default()
    };
    let (app, _) = app_with("iris_logreg_nozipmap", config).await;
    let json = csv_answer(&app, "application/json", TWO_ROWS).await.json();
    assert_eq!(json["label"], serde_json::json!([0, 2]));
    assert_eq!(json["proba"].as_array().unwrap().len(), 2);
    assert_eq!(json["proba"][0].as_array().unwrap().len(), 3);
    let csv = csv_answer(&app, "text/csv", TWO_ROWS).await.body;
    assert!(
        csv.starts_with("label,proba_0,proba_1,proba_2\n0,"),
        "{csv}"
    );
    let lines = csv_answer(&app, "application/jsonlines", TWO_ROWS)
        .await
        .body;
    assert!(lines.starts_with("{\"label\":0,\"proba\":["), "{lines}");
}

#[tokio::test]
async fn bare_predictions_and_a_custom_key() {
    let config = ServeConfig {
        return_predictions_only: true,
        ..ServeConfig::default()
    };
    let (app, _) = app_with("iris_logreg", config).await;
    assert_eq!(
        csv_answer(&app, "application/json", TWO_ROWS).await.body,
        "[0,2]"
    );
    let config = ServeConfig {
        json_output_key: "scores".into(),
        ..ServeConfig::default()
    };
    let (app, _) = app_with("iris_logreg", config).await;
    assert_eq!(
        csv_answer(&app, "application/json", TWO_ROWS).await.body,
        r#"{"scores":[0,2]}"#
    );
}

#[tokio::test]
async fn settings_naming_missing_outputs_stop_the_model_from_loading() {
    for config in [
        ServeConfig {
            onnx_output_name: Some("nope".into()),
            ..ServeConfig::default()
        },
        ServeConfig {
            onnx_output_map_json: Some(OutputMapSetting::parse(r#"{"a":"nope"}"#).unwrap()),
            ..ServeConfig::default()
        },
    ] {
        let state = AppState::new(config, "test");
        let source = ModelSource::File(fixtures().join("iris_logreg.onnx"));
        let error = state
            .load_model(runtime(), source)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("invalid ONNX_OUTPUT_"), "{error}");
        assert!(error.contains("no output 'nope'"), "{error}");
        assert!(!state.is_ready());
    }
}

#[tokio::test]
async fn input_expectations_are_checked_when_the_model_loads() {
    use berth_engine::ElementType;
    let load = |config: ServeConfig, model: &'static str| async move {
        let state = AppState::new(config, "test");
        let source = ModelSource::File(fixtures().join(format!("{model}.onnx")));
        state.load_model(runtime(), source).await.map(|()| state)
    };
    let matching = ServeConfig {
        tabular_dtype: Some(ElementType::Float32),
        onnx_input_name: Some("features".into()),
        ..ServeConfig::default()
    };
    assert!(load(matching, "iris_logreg").await.unwrap().is_ready());
    let typed = ServeConfig {
        onnx_input_dtype_map_json: Some(vec![
            ("a".into(), ElementType::Float32),
            ("b".into(), ElementType::Int64),
        ]),
        ..ServeConfig::default()
    };
    assert!(load(typed, "two_inputs").await.is_ok());
    let cases = [
        (
            ServeConfig {
                tabular_dtype: Some(ElementType::Float64),
                ..ServeConfig::default()
            },
            "iris_logreg",
            "invalid TABULAR_DTYPE: the model's input 'features' is float32, not float64",
        ),
        (
            ServeConfig {
                onnx_input_name: Some("x".into()),
                ..ServeConfig::default()
            },
            "iris_logreg",
            "invalid ONNX_INPUT_NAME: the model has no input 'x'",
        ),
        (
            ServeConfig {
                onnx_input_dtype_map_json: Some(vec![("b".into(), ElementType::Float32)]),
                ..ServeConfig::default()
            },
            "two_inputs",
            "invalid ONNX_INPUT_DTYPE_MAP_JSON: the model's input 'b' is int64, not float32",
        ),
    ];
    for (config, model, message) in cases {
        let error = load(config, model).await.unwrap_err().to_string();
        assert!(error.starts_with(message), "{error}");
    }
}
