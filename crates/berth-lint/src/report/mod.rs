//! Report formats, one module each: `text` (`file:line:col code severity message`, coloured
//! on request), `json`, `sarif` (2.1.0, with `rules[]` for GitHub code scanning),
//! `checkstyle` (XML) and `github` (workflow annotation commands). Every renderer takes the
//! per-file reports and returns the whole output as a string.

pub mod checkstyle;
pub mod github;
pub mod json;
pub mod sarif;
pub mod text;

use crate::files::FileReport;

/// Output formats of `berth lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable lines.
    Text,
    /// A JSON array of findings.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// Checkstyle XML.
    Checkstyle,
    /// GitHub Actions workflow commands.
    Github,
}

/// Render `reports` in `format`. `color` applies to text only.
#[must_use]
pub fn render(format: Format, reports: &[FileReport], color: bool) -> String {
    match format {
        Format::Text => text::render(reports, color),
        Format::Json => json::render(reports),
        Format::Sarif => sarif::render(reports),
        Format::Checkstyle => checkstyle::render(reports),
        Format::Github => github::render(reports),
    }
}

/// A path with `/` separators, as reports show it.
pub(crate) fn display_path(report: &FileReport) -> String {
    report.path.to_string_lossy().replace('\\', "/")
}
