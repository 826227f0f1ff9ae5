//! The index of the model repository extension: `POST /v2/repository/index`, which Triton's and
//! MLServer's clients call to list the models of a server (`get_model_repository_index()`).
//!
//! berth serves one model, fixed at start-up, so the index has one entry (none before the model
//! is named, which only a library user that has not given a model yet can see). The request body
//! is empty or a JSON object; its `ready: true` lists only the models that are ready. Each entry
//! is `{"name", "version", "state", "reason"}`, with the states Triton and MLServer use: `READY`;
//! `LOADING` while the model loads and warms up; `UNAVAILABLE` once shutdown begins. The
//! extension's load and unload requests are not served: the model cannot change.

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::{V2Result, json_ok};
use crate::body::read_body;
use crate::state::Readiness;
use crate::{AppState, ServeError};

/// What a request body may be, for the messages that refuse one.
const EXPECTED: &str = "expected an empty body or a JSON object such as {\"ready\": true}";

pub(crate) async fn index(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> V2Result {
    let config = &state.app().config;
    let bytes = read_body(body, &headers, config).await?;
    let ready_only = ready_only(&bytes)?;
    let Some(name) = state.model_name() else {
        return Ok(json_ok(&json!([])));
    };
    let readiness = state.readiness();
    if ready_only && readiness != Readiness::Ready {
        return Ok(json_ok(&json!([])));
    }
    let (model_state, reason) = match readiness {
        Readiness::Ready => ("READY", ""),
        Readiness::Loading => ("LOADING", "the model is loading"),
        Readiness::ShuttingDown => ("UNAVAILABLE", "the server is shutting down"),
    };
    Ok(json_ok(&json!([{
        "name": name,
        "version": "1",
        "state": model_state,
        "reason": reason,
    }])))
}

/// The request's `ready` flag: false for an empty body, an object without it, or `null`.
fn ready_only(body: &[u8]) -> Result<bool, ServeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ServeError::MalformedJson(format!("{e}; {EXPECTED}")))?;
    let Value::Object(fields) = value else {
        return Err(ServeError::InvalidInput(format!(
            "the repository index request is {}, not a JSON object; {EXPECTED}",
            json_kind(&value)
        )));
    };
    match fields.get("ready") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(ready)) => Ok(*ready),
        Some(other) => Err(ServeError::InvalidInput(format!(
            "\"ready\" is {}, not true or false; {EXPECTED}",
            json_kind(other)
        ))),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_empty_or_an_object_with_an_optional_ready_flag() {
        for (body, ready) in [
            ("", false),
            (" \n", false),
            ("{}", false),
            (r#"{"ready": null}"#, false),
            (r#"{"ready": false}"#, false),
            (r#"{"ready": true}"#, true),
            (r#"{"ready": true, "repository_name": ""}"#, true),
        ] {
            assert_eq!(ready_only(body.as_bytes()).unwrap(), ready, "{body:?}");
        }
        for (body, message) in [
            ("{", "malformed JSON: EOF while parsing"),
            (
                "[]",
                "the repository index request is an array, not a JSON object",
            ),
            ("true", "is a boolean, not a JSON object"),
            (
                r#"{"ready": "yes"}"#,
                "\"ready\" is a string, not true or false",
            ),
            (
                r#"{"ready": 1}"#,
                "\"ready\" is a number, not true or false",
            ),
        ] {
            let error = ready_only(body.as_bytes()).unwrap_err();
            assert_eq!(error.status(), axum::http::StatusCode::BAD_REQUEST);
            let error = error.to_string();
            assert!(error.contains(message), "{body:?}: {error}");
            assert!(error.ends_with(EXPECTED), "{body:?}: {error}");
        }
    }
}
