//! `file:line:col code severity message`, one finding a line, then a summary line; ANSI
//! colours when asked (the binary asks when stdout is a terminal and `NO_COLOR` is unset).

use super::display_path;
use crate::files::FileReport;
use crate::rule::Severity;
use std::fmt::Write as _;

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// Render findings as text.
#[must_use]
pub fn render(reports: &[FileReport], color: bool) -> String {
    let mut out = String::new();
    let mut count = 0;
    for report in reports {
        let path = display_path(report);
        for d in &report.diagnostics {
            count += 1;
            let severity_color = match d.severity {
                Severity::Error => "1;31",
                Severity::Warning => "33",
                Severity::Info => "36",
                Severity::Style => "35",
            };
            let _ = writeln!(
                out,
                "{}:{}:{} {} {} {}",
                paint(&path, "1", color),
                d.line,
                d.column,
                paint(d.code, "1", color),
                paint(d.severity.as_str(), severity_color, color),
                d.message
            );
        }
    }
    let files = reports.len();
    let _ = writeln!(
        out,
        "{count} finding{} in {files} file{}",
        if count == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" }
    );
    out
}
