//! Inference off the async executor: dedicated threads, each with its own session, fed through a
//! bounded queue.
//!
//! `ort` sessions run with `&mut self`, so each worker owns one [`Model`]. A request waits at most
//! the acquire timeout for a place in the queue; past that it gets [`EngineError::Busy`] (the
//! server answers 503 with `Retry-After`) instead of queueing without bound.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::tensor::{InputTensor, Outputs};
use crate::{EngineError, Model, ModelSignature, ModelSource, Result, Runtime, SessionOptions};

/// Sizing of the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolOptions {
    /// Worker threads, each with its own session.
    pub workers: usize,
    /// Requests that may wait for a worker before new ones are turned away.
    pub queue_capacity: usize,
    /// How long a request may wait for a place in the queue.
    pub acquire_timeout: Duration,
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
    /// Loads the model once per worker and starts the workers.
    ///
    /// # Errors
    /// Any error of [`Model::load`]; nothing is started then.
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
        let (sender, receiver) = mpsc::channel::<Job>(options.queue_capacity.max(1));
        let receiver = Arc::new(Mutex::new(receiver));
        for (index, model) in models.into_iter().enumerate() {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("berth-infer-{index}"))
                .spawn(move || work(model, &receiver))
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
        let permit = match tokio::time::timeout(timeout, self.sender.reserve()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(EngineError::Stopped),
            Err(_) => {
                return Err(EngineError::Busy {
                    capacity: self.sender.max_capacity(),
                    waited_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                });
            }
        };
        let (reply, answer) = oneshot::channel();
        permit.send(Job { inputs, reply });
        answer.await.unwrap_or(Err(EngineError::WorkerPanicked))
    }
}

fn work(mut model: Model, receiver: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        // Hold the lock only while taking a job, so that other workers can take the next one.
        let job = match receiver.lock() {
            Ok(mut guard) => guard.blocking_recv(),
            Err(_) => return,
        };
        let Some(job) = job else { return };
        if job.reply.is_closed() {
            continue; // the client went away while queued: do not spend a run on it
        }
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model.run(&job.inputs)))
                .unwrap_or(Err(EngineError::WorkerPanicked));
        let _ = job.reply.send(result);
    }
}
