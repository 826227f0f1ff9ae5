//! Finding Dockerfiles under paths and linting many files in parallel.
//!
//! A file counts as a Dockerfile when its name is `Dockerfile` or `Containerfile`, ends in
//! `.Dockerfile`/`.dockerfile`/`.Containerfile`, or starts with `Dockerfile.`/`Containerfile.`.
//! Directory walks skip hidden directories, `target` and `node_modules`; paths named
//! explicitly are linted whatever their name. Results come back in a stable order (sorted by
//! path), whatever the thread scheduling.

use crate::linter::Linter;
use crate::rule::Diagnostic;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The findings of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The path as found (relative when the input was).
    pub path: PathBuf,
    /// Findings, sorted.
    pub diagnostics: Vec<Diagnostic>,
}

/// A file name berth treats as a Dockerfile.
#[must_use]
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
        || lower.starts_with("dockerfile.")
        || lower.starts_with("containerfile.")
}

/// Dockerfiles named by `paths`: files as given, directories searched recursively.
///
/// # Errors
/// A path that does not exist or a directory that cannot be read.
pub fn discover(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        if meta.is_dir() {
            walk(path, &mut found)?;
        } else {
            found.push(path.clone());
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if !(name.starts_with('.') || name == "target" || name == "node_modules") {
                walk(&entry.path(), found)?;
            }
        } else if is_dockerfile_name(&name) {
            found.push(entry.path());
        }
    }
    Ok(())
}

/// Lint `files` in parallel, each with the `.dockerignore` next to it (for `CopyIgnoredFile`).
/// A file that cannot be read is an error for that file only.
#[must_use]
pub fn lint_files(
    linter: &Linter,
    files: &[PathBuf],
) -> Vec<Result<FileReport, (PathBuf, std::io::Error)>> {
    files
        .par_iter()
        .map(|path| {
            let bytes = std::fs::read(path).map_err(|e| (path.clone(), e))?;
            let source = String::from_utf8_lossy(&bytes);
            let dockerignore = path
                .parent()
                .map(|dir| dir.join(".dockerignore"))
                .and_then(|p| std::fs::read_to_string(p).ok());
            let diagnostics = linter.lint_with_context(&source, dockerignore.as_deref());
            Ok(FileReport {
                path: path.clone(),
                diagnostics,
            })
        })
        .collect()
}
