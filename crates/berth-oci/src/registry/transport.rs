//! Sending one request to a registry: the `ureq` agent and its timeouts, the `Authorization`
//! header (Basic, or a Bearer token fetched and cached per scope set), answering a 401 challenge
//! once, and turning transport failures and unexpected statuses into [`OciError`]s.
//!
//! One module past 500 lines because every request goes through the same few steps (send, read a
//! 401 challenge, fetch a token, send again, map the failure), and splitting them would spread
//! one retry rule over several files.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use ureq::http::{Method, Request, Response};
use ureq::tls::{RootCerts, TlsConfig};
use ureq::{Agent, Body, SendBody};

use super::CredentialSource;
use super::auth::{self, Challenge, Credential, CredentialLookup, Found, Secret, shorten};
use crate::{OciError, Result};

/// A registry that does not accept a connection in this time is reported unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A read or write that makes no progress for this long ends the request. There is no limit on a
/// whole request: a large layer takes as long as it takes.
const STALL_TIMEOUT: Duration = Duration::from_secs(120);
/// Error bodies and token answers are read up to this size.
const MAX_SMALL_BODY: u64 = 1 << 20;

/// One request, described so that it can be sent again after a challenge.
pub(super) struct Call {
    pub(super) method: Method,
    pub(super) url: String,
    headers: Vec<(&'static str, String)>,
    /// The token scopes the request needs (`repository:NAME:ACTIONS`).
    scopes: Vec<String>,
}

impl Call {
    pub(super) fn new(method: Method, url: String) -> Self {
        Self {
            method,
            url,
            headers: Vec::new(),
            scopes: Vec::new(),
        }
    }

    pub(super) fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    pub(super) fn scopes(mut self, scopes: Vec<String>) -> Self {
        self.scopes = scopes;
        self
    }
}

/// A request body.
pub(super) enum Payload<'a> {
    Empty,
    Bytes(&'a [u8]),
    /// `len` bytes from a reader: sent with that Content-Length and never buffered, so it cannot
    /// be sent twice (see [`Transport::send_stream`]).
    Stream(&'a mut dyn Read, u64),
}

/// The answer to a streamed request.
pub(super) enum Streamed {
    Response(Response<Body>),
    /// The registry asked for (new) credentials, which are now in hand; the body was consumed,
    /// so the caller re-opens its source and sends again.
    Reauthorized,
}

/// Where credentials come from, after [`CredentialSource::Environment`] was read.
enum Credentials {
    Anonymous,
    Given(Credential),
    Lookup(CredentialLookup),
}

/// What the client learned about authentication from the registry's answers.
#[derive(Default)]
struct AuthState {
    challenge: Option<Challenge>,
    /// The lookup's outcome, once needed (a helper runs at most once per client).
    found: Option<std::result::Result<Found, String>>,
    /// Bearer tokens by the scopes they were asked for (joined by spaces).
    tokens: HashMap<String, String>,
}

pub(super) struct Transport {
    pub(super) registry: String,
    pub(super) repository: String,
    pub(super) base_url: String,
    agent: Agent,
    credentials: Credentials,
    auth: Mutex<AuthState>,
}

impl Transport {
    pub(super) fn new(
        registry: &str,
        repository: &str,
        base_url: String,
        source: &CredentialSource,
    ) -> Self {
        let credentials = match source {
            CredentialSource::Environment => Credentials::Lookup(CredentialLookup::from_process()),
            CredentialSource::Lookup(lookup) => Credentials::Lookup(lookup.clone()),
            CredentialSource::Anonymous => Credentials::Anonymous,
            CredentialSource::Basic { username, password } => Credentials::Given(Credential {
                secret: Secret::Password {
                    username: username.clone(),
                    password: password.clone(),
                },
                origin: "the credentials berth was given".to_string(),
            }),
        };
        let agent: Agent = Agent::config_builder()
            // Statuses are the registry's answers, read by the caller, not transport errors.
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_per_read(Some(STALL_TIMEOUT))
            .timeout_per_write(Some(STALL_TIMEOUT))
            .user_agent(concat!("berth/", env!("CARGO_PKG_VERSION")))
            // The system's CA bundle, so a registry behind a private CA works as it does for
            // podman and skopeo.
            .tls_config(
                TlsConfig::builder()
                    .root_certs(RootCerts::PlatformVerifier)
                    .build(),
            )
            .build()
            .into();
        Self {
            registry: registry.to_string(),
            repository: repository.to_string(),
            base_url,
            agent,
            credentials,
            auth: Mutex::new(AuthState::default()),
        }
    }

    /// `location` (a `Location` header) as an absolute URL.
    pub(super) fn resolve(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else if location.starts_with('/') {
            format!("{}{location}", self.base_url)
        } else {
            format!("{}/{location}", self.base_url)
        }
    }

    /// Sends `call` with a body that can be sent again, answering one 401 challenge.
    pub(super) fn send(&self, call: &Call, payload: Payload<'_>) -> Result<Response<Body>> {
        let replayable = match payload {
            Payload::Empty => None,
            Payload::Bytes(bytes) => Some(bytes),
            Payload::Stream(..) => unreachable!("streams go through send_stream"),
        };
        let body = || replayable.map_or(Payload::Empty, Payload::Bytes);
        let authorization = self.authorization(&call.scopes, false)?;
        let response = self.transmit(call, authorization.as_deref(), body())?;
        if response.status().as_u16() != 401 {
            return Ok(response);
        }
        let authorization = self.answer_challenge(call, response, authorization.is_some())?;
        let response = self.transmit(call, Some(&authorization), body())?;
        if response.status().as_u16() == 401 {
            return Err(self.refused(call, response));
        }
        Ok(response)
    }

    /// Sends `call` with a streamed body. A 401 is answered by getting credentials in hand and
    /// returning [`Streamed::Reauthorized`]; a second 401 after that is an error.
    pub(super) fn send_stream(
        &self,
        call: &Call,
        source: &mut dyn Read,
        len: u64,
        after_reauthorization: bool,
    ) -> Result<Streamed> {
        let authorization = self.authorization(&call.scopes, false)?;
        let response =
            self.transmit(call, authorization.as_deref(), Payload::Stream(source, len))?;
        if response.status().as_u16() != 401 {
            return Ok(Streamed::Response(response));
        }
        if after_reauthorization {
            return Err(self.refused(call, response));
        }
        self.answer_challenge(call, response, authorization.is_some())?;
        Ok(Streamed::Reauthorized)
    }

    /// `Ok(response)` when its status is one of `expected`, else the registry's error.
    pub(super) fn expect(
        &self,
        call: &Call,
        response: Response<Body>,
        expected: &[u16],
    ) -> Result<Response<Body>> {
        if expected.contains(&response.status().as_u16()) {
            Ok(response)
        } else {
            Err(self.failure(call, response))
        }
    }

    /// The error for an answer the caller did not expect.
    pub(super) fn failure(&self, call: &Call, response: Response<Body>) -> OciError {
        if response.status().as_u16() == 401 {
            self.refused(call, response)
        } else {
            status_error(call, response)
        }
    }

    /// One exchange with the registry, without any retry.
    fn transmit(
        &self,
        call: &Call,
        authorization: Option<&str>,
        payload: Payload<'_>,
    ) -> Result<Response<Body>> {
        let mut builder = Request::builder()
            .method(call.method.clone())
            .uri(&call.url);
        for (name, value) in &call.headers {
            builder = builder.header(*name, value);
        }
        if let Some(authorization) = authorization {
            builder = builder.header("Authorization", authorization);
        }
        let result = match payload {
            Payload::Empty => self.agent.run(with_body(call, builder, SendBody::none())?),
            Payload::Bytes(bytes) => {
                let builder = builder.header("Content-Length", bytes.len().to_string());
                let mut reader = bytes;
                self.agent.run(with_body(
                    call,
                    builder,
                    SendBody::from_reader(&mut reader),
                )?)
            }
            Payload::Stream(source, len) => {
                let builder = builder.header("Content-Length", len.to_string());
                let mut counted = ExactSource::new(source, len);
                let result = self.agent.run(with_body(
                    call,
                    builder,
                    SendBody::from_reader(&mut counted),
                )?);
                if let Some(error) = counted.failure.take() {
                    // The source failed, not the registry: say so, with the source's error.
                    return Err(OciError::BlobSource {
                        url: call.url.clone(),
                        source: error,
                    });
                }
                result
            }
        };
        result.map_err(|error| self.unreachable(call, error))
    }

    fn unreachable(&self, call: &Call, error: ureq::Error) -> OciError {
        let message = match &error {
            ureq::Error::Timeout(which) => {
                format!("timed out ({which}) on {} {}", call.method, call.url)
            }
            other => format!("{} {}: {other}", call.method, call.url),
        };
        OciError::Unreachable {
            registry: self.registry.clone(),
            message,
        }
    }

    /// The `Authorization` value for a request needing `scopes`, from what earlier challenges
    /// taught: Basic credentials, or a Bearer token (cached, or fetched now when `fresh`).
    fn authorization(&self, scopes: &[String], fresh: bool) -> Result<Option<String>> {
        let challenge = self.lock().challenge.clone();
        match challenge {
            None => Ok(None),
            Some(Challenge::Basic) => Ok(self.credential()?.and_then(|c| c.basic_header())),
            Some(Challenge::Bearer { realm, service }) => {
                let key = scopes.join(" ");
                if !fresh && let Some(token) = self.lock().tokens.get(&key) {
                    return Ok(Some(format!("Bearer {token}")));
                }
                let token = self.fetch_token(&realm, service.as_deref(), scopes)?;
                self.lock().tokens.insert(key, token.clone());
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    /// Learns the challenge of a 401 and returns the authorization that answers it, or the
    /// reason there is none.
    fn answer_challenge(
        &self,
        call: &Call,
        response: Response<Body>,
        sent_authorization: bool,
    ) -> Result<String> {
        let challenge = header(&response, "www-authenticate")
            .as_deref()
            .and_then(auth::parse_challenge);
        let Some(challenge) = challenge else {
            return Err(self.refused(call, response));
        };
        let is_basic = challenge == Challenge::Basic;
        self.lock().challenge = Some(challenge);
        if is_basic && sent_authorization {
            // The same Basic credentials would be refused again.
            return Err(self.refused(call, response));
        }
        match self.authorization(&call.scopes, true)? {
            Some(authorization) => Ok(authorization),
            None => Err(self.refused(call, response)),
        }
    }

    /// The credential to send, looked up once per client.
    fn credential(&self) -> Result<Option<Credential>> {
        let lookup = match &self.credentials {
            Credentials::Anonymous => return Ok(None),
            Credentials::Given(credential) => return Ok(Some(credential.clone())),
            Credentials::Lookup(lookup) => lookup,
        };
        let found = {
            let mut state = self.lock();
            state
                .found
                .get_or_insert_with(|| {
                    auth::find_credential(lookup, &self.registry, &self.repository)
                })
                .clone()
        };
        match found {
            Ok(Found::Credential(credential)) => Ok(Some(credential)),
            Ok(Found::Nothing { .. }) => Ok(None),
            Err(message) => Err(OciError::Credentials {
                registry: self.registry.clone(),
                message,
            }),
        }
    }

    /// Where the credentials came from, or where none were found, for an Unauthorized message.
    fn credential_story(&self) -> String {
        match &self.credentials {
            Credentials::Anonymous => "no credentials were sent (anonymous access)".to_string(),
            Credentials::Given(credential) => format!("credentials from {}", credential.origin),
            Credentials::Lookup(_) => match &self.lock().found {
                Some(Ok(Found::Credential(credential))) => {
                    format!("credentials from {}", credential.origin)
                }
                Some(Ok(Found::Nothing { looked_in })) => format!(
                    "no credentials for {} were found (looked in: {})",
                    self.registry,
                    looked_in.join(", ")
                ),
                Some(Err(message)) => message.clone(),
                None => "no credentials were asked for".to_string(),
            },
        }
    }

    /// Asks the token server for a token covering `scopes`.
    fn fetch_token(&self, realm: &str, service: Option<&str>, scopes: &[String]) -> Result<String> {
        let credential = self.credential()?;
        let (call, form) = match credential.as_ref().map(|c| &c.secret) {
            // An identity token is exchanged with OAuth2's refresh-token grant.
            Some(Secret::IdentityToken(token)) => {
                let form = auth::token_query(
                    service,
                    scopes,
                    &[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", token),
                        ("client_id", "berth"),
                    ],
                );
                let call = Call::new(Method::POST, realm.to_string()).header(
                    "Content-Type",
                    "application/x-www-form-urlencoded".to_string(),
                );
                (call, Some(form))
            }
            _ => {
                let mut call = Call::new(Method::GET, auth::token_url(realm, service, scopes));
                if let Some(basic) = credential.as_ref().and_then(Credential::basic_header) {
                    call = call.header("Authorization", basic);
                }
                (call, None)
            }
        };
        let payload = form
            .as_deref()
            .map_or(Payload::Empty, |f| Payload::Bytes(f.as_bytes()));
        let response = self.transmit(&call, None, payload)?;
        let status = response.status().as_u16();
        if status == 401 || status == 403 {
            let answer = error_message(response);
            return Err(OciError::Unauthorized {
                registry: self.registry.clone(),
                repository: self.repository.clone(),
                message: format!(
                    "the token server {realm} answered {status} {answer}; {}",
                    self.credential_story()
                ),
            });
        }
        if !(200..300).contains(&status) {
            return Err(status_error(&call, response));
        }
        let bytes = read_small_body(&call, response, MAX_SMALL_BODY)?;
        serde_json::from_slice::<auth::TokenAnswer>(&bytes)
            .ok()
            .and_then(auth::TokenAnswer::into_token)
            .ok_or_else(|| OciError::Unauthorized {
                registry: self.registry.clone(),
                repository: self.repository.clone(),
                message: format!("the token server {realm} answered without a token"),
            })
    }

    /// The Unauthorized error for a 401 the client cannot answer.
    fn refused(&self, call: &Call, response: Response<Body>) -> OciError {
        let answer = error_message(response);
        OciError::Unauthorized {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            message: format!(
                "{} {} answered 401 {answer}; {}",
                call.method,
                call.url,
                self.credential_story()
            ),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AuthState> {
        self.auth
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The request of `builder` with `body`.
fn with_body<'b>(
    call: &Call,
    builder: ureq::http::request::Builder,
    body: SendBody<'b>,
) -> Result<Request<SendBody<'b>>> {
    builder
        .body(body)
        .map_err(|error| OciError::RegistryStatus {
            method: method_name(&call.method),
            url: call.url.clone(),
            status: 0,
            message: format!("cannot build the request: {error}"),
        })
}

/// A header's value as text.
pub(super) fn header(response: &Response<Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
}

/// A body read into memory, refused past `limit` bytes.
pub(super) fn read_small_body(
    call: &Call,
    response: Response<Body>,
    limit: u64,
) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    response
        .into_body()
        .into_with_config()
        .limit(limit)
        .reader()
        .read_to_end(&mut bytes)
        .map_err(|error| OciError::RegistryStatus {
            method: method_name(&call.method),
            url: call.url.clone(),
            status: 200,
            message: format!("reading the answer: {error}"),
        })?;
    Ok(bytes)
}

/// The [`OciError::RegistryStatus`] for an unexpected answer.
pub(super) fn status_error(call: &Call, response: Response<Body>) -> OciError {
    let status = response.status().as_u16();
    OciError::RegistryStatus {
        method: method_name(&call.method),
        url: call.url.clone(),
        status,
        message: error_message(response),
    }
}

/// The registry's error body, shortened: the OCI `errors` list as `CODE: message`, else the text.
fn error_message(response: Response<Body>) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<ErrorEntry>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorEntry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let mut bytes = Vec::new();
    let _ = response
        .into_body()
        .into_with_config()
        .limit(64 << 10)
        .reader()
        .take(64 << 10)
        .read_to_end(&mut bytes);
    let text = match serde_json::from_slice::<Errors>(&bytes) {
        Ok(errors) if !errors.errors.is_empty() => errors
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.code, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::from_utf8_lossy(&bytes).trim().to_string(),
    };
    shorten(&text, 300)
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "request",
    }
}

/// A source that must yield exactly `len` bytes: it stops there, and ending early is an error.
/// Its own failure is kept, so that it is reported as the source's rather than the registry's.
struct ExactSource<'a> {
    inner: std::io::Take<&'a mut dyn Read>,
    len: u64,
    failure: Option<std::io::Error>,
}

impl<'a> ExactSource<'a> {
    fn new(inner: &'a mut dyn Read, len: u64) -> Self {
        Self {
            inner: inner.take(len),
            len,
            failure: None,
        }
    }
}

impl Read for ExactSource<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let result = match self.inner.read(buf) {
            Ok(0) if !buf.is_empty() && self.inner.limit() > 0 => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "the source ended after {} of {} bytes",
                    self.len - self.inner.limit(),
                    self.len
                ),
            )),
            other => other,
        };
        result.map_err(|error| {
            let kind = error.kind();
            let message = error.to_string();
            self.failure = Some(error);
            std::io::Error::new(kind, message)
        })
    }
}
