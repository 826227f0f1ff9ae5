//! Shared helpers of the router tests: fixture models, a loaded app, one-shot requests.
#![allow(dead_code, unreachable_pub)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use berth_engine::ModelSource;
use berth_serve::{AppState, ServeConfig, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

// Where the fixtures are and how the library is loaded: the engine tests' helpers, shared.
#[path = "../../../berth-engine/tests/common/mod.rs"]
mod engine;
pub use engine::{fixtures, runtime};

/// The app serving fixture `model`, loaded and warmed up.
pub async fn app_with(model: &str, config: ServeConfig) -> (Router, AppState) {
    let state = AppState::new(config, "test");
    let source = ModelSource::File(fixtures().join(format!("{model}.onnx")));
    state
        .load_model(runtime(), source)
        .await
        .expect("fixture model loads");
    assert!(state.is_ready());
    (router(state.clone()), state)
}

pub async fn app(model: &str) -> Router {
    app_with(model, ServeConfig::default()).await.0
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Asserts the JSON error envelope and returns its code.
    pub fn error_code(&self) -> String {
        assert_eq!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "{}",
            self.body
        );
        let json = self.json();
        let message = json["error"]["message"].as_str().expect("error.message");
        assert!(!message.is_empty());
        json["error"]["code"]
            .as_str()
            .expect("error.code")
            .to_owned()
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub async fn post(app: &Router, content_type: &str, body: impl Into<Body>) -> Answer {
    let request = Request::post("/invocations")
        .header("content-type", content_type)
        .body(body.into())
        .unwrap();
    send(app, request).await
}

pub async fn get(app: &Router, path: &str) -> Answer {
    send(app, Request::get(path).body(Body::empty()).unwrap()).await
}
