//! The loaded ONNX Runtime library and its environment, created once per process, and the
//! library's own version string.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use ort::environment::Environment;
use ort::logging::LogLevel;

use crate::library::LibraryLocator;
use crate::{EngineError, Result};

/// A loaded ONNX Runtime: the library found by [`LibraryLocator`] and the environment every
/// session of this process is created in.
#[derive(Debug, Clone)]
pub struct Runtime {
    environment: Environment,
    library: PathBuf,
    version: String,
}

impl Runtime {
    /// Finds the library (see [`crate::library`]) and loads it.
    ///
    /// # Errors
    /// [`EngineError::LibraryNotFound`] or [`EngineError::LibraryLoad`].
    pub fn load(locator: &LibraryLocator) -> Result<Self> {
        let path = locator.locate()?;
        Self::load_from(&path)
    }

    /// Loads the library at `path`. The first library loaded in a process stays loaded: later
    /// calls reuse it whatever their path.
    ///
    /// # Errors
    /// [`EngineError::LibraryLoad`] when the file is not a usable ONNX Runtime.
    pub fn load_from(path: &Path) -> Result<Self> {
        // ONNX Runtime allows one environment per process, and a loaded library cannot be
        // unloaded: the first successful load is kept and shared.
        static LOADED: Mutex<Option<Runtime>> = Mutex::new(None);
        let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(runtime) = loaded.as_ref() {
            return Ok(runtime.clone());
        }
        let runtime = Self::load_once(path)?;
        *loaded = Some(runtime.clone());
        Ok(runtime)
    }

    fn load_once(path: &Path) -> Result<Self> {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let load_error = |reason: String| EngineError::LibraryLoad {
            path: absolute.clone(),
            reason,
        };
        let capture = VersionCapture::default();
        let builder =
            tracing::subscriber::with_default(capture.clone(), || ort::init_from(&absolute))
                .map_err(|e| load_error(e.to_string()))?;
        let environment = builder
            .with_name("berth")
            .with_telemetry(false)
            .with_logger(std::sync::Arc::new(log_onnxruntime))
            .build()
            .map_err(|e| load_error(e.to_string()))?;
        // ort creates the environment at ONNX Runtime's most verbose level; from here on ONNX
        // Runtime does not even format what `log_onnxruntime` would drop.
        environment.set_log_level(LogLevel::Error);
        let version = capture.version().ok_or_else(|| {
            load_error(
                "ONNX Runtime's version string (GetVersionString) was not seen while the \
                 library loaded"
                    .to_owned(),
            )
        })?;
        if version != crate::library::pinned_version() {
            tracing::warn!(
                loaded = %version,
                pinned = crate::library::pinned_version(),
                "this ONNX Runtime is not the pinned release (scripts/onnxruntime.env)"
            );
        }
        Ok(Self {
            environment,
            library: absolute,
            version,
        })
    }

    /// The ONNX Runtime environment sessions are built in.
    pub(crate) fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The library file that was loaded.
    #[must_use]
    pub fn library_path(&self) -> &Path {
        &self.library
    }

    /// The ONNX Runtime release, as the loaded library itself reports it (`GetVersionString`).
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }
}

/// ONNX Runtime's own log lines, through berth's logger (so that JSON logs stay JSON). Errors
/// only, as ONNX Runtime's default logger has it: its informational lines (devices found,
/// thread pools) are noise in a server's log.
fn log_onnxruntime(level: LogLevel, _category: &str, _id: &str, location: &str, message: &str) {
    if matches!(level, LogLevel::Error | LogLevel::Fatal) {
        // ONNX Runtime ends its messages with a line feed: one log line each.
        tracing::error!(target: "onnxruntime", location, "{}", message.trim_end());
    }
}

/// Reads the version string of the library ort loads.
///
/// ort 2.0.0-rc.15 calls ONNX Runtime's `OrtApiBase::GetVersionString` when it loads the library
/// (to check the API level) and hands the answer out only in its log event `Loaded ONNX Runtime
/// dylib from "..."; version '1.31.1'`; calling the function directly would take `unsafe` code,
/// which the workspace forbids. This subscriber is installed for the duration of the load on the
/// loading thread only, so the process's own logging is untouched.
#[derive(Debug, Clone, Default)]
struct VersionCapture(std::sync::Arc<Mutex<Option<String>>>);

impl VersionCapture {
    fn version(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The version in one of ort's load messages: the text between the last `version '` and `'`.
fn version_in_load_message(message: &str) -> Option<&str> {
    let (_, rest) = message.rsplit_once("version '")?;
    let (version, _) = rest.split_once('\'')?;
    let plausible = !version.is_empty()
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c));
    plausible.then_some(version)
}

impl tracing::Subscriber for VersionCapture {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.is_event() && metadata.target().starts_with("ort")
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        // Never called: `enabled` refuses spans. An id is still required by the trait.
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        struct Message(Option<String>);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = Some(format!("{value:?}"));
                }
            }
        }
        let mut message = Message(None);
        event.record(&mut message);
        if let Some(version) = message.0.as_deref().and_then(version_in_load_message) {
            *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(version.to_owned());
        }
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_read_from_orts_load_messages() {
        assert_eq!(
            version_in_load_message(
                "Loaded ONNX Runtime dylib from \"/x/libonnxruntime.so\"; version '1.31.1'"
            ),
            Some("1.31.1")
        );
        assert_eq!(
            version_in_load_message(
                "ort 2.0.0-rc.15 was designed for ONNX Runtime '1.22.x' and may have \
                 compatibility issues with the ONNX Runtime binary found at `/x/lib.so`, which \
                 is version '1.32.0-dev'"
            ),
            Some("1.32.0-dev")
        );
        assert_eq!(version_in_load_message("version ''"), None);
        assert_eq!(version_in_load_message("no version here"), None);
    }
}
