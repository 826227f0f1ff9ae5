//! The server's one error type and its one mapping to HTTP.
//!
//! Every error answer is `{"error": {"code": "...", "message": "..."}}` with the status below.
//! Client mistakes get 4xx with a message that says what was expected; server-side failures get
//! 5xx with a generic message, and the detail goes to the log only (no paths, no library
//! internals in bodies).
//!
//! Each error is logged once, where it becomes a response ([`ServeError::log`]): genuine server
//! failures at ERROR, refusals (4xx, and the 503s of a full queue, a model not yet ready or a
//! shutdown, which the metrics count by status) at DEBUG, so that a flood of 503s cannot flood
//! the log.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use berth_engine::EngineError;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The body is not valid JSON (or one JSON Lines line is not).
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// The body is not valid CSV, or a CSV field is not a value of the input's type.
    #[error("malformed CSV: {0}")]
    MalformedCsv(String),
    /// The body parsed but does not fit the model (shape, feature count, element type).
    #[error("{0}")]
    InvalidInput(String),
    /// The body is empty.
    #[error("empty request body: send at least one row")]
    EmptyBody,
    /// The body is larger than `MAX_BODY_BYTES`.
    #[error("request body larger than MAX_BODY_BYTES ({limit} bytes)")]
    PayloadTooLarge {
        /// The limit.
        limit: u64,
    },
    /// More rows than `MAX_RECORDS`.
    #[error("more than MAX_RECORDS ({limit}) rows in one request")]
    TooManyRecords {
        /// The limit.
        limit: u64,
    },
    /// A Content-Type berth does not decode.
    #[error(
        "unsupported Content-Type {0:?}: send application/json, text/csv, application/jsonlines or application/x-npy"
    )]
    UnsupportedMediaType(String),
    /// An Accept header no format of berth satisfies.
    #[error(
        "cannot answer Accept {0:?}: berth answers application/json, text/csv, application/jsonlines or application/x-npy"
    )]
    NotAcceptable(String),
    /// The answer has no form in the accepted format.
    #[error("{0}")]
    Unrepresentable(String),
    /// The request body did not arrive within `BODY_READ_TIMEOUT`.
    #[error("the request body did not arrive within BODY_READ_TIMEOUT ({timeout:?})")]
    RequestTimeout {
        /// The limit.
        timeout: Duration,
    },
    /// No route for the path.
    #[error("no route for {0}")]
    NotFound(String),
    /// A v2 route names a model other than the one served.
    #[error("unknown model '{asked}': this server serves the model '{served}'")]
    UnknownModel {
        /// The name in the request's path.
        asked: String,
        /// The name of the model served.
        served: String,
    },
    /// The route exists, but not for this method.
    #[error("method {method} not allowed on {path}")]
    MethodNotAllowed {
        /// The request's method.
        method: String,
        /// The request's path.
        path: String,
    },
    /// The model is still loading (or failed to load).
    #[error("the model is not ready yet")]
    NotReady,
    /// The inference queue stayed full for the whole acquire timeout.
    #[error("the server is busy: the inference queue stayed full; retry shortly")]
    Overloaded,
    /// The server is shutting down.
    #[error("the server is shutting down")]
    ShuttingDown,
    /// A setting that does not fit the model (found when the model loads, before readiness).
    #[error("invalid {name}: {message}")]
    InvalidSetting {
        /// The environment variable.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
    /// An output holds NaN or infinity: no answer berth can stand behind.
    #[error(
        "the model's output '{output}' is not a finite number{} {}",
        row.map(|r| format!(" for row {r}")).unwrap_or_default(),
        if *from_missing {
            "and the request had missing values: this model does not handle them; send values, \
             or serve it with MISSING_VALUES=refuse"
        } else {
            "(NaN or infinity): berth gives no answer it cannot stand behind"
        }
    )]
    NonFiniteOutput {
        /// The output's name.
        output: String,
        /// The row (1-based), when the output has one value per row.
        row: Option<usize>,
        /// True when missing values were fed as NaN.
        from_missing: bool,
    },
    /// `SHUTDOWN_TIMEOUT` ran out while requests were still being answered: the server stopped
    /// and they were dropped unanswered.
    #[error("{}", dropped_message(*dropped, *timeout))]
    RequestsDropped {
        /// Requests that got no answer.
        dropped: usize,
        /// `SHUTDOWN_TIMEOUT`.
        timeout: Duration,
    },
    /// The model could not be loaded.
    #[error("{0}")]
    ModelLoad(#[source] EngineError),
    /// The model loaded, but its warm-up inference (one row of zeros per input, run before the
    /// server reports ready) failed for a reason other than the input.
    #[error(
        "the model loaded, but its warm-up inference (one all-zero row per input, run before \
         readiness) failed: {0}"
    )]
    WarmUp(#[source] EngineError),
    /// Anything else: a bug or a runtime failure. The detail is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ServeError {
    /// The HTTP status of this error.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MalformedJson(_)
            | Self::MalformedCsv(_)
            | Self::InvalidInput(_)
            | Self::EmptyBody => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge { .. } | Self::TooManyRecords { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NonFiniteOutput { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotAcceptable(_) | Self::Unrepresentable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::NotFound(_) | Self::UnknownModel { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotReady | Self::Overloaded | Self::ShuttingDown => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal(_)
            | Self::InvalidSetting { .. }
            | Self::ModelLoad(_)
            | Self::WarmUp(_)
            | Self::RequestsDropped { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code of this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "malformed_json",
            Self::MalformedCsv(_) => "malformed_csv",
            Self::InvalidInput(_) => "invalid_input",
            Self::EmptyBody => "empty_body",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::TooManyRecords { .. } => "too_many_records",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::NonFiniteOutput { .. } => "non_finite_output",
            Self::NotAcceptable(_) | Self::Unrepresentable(_) => "not_acceptable",
            Self::RequestTimeout { .. } => "request_timeout",
            Self::NotFound(_) | Self::UnknownModel { .. } => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::NotReady => "model_not_ready",
            Self::Overloaded => "overloaded",
            Self::ShuttingDown => "shutting_down",
            Self::Internal(_)
            | Self::InvalidSetting { .. }
            | Self::ModelLoad(_)
            | Self::WarmUp(_)
            | Self::RequestsDropped { .. } => "internal_error",
        }
    }

    /// The JSON body of this error.
    #[must_use]
    pub fn body(&self) -> String {
        let body = serde_json::json!({"error": {"code": self.code(), "message": self.to_string()}});
        body.to_string()
    }

    /// Logs this error as it becomes a response: a genuine server failure at ERROR, with the
    /// detail that the body never carries; anything else at DEBUG.
    pub(crate) fn log(&self) {
        match self {
            Self::Internal(detail) => {
                tracing::error!(code = self.code(), %detail, "request failed")
            }
            Self::InvalidSetting { .. }
            | Self::ModelLoad(_)
            | Self::WarmUp(_)
            | Self::RequestsDropped { .. } => {
                tracing::error!(code = self.code(), detail = %self, "request failed");
            }
            // Client mistakes, and the 503s of a full queue, a model not yet ready or a shutdown:
            // the server works as it should, and the metrics count them by status.
            Self::MalformedJson(_)
            | Self::MalformedCsv(_)
            | Self::InvalidInput(_)
            | Self::EmptyBody
            | Self::PayloadTooLarge { .. }
            | Self::TooManyRecords { .. }
            | Self::UnsupportedMediaType(_)
            | Self::NotAcceptable(_)
            | Self::Unrepresentable(_)
            | Self::NonFiniteOutput { .. }
            | Self::RequestTimeout { .. }
            | Self::NotFound(_)
            | Self::UnknownModel { .. }
            | Self::MethodNotAllowed { .. }
            | Self::NotReady
            | Self::Overloaded
            | Self::ShuttingDown => {
                tracing::debug!(code = self.code(), message = %self, "request refused");
            }
        }
    }
}

impl From<EngineError> for ServeError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::InvalidInput(message) => Self::InvalidInput(message),
            EngineError::Rejected(_) => Self::InvalidInput(error.to_string()),
            EngineError::Busy { .. } => Self::Overloaded,
            EngineError::Stopped => Self::ShuttingDown,
            other => Self::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ServeError {
    fn into_response(self) -> Response {
        let status = self.status();
        self.log();
        let mut response = (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            self.body(),
        )
            .into_response();
        if matches!(self, Self::Overloaded | Self::NotReady) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

fn dropped_message(dropped: usize, timeout: Duration) -> String {
    let requests = if dropped == 1 {
        "1 request in flight: it was".to_owned()
    } else {
        format!("{dropped} requests in flight: they were")
    };
    format!("SHUTDOWN_TIMEOUT ({timeout:?}) ran out with {requests} dropped unanswered")
}
