//! Text rendering of an [`Analysis`], in the layout of the seed report: banner, stage boxes
//! joined by labelled arrows, checks, size estimate, build commands and takeaways.

use crate::analyze::Analysis;
use std::fmt::Write as _;

const RULE_HEAVY: &str = "============================================================";
const RULE_LIGHT: &str = "------------------------------------------------------------";
/// Inner width of a stage box.
const BOX_WIDTH: usize = 54;
/// Instruction kinds listed in a box; the box is sized for six.
const BOX_MAX_KINDS: usize = 6;

/// Render the report as text (UTF-8, emoji headings, box drawing).
#[must_use]
pub fn render_text(analysis: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{RULE_HEAVY}\nDOCKER MULTISTAGE BUILD - Analysis & Demonstration\n{RULE_HEAVY}\n"
    );
    let _ = writeln!(out, "🔍 Analyzing: {}", analysis.file);
    let _ = writeln!(out, "   Found {} build stage(s)\n", analysis.stage_count);
    render_flow(analysis, &mut out);
    render_checks(analysis, &mut out);
    render_sizes(analysis, &mut out);
    let _ = writeln!(out, "🛠️  Build Commands:\n{RULE_LIGHT}");
    for (i, command) in analysis.build_commands.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "   # {}\n   {}", command.comment, command.command);
    }
    let _ = writeln!(out, "\n{RULE_HEAVY}\n💡 Key Takeaways:\n{RULE_HEAVY}");
    for (i, takeaway) in analysis.takeaways.iter().enumerate() {
        let _ = writeln!(out, "   {}. {takeaway}", i + 1);
    }
    out
}

fn box_line(out: &mut String, text: &str) {
    let width = text.chars().count();
    let shown: String = if width > BOX_WIDTH {
        text.chars()
            .take(BOX_WIDTH - 1)
            .chain(std::iter::once('…'))
            .collect()
    } else {
        text.to_owned()
    };
    let pad = BOX_WIDTH.saturating_sub(shown.chars().count());
    let _ = writeln!(out, "  │ {shown}{}│", " ".repeat(pad));
}

fn render_flow(analysis: &Analysis, out: &mut String) {
    let _ = writeln!(out, "📊 Build Stage Flow:\n{RULE_HEAVY}\n");
    let border = "─".repeat(BOX_WIDTH);
    for stage in &analysis.stages {
        if stage.index > 0 {
            let labels: Vec<String> = analysis
                .edges
                .iter()
                .filter(|e| e.to_stage == stage.index)
                .map(|e| {
                    if e.from_stage + 1 == stage.index {
                        e.label.clone()
                    } else {
                        format!("{} (from stage {})", e.label, e.from_stage + 1)
                    }
                })
                .collect();
            if labels.is_empty() {
                let _ = writeln!(
                    out,
                    "           ┆\n           ┆  (uses no earlier stage)\n           ▼"
                );
            } else {
                let _ = writeln!(out, "           │");
                for label in labels {
                    let _ = writeln!(out, "           │  {label}");
                }
                let _ = writeln!(out, "           ▼");
            }
        }
        let _ = writeln!(out, "  ┌{border}┐");
        let title = match &stage.name {
            Some(name) => format!("Stage {}: {name}", stage.index + 1),
            None => format!("Stage {}", stage.index + 1),
        };
        box_line(out, &title);
        if stage.unresolved_args.is_empty() {
            box_line(out, &format!("Base: {}", stage.base));
        } else {
            box_line(out, &format!("Base: unknown ({} unresolved)", stage.base));
        }
        if let Some(platform) = &stage.platform {
            box_line(out, &format!("Platform: {platform}"));
        }
        let kinds: Vec<&str> = stage
            .instructions
            .iter()
            .take(BOX_MAX_KINDS)
            .map(String::as_str)
            .collect();
        let kinds = if kinds.is_empty() {
            "(none)".to_owned()
        } else {
            kinds.join(", ")
        };
        box_line(out, &format!("Instructions: {kinds}"));
        for image in &stage.external_sources {
            box_line(out, &format!("Also uses image: {image}"));
        }
        if !stage.reaches_target {
            box_line(out, "Not used by the final stage (BuildKit skips it)");
        }
        let _ = writeln!(out, "  └{border}┘");
    }
    out.push('\n');
}

fn render_checks(analysis: &Analysis, out: &mut String) {
    let _ = writeln!(out, "📋 Best Practices Validation:\n{RULE_LIGHT}");
    for check in &analysis.checks {
        let mark = match (check.applicable, check.passed) {
            (false, _) => "➖",
            (true, true) => "✅",
            (true, false) => "❌",
        };
        let verdict = if check.applicable { "" } else { " (n/a)" };
        let _ = writeln!(out, "   {mark} {}{verdict}: {}", check.title, check.reason);
    }
    let not_applicable = analysis.checks.len() - analysis.total;
    let aside = if not_applicable == 0 {
        String::new()
    } else {
        format!(" ({not_applicable} not applicable)")
    };
    let _ = writeln!(
        out,
        "\n   Score: {}/{} checks passed{aside}\n",
        analysis.score, analysis.total
    );
}

fn render_sizes(analysis: &Analysis, out: &mut String) {
    let _ = writeln!(out, "📏 Estimated Size Comparison:\n{RULE_LIGHT}");
    let Some(estimate) = &analysis.size_estimate else {
        let note = analysis.size_note.as_deref().unwrap_or("No size estimate");
        let _ = writeln!(out, "   {note}\n");
        return;
    };
    let width = estimate
        .rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0);
    for row in &estimate.rows {
        let pad = width - row.label.chars().count();
        let _ = writeln!(
            out,
            "   {}{}: ~{} MB",
            row.label,
            " ".repeat(pad),
            row.size_mb
        );
    }
    if estimate.this_file_is_multistage {
        let _ = writeln!(
            out,
            "\n   💾 Savings: ~{} MB ({}% reduction)",
            estimate.savings_mb, estimate.savings_percent
        );
    } else {
        let _ = writeln!(
            out,
            "\n   💾 Possible savings with a slim multistage build: ~{} MB ({}% reduction)",
            estimate.savings_mb, estimate.savings_percent
        );
    }
    if estimate.excluded.is_empty() {
        let what = if estimate.this_file_is_multistage {
            "no build tools found in the build stages"
        } else {
            "no build tools found to move into a build stage"
        };
        let _ = writeln!(out, "\n   Excluded from final image: {what}\n");
    } else {
        let heading = if estimate.this_file_is_multistage {
            "Excluded from final image:"
        } else {
            "A build stage would keep out of the final image:"
        };
        let _ = writeln!(out, "\n   {heading}");
        for item in &estimate.excluded {
            let _ = match item.size_mb {
                Some(mb) => writeln!(out, "   • {} (~{mb} MB)", item.item),
                None => writeln!(out, "   • {}", item.item),
            };
        }
        out.push('\n');
    }
}
