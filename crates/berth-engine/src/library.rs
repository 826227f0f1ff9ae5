//! Where `libonnxruntime.so` comes from.
//!
//! berth links no ONNX Runtime at build time (`ort`'s `load-dynamic`): it opens the shared library
//! at start-up. The release is pinned in `scripts/onnxruntime.env`, which
//! `scripts/fetch-onnxruntime.sh` also reads to fetch, verify and unpack the official wheel into the
//! cache. The lookup order is:
//!
//! 1. `ORT_DYLIB_PATH`, when set (a file that is not there is an error, not a fall-through);
//! 2. next to the berth binary, then in `../lib` from it (how images ship it);
//! 3. the cache: `$BERTH_CACHE_DIR`, else `$XDG_CACHE_HOME/berth`, else `~/.cache/berth`, under
//!    `onnxruntime/<version>/`.

use std::path::{Path, PathBuf};

use crate::{EngineError, Result};

/// The pin file, compiled in so that the binary and the fetch script cannot disagree.
const PIN_FILE: &str = include_str!("../../../scripts/onnxruntime.env");

/// The pinned ONNX Runtime release, e.g. `1.31.1`.
#[must_use]
pub fn pinned_version() -> &'static str {
    pin_value("ORT_VERSION").unwrap_or("unknown")
}

fn pin_value(key: &str) -> Option<&'static str> {
    PIN_FILE.lines().find_map(|line| {
        let (name, value) = line.trim().split_once('=')?;
        (name.trim() == key).then(|| value.trim())
    })
}

/// The cache directory for a given environment, or `None` when no home is known.
#[must_use]
pub fn cache_dir(
    berth_cache: Option<&str>,
    xdg_cache: Option<&str>,
    home: Option<&str>,
) -> Option<PathBuf> {
    let non_empty = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(PathBuf::from);
    non_empty(berth_cache)
        .or_else(|| non_empty(xdg_cache).map(|p| p.join("berth")))
        .or_else(|| non_empty(home).map(|p| p.join(".cache").join("berth")))
}

/// Where the fetch script puts the pinned library inside a cache directory.
#[must_use]
pub fn cached_library_dir(cache: &Path) -> PathBuf {
    cache.join("onnxruntime").join(pinned_version())
}

/// The inputs of the library lookup, gathered once so that the lookup itself is a pure function.
#[derive(Debug, Clone, Default)]
pub struct LibraryLocator {
    /// `ORT_DYLIB_PATH`, when set and not empty.
    pub explicit: Option<PathBuf>,
    /// The directory of the running binary.
    pub exe_dir: Option<PathBuf>,
    /// The cache directory (see [`cache_dir`]).
    pub cache: Option<PathBuf>,
}

impl LibraryLocator {
    /// Reads the lookup inputs from the process environment.
    #[must_use]
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok();
        Self {
            explicit: var("ORT_DYLIB_PATH")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            exe_dir: std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(Path::to_path_buf)),
            cache: cache_dir(
                var("BERTH_CACHE_DIR").as_deref(),
                var("XDG_CACHE_HOME").as_deref(),
                var("HOME").as_deref(),
            ),
        }
    }

    /// The candidate files, in lookup order.
    #[must_use]
    pub fn candidates(&self) -> Vec<PathBuf> {
        if let Some(explicit) = &self.explicit {
            return vec![explicit.clone()];
        }
        let versioned = format!("libonnxruntime.so.{}", pinned_version());
        let mut dirs = Vec::new();
        if let Some(exe_dir) = &self.exe_dir {
            dirs.push(exe_dir.clone());
            dirs.push(exe_dir.join("..").join("lib"));
        }
        if let Some(cache) = &self.cache {
            dirs.push(cached_library_dir(cache));
        }
        dirs.iter()
            .flat_map(|dir| [dir.join("libonnxruntime.so"), dir.join(&versioned)])
            .collect()
    }

    /// The first candidate that exists.
    ///
    /// # Errors
    /// [`EngineError::LibraryNotFound`] naming every place searched.
    pub fn locate(&self) -> Result<PathBuf> {
        let candidates = self.candidates();
        if let Some(found) = candidates.iter().find(|path| path.is_file()) {
            return Ok(found.clone());
        }
        let searched = if self.explicit.is_some() {
            candidates
                .iter()
                .map(|p| format!("ORT_DYLIB_PATH={}", p.display()))
                .collect::<Vec<_>>()
        } else {
            candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
        };
        Err(EngineError::LibraryNotFound {
            searched: searched.join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_file_names_a_version_and_both_wheels() {
        assert!(pinned_version().starts_with("1."), "{}", pinned_version());
        for arch in ["x86_64", "aarch64"] {
            let wheel = pin_value(&format!("ORT_WHEEL_{arch}")).expect("wheel pinned");
            assert!(wheel.contains(pinned_version()) && wheel.contains(arch));
            let sha = pin_value(&format!("ORT_SHA256_{arch}")).expect("sha pinned");
            assert_eq!(sha.len(), 64);
        }
    }

    #[test]
    fn cache_dir_prefers_berth_then_xdg_then_home() {
        assert_eq!(
            cache_dir(Some("/b"), Some("/x"), Some("/h")),
            Some(PathBuf::from("/b"))
        );
        assert_eq!(
            cache_dir(Some(""), Some("/x"), Some("/h")),
            Some(PathBuf::from("/x/berth"))
        );
        assert_eq!(
            cache_dir(None, None, Some("/h")),
            Some(PathBuf::from("/h/.cache/berth"))
        );
        assert_eq!(cache_dir(None, None, None), None);
    }

    #[test]
    fn lookup_order_is_explicit_then_binary_dir_then_lib_then_cache() {
        let locator = LibraryLocator {
            explicit: None,
            exe_dir: Some(PathBuf::from("/opt/berth/bin")),
            cache: Some(PathBuf::from("/c")),
        };
        let candidates = locator.candidates();
        assert_eq!(
            candidates[0],
            PathBuf::from("/opt/berth/bin/libonnxruntime.so")
        );
        assert_eq!(
            candidates[2],
            PathBuf::from("/opt/berth/bin/../lib/libonnxruntime.so")
        );
        assert!(candidates[4].starts_with("/c/onnxruntime"));
        let explicit = LibraryLocator {
            explicit: Some(PathBuf::from("/x/lib.so")),
            ..locator
        };
        assert_eq!(explicit.candidates(), vec![PathBuf::from("/x/lib.so")]);
    }

    #[test]
    fn missing_library_error_names_the_fix_and_the_places() {
        let locator = LibraryLocator {
            explicit: None,
            exe_dir: Some(PathBuf::from("/nonexistent/bin")),
            cache: None,
        };
        let message = locator.locate().unwrap_err().to_string();
        assert!(message.contains("make onnxruntime"), "{message}");
        assert!(
            message.contains("/nonexistent/bin/libonnxruntime.so"),
            "{message}"
        );
        assert!(!message.contains('\n'));
    }
}
