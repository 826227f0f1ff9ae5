//! Source positions: 1-based line and column (in characters) of every node, flag and argument.

use serde::Serialize;

/// A point in the Dockerfile: 1-based line, 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Position {
    /// 1-based physical line number.
    pub line: usize,
    /// 1-based column, counted in Unicode scalar values.
    pub column: usize,
}

impl Position {
    /// A position at `line`, `column`.
    #[must_use]
    pub const fn new(line: usize, column: usize) -> Self {
        Self { line, column }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A range of source text: `start` is the first character, `end` the position just after the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Span {
    /// First character.
    pub start: Position,
    /// Position just after the last character (exclusive).
    pub end: Position,
}

impl Span {
    /// A span from `start` to `end`.
    #[must_use]
    pub const fn new(start: Position, end: Position) -> Self {
        Self { start, end }
    }

    /// A span covering whole lines `start_line..=end_line` (column 1 of each).
    #[must_use]
    pub const fn lines(start_line: usize, end_line: usize) -> Self {
        Self {
            start: Position::new(start_line, 1),
            end: Position::new(end_line, 1),
        }
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}-{}:{}",
            self.start.line, self.start.column, self.end.line, self.end.column
        )
    }
}
