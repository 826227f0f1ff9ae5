//! The routes and the middleware around them.
//!
//! Layers, outermost first: request id (kept when the client sends `x-request-id`, made
//! otherwise), tracing, request-id propagation to the response, panic catching (a panic in a
//! handler becomes a JSON 500 and the server goes on). Body size and body read time are enforced
//! inside the prediction routes only, so that probes never buffer a body.

use std::any::Any;

use axum::body::Body;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Router, middleware};
use serde_json::json;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use tracing::Level;

use crate::body::read_body;
use crate::codec::encode::encode;
use crate::codec::{DecodeOptions, decode};
use crate::infer::infer;
use crate::negotiate::{request_format, response_format};
use crate::{AppState, ServeError};

/// Bodies above this size are decoded on a blocking thread rather than on the executor.
const DECODE_INLINE_MAX: usize = 256 * 1024;

/// The complete HTTP application.
pub fn router(state: AppState) -> Router {
    with_layers(routes(), state)
}

/// Every route: method, path and handler. The router is built from this table and the OpenAPI
/// document's drift test reads it, so a route cannot exist without being documented.
fn route_table() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    use crate::kserve;
    vec![
        (Method::GET, "/ping", get(live)),
        (Method::GET, "/live", get(live)),
        (Method::GET, "/healthz", get(live)),
        (Method::GET, "/health", get(live)),
        (Method::GET, "/ready", get(ready)),
        (Method::GET, "/readyz", get(ready)),
        (Method::POST, "/invocations", post(invocations)),
        (Method::POST, "/predict", post(invocations)),
        (Method::GET, "/metadata", get(metadata)),
        (Method::GET, "/version", get(version)),
        (Method::GET, "/metrics", get(metrics)),
        (Method::GET, "/openapi.json", get(openapi)),
        (Method::GET, "/v2", get(kserve::server_metadata)),
        (Method::GET, "/v2/health/live", get(kserve::live)),
        (Method::GET, "/v2/health/ready", get(kserve::ready)),
        (
            Method::GET,
            "/v2/models/{name}",
            get(kserve::model_metadata),
        ),
        (
            Method::GET,
            "/v2/models/{name}/ready",
            get(kserve::model_ready),
        ),
        (Method::POST, "/v2/models/{name}/infer", post(kserve::infer)),
        (
            Method::GET,
            "/v2/models/{name}/versions/{version}",
            get(kserve::model_metadata_versioned),
        ),
        (
            Method::GET,
            "/v2/models/{name}/versions/{version}/ready",
            get(kserve::model_ready_versioned),
        ),
        (
            Method::POST,
            "/v2/models/{name}/versions/{version}/infer",
            post(kserve::infer_versioned),
        ),
        (
            Method::POST,
            "/v2/repository/index",
            post(kserve::repository_index),
        ),
    ]
}

/// `(method, path)` of every route, for documentation checks.
#[must_use]
pub fn route_list() -> Vec<(String, String)> {
    route_table()
        .into_iter()
        .map(|(method, path, _)| (method.to_string(), path.to_owned()))
        .collect()
}

fn routes() -> Router<AppState> {
    route_table()
        .into_iter()
        .fold(Router::new(), |router, (_, path, handler)| {
            router.route(path, handler)
        })
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// The OpenAPI document, `docs/openapi.yaml`, compiled in and served as JSON.
const OPENAPI_YAML: &str = include_str!("../../../docs/openapi.yaml");

/// `docs/openapi.yaml` as JSON text.
///
/// # Errors
/// The YAML parser's message when the document does not parse (a test keeps it parsing).
pub fn openapi_json() -> Result<String, String> {
    static JSON: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    JSON.get_or_init(|| {
        serde_yaml_ng::from_str::<serde_json::Value>(OPENAPI_YAML)
            .map(|document| document.to_string())
            .map_err(|e| e.to_string())
    })
    .clone()
}

async fn openapi() -> Result<Response, ServeError> {
    let json =
        openapi_json().map_err(|e| ServeError::Internal(format!("docs/openapi.yaml: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

pub(crate) fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    let request_spans = state.app().config.request_spans;
    routes
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(SequentialRequestId::new()))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(move |request: &Request<Body>| {
                            crate::telemetry::request_span(request, request_spans)
                        })
                        .on_response(crate::telemetry::record_response)
                        // Every 5xx is a "failure" to tower-http, logged at ERROR by default: a
                        // flood of 503s would flood the log. `ServeError::log` already logs the
                        // genuine failures at ERROR, once.
                        .on_failure(DefaultOnFailure::new().level(Level::DEBUG)),
                )
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    crate::metrics::track,
                ))
                .layer(CatchPanicLayer::custom(panic_response)),
        )
        .with_state(state)
}

/// Request ids for requests that come without one: a per-process random prefix and a counter.
///
/// Unique within a process and, through the prefix, across restarts and replicas; unlike a
/// random UUID per request, it costs no system call for randomness on the hot path.
#[derive(Debug, Clone)]
struct SequentialRequestId {
    prefix: u32,
    counter: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl SequentialRequestId {
    fn new() -> Self {
        use std::hash::{BuildHasher, Hasher};
        // RandomState is seeded from the OS once per process: a cheap source for the prefix.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        #[allow(clippy::cast_possible_truncation)] // 32 bits of the hash are enough for a prefix
        let prefix = hasher.finish() as u32;
        Self {
            prefix,
            counter: std::sync::Arc::default(),
        }
    }
}

impl MakeRequestId for SequentialRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("{:08x}-{n:016x}", self.prefix);
        axum::http::HeaderValue::from_str(&id)
            .ok()
            .map(RequestId::new)
    }
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    ServeError::Internal(format!("handler panicked: {detail}")).into_response()
}

async fn live() -> Response {
    json_response(StatusCode::OK, &json!({"status": "alive"}))
}

async fn ready(State(state): State<AppState>) -> Result<Response, ServeError> {
    state.check_ready()?;
    Ok(json_response(StatusCode::OK, &json!({"status": "ready"})))
}

async fn metadata(State(state): State<AppState>) -> Result<Response, ServeError> {
    let signature = state.signature().ok_or(ServeError::NotReady)?;
    let app = state.app();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "model": signature,
            "berth_version": env!("CARGO_PKG_VERSION"),
            "onnxruntime_version": app.onnxruntime_version,
        }),
    ))
}

async fn version(State(state): State<AppState>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "berth": env!("CARGO_PKG_VERSION"),
            "onnxruntime": state.app().onnxruntime_version,
        }),
    )
}

async fn metrics(State(state): State<AppState>) -> Response {
    let queued = state.app().model.get().map_or(0, |m| m.pool.queued());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.app().metrics.encode(queued),
    )
        .into_response()
}

async fn not_found(OriginalUri(uri): OriginalUri) -> ServeError {
    ServeError::NotFound(truncated_path(uri.path()))
}

async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> ServeError {
    ServeError::MethodNotAllowed {
        method: method.to_string(),
        path: truncated_path(uri.path()),
    }
}

fn truncated_path(path: &str) -> String {
    path.chars().take(200).collect()
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn invocations(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ServeError> {
    let model = state.app().model.get().ok_or(ServeError::NotReady)?;
    let config = &state.app().config;
    let input_format = request_format(&headers, config.default_content_type)?;
    let output_format = response_format(&headers, config.default_accept)?;
    let bytes = read_body(body, &headers, config).await?;
    let options = DecodeOptions {
        columns: state.app().columns.clone(),
        max_records: config.max_records,
        csv_delimiter: config.csv_delimiter,
        csv_header: config.csv_has_header,
        missing: config.missing_values,
    };
    let decoded = if bytes.len() <= DECODE_INLINE_MAX {
        decode(input_format, &bytes, &model.layout, &options)?
    } else {
        let layout = model.layout.clone();
        tokio::task::spawn_blocking(move || decode(input_format, &bytes, &layout, &options))
            .await
            .map_err(|e| ServeError::Internal(format!("decoding task failed: {e}")))??
    };
    let rows = decoded.rows;
    let ids = decoded.ids;
    let outputs = infer(&state, model, decoded.tensors, rows, decoded.has_missing).await?;
    let body = encode(
        &outputs,
        rows,
        ids.as_deref(),
        output_format,
        &model.plan,
        config.csv_delimiter,
    )?;
    Ok(([(header::CONTENT_TYPE, output_format.media_type())], body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServeConfig;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    /// The level of every event logged while it is the default subscriber.
    #[derive(Clone, Default)]
    struct Levels(std::sync::Arc<std::sync::Mutex<Vec<tracing::Level>>>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Levels {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            self.0.lock().unwrap().push(*event.metadata().level());
        }
    }

    impl Levels {
        /// Takes the events logged so far at `level` or above.
        fn take_at_least(&self, level: Level) -> usize {
            let events = std::mem::take(&mut *self.0.lock().unwrap());
            events.into_iter().filter(|l| *l <= level).count()
        }
    }

    #[tokio::test]
    async fn a_503_logs_at_debug_and_a_500_logs_one_error() {
        use tracing_subscriber::layer::SubscriberExt;
        async fn boom() -> &'static str {
            panic!("boom")
        }
        async fn overloaded() -> ServeError {
            ServeError::Overloaded
        }
        let levels = Levels::default();
        // With one registered subscriber, tracing caches a callsite's interest as the first thread
        // to reach it sees it: a test running in parallel, without a subscriber, could switch this
        // test's callsites off. With two, it asks every registered subscriber, this one included.
        let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
        // The test's runtime runs on this thread only, so the guard covers every handler.
        let _guard =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(levels.clone()));
        let state = AppState::new(ServeConfig::default(), "test");
        let app = with_layers(
            routes()
                .route("/boom", get(boom))
                .route("/overloaded", get(overloaded)),
            state,
        );
        // No model: /ready and the v2 readiness are 503s (model_not_ready), as is a full queue.
        for path in ["/ready", "/v2/health/ready", "/overloaded"] {
            let response = app
                .clone()
                .oneshot(Request::get(path).body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
            assert_eq!(levels.take_at_least(Level::INFO), 0, "{path}");
        }
        let response = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(levels.take_at_least(Level::WARN), 1);
    }

    #[tokio::test]
    async fn a_panicking_handler_gives_a_json_500_and_the_app_keeps_serving() {
        async fn boom() -> &'static str {
            panic!("boom at /secret/path")
        }
        let state = AppState::new(ServeConfig::default(), "test");
        let app = with_layers(routes().route("/boom", get(boom)), state);
        let response = app
            .clone()
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(response.headers().contains_key("x-request-id"));
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&body);
        assert_eq!(
            body,
            r#"{"error":{"code":"internal_error","message":"internal error"}}"#
        );
        let response = app
            .oneshot(Request::get("/ping").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn once_shutdown_begins_readiness_says_so_and_liveness_stays() {
        let config = ServeConfig {
            model_name: Some(crate::ModelName::parse("m").unwrap()),
            ..ServeConfig::default()
        };
        let state = AppState::new(config, "test");
        let app = router(state.clone());
        let answer = |path: &'static str| {
            let app = app.clone();
            async move {
                let response = app
                    .oneshot(Request::get(path).body(Body::empty()).unwrap())
                    .await
                    .unwrap();
                let status = response.status();
                let body = response.into_body().collect().await.unwrap().to_bytes();
                (status, String::from_utf8_lossy(&body).into_owned())
            }
        };
        let readiness = [
            "/ready",
            "/readyz",
            "/v2/health/ready",
            "/v2/models/m/ready",
        ];
        // Loading: not ready yet.
        for path in readiness {
            let (status, body) = answer(path).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
            assert!(
                body.contains("the model is not ready yet"),
                "{path}: {body}"
            );
        }
        state.begin_shutdown();
        for path in readiness {
            let (status, body) = answer(path).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
            assert!(
                body.contains("the server is shutting down"),
                "{path}: {body}"
            );
        }
        let (_, body) = answer("/ready").await;
        assert_eq!(
            body,
            r#"{"error":{"code":"shutting_down","message":"the server is shutting down"}}"#
        );
        for path in ["/ping", "/v2/health/live"] {
            assert_eq!(answer(path).await.0, StatusCode::OK, "{path}");
        }
    }
}
