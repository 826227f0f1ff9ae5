//! The crate's one error type. Every variant that comes from the text carries its position.

use crate::span::{Position, Span};

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a Dockerfile could not be read. Messages after the position are BuildKit's own wording
/// where BuildKit has one, so users can search for them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not UTF-8 (BuildKit would read them; we refuse rather than guess).
    #[error("{position}: the Dockerfile is not valid UTF-8")]
    NotUtf8 {
        /// Where the first invalid byte is (column counted in bytes).
        position: Position,
    },
    /// Zero bytes.
    #[error("the Dockerfile cannot be empty")]
    Empty,
    /// Only blank lines, comments or parser directives.
    #[error(
        "file with no instructions (only blank lines, comments or parser directives in {lines} line(s))"
    )]
    NoInstructions {
        /// How many lines the file has.
        lines: usize,
    },
    /// A physical line longer than BuildKit's scanner accepts.
    #[error("line {line}: dockerfile line greater than max allowed size of 65535 ({length} bytes)")]
    LineTooLong {
        /// The long line.
        line: usize,
        /// Its length in bytes, without the line ending.
        length: usize,
    },
    /// An error of BuildKit's parser stage (directives, JSON arrays, heredocs, ENV syntax...).
    #[error("{}: {message}", span.start)]
    Syntax {
        /// BuildKit's message.
        message: String,
        /// The offending instruction or line.
        span: Span,
    },
    /// An error of BuildKit's instructions stage (unknown instruction, flags, argument counts...).
    #[error("dockerfile parse error on {}: {message}", span.start)]
    Instruction {
        /// BuildKit's message.
        message: String,
        /// The offending instruction.
        span: Span,
    },
    /// An error of BuildKit's convert stage that needs the stage graph or variable expansion.
    #[error("{}: {message}", span.start)]
    Build {
        /// BuildKit's message.
        message: String,
        /// The offending instruction.
        span: Span,
    },
}

impl Error {
    /// Where the error is, when it has a place in the text.
    #[must_use]
    pub fn span(&self) -> Option<Span> {
        match self {
            Self::NotUtf8 { position } => Some(Span::new(*position, *position)),
            Self::LineTooLong { line, .. } => Some(Span::lines(*line, *line)),
            Self::Syntax { span, .. }
            | Self::Instruction { span, .. }
            | Self::Build { span, .. } => Some(*span),
            Self::Empty | Self::NoInstructions { .. } => None,
        }
    }

    /// BuildKit's message without the position prefix.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::Syntax { message, .. }
            | Self::Instruction { message, .. }
            | Self::Build { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}
