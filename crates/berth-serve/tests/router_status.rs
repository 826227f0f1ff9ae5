//! One test per status code of the contract, through the real router with no socket.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use berth_serve::{AppState, ServeConfig, router};
use common::{app, app_with, get, post, send};

const ROW: &str = "[[5.1, 3.5, 1.4, 0.2]]";

#[tokio::test]
async fn liveness_answers_200_on_every_alias_even_before_the_model() {
    let app = router(AppState::new(ServeConfig::default(), "test"));
    for path in ["/ping", "/live", "/healthz", "/health"] {
        let answer = get(&app, path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert!(answer.headers.contains_key("x-request-id"));
    }
}

#[tokio::test]
async fn readiness_and_predictions_are_503_until_the_model_is_loaded() {
    let app = router(AppState::new(ServeConfig::default(), "test"));
    for path in ["/ready", "/readyz", "/metadata"] {
        let answer = get(&app, path).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(answer.error_code(), "model_not_ready");
    }
    let answer = post(&app, "application/json", ROW).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.error_code(), "model_not_ready");
}

#[tokio::test]
async fn ready_model_answers_200_with_predictions() {
    let app = app("iris_logreg").await;
    assert_eq!(get(&app, "/ready").await.status, StatusCode::OK);
    assert_eq!(get(&app, "/readyz").await.status, StatusCode::OK);
    let answer = post(&app, "application/json", ROW).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, r#"{"predictions":[0]}"#);
    let alias = send(
        &app,
        Request::post("/predict")
            .header("content-type", "text/csv")
            .body(Body::from("5.1,3.5,1.4,0.2"))
            .unwrap(),
    )
    .await;
    assert_eq!(alias.body, r#"{"predictions":[0]}"#);
}

#[tokio::test]
async fn requests_without_an_id_get_distinct_ones() {
    let app = app("iris_logreg").await;
    let first = get(&app, "/ping").await.headers["x-request-id"].clone();
    let second = get(&app, "/ping").await.headers["x-request-id"].clone();
    assert_ne!(first, second);
    assert_eq!(first.len(), 25, "{first:?}");
}

#[tokio::test]
async fn client_request_id_is_kept() {
    let app = app("iris_logreg").await;
    let answer = send(
        &app,
        Request::get("/ping")
            .header("x-request-id", "abc-123")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(answer.headers["x-request-id"], "abc-123");
}

#[tokio::test]
async fn malformed_bodies_are_400_with_a_reason() {
    let app = app("iris_logreg").await;
    let cases = [
        (
            "application/json",
            "{\"instances\": [[1,2",
            "malformed_json",
        ),
        ("application/json", "", "empty_body"),
        ("text/csv", "", "empty_body"),
        ("text/csv", "1,2,three,4", "malformed_csv"),
        ("text/csv", "1,2,\"3,4", "invalid_input"),
        ("application/jsonlines", "[1,2,3,4]\nnope", "malformed_json"),
        ("application/json", "[[1,2,3]]", "invalid_input"),
        ("application/json", "[[1,2,3,4,5]]", "invalid_input"),
        ("application/json", "[[\"a\",2,3,4]]", "invalid_input"),
        ("application/json", "[[true,2,3,4]]", "invalid_input"),
        ("application/json", "[]", "invalid_input"),
        ("application/json", "{\"inputs\": {}}", "invalid_input"),
        ("application/json", "\"text\"", "invalid_input"),
        ("application/json", "[[1e999,2,3,4]]", "malformed_json"),
    ];
    for (content_type, body, code) in cases {
        let answer = post(&app, content_type, body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.body
        );
        assert_eq!(answer.error_code(), code, "{body}: {}", answer.body);
    }
    let answer = post(&app, "application/json", "[[1,2,3]]").await;
    let message = answer.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("expects 4 features, got 3"), "{message}");
    let answer = post(&app, "text/csv", vec![0xff, 0xfe, b',', b'1']).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn oversized_bodies_are_413_whichever_way_they_arrive() {
    let config = ServeConfig {
        max_body_bytes: 1024,
        ..ServeConfig::default()
    };
    let (app, _) = app_with("iris_logreg", config).await;
    let big = format!("[{}]", vec!["[1,2,3,4]"; 200].join(","));
    // With Content-Length (refused before reading) ...
    let answer = post(&app, "application/json", big.clone()).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.error_code(), "payload_too_large");
    // ... and streamed without one.
    let chunks: Vec<Result<String, std::io::Error>> =
        vec![Ok(big[..600].to_owned()), Ok(big[600..].to_owned())];
    let stream = Body::from_stream(futures_stream(chunks));
    let answer = post(&app, "application/json", stream).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.error_code(), "payload_too_large");
    // The default limit is 6 MiB: 7 MiB is refused with the same JSON body.
    let app = common::app("iris_logreg").await;
    let answer = post(&app, "application/json", vec![b' '; 7 * 1024 * 1024]).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.error_code(), "payload_too_large");
}

fn futures_stream(
    chunks: Vec<Result<String, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<String, std::io::Error>> + Send + 'static {
    futures_util::stream::iter(chunks)
}

#[tokio::test]
async fn too_many_rows_is_413() {
    let config = ServeConfig {
        max_records: 3,
        ..ServeConfig::default()
    };
    let (app, _) = app_with("iris_logreg", config).await;
    let answer = post(&app, "text/csv", "1,2,3,4\n".repeat(4)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.error_code(), "too_many_records");
    assert_eq!(
        post(&app, "text/csv", "1,2,3,4\n".repeat(3)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn unsupported_content_type_is_415_and_unsupported_accept_406() {
    let app = app("iris_logreg").await;
    let answer = post(&app, "application/x-www-form-urlencoded", ROW).await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(answer.error_code(), "unsupported_media_type");
    let answer = send(
        &app,
        Request::post("/invocations")
            .header("content-type", "application/json")
            .header("accept", "application/xml")
            .body(Body::from(ROW))
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(answer.error_code(), "not_acceptable");
}

#[tokio::test]
async fn wrong_method_is_405_and_unknown_path_404() {
    let app = app("iris_logreg").await;
    let answer = get(&app, "/invocations").await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.error_code(), "method_not_allowed");
    let answer = send(&app, Request::post("/ping").body(Body::empty()).unwrap()).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    let answer = get(&app, "/../../etc/passwd").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.error_code(), "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_is_503_with_retry_after_and_the_server_recovers() {
    let config = ServeConfig {
        max_queued: 1,
        acquire_timeout: Duration::from_millis(20),
        // slow_square's run time is set by its input's value, not its size: every request goes
        // through the queue, which is what this test fills.
        inline_max_run_us: 0,
        ..ServeConfig::default()
    };
    let (app, _) = app_with("slow_square", config).await;
    // One slow request keeps the only worker busy, a second one takes the only queue place ...
    let slow = |n: u32| {
        let app = app.clone();
        tokio::spawn(async move { post(&app, "application/json", format!("[{n}]")).await })
    };
    let running = slow(3000);
    tokio::time::sleep(Duration::from_millis(30)).await;
    let queued = slow(10);
    tokio::time::sleep(Duration::from_millis(30)).await;
    // ... so a third one waits ACQUIRE_TIMEOUT for a place and is turned away.
    let answer = post(&app, "application/json", "[10]").await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.body
    );
    assert_eq!(answer.error_code(), "overloaded");
    assert_eq!(answer.headers["retry-after"], "1");
    let running = running.await.unwrap();
    assert_eq!(running.status, StatusCode::OK);
    assert_eq!(queued.await.unwrap().body, r#"{"predictions":[1000.0]}"#);
    assert_eq!(
        post(&app, "application/json", "[3]").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn metadata_and_version_describe_the_model() {
    let app = app("two_inputs").await;
    let answer = get(&app, "/metadata").await;
    assert_eq!(answer.status, StatusCode::OK);
    let json = answer.json();
    assert_eq!(json["model"]["name"], "two_inputs.onnx");
    assert_eq!(json["model"]["inputs"][1]["name"], "b");
    assert_eq!(json["model"]["inputs"][1]["element_type"], "int64");
    assert_eq!(
        json["model"]["inputs"][0]["shape"],
        serde_json::json!([null, 3])
    );
    assert_eq!(json["model"]["sha256"].as_str().unwrap().len(), 64);
    let version = get(&app, "/version").await.json();
    assert_eq!(version["berth"], env!("CARGO_PKG_VERSION"));
}
