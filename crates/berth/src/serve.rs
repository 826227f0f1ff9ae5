//! `berth serve`: resolve the model and the settings, load ONNX Runtime, serve until a signal.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use berth_engine::library::LibraryLocator;
use berth_engine::{ModelSource, Runtime};
use berth_serve::{AppState, ServeConfig};
use clap::Args;
use tokio::sync::oneshot;

use crate::logging::{self, LogFormat};
use crate::model_dir::ModelDir;

/// The demo model served on request (`--demo`): scikit-learn's logistic regression on Iris, made
/// by `tests/fixtures/make_fixtures.py --demo`. Never served in place of a missing model: a
/// server that answers with the wrong model looks healthy to every probe.
const DEMO_MODEL: &[u8] = include_bytes!("../assets/iris-demo.onnx");
const DEMO_NAME: &str = "iris-demo.onnx";

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The ONNX model file to serve, or a directory read as SM_MODEL_DIR is (its one .onnx
    /// file, or MODEL_FILENAME in it).
    #[arg(value_name = "MODEL")]
    model: Option<PathBuf>,

    /// Serve the Iris demo model compiled into berth (4 float features: sepal length, sepal
    /// width, petal length, petal width) instead of a model file.
    #[arg(long = "demo", env = "BERTH_DEMO", value_name = "BERTH_DEMO", num_args = 0..=1,
          require_equals = true, default_missing_value = "true", default_value = "false",
          action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new(),
          help_heading = "Model")]
    demo: bool,

    /// Directory holding the model when MODEL is not given (SageMaker's /opt/ml/model; KServe
    /// gives /mnt/models with --model_dir): its one .onnx file is served, or MODEL_FILENAME.
    #[arg(
        long = "model-dir",
        visible_alias = "model_dir",
        env = "SM_MODEL_DIR",
        value_name = "SM_MODEL_DIR",
        default_value = "/opt/ml/model",
        help_heading = "Model"
    )]
    sm_model_dir: PathBuf,

    /// File name of the model inside the model directory [default: the directory's one .onnx
    /// file; with none or several, start-up stops saying what the directory holds].
    #[arg(
        long = "model-filename",
        env = "MODEL_FILENAME",
        value_name = "MODEL_FILENAME",
        help_heading = "Model"
    )]
    model_filename: Option<String>,

    /// Address to listen on (an IP address or a host name).
    #[arg(
        long = "host",
        env = "HOST",
        value_name = "HOST",
        default_value = "0.0.0.0",
        help_heading = "Network"
    )]
    host: String,

    /// Port to listen on [default: 8080, or SAGEMAKER_BIND_TO_PORT when set].
    #[arg(long = "port", visible_alias = "http_port", env = "PORT", value_name = "PORT",
          value_parser = clap::value_parser!(u16).range(1..), help_heading = "Network")]
    port: Option<u16>,

    /// Log line format.
    #[arg(long = "log-format", env = "LOG_FORMAT", value_name = "LOG_FORMAT", value_enum,
          default_value_t = LogFormat::Human, help_heading = "Logging")]
    log_format: LogFormat,

    /// Log level or filter (`info`, `debug`, `berth_serve=debug,info`).
    #[arg(
        long = "log-level",
        env = "LOG_LEVEL",
        value_name = "LOG_LEVEL",
        default_value = "info",
        help_heading = "Logging"
    )]
    log_level: String,

    #[command(flatten)]
    config: ServeConfig,
}

/// SageMaker tells a container its port through this variable; `PORT`/`--port` win over it.
pub(crate) const SAGEMAKER_PORT: &str = "SAGEMAKER_BIND_TO_PORT";

pub(crate) fn resolve_port(flag: Option<u16>, sagemaker: Option<&str>) -> anyhow::Result<u16> {
    if let Some(port) = flag {
        return Ok(port);
    }
    match sagemaker.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(8080),
        Some(value) => match value.parse::<u16>() {
            Ok(port) if port > 0 => Ok(port),
            _ => {
                bail!("invalid {SAGEMAKER_PORT}={value:?}: expected a port number from 1 to 65535")
            }
        },
    }
}

fn resolve_model(args: &ServeArgs) -> anyhow::Result<ModelSource> {
    if args.demo {
        // `--demo` with a MODEL is refused here rather than by clap: clap would also count
        // BERTH_DEMO=false as a conflicting demo request.
        if let Some(path) = &args.model {
            bail!(
                "both MODEL ({}) and --demo (BERTH_DEMO) given: serve one of them",
                path.display()
            );
        }
        tracing::info!(
            "serving the built-in Iris demo model as asked (--demo): 4 float features \
             (sepal length, sepal width, petal length, petal width) -> class 0, 1 or 2"
        );
        return Ok(ModelSource::Embedded {
            name: DEMO_NAME,
            bytes: DEMO_MODEL,
        });
    }
    let filename = args.model_filename.as_deref();
    let dir = match &args.model {
        Some(path) if path.is_dir() => ModelDir {
            path,
            setting: "MODEL",
        },
        Some(path) if path.is_file() => return Ok(ModelSource::File(path.clone())),
        Some(path) => bail!("model file {} not found", path.display()),
        None => ModelDir {
            path: &args.sm_model_dir,
            setting: "SM_MODEL_DIR",
        },
    };
    dir.model_file(filename).map(ModelSource::File)
}

pub(crate) fn run(mut args: ServeArgs) -> anyhow::Result<ExitCode> {
    let telemetry = logging::init(args.log_format, &args.log_level)?;
    args.config.request_spans = telemetry.exporting();
    if telemetry.exporting() {
        tracing::info!("OpenTelemetry: exporting request spans over OTLP/HTTP");
    }
    let port = resolve_port(args.port, std::env::var(SAGEMAKER_PORT).ok().as_deref())?;
    if args.host.trim().is_empty() {
        bail!("invalid HOST=\"\": expected an IP address or a host name");
    }
    let source = resolve_model(&args)?;
    let runtime = Runtime::load(&LibraryLocator::from_env())?;
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        onnxruntime = runtime.version(),
        library = %runtime.library_path().display(),
        "berth starting"
    );
    let model_file = source.display_name();
    let settings = args.config.to_string();
    let drain_timeout = args.config.shutdown_timeout;
    let state = AppState::new(args.config, runtime.version());
    // Names the model now (MODEL_NAME, else the file's name); it loads once the server listens.
    let loading = state.load_model(runtime, source);
    tracing::info!(
        model = %model_file,
        model_name = state.model_name().unwrap_or_default(),
        host = %args.host,
        port,
        config = %settings,
        "effective configuration"
    );

    let executor = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("berth-http")
        .build()
        .context("cannot start the async runtime")?;
    let result = executor.block_on(async move {
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), port))
            .await
            .with_context(|| format!("cannot listen on {}:{port}", args.host))?;
        // Bound before the model loads, so that liveness probes answer during a long load;
        // the log must not read as "ready".
        tracing::info!(
            address = %listener.local_addr()?,
            "listening for probes: /ping answers now; /ready and predictions wait until the \
             model is loaded"
        );

        let (load_failed, load_failure) = oneshot::channel::<String>();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            match loading.await {
                Ok(()) => tracing::info!(elapsed = ?started.elapsed(), "model loaded: ready"),
                Err(error) => {
                    let _ = load_failed.send(error.to_string());
                }
            }
        });
        let (failure_tx, failure_rx) = oneshot::channel::<String>();
        let shutdown = async move {
            tokio::select! {
                () = termination() => {}
                Ok(message) = load_failure => {
                    let _ = failure_tx.send(message);
                }
            }
        };
        berth_serve::serve(listener, state, shutdown, drain_timeout).await?;
        if let Ok(message) = failure_rx.await {
            bail!("{message}");
        }
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    });
    // Flush the spans of the last requests before the process ends.
    drop(telemetry);
    result
}

/// Completes on SIGTERM or SIGINT.
async fn termination() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_comes_from_the_flag_then_sagemaker_then_8080() {
        assert_eq!(resolve_port(Some(9000), Some("7000")).unwrap(), 9000);
        assert_eq!(resolve_port(None, Some("7000")).unwrap(), 7000);
        assert_eq!(resolve_port(None, None).unwrap(), 8080);
        let error = resolve_port(None, Some("eighty")).unwrap_err().to_string();
        assert!(error.contains("SAGEMAKER_BIND_TO_PORT"), "{error}");
        assert!(resolve_port(None, Some("0")).is_err());
    }
}
