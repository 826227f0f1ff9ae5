//! GitHub Actions workflow commands: `::error file=F,line=L,col=C,endLine=..,endColumn=..,title=CODE::message`
//! (`warning` for warnings, `notice` for info and style), which the runner shows as
//! annotations on the pull request.

use super::display_path;
use crate::files::FileReport;
use crate::rule::Severity;
use std::fmt::Write as _;

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Render findings as workflow commands.
#[must_use]
pub fn render(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for report in reports {
        let file = escape_property(&display_path(report));
        for d in &report.diagnostics {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info | Severity::Style => "notice",
            };
            let _ = writeln!(
                out,
                "::{level} file={file},line={},col={},endLine={},endColumn={},title={}::{}",
                d.line,
                d.column,
                d.end_line,
                d.end_column,
                escape_property(d.code),
                escape_data(&format!("{} {}", d.code, d.message))
            );
        }
    }
    out
}
