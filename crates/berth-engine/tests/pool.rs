//! The inference pool with real ONNX Runtime: dynamic batching only where the probe allows it,
//! and every run reported with its rows.
//!
//! The models come from `tests/fixtures/make_fixtures.py` (`make fixtures`).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use berth_engine::{
    EngineError, InferencePool, InputTensor, ModelSource, OutputValue, PoolOptions, RunObserver,
    SessionOptions, TensorData,
};
use common::{fixtures, runtime};

/// Every request through the queue (nothing run inline), so that merging can be seen.
fn options(max_batch_rows: usize, on_run: Option<RunObserver>) -> PoolOptions {
    PoolOptions {
        workers: 1,
        queue_capacity: 64,
        acquire_timeout: Duration::from_secs(5),
        max_batch_rows,
        on_run,
        inline_max_run: Duration::ZERO,
    }
}

fn start(model: &str, options: PoolOptions) -> Result<InferencePool, EngineError> {
    let source = ModelSource::File(fixtures().join(format!("{model}.onnx")));
    InferencePool::start(&runtime(), &source, &SessionOptions::default(), options)
}

fn fixture_names() -> Vec<String> {
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
            .unwrap();
    document["models"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn batching_is_refused_for_the_batch_dependent_model_and_allowed_for_the_others() {
    let names = fixture_names();
    assert!(names.iter().any(|n| n == "batch_centred"), "{names:?}");
    for name in &names {
        let result = start(name, options(64, None));
        if name == "batch_centred" {
            let error = result.expect_err("batch_centred must be refused");
            assert!(
                matches!(error, EngineError::BatchingRefused { .. }),
                "{error:?}"
            );
            let message = error.to_string();
            assert!(
                message.starts_with(
                    "dynamic batching refused: the model's answers for a row change with the \
                     other rows of its batch (output 'y', probe row "
                ),
                "{message}"
            );
        } else {
            // Row-independent models (and slow_square, whose batch dimension is fixed, so it is
            // never merged) pass.
            result.unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    // Without batching asked for there is nothing to check.
    start("batch_centred", options(1, None)).unwrap();
}

fn rows(values: &[[f32; 4]]) -> Vec<InputTensor> {
    vec![InputTensor {
        name: "x".into(),
        shape: vec![values.len(), 4],
        data: TensorData::Float32(values.iter().flatten().copied().collect()),
    }]
}

#[tokio::test]
async fn every_run_is_reported_with_its_rows() {
    let seen: Arc<Mutex<Vec<usize>>> = Arc::default();
    let record = Arc::clone(&seen);
    let observer: RunObserver = Arc::new(move |rows| record.lock().unwrap().push(rows));
    let pool = start("batch_centred", options(1, Some(observer))).unwrap();
    let requests = [
        rows(&[[1.0, 2.0, 3.0, 4.0], [3.0, 2.0, 1.0, 0.0]]),
        rows(&[[5.0, 5.0, 5.0, 5.0]]),
        rows(&[[0.0; 4], [1.0; 4], [2.0; 4]]),
    ];
    for inputs in requests {
        let outputs = pool.run(inputs).await.unwrap();
        assert!(matches!(outputs.get("y"), Some(OutputValue::Tensor { .. })));
    }
    // A request the model refuses is not a run that answered anybody.
    let mut bad = rows(&[[1.0; 4]]);
    bad[0].shape = vec![1, 3];
    bad[0].data = TensorData::Float32(vec![1.0; 3]);
    assert!(pool.run(bad).await.unwrap_err().is_client_error());
    assert_eq!(*seen.lock().unwrap(), vec![2, 1, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_on_a_merging_pool_get_their_own_answers_and_every_row_is_counted_once()
{
    concurrent_requests_get_their_own_answers(Duration::ZERO).await;
}

/// Small requests run on the caller's thread while the queue is empty, the others are queued
/// (and merged): every client still gets its own rows' answer, every row is counted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_run_inline_or_queued_get_their_own_answers() {
    concurrent_requests_get_their_own_answers(Duration::from_secs(1)).await;
}

async fn concurrent_requests_get_their_own_answers(inline_max_run: Duration) {
    let observed = Arc::new(Mutex::new((0_usize, 0_usize)));
    let record = Arc::clone(&observed);
    let observer: RunObserver = Arc::new(move |rows| {
        let mut observed = record.lock().unwrap();
        observed.0 += 1;
        observed.1 += rows;
    });
    let pool = PoolOptions {
        inline_max_run,
        ..options(64, Some(observer))
    };
    let pool = Arc::new(start("iris_regressor", pool).unwrap());
    let alone = start("iris_regressor", options(1, None)).unwrap();
    let row = |i: usize| {
        #[allow(clippy::cast_precision_loss)] // small integers
        let v = i as f32 / 8.0;
        [v, 1.0 - v, v * 0.5]
    };
    let input = |first: usize, count: usize| {
        vec![InputTensor {
            name: "x".into(),
            shape: vec![count, 3],
            data: TensorData::Float32((first..first + count).flat_map(row).collect()),
        }]
    };
    let mut tasks = Vec::new();
    let mut rows_sent = 0;
    for request in 0..200 {
        let count = 1 + request % 3;
        rows_sent += count;
        let pool = Arc::clone(&pool);
        let inputs = input(request, count);
        tasks.push(tokio::spawn(async move {
            (request, count, pool.run(inputs).await.unwrap())
        }));
    }
    for task in tasks {
        let (request, count, merged) = task.await.unwrap();
        let own = alone.run(input(request, count)).await.unwrap();
        let (
            Some(OutputValue::Tensor {
                shape,
                data: TensorData::Float32(got),
            }),
            Some(OutputValue::Tensor {
                data: TensorData::Float32(want),
                ..
            }),
        ) = (merged.get("variable"), own.get("variable"))
        else {
            panic!("float32 outputs: {merged:?}");
        };
        assert_eq!(shape, &vec![count, 1]);
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g - w).abs() <= 1e-5 * w.abs().max(1.0),
                "request {request}: {g} vs {w}"
            );
        }
    }
    let (runs, rows) = *observed.lock().unwrap();
    assert_eq!(rows, rows_sent);
    assert!(runs <= 200, "{runs} runs");
}

/// A request that finds the pool idle runs inline once a run has measured the model (the first
/// goes through the queue): the answer and the report are the queue's.
#[tokio::test]
async fn a_small_request_on_an_idle_pool_runs_inline_with_the_same_answer_and_report() {
    let seen: Arc<Mutex<Vec<usize>>> = Arc::default();
    let record = Arc::clone(&seen);
    let observer: RunObserver = Arc::new(move |rows| record.lock().unwrap().push(rows));
    let inline = PoolOptions {
        inline_max_run: Duration::from_secs(1),
        ..options(1, Some(observer))
    };
    let inline = start("batch_centred", inline).unwrap();
    let queued = start("batch_centred", options(1, None)).unwrap();
    let requests = [
        rows(&[[1.0, 2.0, 3.0, 4.0], [3.0, 2.0, 1.0, 0.0]]),
        rows(&[[0.0; 4], [1.0; 4], [2.0; 4]]),
    ];
    for inputs in requests {
        let a = inline.run(inputs.clone()).await.unwrap();
        let b = queued.run(inputs).await.unwrap();
        assert_eq!(format!("{:?}", a.get("y")), format!("{:?}", b.get("y")));
    }
    // A refused request is not a run, inline or not.
    let mut bad = rows(&[[1.0; 4]]);
    bad[0].shape = vec![1, 3];
    bad[0].data = TensorData::Float32(vec![1.0; 3]);
    assert!(inline.run(bad).await.unwrap_err().is_client_error());
    assert_eq!(*seen.lock().unwrap(), vec![2, 3]);
}

/// A float32 request of rows `first..first + count` for `iris_regressor` (three features).
fn regressor_rows(first: usize, count: usize) -> Vec<InputTensor> {
    #[allow(clippy::cast_precision_loss)] // small integers
    let row = |i: usize| {
        let v = i as f32 / 8.0;
        [v, 1.0 - v, v * 0.5]
    };
    vec![InputTensor {
        name: "x".into(),
        shape: vec![count, 3],
        data: TensorData::Float32((first..first + count).flat_map(row).collect()),
    }]
}

fn regressor_values(outputs: &berth_engine::Outputs) -> Vec<f32> {
    match outputs.get("variable") {
        Some(OutputValue::Tensor {
            data: TensorData::Float32(values),
            ..
        }) => values.clone(),
        other => panic!("float32 output: {other:?}"),
    }
}

fn assert_close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= 1e-5 * w.abs().max(1.0),
            "{what}: {g} vs {w}"
        );
    }
}

/// With batching on, brief requests that arrive together on one executor thread are merged
/// there: fewer runs than requests, and each client gets its own rows' answer.
#[tokio::test(flavor = "current_thread")]
async fn brief_requests_on_one_thread_are_merged_there_and_answered_each() {
    let seen: Arc<Mutex<Vec<usize>>> = Arc::default();
    let record = Arc::clone(&seen);
    let observer: RunObserver = Arc::new(move |rows| record.lock().unwrap().push(rows));
    let merging = PoolOptions {
        inline_max_run: Duration::from_secs(1),
        ..options(64, Some(observer))
    };
    let pool = Arc::new(start("iris_regressor", merging).unwrap());
    let alone = start("iris_regressor", options(1, None)).unwrap();
    // The first run measures the model; only then is a request known to be brief.
    pool.run(regressor_rows(0, 1)).await.unwrap();
    seen.lock().unwrap().clear();
    let tasks: Vec<_> = (0..16)
        .map(|request| {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move { pool.run(regressor_rows(request, 1 + request % 2)).await })
        })
        .collect();
    for (request, task) in tasks.into_iter().enumerate() {
        let got = regressor_values(&task.await.unwrap().unwrap());
        let want = alone
            .run(regressor_rows(request, 1 + request % 2))
            .await
            .unwrap();
        assert_close(
            &got,
            &regressor_values(&want),
            &format!("request {request}"),
        );
    }
    let runs = seen.lock().unwrap().clone();
    assert_eq!(runs.iter().sum::<usize>(), 24, "{runs:?}");
    assert!(
        runs.len() < 16 && runs.iter().any(|&rows| rows > 2),
        "{runs:?}"
    );
}

/// The first of the gathered requests runs them all; when its client goes away first, the others
/// are still run and answered.
#[tokio::test(flavor = "current_thread")]
async fn gathered_requests_are_answered_when_the_first_client_goes_away() {
    let merging = PoolOptions {
        inline_max_run: Duration::from_secs(1),
        ..options(64, None)
    };
    let pool = Arc::new(start("iris_regressor", merging).unwrap());
    let alone = start("iris_regressor", options(1, None)).unwrap();
    pool.run(regressor_rows(0, 1)).await.unwrap();
    let mut first = Box::pin(pool.run(regressor_rows(100, 1)));
    // Polled once: it has joined the list and yields to the executor.
    tokio::select! {
        biased;
        _ = &mut first => panic!("the first request must wait one turn"),
        () = std::future::ready(()) => {}
    }
    let others: Vec<_> = (0..3)
        .map(|request| {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move { pool.run(regressor_rows(request, 1)).await })
        })
        .collect();
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
    drop(first);
    for (request, task) in others.into_iter().enumerate() {
        // Bounded: a list nobody runs would leave these clients waiting for ever.
        let answer = tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("answered after the first client went away");
        let got = regressor_values(&answer.unwrap().unwrap());
        let want = alone.run(regressor_rows(request, 1)).await.unwrap();
        assert_close(
            &got,
            &regressor_values(&want),
            &format!("request {request}"),
        );
    }
}
