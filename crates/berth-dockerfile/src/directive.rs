//! Parser directives (`# syntax=`, `# escape=`, `# check=`) at the top of the file, scanned the
//! way BuildKit's `DirectiveParser` does: scanning stops for good at the first line that is not a
//! known directive (an instruction, an empty line, any other comment).

use serde::Serialize;
use std::collections::HashSet;

/// A parser directive found at the top of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directive {
    /// Lower-cased key: `syntax`, `escape` or `check`.
    pub name: String,
    /// The value as written, trailing blanks trimmed.
    pub value: String,
    /// 1-based line of the directive.
    pub line: usize,
}

/// The directive keys BuildKit knows.
const KNOWN_DIRECTIVES: [&str; 3] = ["syntax", "escape", "check"];

/// State of the directive scan over the first lines.
#[derive(Debug, Default)]
pub(crate) struct DirectiveScanner {
    done: bool,
    seen: HashSet<String>,
}

impl DirectiveScanner {
    /// Look at one line (newline trimmed, leading blanks removed). `Ok(Some)` for a directive,
    /// `Ok(None)` once scanning is over, `Err` for a duplicate key.
    pub(crate) fn scan(&mut self, line: &str, number: usize) -> Result<Option<Directive>, String> {
        if self.done {
            return Ok(None);
        }
        let Some(after_hash) = line.strip_prefix('#') else {
            self.done = true;
            return Ok(None);
        };
        let Some((key, value)) = match_directive(after_hash.trim_start()) else {
            self.done = true;
            return Ok(None);
        };
        let key = key.to_ascii_lowercase();
        if !KNOWN_DIRECTIVES.contains(&key.as_str()) {
            self.done = true;
            return Ok(None);
        }
        if !self.seen.insert(key.clone()) {
            return Err(format!("only one {key} parser directive can be used"));
        }
        Ok(Some(Directive {
            name: key,
            value: value.to_owned(),
            line: number,
        }))
    }
}

/// Go regexp `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` (`\s` = `[\t\n\f\r ]`), written by hand.
fn match_directive(text: &str) -> Option<(&str, &str)> {
    let is_go_space = |c: char| matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ');
    let mut chars = text.char_indices();
    match chars.next() {
        Some((_, c)) if c.is_ascii_alphabetic() => {}
        _ => return None,
    }
    let key_end = text
        .char_indices()
        .find(|(_, c)| !c.is_ascii_alphanumeric())
        .map_or(text.len(), |(i, _)| i);
    let key = &text[..key_end];
    let rest = text[key_end..].trim_start_matches(is_go_space);
    let after_eq = rest.strip_prefix('=')?;
    // `.` does not match `\n`; the line never holds one after newline trimming except in odd
    // CR-only files, where BuildKit's regexp fails the same way.
    if after_eq.contains('\n') {
        return None;
    }
    let value = after_eq
        .trim_start_matches(is_go_space)
        .trim_end_matches(is_go_space);
    if !value.is_empty() {
        return Some((key, value));
    }
    // All blanks after `=`: the lazy `.+?` still takes one character, the last blank.
    let last = after_eq.char_indices().last()?;
    Some((key, &after_eq[last.0..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_key_is_case_insensitive_with_spaces_around_equals() {
        let mut scanner = DirectiveScanner::default();
        let found = scanner.scan("#ESCAPE = `", 1).unwrap().unwrap();
        assert_eq!((found.name.as_str(), found.value.as_str()), ("escape", "`"));
    }

    #[test]
    fn unknown_key_ends_scanning() {
        let mut scanner = DirectiveScanner::default();
        assert!(scanner.scan("# foo=bar", 1).unwrap().is_none());
        assert!(scanner.scan("# escape=`", 2).unwrap().is_none());
    }

    #[test]
    fn duplicate_directive_is_an_error() {
        let mut scanner = DirectiveScanner::default();
        scanner.scan("# syntax=a", 1).unwrap();
        assert_eq!(
            scanner.scan("#syntax=b", 2).unwrap_err(),
            "only one syntax parser directive can be used"
        );
    }

    #[test]
    fn blank_value_keeps_last_blank() {
        assert_eq!(match_directive("escape=  "), Some(("escape", " ")));
        assert_eq!(match_directive("escape="), None);
    }
}
