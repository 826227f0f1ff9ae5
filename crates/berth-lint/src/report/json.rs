//! A JSON array of findings, one object each:
//! `{"file","line","column","end_line","end_column","code","level","message"}` (hadolint's
//! keys plus the end position), sorted by file then line.

use super::display_path;
use crate::files::FileReport;
use serde_json::json;

/// Render findings as a JSON array.
#[must_use]
pub fn render(reports: &[FileReport]) -> String {
    let items: Vec<_> = reports
        .iter()
        .flat_map(|r| {
            let file = display_path(r);
            r.diagnostics.iter().map(move |d| {
                json!({
                    "file": file,
                    "line": d.line,
                    "column": d.column,
                    "end_line": d.end_line,
                    "end_column": d.end_column,
                    "code": d.code,
                    "level": d.severity.as_str(),
                    "message": d.message,
                })
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_owned()) + "\n"
}
