//! End to end: the real `berth` binary on a free port of 127.0.0.1, spoken to over HTTP.
//!
//! Every server started here is killed when its guard drops, and every wait is bounded.

use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BERTH: &str = env!("CARGO_BIN_EXE_berth");

fn fixtures() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models");
    assert!(
        dir.join("expected.json").is_file(),
        "run `make fixtures` first"
    );
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A berth command with none of the caller's serving settings leaking in.
fn berth() -> Command {
    let mut command = Command::new(BERTH);
    scrub_settings(&mut command);
    command
}

/// berth under a shell that lowers the open-file limit (soft and hard) to `limit` first.
fn berth_with_open_files(limit: u32) -> Command {
    let mut command = Command::new("sh");
    command.args([
        "-c",
        &format!("ulimit -n {limit} && exec \"$0\" \"$@\""),
        BERTH,
    ]);
    scrub_settings(&mut command);
    command
}

fn scrub_settings(command: &mut Command) {
    for var in [
        "PORT",
        "HOST",
        "SAGEMAKER_BIND_TO_PORT",
        "SM_MODEL_DIR",
        "MODEL_FILENAME",
        "MODEL_NAME",
        "MAX_BODY_BYTES",
        "MAX_RECORDS",
        "MAX_QUEUED",
        "ACQUIRE_TIMEOUT",
        "LOG_FORMAT",
        "RESPONSE_OUTPUTS",
        "CSV_HAS_HEADER",
        "CSV_DELIMITER",
        "BATCH_MAX_ROWS",
        "SHUTDOWN_TIMEOUT",
        "HEADER_READ_TIMEOUT",
        "BODY_READ_TIMEOUT",
        "MAX_CONNECTIONS",
        "BERTH_DEMO",
    ] {
        command.env_remove(var);
    }
    command.env("SM_MODEL_DIR", "/nonexistent/berth-e2e");
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(args: &[&str], envs: &[(&str, &str)]) -> Self {
        Self::start_with(berth(), args, envs)
    }

    /// Starts berth with `dir` as its working directory.
    fn start_in(dir: &std::path::Path, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut command = berth();
        command.current_dir(dir);
        Self::start_with(command, args, envs)
    }

    /// Starts `berth serve` with `command`, a [`berth`] command or a wrapper of it.
    fn start_with(mut command: Command, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let port = free_port();
        command
            .arg("serve")
            .args(args)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .envs(envs.iter().copied());
        Self::spawn(command, port)
    }

    /// Runs `command`, a complete `berth serve` command listening on `port` of 127.0.0.1, and
    /// waits until it is ready.
    fn spawn(mut command: Command, port: u16) -> Self {
        command.stdout(Stdio::null()).stderr(Stdio::piped());
        let child = command.spawn().expect("berth starts");
        let server = Self { child, port };
        server.wait_ready();
        server
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(response) = agent().get(&self.url("/ready")).call()
                && response.status() == 200
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("berth did not become ready within 30 s");
    }

    fn terminate(&mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits at most `limit` for the process to exit; returns its exit code and stderr.
    fn wait_exit(&mut self, limit: Duration) -> (Option<i32>, String) {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut stderr = String::new();
                if let Some(mut pipe) = self.child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                return (status.code(), stderr);
            }
            assert!(
                Instant::now() < deadline,
                "berth did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    agent_with_timeout(Duration::from_secs(30))
}

fn agent_with_timeout(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

struct Answer {
    status: u16,
    request_id: Option<String>,
    content_type: String,
    body: String,
}

fn post(url: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Answer {
    let mut response = agent()
        .post(url)
        .header("content-type", content_type)
        .send(body.into())
        .expect("HTTP exchange");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let request_id = header("x-request-id");
    let content_type = header("content-type").unwrap_or_default();
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    Answer {
        status,
        request_id,
        content_type,
        body,
    }
}

/// Sends `request` as raw bytes and reads what comes back within a few seconds.
fn raw_exchange(port: u16, request: &str) -> String {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 4096];
    while let Ok(n) = stream.read(&mut buffer) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..n]);
        if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
            break;
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

fn error_code(answer: &Answer) -> String {
    assert_eq!(answer.content_type, "application/json", "{}", answer.body);
    let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    json["error"]["code"].as_str().unwrap().to_owned()
}

#[test]
fn serves_the_demo_model_when_asked() {
    let server = Server::start(&["--demo"], &[]);
    let answer = post(&server.url("/invocations"), "text/csv", "5.1,3.5,1.4,0.2");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, r#"{"predictions":[0]}"#);
    assert!(answer.request_id.is_some());
    let answer = post(
        &server.url("/invocations"),
        "text/csv",
        "5.1,3.5,1.4,0.2\n6.0,2.2,4.0,1.0\n6.7,3.0,5.2,2.3",
    );
    assert_eq!(answer.body, r#"{"predictions":[0,1,2]}"#);
    let mut metadata = agent().get(&server.url("/metadata")).call().unwrap();
    let metadata = metadata.body_mut().read_to_string().unwrap();
    assert!(
        metadata.contains("\"name\":\"iris-demo.onnx\""),
        "{metadata}"
    );
    // The environment variable asks for it too.
    let server = Server::start(&[], &[("BERTH_DEMO", "true")]);
    let answer = post(&server.url("/invocations"), "text/csv", "5.1,3.5,1.4,0.2");
    assert_eq!(answer.body, r#"{"predictions":[0]}"#);
}

/// A fresh, empty directory under the system's temporary directory.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("berth-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `berth serve` with these arguments and environment, expecting exit code 1 within a few
/// seconds; returns stderr.
fn refused_start(args: &[&str], envs: &[(&str, &str)]) -> String {
    let port = free_port().to_string();
    let output = berth()
        .arg("serve")
        .args(args)
        .args(["--host", "127.0.0.1", "--port", &port])
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{args:?} {envs:?}: {stderr}");
    stderr
}

#[test]
fn no_model_where_berth_looks_stops_start_up_saying_what_is_there() {
    let missing = std::env::temp_dir().join(format!("berth-e2e-missing-{}", std::process::id()));
    let stderr = refused_start(&[], &[("SM_MODEL_DIR", missing.to_str().unwrap())]);
    let error = stderr.lines().last().unwrap_or_default();
    assert!(
        error.starts_with(&format!(
            "error: no model to serve: {} (SM_MODEL_DIR) does not exist. Give the model file",
            missing.display()
        )),
        "{stderr}"
    );
    assert!(error.contains("--demo"), "{stderr}");
    assert!(!stderr.contains("listening"), "it must not bind: {stderr}");

    let empty = scratch_dir("empty-model-dir");
    let stderr = refused_start(&[], &[("SM_MODEL_DIR", empty.to_str().unwrap())]);
    assert!(
        stderr.contains(&format!("{} (SM_MODEL_DIR) is empty", empty.display())),
        "{stderr}"
    );

    let no_onnx = scratch_dir("no-onnx-model-dir");
    std::fs::write(
        no_onnx.join("notes.txt"),
        "trained on Iris
",
    )
    .unwrap();
    std::fs::create_dir(no_onnx.join("old.onnx")).unwrap();
    let stderr = refused_start(&[], &[("SM_MODEL_DIR", no_onnx.to_str().unwrap())]);
    assert!(
        stderr.contains(&format!(
            "{} (SM_MODEL_DIR) holds no .onnx file (it holds notes.txt, old.onnx/)",
            no_onnx.display()
        )),
        "{stderr}"
    );

    let two = scratch_dir("two-model-dir");
    std::fs::copy(fixtures().join("iris_forest.onnx"), two.join("forest.onnx")).unwrap();
    std::fs::copy(fixtures().join("iris_mlp.onnx"), two.join("mlp.onnx")).unwrap();
    std::fs::write(
        two.join("notes.txt"),
        "trained on Iris
",
    )
    .unwrap();
    let stderr = refused_start(&[], &[("SM_MODEL_DIR", two.to_str().unwrap())]);
    assert!(
        stderr.contains(&format!(
            "error: cannot choose the model: {} (SM_MODEL_DIR) holds 2 .onnx files (forest.onnx, \
             mlp.onnx). Name the one to serve with MODEL_FILENAME (e.g. \
             MODEL_FILENAME=forest.onnx, or --model-filename forest.onnx)",
            two.display()
        )),
        "{stderr}"
    );
    // ... which then serves the file it names, and only that one.
    let server = Server::start(
        &[],
        &[
            ("SM_MODEL_DIR", two.to_str().unwrap()),
            ("MODEL_FILENAME", "forest.onnx"),
        ],
    );
    let answer = post(&server.url("/invocations"), "text/csv", "6.7,3.0,5.2,2.3");
    assert_eq!(answer.body, r#"{"predictions":[2]}"#);
    assert_eq!(
        get_json(&server.url("/metadata"))["model"]["name"],
        "forest.onnx"
    );
    drop(server);
    let stderr = refused_start(
        &[],
        &[
            ("SM_MODEL_DIR", two.to_str().unwrap()),
            ("MODEL_FILENAME", "model.onnx"),
        ],
    );
    assert!(
        stderr.contains(&format!(
            "error: no model to serve: {}/model.onnx (MODEL_FILENAME) not found: {} \
             (SM_MODEL_DIR) holds forest.onnx, mlp.onnx, notes.txt.",
            two.display(),
            two.display()
        )),
        "{stderr}"
    );

    // The demo is an alternative to a model file, never both.
    let model = fixtures().join("iris_forest.onnx");
    let stderr = refused_start(&["--demo", model.to_str().unwrap()], &[]);
    assert!(stderr.contains("both MODEL"), "{stderr}");
    let stderr = run_failing(
        &["serve", "--host", "127.0.0.1"],
        &[("BERTH_DEMO", "maybe")],
    );
    assert!(stderr.contains("BERTH_DEMO"), "{stderr}");
    for dir in [empty, no_onnx, two] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn a_directory_given_as_the_model_is_read_as_a_model_directory() {
    let dir = scratch_dir("model-arg-dir");
    std::fs::copy(fixtures().join("iris_forest.onnx"), dir.join("b.onnx")).unwrap();
    std::fs::copy(fixtures().join("iris_mlp.onnx"), dir.join("a.onnx")).unwrap();
    std::fs::write(dir.join("README"), "two models\n").unwrap();
    let stderr = refused_start(&[dir.to_str().unwrap()], &[]);
    assert!(
        stderr.contains(&format!(
            "cannot choose the model: {} (MODEL) holds 2 .onnx files (a.onnx, b.onnx)",
            dir.display()
        )),
        "{stderr}"
    );
    let server = Server::start(&[dir.to_str().unwrap()], &[("MODEL_FILENAME", "b.onnx")]);
    assert_eq!(
        get_json(&server.url("/metadata"))["model"]["name"],
        "b.onnx"
    );
    drop(server);
    std::fs::remove_file(dir.join("a.onnx")).unwrap();
    let server = Server::start(&[dir.to_str().unwrap()], &[]);
    assert_eq!(
        get_json(&server.url("/metadata"))["model"]["name"],
        "b.onnx"
    );
    assert_eq!(get_json(&server.url("/v2/models/b"))["name"], "b");
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn serves_sm_model_dir_and_survives_hostile_input() {
    let dir = std::env::temp_dir().join(format!("berth-e2e-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(fixtures().join("iris_forest.onnx"), dir.join("model.onnx")).unwrap();
    let server = Server::start(&[], &[("SM_MODEL_DIR", dir.to_str().unwrap())]);
    let url = server.url("/invocations");
    let mut metadata = agent().get(&server.url("/metadata")).call().unwrap();
    assert!(
        metadata
            .body_mut()
            .read_to_string()
            .unwrap()
            .contains("\"name\":\"model.onnx\"")
    );

    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("application/json", b"{oops".to_vec(), 400, "malformed_json"),
        ("application/json", b"".to_vec(), 400, "empty_body"),
        ("text/csv", b"1,2,3".to_vec(), 400, "invalid_input"),
        (
            "text/csv",
            vec![0xc3, 0x28, b',', b'1'],
            400,
            "malformed_csv",
        ),
        ("application/json", deep.into_bytes(), 400, "malformed_json"),
        (
            "text/plain",
            b"1,2,3,4".to_vec(),
            415,
            "unsupported_media_type",
        ),
        ("application/json", b"[[1,2,3,4]]".to_vec(), 200, ""),
    ];
    for (content_type, body, status, code) in cases {
        let answer = post(&url, content_type, body);
        assert_eq!(answer.status, status, "{}", answer.body);
        if status != 200 {
            assert_eq!(error_code(&answer), code);
            assert!(
                !answer.body.contains(dir.to_str().unwrap()),
                "{}",
                answer.body
            );
        }
    }
    // A 7 MiB body is refused from its Content-Length, before berth reads it: the answer
    // arrives while the client has sent only the headers.
    let raw = raw_exchange(
        server.port,
        "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n\
         Content-Length: 7340032\r\n\r\n",
    );
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
    assert!(raw.contains(r#""code":"payload_too_large""#), "{raw}");
    let answer = post(&url, "text/csv", "6.7,3.0,5.2,2.3");
    assert_eq!(answer.body, r#"{"predictions":[2]}"#);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A connection that has sent all of a GET request's head but its last line break, so that the
/// server waits for the rest: the request arrives whenever [`HeldProbe::send`] is called.
struct HeldProbe {
    path: &'static str,
    stream: std::net::TcpStream,
}

impl HeldProbe {
    fn open(port: u16, path: &'static str) -> Self {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: probe\r\n").unwrap();
        Self { path, stream }
    }

    /// Ends the head; returns the status line, and the whole answer.
    fn send(mut self) -> (String, String) {
        use std::io::Write;
        self.stream.write_all(b"\r\n").unwrap();
        let mut answer = String::new();
        // The server closes the connection after this answer: it is shutting down.
        self.stream.read_to_string(&mut answer).unwrap();
        let status = answer.lines().next().unwrap_or_default().to_owned();
        (status, answer)
    }
}

/// `INLINE_MAX_RUN_US` for slow_square: its run time is set by its input's value, not its size,
/// so the run-time estimate cannot foresee a slow request; every request goes through the queue,
/// as the draining and queueing tests need (a request run inline holds the HTTP thread).
const SLOW_SQUARE_QUEUED: &str = "0";

#[test]
fn sigterm_lets_the_request_in_flight_finish_then_exits_zero() {
    let model = fixtures().join("slow_square.onnx");
    let mut server = Server::start(
        &[model.to_str().unwrap()],
        &[
            ("LOG_FORMAT", "json"),
            ("MODEL_NAME", "square"),
            ("INLINE_MAX_RUN_US", SLOW_SQUARE_QUEUED),
        ],
    );
    let url = server.url("/invocations");
    // n = 5000 runs for a few seconds (n**3 multiply-adds): the drain lasts that long.
    let in_flight = std::thread::spawn(move || post(&url, "application/json", "[5000]"));
    wait_for_requests_in_flight(&server, 1);
    // Probes on connections opened before the signal, whose requests arrive during the drain.
    let probes: Vec<HeldProbe> = [
        "/ready",
        "/readyz",
        "/v2/health/ready",
        "/v2/models/square/ready",
        "/ping",
        "/v2/health/live",
    ]
    .into_iter()
    .map(|path| HeldProbe::open(server.port, path))
    .collect();
    // Connections are accepted in order: once a later one is answered, the probes' are open.
    assert_eq!(
        agent().get(&server.url("/ping")).call().unwrap().status(),
        200
    );
    server.terminate();
    // The listener closes once shutdown has begun.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", server.port)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    for probe in probes {
        let path = probe.path;
        let (status, answer) = probe.send();
        if path == "/ping" || path == "/v2/health/live" {
            assert_eq!(status, "HTTP/1.1 200 OK", "{path}: {answer}");
        } else {
            assert_eq!(
                status, "HTTP/1.1 503 Service Unavailable",
                "{path}: {answer}"
            );
            assert!(
                answer.contains("the server is shutting down"),
                "{path}: {answer}"
            );
        }
    }
    assert!(
        !in_flight.is_finished(),
        "the request finished before the probes were answered: nothing was in flight"
    );
    let answer = in_flight.join().unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.body.starts_with(r#"{"predictions":["#),
        "{}",
        answer.body
    );
    let (code, stderr) = server.wait_exit(Duration::from_secs(20));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("SIGTERM received"), "{stderr}");
    // Listening comes before the model is loaded, and its log line must not read as ready.
    let listening = stderr
        .find(
            "listening for probes: /ping answers now; /ready and predictions wait until the \
             model is loaded",
        )
        .unwrap_or_else(|| panic!("no listening line: {stderr}"));
    let ready = stderr.find("model loaded: ready").expect("a ready line");
    assert!(listening < ready, "{stderr}");
    for line in stderr.lines() {
        let event: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("LOG_FORMAT=json wrote a non-JSON line ({e}): {line}"));
        assert!(
            event["level"].is_string() && event["timestamp"].is_string(),
            "{line}"
        );
    }
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", server.port)).is_err(),
        "still accepting after shutdown"
    );
}

/// Waits (at most 10 s) until the server is answering at least `requests` besides the metrics
/// scrape that asks.
fn wait_for_requests_in_flight(server: &Server, requests: u32) {
    let series = "berth_http_requests_in_flight ";
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let mut response = agent().get(&server.url("/metrics")).call().unwrap();
        let text = response.body_mut().read_to_string().unwrap();
        let in_flight = text
            .lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse::<u32>().ok());
        if in_flight.is_some_and(|n| n > requests) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{requests} requests never were in flight together");
}

#[test]
fn sigterm_with_a_request_outlasting_shutdown_timeout_drops_it_and_exits_1() {
    let model = fixtures().join("slow_square.onnx");
    let mut server = Server::start(
        &[model.to_str().unwrap()],
        &[
            ("SHUTDOWN_TIMEOUT", "300ms"),
            ("INLINE_MAX_RUN_US", SLOW_SQUARE_QUEUED),
        ],
    );
    let url = server.url("/invocations");
    // n = 6000 runs for seconds (n**3 multiply-adds): far past SHUTDOWN_TIMEOUT.
    let in_flight = std::thread::spawn(move || {
        agent()
            .post(&url)
            .header("content-type", "application/json")
            .send("[6000]")
            .map(|response| response.status().as_u16())
    });
    wait_for_requests_in_flight(&server, 1);
    let signalled = Instant::now();
    server.terminate();
    let (code, stderr) = server.wait_exit(Duration::from_secs(10));
    let exited = signalled.elapsed();
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stderr.lines().last(),
        Some(
            "error: SHUTDOWN_TIMEOUT (300ms) ran out with 1 request in flight: it was dropped \
             unanswered"
        ),
        "{stderr}"
    );
    assert!(exited < Duration::from_secs(3), "exited after {exited:?}");
    let answer = in_flight.join().unwrap();
    assert!(
        answer.is_err(),
        "the dropped request was answered: {answer:?}"
    );
}

#[test]
fn a_flood_of_503s_logs_no_error() {
    let model = fixtures().join("slow_square.onnx");
    let mut server = Server::start(
        &[model.to_str().unwrap()],
        &[
            ("MAX_QUEUED", "1"),
            ("ACQUIRE_TIMEOUT", "10ms"),
            ("INLINE_MAX_RUN_US", SLOW_SQUARE_QUEUED),
        ],
    );
    let url = server.url("/invocations");
    let slow = {
        let url = url.clone();
        std::thread::spawn(move || post(&url, "application/json", "[4000]"))
    };
    wait_for_requests_in_flight(&server, 1);
    // The worker is busy and the queue has one place: most of these get 503.
    let flood: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || post(&url, "application/json", "[10]"))
        })
        .collect();
    let statuses: Vec<u16> = flood
        .into_iter()
        .map(|t| t.join().unwrap().status)
        .collect();
    assert!(
        statuses.iter().all(|s| [200, 503].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&503), "{statuses:?}");
    assert_eq!(slow.join().unwrap().status, 200);
    server.terminate();
    let (code, stderr) = server.wait_exit(Duration::from_secs(10));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("ERROR"), "{stderr}");
    // Not a bare "503": a timestamp's microseconds can hold those digits.
    assert!(
        !stderr.contains("Status code: 503") && !stderr.contains("status=503"),
        "{stderr}"
    );
}

/// What a slow client of [`slow_clients_are_cut_off_and_never_lock_the_others_out`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slowness {
    /// Connects and sends nothing.
    Silent,
    /// Sends part of a request head, then one more byte of a header that never ends every tick.
    TricklingHead,
    /// Sends a head announcing 1000 bytes of body, then one byte of body every tick.
    TricklingBody,
    /// The same on the KServe v2 route.
    TricklingBodyV2,
    /// Sends a whole request, reads the answer, then keeps the connection open, idle.
    IdleKeepAlive,
}

struct SlowClient {
    slowness: Slowness,
    stream: std::net::TcpStream,
    received: Vec<u8>,
    /// When the server closed the connection, from the start of the attack.
    closed: Option<Duration>,
}

impl SlowClient {
    fn open(port: u16, slowness: Slowness) -> Self {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let start: &[u8] = match slowness {
            Slowness::Silent => b"",
            Slowness::TricklingHead => b"POST /invocations HTTP/1.1\r\nHost: x\r\nX-Slow: ",
            Slowness::TricklingBody => {
                b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n\
                  Content-Length: 1000\r\n\r\n5.1,"
            }
            Slowness::TricklingBodyV2 => {
                b"POST /v2/models/iris-demo/infer HTTP/1.1\r\nHost: x\r\n\
                  Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
            }
            Slowness::IdleKeepAlive => b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n",
        };
        stream.write_all(start).unwrap();
        stream.set_nonblocking(true).unwrap();
        Self {
            slowness,
            stream,
            received: Vec::new(),
            closed: None,
        }
    }

    /// Sends one more byte when this client trickles (a closed connection refuses it: ignored,
    /// [`SlowClient::read`] sees the close).
    fn trickle(&mut self) {
        use std::io::Write;
        if matches!(
            self.slowness,
            Slowness::TricklingHead | Slowness::TricklingBody | Slowness::TricklingBodyV2
        ) {
            let _ = self.stream.write(b"1");
        }
    }

    /// Reads what has arrived; notes the time when the server has closed the connection.
    fn read(&mut self, elapsed: Duration) {
        let mut buffer = [0_u8; 4096];
        while self.closed.is_none() {
            match self.stream.read(&mut buffer) {
                Ok(0) => self.closed = Some(elapsed),
                Ok(n) => self.received.extend_from_slice(&buffer[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => self.closed = Some(elapsed),
            }
        }
    }

    /// Checks what the server answered before closing.
    fn check_answer(&self) {
        let answer = String::from_utf8_lossy(&self.received);
        match self.slowness {
            // hyper closes without a word when a head does not arrive in time.
            Slowness::Silent | Slowness::TricklingHead => {
                assert!(answer.is_empty(), "{:?}: {answer}", self.slowness);
            }
            Slowness::TricklingBody => {
                assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
                assert!(
                    answer.ends_with(
                        r#"{"error":{"code":"request_timeout","message":"the request body did not arrive within BODY_READ_TIMEOUT (1s)"}}"#
                    ),
                    "{answer}"
                );
            }
            Slowness::TricklingBodyV2 => {
                assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
                assert!(
                    answer.ends_with(
                        r#"{"error":"the request body did not arrive within BODY_READ_TIMEOUT (1s)"}"#
                    ),
                    "{answer}"
                );
            }
            Slowness::IdleKeepAlive => {
                assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
                assert!(answer.ends_with(r#"{"status":"alive"}"#), "{answer}");
            }
        }
    }
}

/// Descriptors the process `pid` has open, where `/proc` says (Linux).
fn open_descriptors(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

#[test]
fn slow_clients_are_cut_off_and_never_lock_the_others_out() {
    // More slow connections than the open-file limit allows, so that without timeouts and a
    // connection limit they would lock everyone out.
    const SLOW_CLIENTS: usize = 300;
    const TICK: Duration = Duration::from_millis(100);
    let timeout = Duration::from_secs(1);
    let mut server = Server::start_with(
        berth_with_open_files(256),
        &["--demo"],
        &[("HEADER_READ_TIMEOUT", "1s"), ("BODY_READ_TIMEOUT", "1s")],
    );
    let descriptors_before = open_descriptors(server.child.id());
    let kinds = [
        Slowness::Silent,
        Slowness::TricklingHead,
        Slowness::TricklingBody,
        Slowness::TricklingHead,
        Slowness::TricklingBodyV2,
        Slowness::IdleKeepAlive,
    ];
    let attack = Instant::now();
    let mut clients: Vec<SlowClient> = (0..SLOW_CLIENTS)
        .map(|i| SlowClient::open(server.port, kinds[i % kinds.len()]))
        .collect();
    let opened = attack.elapsed();

    // While the slow clients hold every connection the server may open: a probe and predictions.
    let (ping_url, url) = (server.url("/ping"), server.url("/invocations"));
    let others = std::thread::spawn(move || {
        let started = Instant::now();
        let ping = agent_with_timeout(timeout + Duration::from_secs(4))
            .get(&ping_url)
            .call()
            .map(|r| r.status().as_u16());
        let ping_took = started.elapsed();
        let predictions = ping.is_ok().then(|| {
            let csv = post(&url, "text/csv", "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3");
            let json = post(&url, "application/json", "[[6.0,2.2,4.0,1.0]]");
            (csv, json)
        });
        (ping, ping_took, predictions)
    });

    // Every slow connection must be closed by the server: the first 192 (256 descriptors less
    // the 64 berth keeps) after the timeout, the rest, which waited in the accept queue, one
    // timeout later.
    let deadline = 2 * timeout + Duration::from_secs(4);
    let mut next_tick = Instant::now();
    while attack.elapsed() < deadline && clients.iter().any(|c| c.closed.is_none()) {
        let trickle = Instant::now() >= next_tick;
        if trickle {
            next_tick += TICK;
        }
        for client in clients.iter_mut().filter(|c| c.closed.is_none()) {
            if trickle {
                client.trickle();
            }
            client.read(attack.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let (ping, ping_took, predictions) = others.join().unwrap();
    eprintln!(
        "under {SLOW_CLIENTS} slow clients (opened in {opened:?}): /ping answered {ping:?} in \
         {ping_took:?}; the last slow connection was closed after {:?}",
        clients.iter().filter_map(|c| c.closed).max()
    );
    assert_eq!(ping.ok(), Some(200), "/ping did not answer");
    assert!(
        ping_took < timeout + Duration::from_secs(2),
        "/ping took {ping_took:?} under slow clients"
    );
    let (csv, json) = predictions.unwrap();
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert_eq!(csv.body, r#"{"predictions":[0,2]}"#);
    assert_eq!(json.body, r#"{"predictions":[1]}"#);
    let still_open = clients.iter().filter(|c| c.closed.is_none()).count();
    assert_eq!(
        still_open, 0,
        "{still_open} slow connections still open after {deadline:?}"
    );
    for client in &clients {
        client.check_answer();
    }

    // Nothing leaked: the server answers at once and holds no more descriptors than before.
    drop(clients);
    let started = Instant::now();
    let ping = agent().get(&server.url("/ping")).call().unwrap();
    assert_eq!(ping.status(), 200);
    assert!(started.elapsed() < Duration::from_millis(500));
    if let Some(before) = descriptors_before {
        // The probes' own connections close when their agents drop; give the server a moment.
        let settle = Instant::now() + timeout + Duration::from_secs(1);
        let mut now = open_descriptors(server.child.id());
        while now.is_some_and(|n| n > before) && Instant::now() < settle {
            std::thread::sleep(Duration::from_millis(50));
            now = open_descriptors(server.child.id());
        }
        assert!(
            now.is_some_and(|n| n <= before),
            "descriptors: {before} before, {now:?} after"
        );
    }
    server.terminate();
    let (code, stderr) = server.wait_exit(Duration::from_secs(10));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("MAX_CONNECTIONS lowered to fit the open-file limit (ulimit -n) max_connections=192 requested=1024 open_file_limit=256"),
        "{stderr}"
    );
    assert!(!stderr.contains("ERROR"), "{stderr}");
}

#[test]
fn healthcheck_exits_0_when_up_and_1_when_down() {
    let server = Server::start(&["--demo"], &[]);
    let up = berth()
        .args(["healthcheck", "--url", &server.url("/ping")])
        .status()
        .unwrap();
    assert_eq!(up.code(), Some(0));
    let down = berth()
        .args([
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{}/ping", free_port()),
        ])
        .output()
        .unwrap();
    assert_eq!(down.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&down.stderr).starts_with("unhealthy:"));
}

fn run_failing(args: &[&str], envs: &[(&str, &str)]) -> String {
    let output: Output = berth()
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "expected start-up to fail for {args:?} {envs:?}"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn invalid_settings_stop_start_up_naming_the_variable() {
    let cases: [(&[(&str, &str)], &str); 15] = [
        (&[("TABULAR_DTYPE", "float16")], "TABULAR_DTYPE"),
        (
            &[("ONNX_INPUT_DTYPE_MAP_JSON", r#"{"a": 3}"#)],
            "ONNX_INPUT_DTYPE_MAP_JSON",
        ),
        (
            &[("RETURN_PREDICTIONS_ONLY", "maybe")],
            "RETURN_PREDICTIONS_ONLY",
        ),
        (&[("TABULAR_ID_COLUMNS", "first")], "TABULAR_ID_COLUMNS"),
        (&[("ONNX_OUTPUT_MAP_JSON", "[1]")], "ONNX_OUTPUT_MAP_JSON"),
        (&[("PORT", "eighty")], "PORT"),
        (&[("PORT", "70000")], "PORT"),
        (&[("SAGEMAKER_BIND_TO_PORT", "x")], "SAGEMAKER_BIND_TO_PORT"),
        (&[("MAX_RECORDS", "-1")], "MAX_RECORDS"),
        (&[("MAX_BODY_BYTES", "0")], "MAX_BODY_BYTES"),
        (&[("ACQUIRE_TIMEOUT", "soon")], "ACQUIRE_TIMEOUT"),
        (&[("CSV_HAS_HEADER", "maybe")], "CSV_HAS_HEADER"),
        (&[("HEADER_READ_TIMEOUT", "0s")], "HEADER_READ_TIMEOUT"),
        (&[("BODY_READ_TIMEOUT", "never")], "BODY_READ_TIMEOUT"),
        (&[("MAX_CONNECTIONS", "0")], "MAX_CONNECTIONS"),
    ];
    for (envs, name) in cases {
        let stderr = run_failing(&["serve", "--demo", "--host", "127.0.0.1"], envs);
        assert!(stderr.contains(name), "{envs:?}: {stderr}");
    }
    // Settings that only the model can refute stop the server once the model is read.
    let port = free_port().to_string();
    let stderr = run_failing(
        &["serve", "--demo", "--host", "127.0.0.1", "--port", &port],
        &[("ONNX_OUTPUT_NAME", "nope")],
    );
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: invalid ONNX_OUTPUT_NAME: the model has no output 'nope'"),
        "{stderr}"
    );
}

#[test]
fn batching_a_model_whose_rows_depend_on_each_other_stops_start_up() {
    let model = fixtures().join("batch_centred.onnx");
    let model = model.to_str().unwrap();
    let port = free_port().to_string();
    let stderr = run_failing(
        &["serve", model, "--host", "127.0.0.1", "--port", &port],
        &[("BATCH_MAX_ROWS", "64")],
    );
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(
            "error: invalid BATCH_MAX_ROWS: dynamic batching refused: the model's answers for a \
             row change with the other rows of its batch"
        ),
        "{stderr}"
    );
    // By default nothing is merged: the model is served, each request on its own rows.
    let server = Server::start(&[model], &[]);
    let answer = post(&server.url("/invocations"), "text/csv", "1,2,3,4\n3,2,1,0");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.body,
        r#"{"predictions":[[-1.0,0.0,1.0,2.0],[1.0,0.0,-1.0,-2.0]]}"#
    );
}

#[test]
fn a_missing_onnx_runtime_is_one_line_naming_the_fix() {
    let empty = std::env::temp_dir().join(format!("berth-e2e-nolib-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    // The binary's own directory has no library in a cargo build; the cache is empty.
    let stderr = run_failing(
        &["serve", "--demo", "--host", "127.0.0.1"],
        &[
            ("BERTH_CACHE_DIR", empty.to_str().unwrap()),
            ("ORT_DYLIB_PATH", ""),
        ],
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("make onnxruntime"), "{stderr}");
    let stderr = run_failing(
        &["serve", "--demo"],
        &[("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")],
    );
    assert!(
        stderr.contains("ORT_DYLIB_PATH=/nonexistent/libonnxruntime.so"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&empty).unwrap();
}

#[test]
fn version_and_help_read_well() {
    let output = berth().arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("berth {}", env!("CARGO_PKG_VERSION"))
    );
    let output = berth().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "[env: MAX_BODY_BYTES=]",
        "[env: PORT=]",
        "SM_MODEL_DIR",
        "Limits:",
    ] {
        assert!(help.contains(needle), "help lacks {needle}:\n{help}");
    }
}

/// `berth serve` as KServe starts it from a ClusterServingRuntime (its own argument names), with
/// the model downloaded into the model directory under its original file name beside other files.
fn kserve_serve(name: &str, model_dir: &std::path::Path, port: u16) -> Command {
    let mut command = berth();
    command
        .arg("serve")
        .arg(format!("--model_name={name}"))
        .arg(format!("--model_dir={}", model_dir.display()))
        .arg(format!("--http_port={port}"))
        .args(["--host", "127.0.0.1"]);
    command
}

/// Runs `command` to its end, expecting a refusal to start; returns stderr.
fn refused(mut command: Command) -> String {
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{stderr}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("listening"), "it must not bind: {stderr}");
    stderr
}

#[test]
fn kserve_arguments_serve_the_model_dirs_one_onnx_file_under_the_given_name() {
    let fixture = "iris_logreg_nozipmap";
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
            .unwrap();
    let entry = &document["models"][fixture];
    let dir = scratch_dir("kserve-model-dir");
    let file = format!("{fixture}.onnx");
    std::fs::copy(fixtures().join(&file), dir.join(&file)).unwrap();
    std::fs::write(dir.join("README.txt"), "Iris, logistic regression\n").unwrap();
    let port = free_port();
    let server = Server::spawn(kserve_serve("iris", &dir, port), port);

    let metadata = get_json(&server.url("/v2/models/iris"));
    assert_eq!(metadata["name"], "iris");
    assert_eq!(
        metadata["inputs"],
        serde_json::json!([{"name": "features", "datatype": "FP32", "shape": [-1, 4]}])
    );
    assert_eq!(
        get_json(&server.url("/v2/models/iris/ready")),
        serde_json::json!({"name": "iris", "ready": true})
    );
    let rows = &entry["check_inputs"]["features"];
    let count = rows.as_array().unwrap().len();
    let request = serde_json::json!({
        "id": "kserve-1",
        "inputs": [{"name": "features", "shape": [count, 4], "datatype": "FP32", "data": rows}],
    });
    let answer = post(
        &server.url("/v2/models/iris/infer"),
        "application/json",
        request.to_string(),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(json["model_name"], "iris");
    assert_eq!(json["id"], "kserve-1");
    let output = |name: &str| {
        json["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .unwrap_or_else(|| panic!("no output {name}: {}", answer.body))
            .clone()
    };
    let labels = output("label");
    assert_eq!(labels["datatype"], "INT64");
    assert_eq!(labels["data"], entry["expected"]["label"]);
    let probabilities = output("probabilities");
    assert_eq!(probabilities["shape"], serde_json::json!([count, 3]));
    let want: Vec<f64> = entry["expected"]["probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter().map(|p| p.as_f64().unwrap()))
        .collect();
    let got: Vec<f64> = probabilities["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_f64().unwrap())
        .collect();
    assert_eq!(got.len(), want.len(), "{}", answer.body);
    for (got, want) in got.iter().zip(&want) {
        assert!((got - want).abs() <= 1e-5, "{got} vs onnxruntime's {want}");
    }

    // The file's name is not the model's name: the v2 routes under it say which model is served.
    for path in [
        format!("/v2/models/{fixture}"),
        format!("/v2/models/{fixture}/ready"),
    ] {
        let mut response = agent().get(&server.url(&path)).call().unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body = response.body_mut().read_to_string().unwrap();
        assert_eq!(
            body,
            format!(
                r#"{{"error":"unknown model '{fixture}': this server serves the model 'iris'"}}"#
            )
        );
    }
    let answer = post(
        &server.url(&format!("/v2/models/{fixture}/infer")),
        "application/json",
        request.to_string(),
    );
    assert_eq!(answer.status, 404, "{}", answer.body);
    let index = post(&server.url("/v2/repository/index"), "application/json", "");
    assert_eq!(index.status, 200, "{}", index.body);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&index.body).unwrap(),
        serde_json::json!([{"name": "iris", "version": "1", "state": "READY", "reason": ""}])
    );
    drop(server);

    // Two .onnx files and no MODEL_FILENAME: no guess.
    std::fs::copy(
        fixtures().join("iris_forest.onnx"),
        dir.join("iris_forest.onnx"),
    )
    .unwrap();
    let stderr = refused(kserve_serve("iris", &dir, free_port()));
    assert!(
        stderr.contains(&format!(
            "error: cannot choose the model: {} (SM_MODEL_DIR) holds 2 .onnx files \
             (iris_forest.onnx, {file}). Name the one to serve with MODEL_FILENAME",
            dir.display()
        )),
        "{stderr}"
    );
    // An empty directory: the download did not happen.
    let empty = scratch_dir("kserve-empty-model-dir");
    let stderr = refused(kserve_serve("iris", &empty, free_port()));
    assert!(
        stderr.contains(&format!(
            "error: no model to serve: {} (SM_MODEL_DIR) is empty.",
            empty.display()
        )),
        "{stderr}"
    );
    // A name that is not one URL path segment.
    let output = kserve_serve("iris/v2", &dir, free_port()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "invalid value 'iris/v2' for '--model-name <MODEL_NAME>': \"iris/v2\" holds '/'; \
             expected a name that is one URL path segment"
        ),
        "{stderr}"
    );
    for dir in [dir, empty] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn a_real_kserve_v2_client_gets_onnxruntimes_answers() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} missing: run `make venv`",
        python.display()
    );
    // (fixture, the model's name on the server when MODEL_NAME is given).
    for (model, name) in [
        ("iris_forest", Some("iris")),
        ("iris_mlp_nozipmap", None),
        ("two_inputs", None),
        ("string_category", None),
    ] {
        let path = fixtures().join(format!("{model}.onnx"));
        let name_arg = name.map(|name| format!("--model_name={name}"));
        let mut args = vec![path.to_str().unwrap()];
        args.extend(name_arg.as_deref());
        let server = Server::start(&args, &[]);
        let output = Command::new(&python)
            .arg(root.join("tests/kserve/tritonclient_check.py"))
            .args([
                "--url",
                &format!("127.0.0.1:{}", server.port),
                "--model",
                model,
            ])
            .args(name.map(|name| ["--name", name]).into_iter().flatten())
            .arg("--expected")
            .arg(fixtures().join("expected.json"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{model}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(stdout.matches("PASS").count(), 2, "{stdout}");
    }
}

/// A stand-in OTLP/HTTP collector on 127.0.0.1: answers 200 to every POST and keeps the bodies.
fn fake_collector() -> (u16, std::sync::mpsc::Receiver<(String, Vec<u8>)>) {
    use std::io::Write;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut data = Vec::new();
            let mut buffer = [0_u8; 65536];
            // Read the head, then as many body bytes as Content-Length says.
            let (head_end, length) = loop {
                let Ok(n) = stream.read(&mut buffer) else {
                    break (0, 0);
                };
                if n == 0 {
                    break (0, 0);
                }
                data.extend_from_slice(&buffer[..n]);
                if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    break (end + 4, length);
                }
            };
            while data.len() < head_end + length {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => data.extend_from_slice(&buffer[..n]),
                }
            }
            let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
            let _ = sender.send((head, data[head_end.min(data.len())..].to_vec()));
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n",
            );
        }
    });
    (port, receiver)
}

#[test]
fn spans_go_to_the_otlp_endpoint_and_join_the_callers_trace() {
    let (collector, received) = fake_collector();
    let endpoint = format!("http://127.0.0.1:{collector}");
    let mut server = Server::start(
        &["--demo"],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str())],
    );
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let response = agent()
        .post(&server.url("/invocations"))
        .header("content-type", "text/csv")
        .header("traceparent", &format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .send("5.1,3.5,1.4,0.2")
        .unwrap();
    assert_eq!(response.status(), 200);
    server.terminate();
    let (code, stderr) = server.wait_exit(Duration::from_secs(20));
    assert_eq!(code, Some(0), "{stderr}");
    // Spans are flushed at shutdown at the latest; the trace id travels as 16 raw bytes.
    let wanted: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&trace_id[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        let Ok((head, body)) = received.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        assert!(head.starts_with("POST /v1/traces"), "{head}");
        if body.windows(16).any(|w| w == wanted.as_slice()) {
            assert!(
                body.windows(17).any(|w| w == b"POST /invocations"),
                "span name missing"
            );
            return;
        }
        seen.push(body.len());
    }
    panic!("no exported span carried the caller's trace id (bodies seen: {seen:?})");
}

fn get_json(url: &str) -> serde_json::Value {
    let mut response = agent().get(url).call().unwrap();
    assert_eq!(response.status(), 200, "{url}");
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

/// The onnxruntime wheel of the tests' Python environment: its version and its library.
fn wheel_onnxruntime() -> (String, PathBuf) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} missing: run `make venv`",
        python.display()
    );
    let output = Command::new(&python)
        .args([
            "-c",
            "import onnxruntime, pathlib; print(onnxruntime.__version__); \
             print(next((pathlib.Path(onnxruntime.__file__).parent / 'capi')\
             .glob('libonnxruntime.so*')))",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut lines = stdout.lines();
    match (lines.next(), lines.next()) {
        (Some(version), Some(library)) if output.status.success() => {
            (version.to_owned(), PathBuf::from(library))
        }
        _ => panic!("{stdout}{}", String::from_utf8_lossy(&output.stderr)),
    }
}

#[test]
fn version_and_metadata_give_the_version_the_loaded_library_reports() {
    let (version, library) = wheel_onnxruntime();
    let server = Server::start(
        &["--demo"],
        &[("ORT_DYLIB_PATH", library.to_str().unwrap())],
    );
    assert_eq!(get_json(&server.url("/version"))["onnxruntime"], version);
    assert_eq!(
        get_json(&server.url("/metadata"))["onnxruntime_version"],
        version
    );
    drop(server);

    // The same library with its version string (the one `GetVersionString` returns, a
    // NUL-terminated literal) changed to 1.99.9: berth must say 1.99.9, whatever its pin says.
    let mut bytes = std::fs::read(&library).unwrap();
    let literal = format!("\0{version}\0").into_bytes();
    let at: Vec<usize> = bytes
        .windows(literal.len())
        .enumerate()
        .filter(|(_, w)| *w == literal.as_slice())
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(
        at.len(),
        1,
        "the version literal {version} is not unique in the library"
    );
    let patched_version = "1.99.9";
    assert_eq!(
        patched_version.len(),
        version.len(),
        "same length, same layout"
    );
    bytes[at[0]..at[0] + version.len()].copy_from_slice(patched_version.as_bytes());
    let dir = scratch_dir("patched-onnxruntime");
    let patched = dir.join("libonnxruntime.so");
    std::fs::write(&patched, bytes).unwrap();
    let mut server = Server::start(
        &["--demo"],
        &[
            ("ORT_DYLIB_PATH", patched.to_str().unwrap()),
            ("LOG_FORMAT", "json"),
        ],
    );
    assert_eq!(
        get_json(&server.url("/version"))["onnxruntime"],
        patched_version
    );
    assert_eq!(
        get_json(&server.url("/metadata"))["onnxruntime_version"],
        patched_version
    );
    server.terminate();
    let (_, stderr) = server.wait_exit(Duration::from_secs(20));
    assert!(
        stderr.contains("this ONNX Runtime is not the pinned release"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The venv's Python, which writes the files of other formats the tests need (no committed
/// blobs).
fn python() -> PathBuf {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        python.is_file(),
        "{} missing: run `make venv`",
        python.display()
    );
    python
}

#[test]
fn a_file_that_is_not_onnx_is_named_for_what_it_is() {
    let dir = scratch_dir("not-onnx");
    // A scikit-learn model saved with joblib, and a zip archive laid out like torch.save's.
    let script = "import sys, zipfile, joblib\n\
                  from sklearn.linear_model import LogisticRegression\n\
                  m = LogisticRegression().fit([[0.0], [1.0]], [0, 1])\n\
                  joblib.dump(m, sys.argv[1] + '/model.joblib')\n\
                  with zipfile.ZipFile(sys.argv[1] + '/model.pt', 'w') as z:\n\
                  \x20   z.writestr('archive/data.pkl', b'\\x80\\x02}q\\x00.')\n";
    let status = Command::new(python())
        .args(["-c", script, dir.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(dir.join("model.h5"), b"\x89HDF\r\n\x1a\n\0\0\0\0\0\0\0\0").unwrap();
    std::fs::write(dir.join("empty.onnx"), b"").unwrap();
    std::fs::write(dir.join("model.csv"), "sepal_length,sepal_width\n5.1,3.5\n").unwrap();
    let whole = std::fs::read(fixtures().join("iris_forest.onnx")).unwrap();
    std::fs::write(dir.join("cut.onnx"), &whole[..whole.len() / 2]).unwrap();

    let cases = [
        (
            "model.joblib",
            "is not an ONNX file: it is a Python pickle",
            "skl2onnx",
        ),
        (
            "model.pt",
            "is not an ONNX file: it is a zip archive",
            "torch.onnx.export",
        ),
        (
            "model.h5",
            "is not an ONNX file: it is an HDF5 file",
            "tf2onnx",
        ),
        (
            "empty.onnx",
            "is not an ONNX file: it is an empty file (0 bytes)",
            "again",
        ),
        (
            "model.csv",
            "is not an ONNX file: it is a text file",
            "export it to ONNX",
        ),
        (
            "cut.onnx",
            "looks like an ONNX model but is truncated or corrupt",
            "again",
        ),
    ];
    for (name, what, todo) in cases {
        let stderr = refused_start(&[dir.join(name).to_str().unwrap()], &[]);
        let error = stderr.lines().last().unwrap_or_default();
        assert!(
            error.starts_with(&format!("error: model {name} {what}")),
            "{name}: {stderr}"
        );
        assert!(error.contains(todo), "{name}: {stderr}");
        assert!(
            !error.contains("Protobuf parsing failed"),
            "{name}: {stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_model_with_a_too_new_opset_says_so_in_one_line() {
    let model = fixtures().join("too_new_opset.onnx");
    let stderr = refused_start(&[model.to_str().unwrap()], &[]);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    let error = errors[0];
    assert!(
        error.starts_with(
            "error: model too_new_opset.onnx needs opset 99 of domain ai.onnx, but ONNX Runtime "
        ) && error.contains(" supports ai.onnx up to opset "),
        "{stderr}"
    );
    assert!(error.contains("target_opset"), "{stderr}");
    assert!(
        !error.contains("onnxruntime_src") && !error.contains(model.to_str().unwrap()),
        "{stderr}"
    );
    // What comes after the line is not ONNX Runtime's raw text.
    assert!(!stderr.contains("under development"), "{stderr}");
}

#[test]
fn a_model_with_external_weights_loads_from_another_working_directory() {
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
            .unwrap();
    let entry = &document["models"]["external_weights"];
    assert!(fixtures().join("external_weights.weights").is_file());
    let elsewhere = scratch_dir("external-weights-cwd");
    let model = std::fs::canonicalize(fixtures().join("external_weights.onnx")).unwrap();
    let server = Server::start_in(
        &elsewhere,
        &[model.to_str().unwrap()],
        &[("RESPONSE_OUTPUTS", "all")],
    );
    let body = serde_json::to_string(&entry["check_inputs"]["x"]).unwrap();
    let answer = post(&server.url("/invocations"), "application/json", body);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    let got = json["outputs"]["y"].as_array().unwrap();
    let want = entry["expected"]["y"].as_array().unwrap();
    assert_eq!(got.len(), want.len(), "{}", answer.body);
    for (got, want) in got.iter().zip(want) {
        for (g, w) in got.as_array().unwrap().iter().zip(want.as_array().unwrap()) {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            assert!((g - w).abs() <= 1e-5, "{g} vs onnxruntime's {w}");
        }
    }
    // The sha256 is the model file's, read in pieces.
    assert_eq!(
        get_json(&server.url("/metadata"))["model"]["sha256"],
        entry["sha256"]
    );
    drop(server);
    std::fs::remove_dir_all(&elsewhere).unwrap();
}

#[test]
fn a_failing_warm_up_inference_is_named_as_such() {
    // The model loads; every run of it fails (a Reshape no input fits).
    let model = fixtures().join("fails_at_run.onnx");
    let stderr = refused_start(&[model.to_str().unwrap()], &[]);
    let error = stderr.lines().last().unwrap_or_default();
    assert!(
        error.starts_with(
            "error: the model loaded, but its warm-up inference (one all-zero row per input, run \
             before readiness) failed: "
        ),
        "{stderr}"
    );
    assert!(error.contains("Reshape"), "{stderr}");
}

/// Over a real socket, berth answers right or refuses: columns matched by name whatever their
/// order, a row in another layout than the model's, a missing value, a value beyond float32,
/// and a `.npy` body as SageMaker's Python SDK sends it.
#[test]
fn wrong_answers_are_refused_over_the_wire() {
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
            .unwrap();
    let named = fixtures().join("mixed_columns.onnx");
    let server = Server::start(&[named.to_str().unwrap()], &[]);
    let url = server.url("/invocations");
    let want = document["models"]["mixed_columns"]["expected"]["label"].to_string();
    let in_order = post(
        &url,
        "text/csv",
        "red,6.5,1.0\nblue,2.0,0.25\ngreen,5.5,2.0\npurple,4.0,0.5",
    );
    let reordered = post(
        &url,
        "text/csv",
        "weight,size,colour\n1.0,6.5,red\n0.25,2.0,blue\n2.0,5.5,green\n0.5,4.0,purple",
    );
    for answer in [&in_order, &reordered] {
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body, format!("{{\"predictions\":{want}}}"));
    }
    let unknown = post(&url, "text/csv", "colour,size,height\nred,1,2");
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert!(
        unknown.body.contains("unknown [\\\"height\\\"]"),
        "{}",
        unknown.body
    );
    drop(server);

    let image = fixtures().join("image_nchw.onnx");
    let server = Server::start(&[image.to_str().unwrap()], &[]);
    let channels_last = "[[[[0,4,8],[1,5,9]],[[2,6,10],[3,7,11]]]]";
    let answer = post(
        &server.url("/invocations"),
        "application/json",
        channels_last,
    );
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("takes rows of shape [3, 2, 2]"),
        "{}",
        answer.body
    );
    drop(server);

    let logreg = fixtures().join("iris_logreg_nozipmap.onnx");
    let server = Server::start(&[logreg.to_str().unwrap()], &[]);
    let url = server.url("/invocations");
    for (content_type, body, says) in [
        ("text/csv", "5.1,,1.4,0.2", "MISSING_VALUES=nan"),
        (
            "application/json",
            "[[5.1,null,1.4,0.2]]",
            "MISSING_VALUES=nan",
        ),
        ("text/csv", "5.1,1e39,1.4,0.2", "not a finite"),
        ("text/csv", "5.1;3.5;1.4;0.2", "CSV_DELIMITER=;"),
    ] {
        let answer = post(&url, content_type, body);
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
        assert!(answer.body.contains(says), "{body}: {}", answer.body);
    }
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    let mut header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 4), }".to_owned();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    npy.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    for x in [5.1f64, 3.5, 1.4, 0.2] {
        npy.extend_from_slice(&x.to_le_bytes());
    }
    let answer = post(&url, "application/x-npy", npy);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body, r#"{"predictions":[0]}"#);
}
