//! Request spans for OpenTelemetry.
//!
//! With `request_spans` on (the binary turns it on when OTLP export is configured), every request
//! gets an INFO span named `METHOD path`, whose parent is the caller's W3C trace context
//! (`traceparent`), so that berth's spans join the caller's trace. Off, the span is a DEBUG span
//! that the default log filter disables: no cost.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, Response};
use opentelemetry::propagation::Extractor;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Reads propagation headers out of an HTTP header map.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(axum::http::HeaderName::as_str).collect()
    }
}

pub(crate) fn request_span(request: &Request<Body>, exported: bool) -> Span {
    let method = request.method();
    let path = request.uri().path();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !exported {
        return tracing::debug_span!("request", %method, %path, request_id);
    }
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{method} {path}"),
        otel.kind = "server",
        http.request.method = %method,
        url.path = %path,
        request_id,
        http.response.status_code = tracing::field::Empty,
    );
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&Headers(request.headers()))
    });
    // A request without a (valid) traceparent starts a new trace: nothing to report.
    let _ = span.set_parent(parent);
    span
}

pub(crate) fn record_response<B>(response: &Response<B>, _latency: Duration, span: &Span) {
    span.record("http.response.status_code", response.status().as_u16());
}
