//! Dynamic batching over real HTTP: many concurrent clients, each checking its own answer.
//!
//! The server is the real router and inference pool on a port of 127.0.0.1; every client is a
//! thread with its own keep-alive connection. `batch_centred` answers `x - mean(x over the
//! batch)`, so a client's answer is right only if its rows ran without anybody else's.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use berth_engine::ModelSource;
use berth_serve::{AppState, ServeConfig};
use common::{fixtures, runtime};
use serde_json::Value;

const CLIENTS: usize = 32;
const REQUESTS_PER_CLIENT: usize = 25;
/// Answers are compared within this, relative to the expected value (absolute below 1).
const TOLERANCE: f64 = 1e-5;

/// A server on a free port of 127.0.0.1, stopped when dropped.
struct Server {
    port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    async fn start(model: &str, config: ServeConfig) -> Self {
        let state = AppState::new(config, "test");
        let source = ModelSource::File(fixtures().join(format!("{model}.onnx")));
        state
            .load_model(runtime(), source)
            .await
            .expect("fixture model loads");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        tokio::spawn(berth_serve::serve(
            listener,
            state,
            shutdown,
            Duration::from_secs(5),
        ));
        Self {
            port,
            stop: Some(stop),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// One keep-alive HTTP/1.1 connection, blocking, for a client thread.
struct Connection {
    reader: BufReader<TcpStream>,
}

impl Connection {
    fn open(port: u16) -> Self {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
        Self {
            reader: BufReader::new(stream),
        }
    }

    /// Sends one request and reads its answer: `(status, body)`.
    fn exchange(&mut self, method: &str, path: &str, body: &str) -> (u16, String) {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n{body}",
            body.len()
        );
        self.reader.get_mut().write_all(request.as_bytes()).unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP status line: {line:?}"));
        let mut length = None;
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let length = length.expect("a content-length header");
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        (status, String::from_utf8(body).unwrap())
    }
}

/// What client `client` sends in request `request`, and the answer it must get: rows of 4
/// values, and the expected predictions flattened.
type Case = Arc<dyn Fn(usize, usize) -> (Vec<[f64; 4]>, Vec<f64>) + Send + Sync>;

fn instances(rows: &[[f64; 4]]) -> String {
    serde_json::json!({ "instances": rows }).to_string()
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("a list: {value}"))
        .iter()
        .flat_map(|row| row.as_array().unwrap_or_else(|| panic!("a row: {row}")))
        .map(|v| v.as_f64().unwrap_or_else(|| panic!("a number: {v}")))
        .collect()
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= TOLERANCE * want.abs().max(1.0)
}

/// Runs `CLIENTS` threads of `REQUESTS_PER_CLIENT` requests each, every one on its own
/// keep-alive connection. Returns the rows sent and the wrong answers, described.
async fn concurrent_clients(port: u16, case: &Case) -> (usize, Vec<String>) {
    let mut handles = Vec::new();
    for client in 0..CLIENTS {
        let case = Arc::clone(case);
        handles.push(tokio::task::spawn_blocking(move || {
            let mut connection = Connection::open(port);
            let mut rows_sent = 0;
            let mut wrong = Vec::new();
            for request in 0..REQUESTS_PER_CLIENT {
                let (rows, want) = case(client, request);
                rows_sent += rows.len();
                let (status, body) = connection.exchange("POST", "/invocations", &instances(&rows));
                assert_eq!(status, 200, "client {client} request {request}: {body}");
                let answer: Value = serde_json::from_str(&body).unwrap();
                let got = numbers(&answer["predictions"]);
                if got.len() != want.len() || !got.iter().zip(&want).all(|(g, w)| close(*g, *w)) {
                    wrong.push(format!(
                        "client {client} request {request}: rows {rows:?} answered {got:?}, \
                         expected {want:?}"
                    ));
                }
            }
            (rows_sent, wrong)
        }));
    }
    let mut rows_sent = 0;
    let mut wrong = Vec::new();
    for handle in handles {
        let (rows, client_wrong) = handle.await.unwrap();
        rows_sent += rows;
        wrong.extend(client_wrong);
    }
    (rows_sent, wrong)
}

/// For `batch_centred`: 1 to 3 rows, distinct across rows, requests and clients, exact in
/// float32 and JSON; the answer is `x - mean(x)` over the request's own rows.
fn centred_case() -> Case {
    Arc::new(|client, request| {
        let count = 1 + (client + request) % 3;
        let rows: Vec<[f64; 4]> = (0..count)
            .map(|row| {
                let seed = client * 131 + request * 17 + row * 7;
                std::array::from_fn(|col| {
                    #[allow(clippy::cast_precision_loss)] // small integers
                    let step = ((seed + col * 5) % 64) as f64;
                    step / 4.0 - 8.0
                })
            })
            .collect();
        #[allow(clippy::cast_precision_loss)] // 1 to 3 rows
        let n = rows.len() as f64;
        let means: [f64; 4] =
            std::array::from_fn(|col| rows.iter().map(|r| r[col]).sum::<f64>() / n);
        let want = rows
            .iter()
            .flat_map(|r| (0..4).map(move |col| r[col] - means[col]))
            .collect();
        (rows, want)
    })
}

fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| {
            line.strip_prefix(series)
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or_else(|| panic!("no series {series} in:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_every_client_gets_the_answer_for_its_own_rows_alone() {
    let server = Server::start("batch_centred", ServeConfig::default()).await;
    let (_, wrong) = concurrent_clients(server.port, &centred_case()).await;
    let total = CLIENTS * REQUESTS_PER_CLIENT;
    println!(
        "batch_centred, default settings: {} of {total} concurrent answers wrong",
        wrong.len()
    );
    assert!(
        wrong.is_empty(),
        "{} of {total} concurrent answers were not the answer for the client's own rows; \
         first: {}",
        wrong.len(),
        wrong[0]
    );
}

#[tokio::test]
async fn batching_asked_for_on_a_batch_dependent_model_refuses_to_start() {
    for batch_max_rows in [2, 64] {
        let config = ServeConfig {
            batch_max_rows,
            ..ServeConfig::default()
        };
        let state = AppState::new(config, "test");
        let source = ModelSource::File(fixtures().join("batch_centred.onnx"));
        let error = state
            .load_model(runtime(), source)
            .await
            .expect_err("start-up refused")
            .to_string();
        assert!(
            error.starts_with("invalid BATCH_MAX_ROWS: "),
            "{batch_max_rows}: {error}"
        );
        assert!(
            error.contains("the model's answers for a row change with the other rows of its batch"),
            "{error}"
        );
        println!("BATCH_MAX_ROWS={batch_max_rows}: {error}");
        assert!(!state.is_ready());
    }
}

/// For `iris_logreg_nozipmap`: 1 to 3 of the fixture's check rows; the answer is onnxruntime's
/// probabilities for them (from `expected.json`, computed in Python on all check rows at once).
fn iris_case() -> Case {
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
            .unwrap();
    let entry = &document["models"]["iris_logreg_nozipmap"];
    let rows: Vec<[f64; 4]> = entry["check_inputs"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let values = numbers(&Value::Array(vec![row.clone()]));
            std::array::from_fn(|col| values[col])
        })
        .collect();
    let probabilities: Vec<Vec<f64>> = entry["expected"]["probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| numbers(&Value::Array(vec![row.clone()])))
        .collect();
    Arc::new(move |client, request| {
        let count = 1 + (client * 7 + request) % 3;
        let picked: Vec<usize> = (0..count)
            .map(|row| (client * 5 + request * 3 + row) % rows.len())
            .collect();
        (
            picked.iter().map(|&i| rows[i]).collect(),
            picked
                .iter()
                .flat_map(|&i| probabilities[i].clone())
                .collect(),
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batching_on_a_row_independent_model_gives_each_client_its_answer_and_counts_runs() {
    let config = ServeConfig {
        batch_max_rows: 64,
        onnx_output_name: Some("probabilities".to_owned()),
        ..ServeConfig::default()
    };
    let server = Server::start("iris_logreg_nozipmap", config).await;
    let case = iris_case();
    let (mut rows_sent, mut requests) = (0, 0);
    // Merges need requests to meet in the queue, which concurrency makes likely, not certain:
    // rounds go on until one merged (and every round checks every answer), at most 10.
    for round in 1..=10 {
        let (rows, wrong) = concurrent_clients(server.port, &case).await;
        rows_sent += rows;
        requests += CLIENTS * REQUESTS_PER_CLIENT;
        assert!(
            wrong.is_empty(),
            "round {round}: {} of {} answers wrong; first: {}",
            wrong.len(),
            CLIENTS * REQUESTS_PER_CLIENT,
            wrong[0]
        );
        let (status, text) = Connection::open(server.port).exchange("GET", "/metrics", "");
        assert_eq!(status, 200);
        let run_rows = metric(&text, "berth_inference_batch_rows_sum");
        let runs = metric(&text, "berth_inference_batch_rows_count");
        #[allow(clippy::cast_precision_loss)] // small counts
        let (rows_sent_f, requests_f) = (rows_sent as f64, requests as f64);
        assert_eq!(run_rows, rows_sent_f, "every row sent ran once: {text}");
        assert_eq!(
            metric(&text, "berth_rows_predicted_total"),
            rows_sent_f,
            "{text}"
        );
        assert!(runs <= requests_f, "{runs} runs for {requests} requests");
        println!(
            "round {round}: {requests} requests of {rows_sent} rows ran in {runs} ONNX Runtime runs"
        );
        if runs < requests_f {
            return;
        }
    }
    panic!("no two requests were merged in {requests} concurrent requests");
}
