//! Inference off the async executor: dedicated threads, each with its own session, fed through a
//! bounded queue; dynamic batching where it is safe; a report of every run.
//!
//! `ort` sessions run with `&mut self`, so each worker owns one [`Model`]. A request waits at most
//! the acquire timeout for a place in the queue; past that it gets [`EngineError::Busy`] (the
//! server answers 503 with `Retry-After`) instead of queueing without bound.
//!
//! Dynamic batching (a worker merging the requests already queued into one ONNX Runtime run) is
//! off unless [`PoolOptions::max_batch_rows`] is above 1, because a model may compute across the
//! batch and then each client's answer would depend on the other clients' rows. When it is asked
//! for, [`InferencePool::start`] first checks the model with the probe of [`crate::probe`] and
//! refuses to start ([`EngineError::BatchingRefused`]) when a row's answer changes with the other
//! rows; a model with a fixed batch dimension is never merged (and the log says so).
//!
//! [`PoolOptions::on_run`] hears of every run whose outputs answer requests, with its row count:
//! the rows of all the requests merged into it, or one request's rows.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::tensor::{InputTensor, Outputs};
use crate::{EngineError, Model, ModelSignature, ModelSource, Result, Runtime, SessionOptions};
use crate::{batch, probe};

/// Called on a worker thread after every ONNX Runtime run whose outputs answer requests, with the
/// run's row count (merged requests count together). Keep it cheap: it runs between batches.
pub type RunObserver = Arc<dyn Fn(usize) + Send + Sync>;

/// Sizing of the pool.
#[derive(Clone)]
pub struct PoolOptions {
    /// Worker threads, each with its own session.
    pub workers: usize,
    /// Requests that may wait for a worker before new ones are turned away.
    pub queue_capacity: usize,
    /// How long a request may wait for a place in the queue.
    pub acquire_timeout: Duration,
    /// Most rows one ONNX Runtime run may take when a worker merges the requests waiting in the
    /// queue (dynamic batching); 0 or 1 turns merging off. Merging never waits for requests to
    /// arrive: it only takes those already queued, so it adds no latency. Above 1, the model
    /// must pass the row-independence probe at start (see the module docs).
    pub max_batch_rows: usize,
    /// Told the row count of every run that answers requests (see [`RunObserver`]).
    pub on_run: Option<RunObserver>,
}

impl std::fmt::Debug for PoolOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolOptions")
            .field("workers", &self.workers)
            .field("queue_capacity", &self.queue_capacity)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("max_batch_rows", &self.max_batch_rows)
            .field("on_run", &self.on_run.as_ref().map(|_| "observer"))
            .finish()
    }
}

struct Job {
    inputs: Vec<InputTensor>,
    reply: oneshot::Sender<Result<Outputs>>,
}

/// A model loaded once per worker thread, with a bounded queue in front.
///
/// Dropping the pool closes the queue; workers finish the jobs already queued and exit.
#[derive(Debug)]
pub struct InferencePool {
    sender: mpsc::Sender<Job>,
    signature: Arc<ModelSignature>,
    options: PoolOptions,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("inputs", &self.inputs.len())
            .finish()
    }
}

impl InferencePool {
    /// Loads the model once per worker, checks it for dynamic batching when that is asked for,
    /// and starts the workers.
    ///
    /// # Errors
    /// Any error of [`Model::load`]; [`EngineError::BatchingRefused`] when `max_batch_rows` is
    /// above 1 and the model's answer for a row changes with the other rows of its batch (or the
    /// model refuses the probe rows); nothing is started then.
    pub fn start(
        runtime: &Runtime,
        source: &ModelSource,
        session: &SessionOptions,
        options: PoolOptions,
    ) -> Result<Self> {
        let workers = options.workers.max(1);
        let mut models = Vec::with_capacity(workers);
        for _ in 0..workers {
            models.push(Model::load(runtime, source, session)?);
        }
        let signature = Arc::new(models[0].signature().clone());
        let max_batch_rows = if options.max_batch_rows <= 1 {
            0
        } else if batch::model_allows_merging(&signature) {
            probe::check_row_independence(&mut models[0], options.max_batch_rows)?;
            tracing::info!(
                max_batch_rows = options.max_batch_rows,
                "dynamic batching on: the model's answers for a row did not change with the \
                 other rows of its batch in the probe"
            );
            options.max_batch_rows
        } else {
            tracing::warn!(
                "dynamic batching off although asked for: the model has an input or output \
                 without a dynamic batch dimension"
            );
            0
        };
        let (sender, receiver) = mpsc::channel::<Job>(options.queue_capacity.max(1));
        let receiver = Arc::new(Mutex::new(receiver));
        for (index, model) in models.into_iter().enumerate() {
            let receiver = Arc::clone(&receiver);
            let on_run = options.on_run.clone();
            std::thread::Builder::new()
                .name(format!("berth-infer-{index}"))
                .spawn(move || work(model, &receiver, max_batch_rows, on_run.as_ref()))
                .map_err(|e| EngineError::Inference(format!("cannot start a worker: {e}")))?;
        }
        Ok(Self {
            sender,
            signature,
            options,
        })
    }

    /// What the model takes and gives.
    #[must_use]
    pub fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    /// The pool's sizing.
    #[must_use]
    pub fn options(&self) -> &PoolOptions {
        &self.options
    }

    /// Requests waiting in the queue now.
    #[must_use]
    pub fn queued(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }

    /// Runs one batch on a worker.
    ///
    /// # Errors
    /// [`EngineError::Busy`] when no place frees up within the acquire timeout,
    /// [`EngineError::Stopped`] when the pool is shutting down, and the errors of [`Model::run`].
    pub async fn run(&self, inputs: Vec<InputTensor>) -> Result<Outputs> {
        let timeout = self.options.acquire_timeout;
        // The common case, a free place, needs no timer.
        let permit = match self.sender.try_reserve() {
            Ok(permit) => permit,
            Err(mpsc::error::TrySendError::Closed(())) => return Err(EngineError::Stopped),
            Err(mpsc::error::TrySendError::Full(())) => {
                match tokio::time::timeout(timeout, self.sender.reserve()).await {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_)) => return Err(EngineError::Stopped),
                    Err(_) => {
                        return Err(EngineError::Busy {
                            capacity: self.sender.max_capacity(),
                            waited_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                        });
                    }
                }
            }
        };
        let (reply, answer) = oneshot::channel();
        permit.send(Job { inputs, reply });
        answer.await.unwrap_or(Err(EngineError::WorkerPanicked))
    }
}

fn work(
    mut model: Model,
    receiver: &Mutex<mpsc::Receiver<Job>>,
    max_batch_rows: usize,
    on_run: Option<&RunObserver>,
) {
    // A job taken from the queue that could not join the previous merged run.
    let mut carried: Option<Job> = None;
    loop {
        let mut jobs = Vec::new();
        {
            // Hold the lock only while taking jobs, so that other workers can take the next ones.
            let Ok(mut queue) = receiver.lock() else {
                return;
            };
            let first = match carried.take() {
                Some(job) => job,
                None => match queue.blocking_recv() {
                    Some(job) => job,
                    None => return,
                },
            };
            let mut rows = batch::rows(&first.inputs);
            jobs.push(first);
            while max_batch_rows > 1 && rows < max_batch_rows {
                let Ok(job) = queue.try_recv() else { break };
                let job_rows = batch::rows(&job.inputs);
                if rows + job_rows > max_batch_rows
                    || !batch::compatible(&jobs[0].inputs, &job.inputs)
                {
                    carried = Some(job);
                    break;
                }
                rows += job_rows;
                jobs.push(job);
            }
        }
        // Clients that went away while queued do not get a run.
        jobs.retain(|job| !job.reply.is_closed());
        match jobs.len() {
            0 => {}
            1 => run_alone(&mut model, jobs.pop().expect("one job"), on_run),
            _ => run_merged(&mut model, jobs, on_run),
        }
    }
}

fn guarded(model: &mut Model, inputs: &[InputTensor]) -> Result<Outputs> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model.run(inputs)))
        .unwrap_or(Err(EngineError::WorkerPanicked))
}

fn report(on_run: Option<&RunObserver>, rows: usize) {
    if let Some(on_run) = on_run {
        on_run(rows);
    }
}

fn run_alone(model: &mut Model, job: Job, on_run: Option<&RunObserver>) {
    let result = guarded(model, &job.inputs);
    if result.is_ok() {
        report(on_run, batch::rows(&job.inputs));
    }
    let _ = job.reply.send(result);
}

fn run_merged(model: &mut Model, jobs: Vec<Job>, on_run: Option<&RunObserver>) {
    let requests: Vec<&[InputTensor]> = jobs.iter().map(|j| j.inputs.as_slice()).collect();
    let row_counts: Vec<usize> = requests.iter().map(|r| batch::rows(r)).collect();
    let merged = batch::merge(&requests);
    // A failed merged run (one request's bad values) or outputs that cannot be cut back are
    // retried one request at a time, so that each client gets its own answer or error.
    let parts = guarded(model, &merged)
        .ok()
        .and_then(|outputs| batch::split(outputs, &row_counts));
    match parts {
        Some(parts) => {
            report(on_run, row_counts.iter().sum());
            for (job, outputs) in jobs.into_iter().zip(parts) {
                let _ = job.reply.send(Ok(outputs));
            }
        }
        None => jobs
            .into_iter()
            .for_each(|job| run_alone(model, job, on_run)),
    }
}
