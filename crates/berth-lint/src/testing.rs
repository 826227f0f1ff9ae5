//! Test helpers for rules: lint a snippet with exactly one rule enabled and compare the lines
//! it flags (hadolint's `ruleCatches` / `ruleCatchesNot`, in one assertion).

use crate::config::LintConfig;
use crate::linter::Linter;

/// Lines flagged by rule `code` alone in `source`, with `config` as the starting point.
pub(crate) fn lines_with(code: &str, source: &str, mut config: LintConfig) -> Vec<usize> {
    config.only = Some(std::iter::once(code.to_owned()).collect());
    Linter::new(config)
        .lint(source)
        .into_iter()
        .filter(|d| d.code == code)
        .map(|d| d.line)
        .collect()
}

/// Assert that rule `code` alone flags exactly `expected` lines of `source`.
#[track_caller]
pub(crate) fn assert_lines(code: &str, source: &str, expected: &[usize]) {
    assert_eq!(
        lines_with(code, source, LintConfig::default()),
        expected,
        "{code} on:\n{source}"
    );
}
