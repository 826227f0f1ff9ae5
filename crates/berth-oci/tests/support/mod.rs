//! Real registries for the tests: Debian's `docker-registry` (distribution 2.8) started on a free
//! 127.0.0.1 port with its storage in a temporary directory, optionally behind htpasswd Basic
//! auth or behind a token server that this module runs on another 127.0.0.1 port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// How long a registry may take to answer `/v2/` after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The user name and password the protected registries accept.
pub(crate) const USER: &str = "berth";
pub(crate) const PASSWORD: &str = "correct horse";

/// How a test registry checks access.
pub(crate) enum Access {
    Open,
    /// htpasswd with [`USER`] and [`PASSWORD`].
    Basic,
    /// Bearer tokens from a token server that accepts [`USER`] and [`PASSWORD`] (or no
    /// credentials, for which it grants nothing).
    Token,
}

/// A running `docker-registry`, stopped when dropped.
pub(crate) struct Registry {
    pub(crate) host: String,
    child: Child,
    _token_server: Option<TokenServer>,
    dir: tempfile::TempDir,
}

impl Registry {
    pub(crate) fn start(access: Access) -> Self {
        let program = "docker-registry";
        if Command::new(program)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            panic!(
                "`docker-registry` is not installed: run `bash scripts/images/install-tools.sh` \
                 (Debian's docker-registry package) before these tests"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let mut token_server = None;
        let auth = match access {
            Access::Open => String::new(),
            Access::Basic => {
                let hash = bcrypt::hash_with_salt(PASSWORD, 4, *b"berth-test-salt!")
                    .unwrap()
                    .format_for_version(bcrypt::Version::TwoA);
                let htpasswd = dir.path().join("htpasswd");
                std::fs::write(&htpasswd, format!("{USER}:{hash}\n")).unwrap();
                format!(
                    "auth:\n  htpasswd:\n    realm: berth-test\n    path: {}\n",
                    htpasswd.display()
                )
            }
            Access::Token => {
                let server = TokenServer::start(dir.path());
                let auth = format!(
                    "auth:\n  token:\n    realm: http://{}/token\n    service: {SERVICE}\n    \
                     issuer: {ISSUER}\n    rootcertbundle: {}\n",
                    server.host,
                    server.cert_pem.display()
                );
                token_server = Some(server);
                auth
            }
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: false\nstorage:\n  \
             filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: \
             {host}\n{auth}",
            dir.path().join("storage").display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        // The registry runs under a shell that stops it when its stdin closes: at this guard's
        // drop, and also when the test process ends without dropping it (a registry kept in a
        // `static` for a whole test binary is never dropped), so that no registry outlives the
        // tests.
        let child = Command::new("sh")
            .args([
                "-c",
                "\"$0\" serve \"$1\" & registry=$!; read -r _; kill \"$registry\"; wait \"$registry\"",
                program,
            ])
            .arg(&config_path)
            .stdin(Stdio::piped())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut registry = Self {
            host,
            child,
            _token_server: token_server,
            dir,
        };
        registry.wait_ready();
        registry
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("docker-registry exited ({status}): {}", self.log());
            }
            // Any HTTP answer (200, or 401 behind auth) means it serves.
            if let Ok(mut stream) = TcpStream::connect(&self.host) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let request = format!(
                    "GET /v2/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                    self.host
                );
                if stream.write_all(request.as_bytes()).is_ok() {
                    let mut line = String::new();
                    if BufReader::new(stream).read_line(&mut line).is_ok()
                        && line.starts_with("HTTP/1.1")
                    {
                        return;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "docker-registry did not answer /v2/ within {START_TIMEOUT:?}: {}",
            self.log()
        );
    }

    /// The registry's filesystem storage (its `rootdirectory`).
    pub(crate) fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// The blob uploads the registry completed for `repository` (from its access log: a PUT
    /// that closed an upload session with 201), as `digest` values.
    pub(crate) fn completed_uploads(&self, repository: &str) -> Vec<String> {
        let prefix = format!("\"PUT /v2/{repository}/blobs/uploads/");
        self.log()
            .lines()
            .filter(|line| line.contains(&prefix) && line.contains("\" 201 "))
            .filter_map(|line| {
                let digest = line.split("digest=").nth(1)?;
                let end = digest.find(['&', ' ']).unwrap_or(digest.len());
                Some(digest[..end].replace("%3A", ":"))
            })
            .collect()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        // Closing the shell's stdin stops the registry, then the shell.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const SERVICE: &str = "berth-test-registry";
const ISSUER: &str = "berth-test-issuer";

/// A token server: `GET /token?service=..&scope=..` answers `{"token": JWT}` signed ES256 with a
/// key whose self-signed certificate is the registry's root bundle. [`USER`]:[`PASSWORD`] get
/// what they ask for, anonymous callers a token granting nothing, wrong passwords a 401.
struct TokenServer {
    host: String,
    cert_pem: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TokenServer {
    fn start(dir: &Path) -> Self {
        let key_pem = dir.join("token-key.pem");
        let cert_pem = dir.join("token-cert.pem");
        let key_der = dir.join("token-key.der");
        let cert_der = dir.join("token-cert.der");
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=berth-test-token",
            "-keyout",
            key_pem.to_str().unwrap(),
            "-out",
            cert_pem.to_str().unwrap(),
        ]);
        openssl(&[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            key_pem.to_str().unwrap(),
            "-outform",
            "DER",
            "-out",
            key_der.to_str().unwrap(),
        ]);
        openssl(&[
            "x509",
            "-in",
            cert_pem.to_str().unwrap(),
            "-outform",
            "DER",
            "-out",
            cert_der.to_str().unwrap(),
        ]);
        let key = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &std::fs::read(&key_der).unwrap(),
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        let x5c = STANDARD.encode(std::fs::read(&cert_der).unwrap());

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let _ = serve_token(stream, &key, &x5c);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        Self {
            host,
            cert_pem,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn openssl(args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Answers one token request.
fn serve_token(
    stream: TcpStream,
    key: &ring::signature::EcdsaKeyPair,
    x5c: &str,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut authorization = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(value.trim().to_string());
        }
    }
    let target = request_line.split(' ').nth(1).unwrap_or("");
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let scopes: Vec<String> = query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("scope="))
        .map(percent_decode)
        .collect();
    let expected = format!("Basic {}", STANDARD.encode(format!("{USER}:{PASSWORD}")));
    let (status, body) = match authorization {
        Some(given) if given == expected => ("200 OK", token_json(key, x5c, USER, &scopes)),
        Some(_) => (
            "401 Unauthorized",
            r#"{"details":"wrong user name or password"}"#.to_string(),
        ),
        None => ("200 OK", token_json(key, x5c, "", &[])),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

/// `{"token": JWT}` granting each `repository:NAME:ACTIONS` scope.
fn token_json(
    key: &ring::signature::EcdsaKeyPair,
    x5c: &str,
    subject: &str,
    scopes: &[String],
) -> String {
    let access: Vec<serde_json::Value> = scopes
        .iter()
        .filter_map(|scope| {
            let mut parts = scope.splitn(3, ':');
            let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
            Some(serde_json::json!({
                "type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>()
            }))
        })
        .collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [x5c]});
    let claims = serde_json::json!({
        "iss": ISSUER, "sub": subject, "aud": SERVICE,
        "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("{now}-{}", scopes.len()),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key
        .sign(&ring::rand::SystemRandom::new(), signing_input.as_bytes())
        .unwrap();
    let jwt = format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.as_ref())
    );
    serde_json::json!({ "token": jwt }).to_string()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A reverse proxy with a request body limit, in front of a registry: a request whose
/// Content-Length exceeds the limit gets 413 without its body being read (as nginx's
/// `client_max_body_size` does); every other request is passed on, one per connection.
pub(crate) struct BodyLimitProxy {
    pub(crate) host: String,
    /// How many requests were refused.
    pub(crate) refused: Arc<std::sync::atomic::AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl BodyLimitProxy {
    pub(crate) fn start(upstream: &str, limit: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let thread = {
            let (stop, refused, upstream) = (stop.clone(), refused.clone(), upstream.to_string());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            let _ = proxy_one(client, &upstream, limit, &refused);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Self {
            host,
            refused,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for BodyLimitProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn proxy_one(
    client: TcpStream,
    upstream: &str,
    limit: u64,
    refused: &std::sync::atomic::AtomicUsize,
) -> std::io::Result<()> {
    client.set_nonblocking(false)?;
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = String::new();
    let mut content_length = 0u64;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if line.trim_end().is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            content_length = value.trim().parse().unwrap_or(0);
        }
        // One request per connection, and no 100-continue dance to relay.
        if lower.starts_with("connection:") || lower.starts_with("expect:") {
            continue;
        }
        head.push_str(&line);
    }
    let mut client = client;
    if content_length > limit {
        refused.fetch_add(1, Ordering::Relaxed);
        let body = "request entity too large";
        write!(
            client,
            "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        return client.flush();
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(head.as_bytes())?;
    std::io::copy(&mut (&mut reader).take(content_length), &mut server)?;
    std::io::copy(&mut server, &mut client)?;
    Ok(())
}
