//! KServe v2 routes through the router: the protocol's answers and errors.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use berth_serve::{AppState, ModelName, ServeConfig, router};
use common::{app, get, send};
use serde_json::{Value, json};

async fn infer(app: &axum::Router, path: &str, body: &Value) -> common::Answer {
    let request = Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    send(app, request).await
}

#[tokio::test]
async fn health_metadata_and_inference() {
    let app = app("iris_logreg_nozipmap").await;
    assert_eq!(get(&app, "/v2/health/live").await.status, StatusCode::OK);
    assert_eq!(get(&app, "/v2/health/ready").await.status, StatusCode::OK);
    assert_eq!(get(&app, "/v2").await.json()["name"], "berth");
    let metadata = get(&app, "/v2/models/iris_logreg_nozipmap").await.json();
    assert_eq!(
        metadata["inputs"][0],
        json!({"name": "features", "datatype": "FP32", "shape": [-1, 4]})
    );
    assert_eq!(metadata["outputs"][0]["datatype"], "INT64");
    assert_eq!(
        get(&app, "/v2/models/iris_logreg_nozipmap/versions/1/ready")
            .await
            .status,
        StatusCode::OK
    );
    let body = json!({
        "id": "r1",
        "inputs": [{"name": "features", "shape": [2, 4], "datatype": "FP32",
                    "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}],
        "outputs": [{"name": "label"}],
    });
    let answer = infer(&app, "/v2/models/iris_logreg_nozipmap/infer", &body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let json = answer.json();
    assert_eq!(json["id"], "r1");
    assert_eq!(
        json["outputs"],
        json!([{"name": "label", "datatype": "INT64", "shape": [2], "data": [0, 2]}])
    );
}

#[tokio::test]
async fn protocol_errors_are_json_with_the_right_status() {
    let app = app("iris_logreg_nozipmap").await;
    let error = |answer: &common::Answer| answer.json()["error"].as_str().unwrap().to_owned();
    let answer = get(&app, "/v2/models/other").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(error(&answer).contains("model 'other'"));
    assert_eq!(
        get(&app, "/v2/models/iris_logreg_nozipmap/versions/7")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let path = "/v2/models/iris_logreg_nozipmap/infer";
    let cases = [
        (
            json!({"inputs": [{"name": "features", "shape": [1, 4], "datatype": "INT64", "data": [1, 2, 3, 4]}]}),
            "expects datatype FP32",
        ),
        (
            json!({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}),
            "unknown input 'x'",
        ),
        (
            json!({"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3]}]}),
            "has 3 values",
        ),
        (
            json!({"inputs": [{"name": "features", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}),
            "expects size 4 on axis 1",
        ),
        (
            json!({"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, "x"]}]}),
            "expects a number, got a string",
        ),
        // The same value rules as /invocations: missing values, float32 range, nested shapes.
        (
            json!({"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, null]}]}),
            "MISSING_VALUES=nan",
        ),
        (
            json!({"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 1e39]}]}),
            "not a finite float32",
        ),
        (
            json!({"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [[1, 2], [3, 4]]}]}),
            "data has a list of 2 where the shape says 1",
        ),
        (
            json!({"inputs": [{"name": "features", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3, 4]]}]}),
            "expects size 4 on axis 1",
        ),
        (
            json!({"inputs": [{"name": "features", "shape": [1, 4], "datatype": "INT64", "data": [1, 2, 3, 4]}]}),
            "expects datatype FP32",
        ),
        (
            json!({"inputs": [{"name": "features", "shape": [-1, 4], "datatype": "FP32", "data": []}]}),
            "negative dimension",
        ),
        (
            json!({"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "outputs": [{"name": "nope"}]}),
            "unknown output 'nope'",
        ),
        (json!({"inputs": []}), "missing input 'features'"),
        (json!({"nothing": 1}), "missing field"),
    ];
    for (body, message) in cases {
        let answer = infer(&app, path, &body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.body
        );
        assert!(error(&answer).contains(message), "{body}: {}", answer.body);
    }
    let request = Request::post(path)
        .header("inference-header-content-length", "999")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(send(&app, request).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn not_ready_is_503() {
    let app = router(AppState::new(ServeConfig::default(), "test"));
    assert_eq!(get(&app, "/v2/health/live").await.status, StatusCode::OK);
    assert_eq!(
        get(&app, "/v2/health/ready").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        get(&app, "/v2/models/m").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

fn named(name: &str) -> ServeConfig {
    ServeConfig {
        model_name: Some(ModelName::parse(name).unwrap()),
        ..ServeConfig::default()
    }
}

async fn index(app: &axum::Router, body: &'static str) -> common::Answer {
    send(
        app,
        Request::post("/v2/repository/index")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn the_configured_name_is_the_models_only_v2_name() {
    let (app, _) = common::app_with("iris_logreg_nozipmap", named("iris")).await;
    let metadata = get(&app, "/v2/models/iris").await;
    assert_eq!(metadata.status, StatusCode::OK, "{}", metadata.body);
    assert_eq!(metadata.json()["name"], "iris");
    assert_eq!(
        get(&app, "/v2/models/iris/versions/1").await.json()["name"],
        "iris"
    );
    assert_eq!(
        get(&app, "/v2/models/iris/ready").await.json(),
        json!({"name": "iris", "ready": true})
    );
    let body = json!({
        "inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32",
                    "data": [6.7, 3.0, 5.2, 2.3]}],
    });
    let answer = infer(&app, "/v2/models/iris/infer", &body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["model_name"], "iris");
    // The file's name is not the model's name any more: every v2 route says which one is.
    for path in [
        "/v2/models/iris_logreg_nozipmap",
        "/v2/models/iris_logreg_nozipmap/ready",
        "/v2/models/iris_logreg_nozipmap/versions/1/ready",
    ] {
        let answer = get(&app, path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            answer.json(),
            json!({"error": "unknown model 'iris_logreg_nozipmap': this server serves the model 'iris'"}),
            "{path}"
        );
    }
    let answer = infer(&app, "/v2/models/iris_logreg_nozipmap/infer", &body).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        index(&app, "").await.json(),
        json!([{"name": "iris", "version": "1", "state": "READY", "reason": ""}])
    );
}

#[tokio::test]
async fn the_repository_index_lists_the_one_model_with_its_state() {
    let app = app("iris_logreg_nozipmap").await;
    let ready =
        json!([{"name": "iris_logreg_nozipmap", "version": "1", "state": "READY", "reason": ""}]);
    for body in ["", "{}", r#"{"ready": true}"#, r#"{"ready": false}"#] {
        let answer = index(&app, body).await;
        assert_eq!(answer.status, StatusCode::OK, "{body}: {}", answer.body);
        assert_eq!(answer.json(), ready, "{body}");
    }
    for (body, message) in [
        ("{", "malformed JSON"),
        ("[]", "is an array, not a JSON object"),
        (
            r#"{"ready": "true"}"#,
            "\"ready\" is a string, not true or false",
        ),
    ] {
        let answer = index(&app, body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        let error = answer.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains(message), "{body}: {error}");
        assert!(
            error.ends_with("expected an empty body or a JSON object such as {\"ready\": true}"),
            "{body}: {error}"
        );
    }
    let answer = send(
        &app,
        Request::get("/v2/repository/index")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);

    // While the model loads, it is listed as loading, and not among the ready ones.
    let loading = router(AppState::new(named("iris"), "test"));
    assert_eq!(
        index(&loading, "").await.json(),
        json!([{"name": "iris", "version": "1", "state": "LOADING", "reason": "the model is loading"}])
    );
    assert_eq!(
        index(&loading, r#"{"ready": true}"#).await.json(),
        json!([])
    );
    // A name but no model yet: the name's routes answer 503, any other name 404.
    assert_eq!(
        get(&loading, "/v2/models/iris").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        get(&loading, "/v2/models/other/ready").await.status,
        StatusCode::NOT_FOUND
    );
}
