//! Checks and reports over Dockerfiles parsed by `berth-dockerfile`.
//!
//! Today this crate owns `berth analyze`: the stage flow, seven best-practice checks with a
//! score, the size estimate and the build commands ([`analyze`]), rendered as text or JSON
//! ([`render_text`], serde for JSON). It does not own parsing (that is `berth-dockerfile`) or
//! printing (the binary writes what these functions return). The hadolint-style rule catalogue
//! will live here too.

pub mod analyze;
mod render;
mod shell_words;
pub mod sizes;

pub use analyze::{Analysis, AnalyzeOptions, analyze};
pub use render::render_text;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The Dockerfile did not parse, or its stage graph is invalid.
    #[error(transparent)]
    Dockerfile(#[from] berth_dockerfile::Error),
}
