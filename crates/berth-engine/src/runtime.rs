//! The loaded ONNX Runtime library and its environment, created once per process.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use ort::environment::Environment;

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
        let builder = ort::init_from(&absolute).map_err(|e| load_error(e.to_string()))?;
        let environment = builder
            .with_name("berth")
            .with_telemetry(false)
            .build()
            .map_err(|e| load_error(e.to_string()))?;
        let version = ort::info()
            .split(',')
            .find_map(|part| part.trim().strip_prefix("git-branch=rel-"))
            .map_or_else(
                || crate::library::pinned_version().to_owned(),
                str::to_owned,
            );
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

    /// The ONNX Runtime release, as the library reports it.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }
}
