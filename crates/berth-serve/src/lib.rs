//! berth's HTTP server: the SageMaker-style serving contract over axum.
//!
//! This crate owns the HTTP side of `berth serve`: routes ([`router`]), request decoding (JSON,
//! CSV, JSON Lines) into the engine's tensors, response encoding, content negotiation, limits,
//! errors as JSON with the right status ([`ServeError`], mapped to HTTP in one place), request
//! ids, panic recovery, and the connections themselves ([`serve`]): the connection limit, the
//! header and body read timeouts that cut slow clients off, and graceful shutdown. Inference
//! itself is `berth-engine`'s; command-line parsing and logging set-up are the binary's.
//!
//! | route | answer |
//! |---|---|
//! | `GET /ping`, `/live`, `/healthz`, `/health` | 200 while the process runs |
//! | `GET /ready`, `/readyz` | 200 once the model is loaded and warmed up, 503 before and once shutdown begins |
//! | `POST /invocations`, `/predict` | predictions |
//! | `GET /metadata` | the model's inputs and outputs, sha256, versions |
//! | `GET /version` | berth's and ONNX Runtime's versions |
//! | `GET /metrics` | Prometheus metrics (see the `metrics` module) |
//! | `/v2/...` | KServe's Open Inference Protocol (see the `kserve` module) |
//! | `GET /openapi.json` | `docs/openapi.yaml`, the OpenAPI 3.1 description of every route |

mod body;
mod codec;
mod config;
mod connections;
mod error;
mod infer;
mod kserve;
mod metrics;
mod model_name;
mod negotiate;
mod routes;
mod state;
mod telemetry;

use std::future::Future;
use std::time::Duration;

pub use config::defaults;
pub use config::{
    ColumnSelector, CsvHeader, GraphOptimization, MissingValues, OutputMapSetting, RequestFormat,
    ResponseFormat, ResponseOutputs, ServeConfig, parse_duration,
};
pub use error::ServeError;
pub use model_name::ModelName;
pub use routes::{openapi_json, route_list, router};
pub use state::AppState;

/// Serves the application on `listener` until `shutdown` completes, then stops accepting
/// connections and lets in-flight requests finish, for at most `drain_timeout`.
///
/// At most `MAX_CONNECTIONS` connections are open at once (fewer when the open-file limit is
/// lower; the effective limit is logged then); a request head must arrive within
/// `HEADER_READ_TIMEOUT`, which also closes idle keep-alive connections.
///
/// # Errors
/// [`ServeError::RequestsDropped`] when `drain_timeout` ran out with requests unanswered;
/// [`ServeError::InvalidSetting`] (`MAX_CONNECTIONS`) when the open-file limit leaves no room
/// for connections.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain_timeout: Duration,
) -> Result<(), ServeError> {
    connections::serve(listener, state, shutdown, drain_timeout).await
}
