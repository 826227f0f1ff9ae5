//! Inline suppressions written as comments, hadolint's and berth's:
//!
//! - `# hadolint ignore=DL3008,DL3015` / `# berth ignore=DL3008,BRT004`: the line right after
//!   the comment (a blank or another comment line in between cancels it, as in hadolint);
//! - `# hadolint global ignore=...` / `# berth global ignore=...`: the whole file;
//! - `# hadolint stage ignore=...` / `# berth stage ignore=...`: from the next line up to the
//!   next `FROM` (exclusive).
//!
//! A trailing `# reason` is allowed. Codes are rule codes of any origin (`DL3008`, `BRT004`,
//! `JSONArgsRecommended`); hadolint itself only accepts `DL`/`SC` codes and voids a pragma
//! that names anything else, berth accepts them all.

use std::collections::{BTreeMap, BTreeSet};

/// Suppressions found in one file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Pragmas {
    /// Line → codes ignored on that line.
    lines: BTreeMap<usize, BTreeSet<String>>,
    /// Codes ignored in the whole file.
    global: BTreeSet<String>,
    /// (first line, last line) → codes ignored in that range.
    ranges: Vec<(usize, usize, BTreeSet<String>)>,
}

enum Scope {
    Next,
    Global,
    Stage,
}

/// Parse one comment's text (after `#`): `hadolint [global|stage] ignore=A,B [# reason]`.
fn parse_comment(text: &str) -> Option<(Scope, BTreeSet<String>)> {
    let text = text.trim_start_matches([' ', '\t']);
    let rest = text
        .strip_prefix("hadolint")
        .or_else(|| text.strip_prefix("berth"))?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    let (scope, rest) = if let Some(r) = rest.strip_prefix("global") {
        (Scope::Global, r)
    } else if let Some(r) = rest.strip_prefix("stage") {
        (Scope::Stage, r)
    } else {
        (Scope::Next, rest)
    };
    let rest = rest.trim_start_matches([' ', '\t']);
    let rest = rest.strip_prefix("ignore")?.trim_start_matches([' ', '\t']);
    let rest = rest.strip_prefix('=')?;
    let list = rest.split('#').next().unwrap_or_default();
    let mut codes = BTreeSet::new();
    for code in list.split(',') {
        let code = code.trim_matches([' ', '\t', '\r']);
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        codes.insert(code.to_owned());
    }
    Some((scope, codes))
}

impl Pragmas {
    /// Read the suppressions of `source`. `from_lines` are the lines of the FROM instructions.
    pub(crate) fn parse(source: &str, from_lines: &[usize]) -> Self {
        let mut pragmas = Self::default();
        for (index, line) in source.lines().enumerate() {
            let Some(comment) = line.trim_start().strip_prefix('#') else {
                continue;
            };
            let Some((scope, codes)) = parse_comment(comment) else {
                continue;
            };
            let number = index + 1;
            match scope {
                Scope::Next => pragmas.lines.entry(number + 1).or_default().extend(codes),
                Scope::Global => pragmas.global.extend(codes),
                Scope::Stage => {
                    let end = from_lines
                        .iter()
                        .find(|&&l| l > number)
                        .map_or(usize::MAX, |l| l - 1);
                    pragmas.ranges.push((number + 1, end, codes));
                }
            }
        }
        pragmas
    }

    /// `code` is suppressed on `line`.
    pub(crate) fn ignores(&self, code: &str, line: usize) -> bool {
        self.global.contains(code)
            || self.lines.get(&line).is_some_and(|c| c.contains(code))
            || self
                .ranges
                .iter()
                .any(|(a, b, c)| (*a..=*b).contains(&line) && c.contains(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_line_global_and_stage() {
        let source = "# hadolint global ignore=DL3006\nFROM a\n# berth ignore=DL3008, BRT004 # why\nRUN x\n\n# hadolint stage ignore=DL3059\nRUN y\nRUN z\nFROM b\nRUN w\n";
        let p = Pragmas::parse(source, &[2, 9]);
        assert!(p.ignores("DL3006", 9));
        assert!(p.ignores("DL3008", 4) && p.ignores("BRT004", 4));
        assert!(!p.ignores("DL3008", 5));
        assert!(p.ignores("DL3059", 7) && p.ignores("DL3059", 8));
        assert!(!p.ignores("DL3059", 10));
    }

    #[test]
    fn malformed_pragmas_are_ignored() {
        assert!(parse_comment(" hadolint ignore=").is_none());
        assert!(parse_comment(" hadolint ignore=DL3008;x").is_none());
        assert!(parse_comment(" hadolintignore=DL3008").is_none());
        assert!(parse_comment("hadolint ignore = DL3008").is_some());
    }
}
