//! SARIF 2.1.0 for GitHub code scanning: one run, tool `berth` with a `rules[]` entry for
//! every rule that reported (id, name, short/full description, help text and markdown,
//! `helpUri`, default level), results with `ruleId`/`ruleIndex`, level (`error`, `warning`,
//! `note` for info and style), the message, one physical location with a repo-relative URI
//! and a region, and a `partialFingerprints` entry so re-uploads do not duplicate alerts.

use super::display_path;
use crate::files::FileReport;
use crate::registry;
use crate::rule::{RuleMeta, Severity};
use serde_json::{Value, json};

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Style => "note",
    }
}

/// The first paragraph after `## What it does`, capped at GitHub's 1024 characters.
fn full_description(meta: &RuleMeta) -> String {
    let text = meta
        .docs
        .split("## What it does\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap_or(meta.summary)
        .trim();
    text.chars().take(1000).collect()
}

fn descriptor(meta: &RuleMeta) -> Value {
    let mut rule = json!({
        "id": meta.code,
        "name": meta.name,
        "shortDescription": { "text": meta.summary },
        "fullDescription": { "text": full_description(meta) },
        "help": { "text": format!("{}: {}", meta.code, meta.summary), "markdown": meta.docs },
        "defaultConfiguration": { "level": level(meta.severity) },
        "properties": { "tags": [meta.origin.as_str(), "dockerfile"] },
    });
    if let Some(uri) = meta.help_uri() {
        rule["helpUri"] = Value::String(uri);
    }
    rule
}

/// A stable fingerprint: FNV-1a of file, code and message (line excluded, so alerts survive
/// unrelated edits above them).
fn fingerprint(file: &str, code: &str, message: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in file
        .bytes()
        .chain([0])
        .chain(code.bytes())
        .chain([0])
        .chain(message.bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Render findings as a SARIF 2.1.0 log.
#[must_use]
pub fn render(reports: &[FileReport]) -> String {
    let mut rules: Vec<&'static RuleMeta> = Vec::new();
    let mut results = Vec::new();
    for report in reports {
        let uri = display_path(report);
        let uri = uri.strip_prefix("./").unwrap_or(&uri).to_owned();
        for d in &report.diagnostics {
            let Some(meta) = registry::find(d.code) else {
                continue;
            };
            let index = rules
                .iter()
                .position(|m| m.code == meta.code)
                .unwrap_or_else(|| {
                    rules.push(meta);
                    rules.len() - 1
                });
            results.push(json!({
                "ruleId": d.code,
                "ruleIndex": index,
                "level": level(d.severity),
                "message": { "text": d.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri },
                        "region": {
                            "startLine": d.line,
                            "startColumn": d.column,
                            "endLine": d.end_line,
                            "endColumn": d.end_column,
                        }
                    }
                }],
                "partialFingerprints": { "primaryLocationLineHash": fingerprint(&uri, d.code, &d.message) },
            }));
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "berth",
                    "informationUri": "https://github.com/berth-dev/berth",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules.iter().map(|m| descriptor(m)).collect::<Vec<_>>(),
                }
            },
            "results": results,
            "columnKind": "unicodeCodePoints",
        }]
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}
