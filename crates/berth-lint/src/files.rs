//! Finding Dockerfiles under paths and linting many files in parallel.
//!
//! A file counts as a Dockerfile when its name is `Dockerfile` or `Containerfile`, ends in
//! `.Dockerfile`/`.dockerfile`/`.Containerfile`, or starts with `Dockerfile.`/`Containerfile.`.
//! Directory walks skip hidden directories, `target` and `node_modules`; paths named
//! explicitly are linted whatever their name. Results come back in a stable order (sorted by
//! path), whatever the thread scheduling. ShellCheck, when on, runs once for all files.

use crate::linter::Linter;
use crate::rule::Diagnostic;
use crate::shellcheck::{RunScript, check, run_scripts};
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

/// One file's findings, or why it could not be read.
pub type FileResult = Result<FileReport, (PathBuf, std::io::Error)>;

/// Lint `files` in parallel, each with the `.dockerignore` next to it (for `CopyIgnoredFile`).
/// A file that cannot be read is an error for that file only. When the configuration runs
/// ShellCheck, the RUN scripts of all files go to one ShellCheck pass
/// ([`crate::shellcheck`]) and its findings join each file's.
///
/// # Errors
/// ShellCheck is required and missing, or it failed: the whole run fails rather than report
/// without its findings.
pub fn lint_files(linter: &Linter, files: &[PathBuf]) -> Result<Vec<FileResult>, crate::Error> {
    let shellcheck = linter.config().shellcheck.resolve()?;
    let linted: Vec<Result<LintedFile, (PathBuf, std::io::Error)>> = files
        .par_iter()
        .map(|path| {
            let bytes = std::fs::read(path).map_err(|e| (path.clone(), e))?;
            let source = String::from_utf8_lossy(&bytes).into_owned();
            let dockerignore = path
                .parent()
                .map(|dir| dir.join(".dockerignore"))
                .and_then(|p| std::fs::read_to_string(p).ok());
            let (diagnostics, parsed) = linter.lint_parsed(&source, dockerignore.as_deref());
            let scripts = match (&shellcheck, &parsed) {
                (Some(_), Some(file)) => run_scripts(file, &source),
                _ => Vec::new(),
            };
            Ok(LintedFile {
                report: FileReport {
                    path: path.clone(),
                    diagnostics,
                },
                source,
                parsed,
                scripts,
            })
        })
        .collect();
    let Some(program) = shellcheck else {
        return Ok(linted.into_iter().map(|r| r.map(|l| l.report)).collect());
    };
    let scripts: Vec<&RunScript> = linted
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .flat_map(|l| &l.scripts)
        .collect();
    let cache = linter.config().shellcheck.cache.as_deref();
    let mut findings = check(&program, &scripts, cache)?.into_iter();
    Ok(linted
        .into_iter()
        .map(|result| {
            result.map(|mut linted| {
                let found: Vec<_> = findings
                    .by_ref()
                    .take(linted.scripts.len())
                    .flatten()
                    .collect();
                if let Some(file) = &linted.parsed {
                    linter.add_shellcheck_findings(
                        &linted.source,
                        file,
                        &mut linted.report.diagnostics,
                        found,
                    );
                }
                linted.report
            })
        })
        .collect())
}

/// One file after the rules ran, waiting for ShellCheck's findings.
struct LintedFile {
    report: FileReport,
    source: String,
    parsed: Option<berth_dockerfile::Dockerfile>,
    scripts: Vec<RunScript>,
}
