//! Uploading one blob that the registry does not have: a session opened by POST, then either one
//! streamed PUT with the whole blob or a series of PATCH chunks closed by a PUT `?digest=`.
//!
//! Monolithic is the default (one request, no per-chunk round trips); chunks are used when the
//! caller asks for them, or after a monolithic PUT refused as too large (413, typically a proxy's
//! body limit). The source is re-opened for each attempt, never buffered.

use std::io::Read;

use ureq::http::Method;

use super::RegistryClient;
use super::auth::percent_encode;
use super::transport::{Call, Payload, Streamed};
use crate::{OciError, Result};

/// Chunk size when chunks are a fallback and the caller chose none: 1 MiB passes nginx's default
/// `client_max_body_size`, the most common limit behind a 413 in front of a registry.
const FALLBACK_CHUNK_SIZE: u64 = 1 << 20;

/// How one upload attempt ended.
enum Attempt {
    Done,
    /// The registry asked for credentials mid-upload; they are in hand now, try again.
    Reauthorized,
    /// The registry refused the whole blob in one request as too large.
    TooLarge,
}

/// Uploads `size` bytes from `open()` as `digest`, re-opening the source for each attempt.
pub(super) fn push(
    client: &RegistryClient,
    digest: &str,
    size: u64,
    open: &mut dyn FnMut() -> std::io::Result<Box<dyn Read + Send>>,
) -> Result<()> {
    let mut chunked = client.chunk_size.is_some();
    let mut reauthorized = false;
    loop {
        let attempt = if chunked {
            upload_chunks(client, digest, size, open, reauthorized)?
        } else {
            upload_whole(client, digest, size, open, reauthorized)?
        };
        match attempt {
            Attempt::Done => return Ok(()),
            Attempt::Reauthorized => reauthorized = true,
            Attempt::TooLarge => chunked = true,
        }
    }
}

/// Opens an upload session: its URL and the registry's minimum chunk size, if it has one.
fn start_session(client: &RegistryClient) -> Result<(String, Option<u64>)> {
    let call = Call::new(Method::POST, client.uploads_url()).scopes(client.push_scopes());
    let response = client.transport.send(&call, Payload::Bytes(&[]))?;
    let response = client.transport.expect(&call, response, &[202])?;
    let min_chunk = super::transport::header(&response, "oci-chunk-min-length")
        .and_then(|value| value.trim().parse::<u64>().ok());
    Ok((location(client, &call, &response)?, min_chunk))
}

/// The absolute URL of a response's `Location`, which every upload step must send.
fn location(
    client: &RegistryClient,
    call: &Call,
    response: &ureq::http::Response<ureq::Body>,
) -> Result<String> {
    super::transport::header(response, "location")
        .map(|location| client.transport.resolve(&location))
        .ok_or_else(|| OciError::RegistryStatus {
            method: "POST/PATCH",
            url: call.url.clone(),
            status: response.status().as_u16(),
            message: "an upload answer without a Location header".to_string(),
        })
}

/// `url` with `digest=` added to its query.
fn with_digest(url: &str, digest: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}digest={}", percent_encode(digest))
}

fn open_source(
    open: &mut dyn FnMut() -> std::io::Result<Box<dyn Read + Send>>,
    url: &str,
) -> Result<Box<dyn Read + Send>> {
    open().map_err(|source| OciError::BlobSource {
        url: url.to_string(),
        source,
    })
}

/// One PUT with the whole blob.
fn upload_whole(
    client: &RegistryClient,
    digest: &str,
    size: u64,
    open: &mut dyn FnMut() -> std::io::Result<Box<dyn Read + Send>>,
    reauthorized: bool,
) -> Result<Attempt> {
    let (session, _) = start_session(client)?;
    let url = with_digest(&session, digest);
    let mut source = open_source(open, &url)?;
    let call = Call::new(Method::PUT, url)
        .header("Content-Type", "application/octet-stream".to_string())
        // Lets a registry or proxy refuse a body it will not take (413) before it is sent.
        .header("Expect", "100-continue".to_string())
        .scopes(client.push_scopes());
    let response = match client
        .transport
        .send_stream(&call, &mut *source, size, reauthorized)?
    {
        Streamed::Reauthorized => return Ok(Attempt::Reauthorized),
        Streamed::Response(response) => response,
    };
    match response.status().as_u16() {
        201 | 204 => Ok(Attempt::Done),
        413 => {
            // That session will not complete; a fresh one carries the chunks.
            let cancel = Call::new(Method::DELETE, session).scopes(client.push_scopes());
            let _ = client.transport.send(&cancel, Payload::Empty);
            Ok(Attempt::TooLarge)
        }
        _ => Err(client.transport.failure(&call, response)),
    }
}

/// PATCH chunks of at least the registry's minimum, then PUT `?digest=`.
fn upload_chunks(
    client: &RegistryClient,
    digest: &str,
    size: u64,
    open: &mut dyn FnMut() -> std::io::Result<Box<dyn Read + Send>>,
    reauthorized: bool,
) -> Result<Attempt> {
    let (mut session, min_chunk) = start_session(client)?;
    let chunk_size = client
        .chunk_size
        .unwrap_or(FALLBACK_CHUNK_SIZE)
        .max(min_chunk.unwrap_or(0))
        .max(1);
    let mut source = open_source(open, &session)?;
    let mut offset = 0;
    while offset < size {
        let len = chunk_size.min(size - offset);
        let call = Call::new(Method::PATCH, session.clone())
            .header("Content-Type", "application/octet-stream".to_string())
            // OCI's form: an inclusive byte range without a unit.
            .header("Content-Range", format!("{offset}-{}", offset + len - 1))
            .scopes(client.push_scopes());
        let response = match client
            .transport
            .send_stream(&call, &mut *source, len, reauthorized)?
        {
            Streamed::Reauthorized => return Ok(Attempt::Reauthorized),
            Streamed::Response(response) => response,
        };
        let response = client.transport.expect(&call, response, &[202])?;
        session = location(client, &call, &response)?;
        offset += len;
    }
    let call = Call::new(Method::PUT, with_digest(&session, digest)).scopes(client.push_scopes());
    let response = client.transport.send(&call, Payload::Bytes(&[]))?;
    client.transport.expect(&call, response, &[201, 204])?;
    Ok(Attempt::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_joins_an_existing_query() {
        assert_eq!(
            with_digest("http://r/v2/a/blobs/uploads/u?_state=x", "sha256:ab"),
            "http://r/v2/a/blobs/uploads/u?_state=x&digest=sha256%3Aab"
        );
        assert_eq!(
            with_digest("http://r/v2/a/blobs/uploads/u", "sha256:ab"),
            "http://r/v2/a/blobs/uploads/u?digest=sha256%3Aab"
        );
    }
}
