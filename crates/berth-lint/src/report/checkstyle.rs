//! Checkstyle XML (`<checkstyle><file name><error line column severity message source/>`),
//! read by Jenkins, GitLab and most CI dashboards. Severities map to Checkstyle's
//! `error`/`warning`/`info` (style → `info`).

use super::display_path;
use crate::files::FileReport;
use crate::rule::Severity;
use std::fmt::Write as _;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Render findings as Checkstyle XML.
#[must_use]
pub fn render(reports: &[FileReport]) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
    for report in reports {
        let _ = writeln!(out, "  <file name=\"{}\">", escape(&display_path(report)));
        for d in &report.diagnostics {
            let severity = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info | Severity::Style => "info",
            };
            let _ = writeln!(
                out,
                "    <error line=\"{}\" column=\"{}\" severity=\"{severity}\" message=\"{}\" source=\"berth.{}\"/>",
                d.line,
                d.column,
                escape(&d.message),
                escape(d.code)
            );
        }
        out.push_str("  </file>\n");
    }
    out.push_str("</checkstyle>\n");
    out
}
