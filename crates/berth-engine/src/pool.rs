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
//!
//! A request expected to run briefly, that finds the queue empty and a session free, runs at once
//! on the caller's thread ([`PoolOptions::inline_max_run`]): handing it to a worker costs two
//! thread switches (wake the worker, wake the caller back), more than ONNX Runtime's few
//! microseconds for a row of a tabular model, and on one core the woken worker preempts the
//! thread that reads the next requests. "Expected" comes from the model's recent runs: their time
//! per input element (a moving average, warm-up included) times the request's elements, so a
//! longer sequence or a bigger image counts as more work. A model whose run time depends on its
//! input values, not their number, can outlast the estimate once (the average then moves away from
//! the budget); the budget is small for that reason and can be set to zero.
//! Every other request, and every request while others wait, goes through the queue. The
//! sessions sit behind one lock each, so a session runs one request at a time either way. With
//! batching on, brief requests are merged on the callers' threads too ([`Gathered`]).
//!
//! One piece past 500 lines: the queue, the inline path and the gathering share the sessions,
//! the queue's state and the record of runs, and each decides by looking at the others.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    /// queue (dynamic batching); 0 or 1 turns merging off. Merging never waits on a timer: a
    /// worker takes the requests already queued, and brief requests gathered on the callers'
    /// threads wait one turn of the executor (see [`Gathered`]). Above 1, the model must pass
    /// the row-independence probe at start (see the module docs).
    pub max_batch_rows: usize,
    /// Told the row count of every run that answers requests (see [`RunObserver`]).
    pub on_run: Option<RunObserver>,
    /// Longest expected run (from the model's recent time per input element) of a request that may run
    /// on the caller's thread when the queue is empty and a session is free (see the module
    /// docs); zero sends every request through the queue.
    pub inline_max_run: Duration,
}

impl std::fmt::Debug for PoolOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolOptions")
            .field("workers", &self.workers)
            .field("queue_capacity", &self.queue_capacity)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("max_batch_rows", &self.max_batch_rows)
            .field("on_run", &self.on_run.as_ref().map(|_| "observer"))
            .field("inline_max_run", &self.inline_max_run)
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
    /// One session per worker; worker `i` runs session `i`, and a request run inline takes any
    /// free one.
    sessions: Arc<[Mutex<Model>]>,
    /// What every run tells (the observer, the run-cost average), shared with the workers.
    runs: Arc<Runs>,
    /// Most rows of a merged run; 0 when merging is off (not asked for, or not safe).
    merge_rows: usize,
    /// Requests gathered on the callers' threads for one merged run there (see [`Gathered`]).
    gathered: Mutex<Gathered>,
}

/// Requests waiting for the first of them (the leader) to run them merged on its own thread.
///
/// With batching on, a brief request that finds the queue empty does not run at once: it joins
/// this list, and the first to join yields to the executor once, so that the other connections
/// with a request already read decode it and join too; the leader then runs them all in one
/// ONNX Runtime run and answers each. That is dynamic batching without a hand-over to a worker
/// thread (on one core, the hand-over cost more than merging saved, see bench/notes.md).
#[derive(Debug, Default)]
struct Gathered {
    jobs: Vec<Job>,
    rows: usize,
}

/// A moving average of the model's run time per input element, over every run that answered requests
/// (nanoseconds; 0 until the first run). Updated from several threads without a lock: a lost
/// update only makes the average a little older.
#[derive(Debug, Default)]
struct RunCost {
    nanos_per_element: AtomicU64,
}

impl RunCost {
    /// Weight of the newest run, as a divisor: each run moves the average an eighth of the way.
    const SMOOTHING: u64 = 8;

    fn record(&self, elapsed: Duration, inputs: &[InputTensor]) {
        let elements = u64::try_from(elements(inputs).max(1)).unwrap_or(u64::MAX);
        let sample = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX) / elements;
        let old = self.nanos_per_element.load(Ordering::Relaxed);
        let new = if old == 0 {
            sample
        } else {
            (old.saturating_mul(Self::SMOOTHING - 1)).saturating_add(sample) / Self::SMOOTHING
        };
        self.nanos_per_element.store(new.max(1), Ordering::Relaxed);
    }

    /// The expected run time of `inputs`; `None` before any run.
    fn expected(&self, inputs: &[InputTensor]) -> Option<Duration> {
        let per_element = self.nanos_per_element.load(Ordering::Relaxed);
        let elements = u64::try_from(elements(inputs)).unwrap_or(u64::MAX);
        (per_element > 0).then(|| Duration::from_nanos(per_element.saturating_mul(elements)))
    }
}

/// The values in `inputs`, all tensors together.
fn elements(inputs: &[InputTensor]) -> usize {
    inputs
        .iter()
        .map(|t| t.shape.iter().product::<usize>())
        .sum()
}

/// What every run that answers requests tells: the observer, and the run-cost average.
struct Runs {
    on_run: Option<RunObserver>,
    cost: RunCost,
}

impl std::fmt::Debug for Runs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runs")
            .field("on_run", &self.on_run.as_ref().map(|_| "observer"))
            .field("cost", &self.cost)
            .finish()
    }
}

impl Runs {
    /// Runs `inputs` and, when the run answers, reports it with its rows and time.
    fn timed(&self, model: &mut Model, inputs: &[InputTensor]) -> Result<Outputs> {
        let started = Instant::now();
        let result = guarded(model, inputs);
        if result.is_ok() {
            self.answered(inputs, batch::rows(inputs), started.elapsed());
        }
        result
    }

    fn answered(&self, inputs: &[InputTensor], rows: usize, elapsed: Duration) {
        self.cost.record(elapsed, inputs);
        if let Some(on_run) = &self.on_run {
            on_run(rows);
        }
    }
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
        let sessions: Arc<[Mutex<Model>]> = models.into_iter().map(Mutex::new).collect();
        let runs = Arc::new(Runs {
            on_run: options.on_run.clone(),
            cost: RunCost::default(),
        });
        for index in 0..workers {
            let receiver = Arc::clone(&receiver);
            let sessions = Arc::clone(&sessions);
            let runs = Arc::clone(&runs);
            std::thread::Builder::new()
                .name(format!("berth-infer-{index}"))
                .spawn(move || work(&sessions[index], &receiver, max_batch_rows, &runs))
                .map_err(|e| EngineError::Inference(format!("cannot start a worker: {e}")))?;
        }
        Ok(Self {
            sender,
            signature,
            options,
            sessions,
            runs,
            merge_rows: max_batch_rows,
            gathered: Mutex::default(),
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
        // A request of `merge_rows` rows or more has nothing to gain from waiting for others.
        if self.merge_rows > 1 && batch::rows(&inputs) < self.merge_rows && self.brief(&inputs) {
            return self.run_gathered(inputs).await;
        }
        if let Some(result) = self.try_inline(&inputs) {
            return result;
        }
        self.run_queued(inputs).await
    }

    /// Through the queue, on a worker.
    async fn run_queued(&self, inputs: Vec<InputTensor>) -> Result<Outputs> {
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

impl InferencePool {
    /// Runs a request on the caller's thread when nothing waits in the queue, a session is free
    /// and the model's recent runs say it takes at most `inline_max_run`; `None` when it must go
    /// through the queue.
    fn try_inline(&self, inputs: &[InputTensor]) -> Option<Result<Outputs>> {
        if !self.brief(inputs) {
            return None;
        }
        let mut session = self.sessions.iter().find_map(|s| s.try_lock().ok())?;
        Some(self.runs.timed(&mut session, inputs))
    }

    /// True when `inputs` may run on the caller's thread: nothing waits in the queue and the
    /// model's recent runs say they take at most `inline_max_run`.
    fn brief(&self, inputs: &[InputTensor]) -> bool {
        let budget = self.options.inline_max_run;
        !budget.is_zero()
            && self.queued() == 0
            && self
                .runs
                .cost
                .expected(inputs)
                .is_some_and(|expected| expected <= budget)
    }

    /// Joins the requests gathered for one merged run on this thread (see [`Gathered`]); a
    /// request that cannot join them (too many rows, another shape) runs alone as it would
    /// without batching.
    async fn run_gathered(&self, inputs: Vec<InputTensor>) -> Result<Outputs> {
        let (reply, answer) = oneshot::channel();
        let joined = {
            let mut gathered = self.gather_lock();
            let rows = batch::rows(&inputs);
            let fits = gathered.jobs.first().is_none_or(|first| {
                gathered.rows + rows <= self.merge_rows && batch::compatible(&first.inputs, &inputs)
            });
            if fits {
                gathered.rows += rows;
                gathered.jobs.push(Job { inputs, reply });
                Ok(gathered.jobs.len() == 1)
            } else {
                Err(inputs)
            }
        };
        let leads = match joined {
            Ok(leads) => leads,
            Err(inputs) => {
                if let Some(result) = self.try_inline(&inputs) {
                    return result;
                }
                return self.run_queued(inputs).await;
            }
        };
        if leads {
            // Runs the gathered requests when dropped: after the yield, or when this request's
            // client goes away during it, so that the others are answered either way.
            let leader = Leader(self);
            tokio::task::yield_now().await;
            drop(leader);
        }
        answer.await.unwrap_or(Err(EngineError::WorkerPanicked))
    }

    fn gather_lock(&self) -> std::sync::MutexGuard<'_, Gathered> {
        // Nothing runs under this lock, so a poisoned one holds a sound list.
        self.gathered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs the gathered requests merged on this thread; when every session is busy with the
    /// queue's requests, they join the queue instead.
    fn run_gathered_now(&self) {
        let mut jobs = std::mem::take(&mut *self.gather_lock()).jobs;
        jobs.retain(|job| !job.reply.is_closed());
        if jobs.is_empty() {
            return;
        }
        let Some(mut model) = self.sessions.iter().find_map(|s| s.try_lock().ok()) else {
            for job in jobs {
                if let Err(refused) = self.sender.try_send(job) {
                    let job = match refused {
                        mpsc::error::TrySendError::Full(job)
                        | mpsc::error::TrySendError::Closed(job) => job,
                    };
                    let _ = job.reply.send(Err(EngineError::Busy {
                        capacity: self.sender.max_capacity(),
                        waited_ms: 0,
                    }));
                }
            }
            return;
        };
        match jobs.len() {
            1 => run_alone(&mut model, jobs.pop().expect("one job"), &self.runs),
            _ => run_merged(&mut model, jobs, &self.runs),
        }
    }
}

/// The first of the gathered requests; runs them all when dropped.
struct Leader<'a>(&'a InferencePool);

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        self.0.run_gathered_now();
    }
}

fn work(
    session: &Mutex<Model>,
    receiver: &Mutex<mpsc::Receiver<Job>>,
    max_batch_rows: usize,
    runs: &Runs,
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
        if jobs.is_empty() {
            continue;
        }
        // A run that panicked is caught in `guarded`, so a poisoned lock holds a sound session.
        let mut model = session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match jobs.len() {
            1 => run_alone(&mut model, jobs.pop().expect("one job"), runs),
            _ => run_merged(&mut model, jobs, runs),
        }
    }
}

fn guarded(model: &mut Model, inputs: &[InputTensor]) -> Result<Outputs> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model.run(inputs)))
        .unwrap_or(Err(EngineError::WorkerPanicked))
}

fn run_alone(model: &mut Model, job: Job, runs: &Runs) {
    let result = runs.timed(model, &job.inputs);
    let _ = job.reply.send(result);
}

fn run_merged(model: &mut Model, jobs: Vec<Job>, runs: &Runs) {
    let requests: Vec<&[InputTensor]> = jobs.iter().map(|j| j.inputs.as_slice()).collect();
    let row_counts: Vec<usize> = requests.iter().map(|r| batch::rows(r)).collect();
    let merged = batch::merge(&requests);
    // A failed merged run (one request's bad values) or outputs that cannot be cut back are
    // retried one request at a time, so that each client gets its own answer or error.
    let started = Instant::now();
    let parts = guarded(model, &merged)
        .ok()
        .and_then(|outputs| batch::split(outputs, &row_counts));
    match parts {
        Some(parts) => {
            runs.answered(&merged, row_counts.iter().sum(), started.elapsed());
            for (job, outputs) in jobs.into_iter().zip(parts) {
                let _ = job.reply.send(Ok(outputs));
            }
        }
        None => jobs.into_iter().for_each(|job| run_alone(model, job, runs)),
    }
}
