//! Shared state of the server: settings, the model's name and the model once it is loaded,
//! readiness, versions.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use berth_engine::{
    ElementType, EngineError, InferencePool, ModelSignature, ModelSource, PoolOptions, Runtime,
    SessionOptions, WarmUp,
};

use crate::codec::Layout;
use crate::codec::encode::ResponsePlan;
use crate::config::{ColumnSelection, MissingValues};
use crate::metrics::Metrics;
use crate::{ModelName, ServeConfig, ServeError};

/// What every handler shares, cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState(Arc<App>);

/// The server's long-lived state.
#[derive(Debug)]
pub(crate) struct App {
    /// Settings, fixed at start-up.
    pub(crate) config: ServeConfig,
    /// The model's protocol name: `MODEL_NAME`, else named after the model when it is given to
    /// [`AppState::load_model`].
    model_name: OnceLock<ModelName>,
    /// The model: empty until it is loaded and warmed up.
    pub(crate) model: OnceLock<LoadedModel>,
    /// Set once shutdown begins: from then on readiness fails, so that load balancers and
    /// Kubernetes stop sending requests while the ones in flight finish.
    shutting_down: AtomicBool,
    /// Feature and ID columns of tabular rows.
    pub(crate) columns: ColumnSelection,
    /// The ONNX Runtime release loaded, for `/version` and `/metadata`.
    pub(crate) onnxruntime_version: String,
    /// Prometheus metrics.
    pub(crate) metrics: Metrics,
}

impl AppState {
    /// State with no model yet: liveness answers, readiness and predictions give 503.
    #[must_use]
    pub fn new(config: ServeConfig, onnxruntime_version: impl Into<String>) -> Self {
        let onnxruntime_version = onnxruntime_version.into();
        let columns = ColumnSelection {
            features: config.tabular_feature_columns.clone(),
            ids: config.tabular_id_columns.clone(),
        };
        let model_name = OnceLock::new();
        if let Some(name) = &config.model_name {
            let _ = model_name.set(name.clone());
        }
        Self(Arc::new(App {
            columns,
            config,
            model_name,
            model: OnceLock::new(),
            shutting_down: AtomicBool::new(false),
            metrics: Metrics::new(&onnxruntime_version),
            onnxruntime_version,
        }))
    }

    pub(crate) fn app(&self) -> &App {
        &self.0
    }

    /// True once the model is loaded and its warm-up inference ran, until shutdown begins.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.readiness() == Readiness::Ready
    }

    /// What the readiness routes report.
    pub(crate) fn readiness(&self) -> Readiness {
        if self.0.shutting_down.load(Ordering::Acquire) {
            Readiness::ShuttingDown
        } else if self.0.model.get().is_some() {
            Readiness::Ready
        } else {
            Readiness::Loading
        }
    }

    /// Readiness as a result: `Ok` when ready, else the error a readiness route answers with.
    pub(crate) fn check_ready(&self) -> Result<(), ServeError> {
        match self.readiness() {
            Readiness::Ready => Ok(()),
            Readiness::Loading => Err(ServeError::NotReady),
            Readiness::ShuttingDown => Err(ServeError::ShuttingDown),
        }
    }

    /// Marks the start of shutdown: readiness fails from now on.
    pub(crate) fn begin_shutdown(&self) {
        self.0.shutting_down.store(true, Ordering::Release);
        self.0.metrics.not_ready();
    }

    /// The model's name in KServe's v2 protocol: `MODEL_NAME` when set, else the model file's
    /// name without `.onnx` once the model is given to [`AppState::load_model`].
    #[must_use]
    pub fn model_name(&self) -> Option<&str> {
        self.0.model_name.get().map(ModelName::as_str)
    }

    /// The model's signature, once loaded.
    #[must_use]
    pub fn signature(&self) -> Option<&ModelSignature> {
        self.0.model.get().map(|m| m.pool.signature())
    }

    /// Loads the model into the inference pool (on a blocking thread), runs one warm-up
    /// inference, then marks the server ready.
    ///
    /// The model is named at once, when this is called, not when the returned future first runs:
    /// the name is known (to the start-up log, to the v2 routes, to the repository index) while
    /// the model loads.
    ///
    /// # Errors
    /// [`ServeError::ModelLoad`] when the model cannot be loaded, [`ServeError::InvalidSetting`]
    /// when an output setting names an output the model lacks or `FEATURE_NAMES` does not fit
    /// its inputs, or when `BATCH_MAX_ROWS` asks for dynamic batching and the model's answer
    /// for a row changes with the other rows of its batch (the pool's probe);
    /// [`ServeError::WarmUp`] when the warm-up inference fails. A warm-up that the model refuses
    /// as a client error (some models reject all-zero inputs) is logged, not fatal.
    pub fn load_model(
        &self,
        runtime: Runtime,
        source: ModelSource,
    ) -> impl Future<Output = Result<(), ServeError>> + Send + 'static {
        self.0.model_name.get_or_init(|| {
            let name = ModelName::of_source(&source);
            if let Some(problem) = name.problem() {
                tracing::warn!(
                    %problem,
                    "the model's file name is not a safe v2 model name: v2 clients must \
                     percent-encode it; set MODEL_NAME to serve it under another name"
                );
            }
            name
        });
        let state = self.clone();
        async move { state.load(runtime, source).await }
    }

    async fn load(&self, runtime: Runtime, source: ModelSource) -> Result<(), ServeError> {
        let config = &self.0.config;
        let load_started = std::time::Instant::now();
        let session = SessionOptions {
            intra_op_threads: usize::try_from(config.ort_intra_op_threads).unwrap_or(1),
            inter_op_threads: usize::try_from(config.ort_inter_op_threads).unwrap_or(1),
            optimization_level: config.ort_graph_optimization.level(),
        };
        let pool_options = PoolOptions {
            workers: usize::try_from(config.inference_workers).unwrap_or(1),
            queue_capacity: usize::try_from(config.max_queued).unwrap_or(64),
            acquire_timeout: config.acquire_timeout,
            max_batch_rows: usize::try_from(config.batch_max_rows).unwrap_or(usize::MAX),
            on_run: Some(self.0.metrics.run_observer()),
            inline_max_run: Duration::from_micros(config.inline_max_run_us),
        };
        let pool = tokio::task::spawn_blocking(move || {
            InferencePool::start(&runtime, &source, &session, pool_options)
        })
        .await
        .map_err(|_| ServeError::ModelLoad(EngineError::WorkerPanicked))?
        .map_err(|error| match error {
            // Asked for with BATCH_MAX_ROWS, refused for this model: the setting is wrong.
            EngineError::BatchingRefused { .. } => ServeError::InvalidSetting {
                name: "BATCH_MAX_ROWS",
                message: format!(
                    "{error}; serve this model with BATCH_MAX_ROWS=1 (no merging of requests)"
                ),
            },
            other => ServeError::ModelLoad(other),
        })?;
        let plan = ResponsePlan::new(config, &pool.signature().outputs)?;
        let layout = Layout::new(&pool.signature().inputs, config.feature_names.as_deref())?;
        if config.missing_values == MissingValues::Nan
            && !pool.signature().outputs.iter().any(has_float_values)
        {
            tracing::warn!(
                "MISSING_VALUES=nan, but the model has no float output in which a missing value \
                 it does not handle would show: berth cannot check its answers for such rows"
            );
        }
        check_inputs(config, pool.signature())?;
        let warm_up = pool.signature().warm_up_inputs();
        let started = std::time::Instant::now();
        let warm_up_result = pool.run(warm_up).await;
        let warm_up_seconds = started.elapsed().as_secs_f64();
        match WarmUp::judge(warm_up_result).map_err(ServeError::WarmUp)? {
            WarmUp::Ran => tracing::info!(elapsed = ?started.elapsed(), "warm-up inference ran"),
            WarmUp::Refused(error) => {
                tracing::warn!(%error, "the model refused the all-zero warm-up input; serving anyway");
            }
        }
        self.0.metrics.count_runs();
        if self.0.model.set(LoadedModel { pool, plan, layout }).is_ok() {
            self.0
                .metrics
                .model_loaded(load_started.elapsed().as_secs_f64(), warm_up_seconds);
        }
        Ok(())
    }

    /// How long a queued request may wait; used in tests.
    #[must_use]
    pub fn acquire_timeout(&self) -> Duration {
        self.0.config.acquire_timeout
    }
}

/// Whether the server takes predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Readiness {
    /// The model is loading and warming up.
    Loading,
    /// The model is loaded and warmed up.
    Ready,
    /// Shutdown began: the requests in flight finish, no new connection is accepted.
    ShuttingDown,
}

/// The input expectations of the settings, checked against the model.
fn check_inputs(config: &ServeConfig, signature: &ModelSignature) -> Result<(), ServeError> {
    let names = || {
        signature
            .inputs
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
    };
    if let Some(name) = &config.onnx_input_name
        && signature.input(name).is_none()
    {
        return Err(ServeError::InvalidSetting {
            name: "ONNX_INPUT_NAME",
            message: format!(
                "the model has no input '{name}' (its inputs: {:?})",
                names()
            ),
        });
    }
    if let Some(expected) = config.tabular_dtype
        && let Some(input) = signature.inputs.iter().find(|i| i.element_type != expected)
    {
        return Err(ServeError::InvalidSetting {
            name: "TABULAR_DTYPE",
            message: format!(
                "the model's input '{}' is {}, not {}",
                input.name,
                input.element_type.name(),
                expected.name()
            ),
        });
    }
    for (name, expected) in config.onnx_input_dtype_map_json.iter().flatten() {
        let input = signature
            .input(name)
            .ok_or_else(|| ServeError::InvalidSetting {
                name: "ONNX_INPUT_DTYPE_MAP_JSON",
                message: format!(
                    "the model has no input '{name}' (its inputs: {:?})",
                    names()
                ),
            })?;
        if input.element_type != *expected {
            return Err(ServeError::InvalidSetting {
                name: "ONNX_INPUT_DTYPE_MAP_JSON",
                message: format!(
                    "the model's input '{name}' is {}, not {}",
                    input.element_type.name(),
                    expected.name()
                ),
            });
        }
    }
    Ok(())
}

/// A loaded model and how its answers are shaped.
#[derive(Debug)]
pub(crate) struct LoadedModel {
    pub(crate) pool: InferencePool,
    pub(crate) plan: ResponsePlan,
    /// How request rows map to the model's inputs.
    pub(crate) layout: Layout,
}

/// True when an output carries floats (where NaN from a missing value would show).
fn has_float_values(output: &berth_engine::OutputSpec) -> bool {
    use berth_engine::OutputKind;
    match &output.kind {
        OutputKind::Tensor { element_type, .. } => {
            matches!(element_type, ElementType::Float32 | ElementType::Float64)
        }
        OutputKind::MapSequence { value_type, .. } => {
            matches!(value_type, ElementType::Float32 | ElementType::Float64)
        }
    }
}
