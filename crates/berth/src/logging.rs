//! Log and trace set-up: human-readable lines by default, JSON lines with `LOG_FORMAT=json`, and
//! OpenTelemetry export over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set. Without an endpoint nothing of OpenTelemetry is
//! started.
//!
//! [`close`] ends the log before berth's last line, its final error: nothing logged after it is
//! written. A server that dropped requests at shutdown exits with their inference still running
//! inside ONNX Runtime, whose teardown at exit makes that run fail and log (through this logger)
//! errors that would read as a new failure after the real one.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::ValueEnum;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// One readable line per event.
    Human,
    /// One JSON object per event.
    Json,
}

/// Flushes and stops trace export when dropped (at the end of `berth serve`).
pub(crate) struct Telemetry(Option<SdkTracerProvider>);

impl Telemetry {
    /// True when spans are exported.
    pub(crate) fn exporting(&self) -> bool {
        self.0.is_some()
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.0.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("warning: could not flush traces: {error}");
        }
    }
}

fn otlp_endpoint() -> Option<String> {
    [
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    ]
    .iter()
    .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
}

fn tracer_provider(endpoint: &str) -> anyhow::Result<SdkTracerProvider> {
    // The exporter reads the OTEL_EXPORTER_OTLP_* variables itself (endpoint, headers, timeout).
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .with_context(|| format!("invalid OTEL_EXPORTER_OTLP_ENDPOINT={endpoint:?}"))?;
    let mut resource = opentelemetry_sdk::Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("berth");
    }
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build())
}

/// Set by [`close`]: no event is written any more.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Stops all log output, for good (see the module docs).
pub(crate) fn close() {
    CLOSED.store(true, Ordering::Relaxed);
}

/// Installs the global subscriber; `level` is an `EnvFilter` directive such as `info` or
/// `berth_serve=debug,info`.
pub(crate) fn init(format: LogFormat, level: &str) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_new(level)
        .map_err(|e| anyhow::anyhow!("invalid LOG_LEVEL {level:?}: {e}"))?;
    let provider = otlp_endpoint().map(|e| tracer_provider(&e)).transpose()?;
    let otel = provider.as_ref().map(|provider| {
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        tracing_opentelemetry::layer().with_tracer(provider.tracer("berth"))
    });
    let ansi = std::io::stderr().is_terminal();
    let open = tracing_subscriber::filter::filter_fn(|_| !CLOSED.load(Ordering::Relaxed));
    let registry = tracing_subscriber::registry()
        .with(open)
        .with(filter)
        .with(otel);
    match format {
        LogFormat::Human => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(ansi)
                    .with_target(false),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    }
    .context("cannot install the log subscriber")?;
    Ok(Telemetry(provider))
}
