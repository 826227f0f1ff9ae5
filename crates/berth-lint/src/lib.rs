//! Checks and reports over Dockerfiles parsed by `berth-dockerfile`.
//!
//! This crate owns two things:
//! - `berth analyze`: the stage flow, seven best-practice checks with a score, the size estimate
//!   and the build commands ([`analyze`]), rendered as text or JSON ([`render_text`]);
//! - `berth lint`: the rule catalogue ([`registry::ALL`]: hadolint's DL rules, Docker's build
//!   checks, berth's own), the single-pass [`Linter`], configuration ([`LintConfig`], from
//!   `.hadolint.yaml` and `berth.toml`), inline pragmas, file discovery and parallel linting
//!   ([`files`]) and the report formats ([`report`]: text, JSON, SARIF, Checkstyle, GitHub).
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
}
