//! Physical lines and logical lines. A logical line is what BuildKit hands to its instruction
//! parser: continuation characters removed, comment lines dropped, pieces glued with no
//! separator. Each piece remembers where it came from so byte offsets in the logical line map
//! back to (line, column) in the file.

use crate::span::{Position, Span};

/// One physical line as BuildKit's scanner returns it: the text including its `\n`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PhysicalLine<'a> {
    /// 1-based line number.
    pub(crate) number: usize,
    /// The raw text including the trailing `\n` when there is one.
    pub(crate) raw: &'a str,
}

/// Split `text` like `bufio.Scanner` with BuildKit's `scanLines`: tokens end after each `\n`, a
/// final token without `\n` is kept when it is non-empty.
pub(crate) fn physical_lines(text: &str) -> Vec<PhysicalLine<'_>> {
    let mut lines = Vec::new();
    let mut rest = text;
    let mut number = 0;
    while !rest.is_empty() {
        number += 1;
        let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let (raw, tail) = rest.split_at(end);
        lines.push(PhysicalLine { number, raw });
        rest = tail;
    }
    lines
}

/// BuildKit's `trimNewline`: drop every trailing `\r` and `\n`.
pub(crate) fn trim_newline(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

/// Go's `unicode.IsSpace`, which agrees with Rust's `char::is_whitespace`.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// The separator class of BuildKit's `reWhitespace` regexp: `[\t\v\f\r ]`.
pub(crate) fn is_separator(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

/// Where one piece of a logical line came from.
#[derive(Debug, Clone, Copy)]
struct Piece {
    logical_start: usize,
    line: usize,
    byte_in_line: usize,
}

/// A joined instruction line plus the map back to physical positions.
#[derive(Debug, Clone, Default)]
pub(crate) struct LogicalLine {
    pub(crate) text: String,
    pieces: Vec<Piece>,
}

impl LogicalLine {
    /// Append `piece`, which starts at byte `byte_in_line` of physical line `line`.
    pub(crate) fn push(&mut self, piece: &str, line: usize, byte_in_line: usize) {
        self.pieces.push(Piece {
            logical_start: self.text.len(),
            line,
            byte_in_line,
        });
        self.text.push_str(piece);
    }

    /// Physical position of logical byte `offset`.
    pub(crate) fn position(&self, offset: usize, lines: &[PhysicalLine<'_>]) -> Position {
        let index = match self
            .pieces
            .binary_search_by(|p| p.logical_start.cmp(&offset))
        {
            Ok(i) => i,
            Err(0) => 0,
            Err(i) => i - 1,
        };
        let Some(piece) = self.pieces.get(index) else {
            return Position::new(1, 1);
        };
        let byte = piece.byte_in_line + offset.saturating_sub(piece.logical_start);
        let line_text = lines.get(piece.line.wrapping_sub(1)).map_or("", |l| l.raw);
        Position::new(piece.line, column_of(line_text, byte))
    }

    /// Span of the logical byte range `start..end`.
    pub(crate) fn span(&self, start: usize, end: usize, lines: &[PhysicalLine<'_>]) -> Span {
        let start_pos = self.position(start, lines);
        let end_pos = if end > start {
            let mut last = self.position(end - 1, lines);
            last.column += 1;
            last
        } else {
            start_pos
        };
        Span::new(start_pos, end_pos)
    }
}

/// 1-based character column of byte `byte` in `line`.
pub(crate) fn column_of(line: &str, byte: usize) -> usize {
    let byte = byte.min(line.len());
    if line.is_ascii() {
        return byte + 1;
    }
    line.char_indices().take_while(|(i, _)| *i < byte).count() + 1
}
