//! Checks and reports over Dockerfiles parsed by `berth-dockerfile`.
//!
//! This crate owns two things:
//! - `berth analyze`: the stage flow, seven best-practice checks with a score, the size estimate
//!   and the build commands ([`analyze`]), rendered as text or JSON ([`render_text`]);
//! - `berth lint`: the rule catalogue ([`registry::ALL`]: hadolint's DL rules, Docker's build
//!   checks, berth's own), the single-pass [`Linter`], configuration ([`LintConfig`], from
//!   `.hadolint.yaml` and `berth.toml`), inline pragmas, file discovery and parallel linting
//!   ([`files`]) and the report formats ([`report`]: text, JSON, SARIF, Checkstyle, GitHub);
//!   ShellCheck's `SCxxxx` findings on RUN scripts come from the `shellcheck` program
//!   ([`shellcheck`]), not from a rule of the catalogue.
//!
//! It does not own parsing (that is `berth-dockerfile`) or printing: the binary writes what
//! these functions return.
//!
//! ```
//! use berth_lint::{LintConfig, Linter};
//! let linter = Linter::new(LintConfig::default());
//! let findings = linter.lint("FROM debian\nRUN apt-get install curl\n");
//! assert!(findings.iter().any(|d| d.code == "DL3008"));
//! ```

pub mod analyze;
pub mod config;
pub mod files;
pub mod linter;
mod pragma;
pub mod registry;

pub mod report;
pub mod rule;
mod rules;
mod shell;
pub mod shellcheck;

#[cfg(test)]
mod testing;

pub use analyze::render::render_text;
pub use analyze::{Analysis, AnalyzeOptions, analyze};
pub use config::{LintConfig, Threshold};
pub use linter::Linter;
pub use rule::{Diagnostic, Origin, RuleMeta, Severity};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The Dockerfile did not parse, or its stage graph is invalid.
    #[error(transparent)]
    Dockerfile(#[from] berth_dockerfile::Error),
    /// ShellCheck is required (mode `on`) and the program is not there.
    #[error(
        "ShellCheck is required but `{}` was not found (install it, e.g. `apt-get install shellcheck`, name its path, or turn ShellCheck off)",
        program.display()
    )]
    ShellcheckMissing {
        /// The program looked for.
        program: std::path::PathBuf,
    },
    /// The scripts for ShellCheck could not be written to temporary files.
    #[error("cannot write ShellCheck's input files: {0}")]
    ShellcheckInput(#[source] std::io::Error),
    /// The ShellCheck program could not be started.
    #[error("cannot run ShellCheck `{}`: {source}", program.display())]
    ShellcheckStart {
        /// The program.
        program: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// ShellCheck ended in a way that means its findings are incomplete.
    #[error("ShellCheck `{}` failed ({status}): {stderr}", program.display())]
    ShellcheckFailed {
        /// The program.
        program: std::path::PathBuf,
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// ShellCheck's output is not what `-f json1` promises.
    #[error("unexpected ShellCheck output: {0}")]
    ShellcheckOutput(String),
}
