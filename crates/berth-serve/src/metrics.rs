//! Prometheus metrics, served at `GET /metrics` in the OpenMetrics text format.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `berth_http_requests_total` | counter | `route`, `method`, `status` |
//! | `berth_http_request_duration_seconds` | histogram | `route` |
//! | `berth_http_requests_in_flight` | gauge | |
//! | `berth_inference_duration_seconds` | histogram (queue wait + run) | |
//! | `berth_inference_batch_rows` | histogram (rows per ONNX Runtime run) | |
//! | `berth_rows_predicted_total` | counter (rows of answered requests) | |
//! | `berth_inference_queue_depth` | gauge | |
//! | `berth_model_load_seconds` | gauge | |
//! | `berth_model_warmup_seconds` | gauge | |
//! | `berth_model_ready` | gauge (0 or 1: 0 again once shutdown begins) | |
//! | `berth_build_info` | info | `version`, `onnxruntime` |
//!
//! `berth_inference_batch_rows` observes every ONNX Runtime run that answers requests, with its
//! rows: the engine reports each run ([`Metrics::run_observer`], called on the inference thread),
//! so that requests merged by dynamic batching count as one run of their rows together. The
//! warm-up and the batching probe run before the server is ready and are not counted. The
//! handlers report each answered request ([`Metrics::inference`]): its time in the pool and its
//! rows.
//!
//! Routes are labelled by their pattern (`/v2/models/{name}/infer`), unknown paths as
//! `unmatched`, so that clients cannot grow the label set.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use berth_engine::RunObserver;

use crate::AppState;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
    onnxruntime: String,
}

fn latency_histogram() -> Histogram {
    // 50 us .. ~6.5 s
    Histogram::new(exponential_buckets(0.000_05, 2.0, 18))
}

/// The rows of ONNX Runtime runs, shared with the inference threads.
#[derive(Debug, Clone)]
struct RunRows {
    histogram: Histogram,
    /// Off until the model is ready, so that the warm-up is not counted.
    counting: Arc<AtomicBool>,
}

impl RunRows {
    /// One ONNX Runtime run of `rows` rows answered requests.
    fn observe(&self, rows: usize) {
        if self.counting.load(Ordering::Acquire) {
            #[allow(clippy::cast_precision_loss)] // row counts are far below 2^52
            self.histogram.observe(rows as f64);
        }
    }
}

/// Every metric berth exports, and the registry that encodes them.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    inference_duration: Histogram,
    run_rows: RunRows,
    rows_predicted: Counter,
    queue_depth: Gauge,
    model_load_seconds: Gauge<f64, AtomicU64>,
    model_warmup_seconds: Gauge<f64, AtomicU64>,
    ready: Gauge,
}

impl Metrics {
    pub(crate) fn new(onnxruntime_version: &str) -> Self {
        let mut registry = Registry::with_prefix("berth");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        let request_duration =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response head",
            request_duration.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being answered",
            in_flight.clone(),
        );
        let inference_duration = latency_histogram();
        registry.register(
            "inference_duration_seconds",
            "Time in the inference pool per request: queue wait plus ONNX Runtime run",
            inference_duration.clone(),
        );
        let batch_rows = Histogram::new(exponential_buckets(1.0, 2.0, 14));
        registry.register(
            "inference_batch_rows",
            "Rows per ONNX Runtime run (requests merged by dynamic batching count together)",
            batch_rows.clone(),
        );
        let rows_predicted = Counter::default();
        registry.register(
            "rows_predicted",
            "Rows of the requests answered",
            rows_predicted.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "inference_queue_depth",
            "Requests waiting for an inference worker",
            queue_depth.clone(),
        );
        let model_warmup_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "model_warmup_seconds",
            "Time of the warm-up inference that ran before the server said ready",
            model_warmup_seconds.clone(),
        );
        let model_load_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "model_load_seconds",
            "Time to load the model and run its warm-up inference",
            model_load_seconds.clone(),
        );
        let ready = Gauge::default();
        registry.register(
            "model_ready",
            "1 once the model is loaded and warmed up, 0 again once shutdown begins",
            ready.clone(),
        );
        registry.register(
            "build",
            "berth build information",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION").to_owned(),
                onnxruntime: onnxruntime_version.to_owned(),
            }),
        );
        Self {
            registry,
            requests,
            request_duration,
            in_flight,
            inference_duration,
            run_rows: RunRows {
                histogram: batch_rows,
                counting: Arc::new(AtomicBool::new(false)),
            },
            rows_predicted,
            queue_depth,
            model_load_seconds,
            model_warmup_seconds,
            ready,
        }
    }

    pub(crate) fn model_loaded(&self, seconds: f64, warm_up_seconds: f64) {
        self.model_load_seconds.set(seconds);
        self.model_warmup_seconds.set(warm_up_seconds);
        self.ready.set(1);
    }

    /// Shutdown began: the server is no longer ready.
    pub(crate) fn not_ready(&self) {
        self.ready.set(0);
    }

    /// One request answered by the inference pool: its time there (queue wait and run) and its
    /// rows. Called by the handlers.
    pub(crate) fn inference(&self, seconds: f64, rows: usize) {
        self.inference_duration.observe(seconds);
        self.rows_predicted.inc_by(rows as u64);
    }

    /// What the inference pool calls after each run, on the inference thread: "a run of N rows
    /// happened" (one request's rows, or several merged requests' rows together).
    pub(crate) fn run_observer(&self) -> RunObserver {
        let run_rows = self.run_rows.clone();
        Arc::new(move |rows| run_rows.observe(rows))
    }

    /// From now on runs count: called once the warm-up is done, before the model is served.
    pub(crate) fn count_runs(&self) {
        self.run_rows.counting.store(true, Ordering::Release);
    }

    /// The OpenMetrics text of every metric, with the queue depth read now.
    pub(crate) fn encode(&self, queue_depth: usize) -> String {
        self.queue_depth
            .set(i64::try_from(queue_depth).unwrap_or(i64::MAX));
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Middleware counting every request by route, method and status, and timing it.
pub(crate) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let metrics = &state.app().metrics;
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    // Only standard methods become label values: anything else a client invents is `other`.
    let method = match request.method().as_str() {
        m @ ("GET" | "POST" | "PUT" | "DELETE" | "HEAD" | "OPTIONS" | "PATCH") => m,
        _ => "other",
    }
    .to_owned();
    let started = Instant::now();
    metrics.in_flight.inc();
    let response = next.run(request).await;
    metrics.in_flight.dec();
    metrics
        .request_duration
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
}
