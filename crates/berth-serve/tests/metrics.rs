//! `/metrics` after real traffic: the counts agree with what was sent.

mod common;

use axum::http::StatusCode;
use common::{app, get, post};

fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| {
            line.strip_prefix(series)
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or_else(|| panic!("no series {series} in:\n{text}"))
}

#[tokio::test]
async fn counts_after_traffic_are_consistent() {
    let app = app("iris_forest").await;
    for _ in 0..3 {
        assert_eq!(
            post(&app, "text/csv", "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3")
                .await
                .status,
            StatusCode::OK
        );
    }
    for _ in 0..2 {
        assert_eq!(
            post(&app, "text/csv", "1,2,3").await.status,
            StatusCode::BAD_REQUEST
        );
    }
    assert_eq!(
        get(&app, "/no/such/path").await.status,
        StatusCode::NOT_FOUND
    );
    let answer = get(&app, "/metrics").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = answer.body;
    let ok = r#"berth_http_requests_total{route="/invocations",method="POST",status="200"}"#;
    let bad = r#"berth_http_requests_total{route="/invocations",method="POST",status="400"}"#;
    let unmatched = r#"berth_http_requests_total{route="unmatched",method="GET",status="404"}"#;
    assert_eq!(value(&text, ok), 3.0);
    assert_eq!(value(&text, bad), 2.0);
    assert_eq!(value(&text, unmatched), 1.0);
    // Only the three good requests reached the model: 2 rows each, one ONNX Runtime run each
    // (no merging by default; the warm-up run before readiness is not counted).
    assert_eq!(value(&text, "berth_rows_predicted_total"), 6.0);
    assert_eq!(value(&text, "berth_inference_batch_rows_count"), 3.0);
    assert_eq!(value(&text, "berth_inference_batch_rows_sum"), 6.0);
    assert_eq!(value(&text, "berth_inference_duration_seconds_count"), 3.0);
    assert_eq!(
        value(
            &text,
            r#"berth_http_request_duration_seconds_count{route="/invocations"}"#
        ),
        5.0
    );
    assert_eq!(value(&text, "berth_model_ready"), 1.0);
    assert!(value(&text, "berth_model_load_seconds") > 0.0);
    assert_eq!(value(&text, "berth_inference_queue_depth"), 0.0);
    assert_eq!(
        value(&text, "berth_http_requests_in_flight"),
        1.0,
        "the scrape itself"
    );
    assert!(text.contains(r#"berth_build_info{version=""#), "{text}");
    assert!(text.trim_end().ends_with("# EOF"));
}
