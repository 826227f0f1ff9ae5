//! Registry credentials and the challenge flow: where a user's credentials for a registry host
//! come from (the auth files of podman and docker, and docker credential helpers), how a
//! `WWW-Authenticate` challenge is read, and how a Bearer token is asked for.
//!
//! The file formats and the helper protocol are small and stable, so they are read here rather
//! than through a crate: the docker-credential crates either shell out the same way or pull in an
//! async runtime. The token request is a plain GET (or, with an identity token, the OAuth2
//! refresh-token POST) sent with the client's own `ureq` agent.
//!
//! One module past 500 lines because it is one question, "what goes in the Authorization header
//! for this registry": the files, the helpers and the challenge answer one another (a challenge
//! says which credentials to send, the files say which exist), and their tests share fixtures.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

/// The environment variables that say where credentials live, captured once so that a caller
/// (or a test) can point the lookup elsewhere without changing the process environment.
#[derive(Clone, Debug, Default)]
pub struct CredentialLookup {
    vars: BTreeMap<String, OsString>,
}

/// The variables [`CredentialLookup`] reads.
const LOOKUP_VARIABLES: [&str; 7] = [
    "REGISTRY_AUTH_FILE",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "HOME",
    "DOCKER_CONFIG",
    "PATH",
    // Not read by the lookup itself, but a credential helper may need it.
    "USER",
];

impl CredentialLookup {
    /// The lookup as the process environment sets it.
    pub fn from_process() -> Self {
        let vars = LOOKUP_VARIABLES
            .iter()
            .filter_map(|name| std::env::var_os(name).map(|value| (name.to_string(), value)))
            .collect();
        Self { vars }
    }

    /// An empty lookup (no files, no helpers) to be filled with [`CredentialLookup::with_var`].
    pub fn empty() -> Self {
        Self::default()
    }

    /// The same lookup with `name` set to `value`.
    pub fn with_var(mut self, name: &str, value: impl Into<OsString>) -> Self {
        self.vars.insert(name.to_string(), value.into());
        self
    }

    fn var(&self, name: &str) -> Option<&OsStr> {
        self.vars
            .get(name)
            .map(OsString::as_os_str)
            .filter(|value| !value.is_empty())
    }

    /// The credential files, in the order they are consulted.
    fn files(&self) -> Vec<PathBuf> {
        let home = self.var("HOME").map(PathBuf::from);
        let mut files = Vec::new();
        if let Some(file) = self.var("REGISTRY_AUTH_FILE") {
            files.push(PathBuf::from(file));
        }
        if let Some(runtime) = self.var("XDG_RUNTIME_DIR") {
            files.push(Path::new(runtime).join("containers/auth.json"));
        }
        match (self.var("XDG_CONFIG_HOME"), &home) {
            (Some(config), _) => files.push(Path::new(config).join("containers/auth.json")),
            (None, Some(home)) => files.push(home.join(".config/containers/auth.json")),
            (None, None) => {}
        }
        match (self.var("DOCKER_CONFIG"), &home) {
            (Some(dir), _) => files.push(Path::new(dir).join("config.json")),
            (None, Some(home)) => files.push(home.join(".docker/config.json")),
            (None, None) => {}
        }
        files
    }

    /// `docker-credential-<name>` found on this lookup's `PATH`.
    fn helper_program(&self, name: &str) -> Option<PathBuf> {
        let program = format!("docker-credential-{name}");
        std::env::split_paths(self.var("PATH")?)
            .map(|dir| dir.join(&program))
            .find(|candidate| candidate.is_file())
    }
}

/// The secret part of a credential. Its `Debug` never prints the secret.
#[derive(Clone)]
pub(crate) enum Secret {
    /// A user name and password, for Basic or for a token request.
    Password { username: String, password: String },
    /// An identity (refresh) token, exchanged for access tokens with OAuth2.
    IdentityToken(String),
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Password { username, .. } => write!(f, "password for {username:?}"),
            Self::IdentityToken(_) => f.write_str("identity token"),
        }
    }
}

/// A credential and where it came from (a file path, a helper's name, or the caller).
#[derive(Clone, Debug)]
pub(crate) struct Credential {
    pub(crate) secret: Secret,
    pub(crate) origin: String,
}

impl Credential {
    /// The `Authorization` value for a Basic challenge, when the secret allows one.
    pub(crate) fn basic_header(&self) -> Option<String> {
        match &self.secret {
            Secret::Password { username, password } => Some(format!(
                "Basic {}",
                BASE64.encode(format!("{username}:{password}"))
            )),
            Secret::IdentityToken(_) => None,
        }
    }
}

/// What a credential search found: a credential, or nothing and the places it looked.
#[derive(Clone, Debug)]
pub(crate) enum Found {
    Credential(Credential),
    Nothing { looked_in: Vec<String> },
}

/// The key docker uses for Docker Hub in its files and for its credential helpers.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// Searches the files of `lookup` for `registry`'s credentials (`registry` as the user wrote it:
/// `docker.io`, `ghcr.io`, `127.0.0.1:5000`). A longer key naming the repository's namespace
/// (`host/namespace`, as podman allows) wins over the bare host. An error is a file or helper
/// that could not be used; the message names it.
pub(crate) fn find_credential(
    lookup: &CredentialLookup,
    registry: &str,
    repository: &str,
) -> Result<Found, String> {
    let mut looked_in = Vec::new();
    for path in lookup.files() {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                looked_in.push(format!("{} (absent)", path.display()));
                continue;
            }
            Err(error) => return Err(format!("{}: {error}", path.display())),
        };
        looked_in.push(path.display().to_string());
        let file: AuthFile = serde_json::from_str(&text)
            .map_err(|error| format!("{}: not a credentials file: {error}", path.display()))?;
        if let Some(credential) = file.credential_for(lookup, &path, registry, repository)? {
            return Ok(Found::Credential(credential));
        }
    }
    Ok(Found::Nothing { looked_in })
}

/// A podman `auth.json` or a docker `config.json`: the same shape for what matters here.
#[derive(Deserialize, Default)]
struct AuthFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default, rename = "identitytoken")]
    identity_token: Option<String>,
}

impl AuthFile {
    fn credential_for(
        &self,
        lookup: &CredentialLookup,
        path: &Path,
        registry: &str,
        repository: &str,
    ) -> Result<Option<Credential>, String> {
        let host = normalize_host(registry);
        // A helper named for this host is docker's first choice.
        if let Some((_, helper)) = self
            .cred_helpers
            .iter()
            .find(|(key, _)| normalize_key(key) == host)
        {
            return run_helper(lookup, helper, registry);
        }
        // The most specific `auths` key: `host/a/b` before `host/a` before `host`.
        let mut candidates = vec![host.clone()];
        let mut prefix = host.clone();
        for part in repository.split('/') {
            prefix = format!("{prefix}/{part}");
            candidates.push(prefix.clone());
        }
        let entry = candidates.iter().rev().find_map(|wanted| {
            self.auths
                .iter()
                .find(|(key, _)| normalize_key(key) == *wanted)
                .map(|(_, entry)| entry)
        });
        let origin = path.display().to_string();
        if let Some(credential) = entry
            .map(|entry| entry.credential(&origin))
            .transpose()?
            .flatten()
        {
            return Ok(Some(credential));
        }
        // A store holds every host's secret; its `auths` entries are left empty.
        if let Some(store) = &self.creds_store {
            return run_helper(lookup, store, registry);
        }
        Ok(None)
    }
}

impl AuthEntry {
    fn credential(&self, origin: &str) -> Result<Option<Credential>, String> {
        let secret = if let Some(token) = self.identity_token.as_deref().filter(|t| !t.is_empty()) {
            Secret::IdentityToken(token.to_string())
        } else if let Some(auth) = self.auth.as_deref().filter(|a| !a.is_empty()) {
            let decoded = BASE64
                .decode(auth.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| format!("{origin}: an `auth` value that is not base64 text"))?;
            let (username, password) = decoded
                .split_once(':')
                .ok_or_else(|| format!("{origin}: an `auth` value that is not user:password"))?;
            Secret::Password {
                username: username.to_string(),
                password: password.to_string(),
            }
        } else if let (Some(username), Some(password)) = (&self.username, &self.password) {
            Secret::Password {
                username: username.clone(),
                password: password.clone(),
            }
        } else {
            return Ok(None);
        };
        Ok(Some(Credential {
            secret,
            origin: origin.to_string(),
        }))
    }
}

/// Docker Hub's many names folded into one, so keys and the registry compare equal.
fn normalize_host(host: &str) -> String {
    match host {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_string()
        }
        other => other.to_string(),
    }
}

/// An `auths` or `credHelpers` key as a host (with an optional namespace path): URL keys such as
/// `https://index.docker.io/v1/` lose their scheme and path.
fn normalize_key(key: &str) -> String {
    match key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
    {
        Some(rest) => normalize_host(rest.split('/').next().unwrap_or(rest)),
        None => {
            let (host, path) = key.split_once('/').unwrap_or((key, ""));
            let host = normalize_host(host);
            if path.is_empty() {
                host
            } else {
                format!("{host}/{}", path.trim_end_matches('/'))
            }
        }
    }
}

/// What a credential helper prints for `get`.
#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// Runs `docker-credential-<helper> get` with the registry's server URL on stdin.
fn run_helper(
    lookup: &CredentialLookup,
    helper: &str,
    registry: &str,
) -> Result<Option<Credential>, String> {
    let origin = format!("credential helper docker-credential-{helper}");
    let program = lookup
        .helper_program(helper)
        .ok_or_else(|| format!("{origin}: not found on PATH"))?;
    let server_url = if normalize_host(registry) == "docker.io" {
        DOCKER_HUB_KEY
    } else {
        registry
    };
    let mut command = Command::new(&program);
    command
        .arg("get")
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The helper sees the lookup's variables, not the process's, like every other part of it.
    for (name, value) in &lookup.vars {
        command.env(name, value);
    }
    let mut child = command
        .spawn()
        .map_err(|error| format!("{origin}: {error}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading stdin is judged by its exit status below.
        let _ = stdin.write_all(server_url.as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|error| format!("{origin}: {error}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        // The helper protocol's way of saying "no entry": not an error, just no credential.
        if stdout.contains("credentials not found") {
            return Ok(None);
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let said = format!("{} {}", stdout.trim(), stderr.trim());
        return Err(format!(
            "{origin} failed ({}): {}",
            output.status,
            shorten(said.trim(), 300)
        ));
    }
    let answer: HelperAnswer = serde_json::from_str(&stdout).map_err(|error| {
        format!("{origin}: printed something that is not {{Username, Secret}} JSON ({error})")
    })?;
    // `<token>` is the helper protocol's marker for an identity token in `Secret`.
    let secret = if answer.username == "<token>" {
        Secret::IdentityToken(answer.secret)
    } else {
        Secret::Password {
            username: answer.username,
            password: answer.secret,
        }
    };
    Ok(Some(Credential { secret, origin }))
}

/// A `WWW-Authenticate` challenge berth can answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

/// Reads the first Basic or Bearer challenge of a `WWW-Authenticate` value; `None` for a scheme
/// berth cannot answer. Parameters are `key=value` or `key="quoted, \"escaped\""`.
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let params = parse_params(rest);
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    };
    if scheme.eq_ignore_ascii_case("basic") {
        Some(Challenge::Basic)
    } else if scheme.eq_ignore_ascii_case("bearer") {
        Some(Challenge::Bearer {
            realm: param("realm")?,
            service: param("service"),
        })
    } else {
        None
    }
}

fn parse_params(text: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ',' || c.is_whitespace()).is_some() {}
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ','))
            .collect::<String>()
            .trim()
            .to_string();
        if key.is_empty() {
            return params;
        }
        if chars.next_if_eq(&'=').is_none() {
            continue;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value.extend(std::iter::from_fn(|| chars.next_if(|c| *c != ',')));
            value = value.trim().to_string();
        }
        params.push((key, value));
    }
}

/// The URL of a token request: `realm?service=...&scope=...&scope=...`.
pub(crate) fn token_url(realm: &str, service: Option<&str>, scopes: &[String]) -> String {
    let query = token_query(service, scopes, &[]);
    let separator = if realm.contains('?') { '&' } else { '?' };
    format!("{realm}{separator}{query}")
}

/// `application/x-www-form-urlencoded` pairs: service, each scope, then `extra`.
pub(crate) fn token_query(
    service: Option<&str>,
    scopes: &[String],
    extra: &[(&str, &str)],
) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(service) = service {
        pairs.push(("service", service));
    }
    pairs.extend(scopes.iter().map(|scope| ("scope", scope.as_str())));
    pairs.extend_from_slice(extra);
    pairs
        .iter()
        .map(|(key, value)| format!("{key}={}", percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but RFC 3986's unreserved characters. Ten lines here instead of
/// the `url` crate for the one place berth builds a query.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// A token server's answer: `token` (docker) or `access_token` (OAuth2).
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

impl TokenAnswer {
    pub(crate) fn into_token(self) -> Option<String> {
        self.token
            .filter(|t| !t.is_empty())
            .or(self.access_token.filter(|t| !t.is_empty()))
    }
}

/// `text` cut to `max` characters, with an ellipsis when cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenge_with_quoted_and_escaped_values() {
        let header = r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push",error="invalid_token""#;
        assert_eq!(
            parse_challenge(header),
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("registry.example".into()),
            })
        );
        let escaped = r#"bearer service="a \"b\"", realm=http://127.0.0.1:1/t"#;
        assert_eq!(
            parse_challenge(escaped),
            Some(Challenge::Bearer {
                realm: "http://127.0.0.1:1/t".into(),
                service: Some("a \"b\"".into()),
            })
        );
    }

    #[test]
    fn basic_challenge_and_unknown_schemes() {
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Negotiate abc"), None);
        // A Bearer challenge without a realm cannot be answered.
        assert_eq!(parse_challenge(r#"Bearer service="x""#), None);
    }

    #[test]
    fn token_url_encodes_every_scope() {
        let scopes = vec![
            "repository:team/model:pull,push".to_string(),
            "repository:team/base:pull".to_string(),
        ];
        assert_eq!(
            token_url("https://auth.example/token", Some("reg istry"), &scopes),
            "https://auth.example/token?service=reg%20istry\
             &scope=repository%3Ateam%2Fmodel%3Apull%2Cpush\
             &scope=repository%3Ateam%2Fbase%3Apull"
        );
        assert_eq!(
            token_url("http://127.0.0.1:1/t?x=1", None, &scopes[1..]),
            "http://127.0.0.1:1/t?x=1&scope=repository%3Ateam%2Fbase%3Apull"
        );
    }

    #[test]
    fn token_answer_prefers_token_then_access_token() {
        let both: TokenAnswer =
            serde_json::from_str(r#"{"token":"a","access_token":"b"}"#).unwrap();
        assert_eq!(both.into_token().as_deref(), Some("a"));
        let oauth: TokenAnswer = serde_json::from_str(r#"{"access_token":"b"}"#).unwrap();
        assert_eq!(oauth.into_token().as_deref(), Some("b"));
        let none: TokenAnswer = serde_json::from_str(r#"{"expires_in":60}"#).unwrap();
        assert_eq!(none.into_token(), None);
    }

    #[test]
    fn keys_fold_docker_hub_names_and_urls() {
        assert_eq!(normalize_key(DOCKER_HUB_KEY), "docker.io");
        assert_eq!(normalize_key("registry-1.docker.io"), "docker.io");
        assert_eq!(normalize_key("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
        assert_eq!(normalize_key("quay.io/team/"), "quay.io/team");
    }

    fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn password(found: Found) -> (String, String, String) {
        match found {
            Found::Credential(Credential {
                secret: Secret::Password { username, password },
                origin,
            }) => (username, password, origin),
            other => panic!("expected a password, got {other:?}"),
        }
    }

    #[test]
    fn files_are_consulted_in_order_and_namespaces_win() {
        let dir = tempfile::tempdir().unwrap();
        let auth = BASE64.encode("hub:secret");
        let podman = write_file(
            dir.path(),
            "run/containers/auth.json",
            &format!(
                r#"{{"auths":{{"quay.io":{{"auth":"{}"}},"quay.io/team":{{"username":"team","password":"pw"}}}}}}"#,
                BASE64.encode("host:pw")
            ),
        );
        let docker = write_file(
            dir.path(),
            "docker/config.json",
            &format!(r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{auth}"}}}}}}"#),
        );
        let lookup = CredentialLookup::empty()
            .with_var("XDG_RUNTIME_DIR", dir.path().join("run"))
            .with_var("DOCKER_CONFIG", dir.path().join("docker"))
            .with_var("HOME", dir.path().join("home"));

        let (user, pass, origin) =
            password(find_credential(&lookup, "docker.io", "library/debian").unwrap());
        assert_eq!((user.as_str(), pass.as_str()), ("hub", "secret"));
        assert_eq!(origin, docker.display().to_string());

        let (user, _, origin) = password(find_credential(&lookup, "quay.io", "team/x").unwrap());
        assert_eq!(user, "team");
        assert_eq!(origin, podman.display().to_string());
        let (user, _, _) = password(find_credential(&lookup, "quay.io", "other/x").unwrap());
        assert_eq!(user, "host");

        match find_credential(&lookup, "ghcr.io", "a/b").unwrap() {
            Found::Nothing { looked_in } => {
                assert!(looked_in.iter().any(|p| p.contains("home/.config")));
                assert!(looked_in.iter().any(|p| p.ends_with("docker/config.json")));
            }
            other => panic!("expected nothing, got {other:?}"),
        }
    }

    #[test]
    fn a_broken_file_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(dir.path(), "auth.json", "{not json");
        let lookup = CredentialLookup::empty().with_var("REGISTRY_AUTH_FILE", &path);
        let error = find_credential(&lookup, "quay.io", "a").unwrap_err();
        assert!(error.contains(&path.display().to_string()), "{error}");
    }

    #[test]
    fn identity_tokens_are_kept_apart_and_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(
            dir.path(),
            "auth.json",
            r#"{"auths":{"quay.io":{"identitytoken":"very-secret"}}}"#,
        );
        let lookup = CredentialLookup::empty().with_var("REGISTRY_AUTH_FILE", &path);
        let found = find_credential(&lookup, "quay.io", "a").unwrap();
        assert!(!format!("{found:?}").contains("very-secret"));
        match found {
            Found::Credential(credential) => {
                assert!(
                    matches!(credential.secret, Secret::IdentityToken(ref t) if t == "very-secret")
                );
                assert_eq!(credential.basic_header(), None);
            }
            other => panic!("expected a token, got {other:?}"),
        }
    }
}
