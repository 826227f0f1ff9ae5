//! Reading request bodies, within the body limit and the body read timeout.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::{ServeConfig, ServeError};

/// Reads the whole body, refusing more than MAX_BODY_BYTES (at once from `Content-Length`, or
/// as soon as a streamed body passes the limit) and a body that has not arrived within
/// BODY_READ_TIMEOUT (a slow client would otherwise hold its connection and its buffer for as
/// long as it likes).
pub(crate) async fn read_body(
    body: Body,
    headers: &HeaderMap,
    config: &ServeConfig,
) -> Result<Bytes, ServeError> {
    let (limit, timeout) = (config.max_body_bytes, config.body_read_timeout);
    let too_large = ServeError::PayloadTooLarge { limit };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large);
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let read = tokio::time::timeout(timeout, Limited::new(body, limit).collect());
    match read
        .await
        .map_err(|_| ServeError::RequestTimeout { timeout })?
    {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(too_large),
        Err(error) => Err(ServeError::InvalidInput(format!(
            "could not read the request body: {error}"
        ))),
    }
}
