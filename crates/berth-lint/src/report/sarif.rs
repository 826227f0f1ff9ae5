//! SARIF 2.1.0 for GitHub code scanning: one run, tool `berth` with a `rules[]` entry for
//! every rule that reported (id, name, short/full description, help text and markdown,
//! `helpUri`, default level), results with `ruleId`/`ruleIndex`, level (`error`, `warning`,
//! `note` for info and style), the message, one physical location with a repo-relative URI
//! and a region, and a `partialFingerprints` entry, one per finding and stable under edits
//! elsewhere in the file, so re-uploads neither duplicate nor merge alerts. ShellCheck's codes
//! (`SC2086`) get a `rules[]` entry of their own pointing at ShellCheck's wiki.

use super::display_path;
use crate::files::FileReport;
use crate::registry;
use crate::rule::{RuleMeta, Severity};
use crate::shellcheck;
use serde_json::{Value, json};
use std::collections::HashMap;

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

/// The `rules[]` entry of a ShellCheck code: its documentation is ShellCheck's wiki.
fn shellcheck_descriptor(code: &str, severity: Severity) -> Value {
    let uri = shellcheck::help_uri(code);
    json!({
        "id": code,
        "name": format!("shellcheck-{code}"),
        "shortDescription": { "text": format!("ShellCheck {code}") },
        "fullDescription": { "text": format!("ShellCheck's check {code} on a RUN script.") },
        "help": {
            "text": format!("{code}: see {uri}"),
            "markdown": format!("ShellCheck's check [{code}]({uri}) on a RUN script."),
        },
        "helpUri": uri,
        "defaultConfiguration": { "level": level(severity) },
        "properties": { "tags": ["shellcheck", "dockerfile"] },
    })
}

/// A fingerprint unique to one finding and stable under edits elsewhere in the file: FNV-1a
/// of the file, the rule code, the text of the instruction carrying the finding and the
/// finding's rank among those with the same code and instruction text in the file. The line
/// number is left out on purpose: it moves whenever a line is added above.
fn fingerprint(file: &str, code: &str, instruction_text: &str, occurrence: usize) -> String {
    let occurrence = occurrence.to_string();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in [file, code, instruction_text, &occurrence]
        .iter()
        .flat_map(|part| part.bytes().chain([0]))
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Render findings as a SARIF 2.1.0 log.
#[must_use]
pub fn render(reports: &[FileReport]) -> String {
    // (code, descriptor), in order of first use.
    let mut rules: Vec<(&'static str, Value)> = Vec::new();
    let mut results = Vec::new();
    for report in reports {
        let uri = display_path(report);
        let uri = uri.strip_prefix("./").unwrap_or(&uri).to_owned();
        // Findings come sorted by position, so a finding's rank among its identical twins
        // only changes when such a twin is added above it.
        let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
        for d in &report.diagnostics {
            let occurrence = seen.entry((d.code, &d.instruction_text)).or_insert(0);
            let fingerprint = fingerprint(&uri, d.code, &d.instruction_text, *occurrence);
            *occurrence += 1;
            let index = match rules.iter().position(|(code, _)| *code == d.code) {
                Some(index) => index,
                None => {
                    let descriptor = if let Some(meta) = registry::find(d.code) {
                        descriptor(meta)
                    } else if shellcheck::is_shellcheck_code(d.code) {
                        shellcheck_descriptor(d.code, d.severity)
                    } else {
                        continue;
                    };
                    rules.push((d.code, descriptor));
                    rules.len() - 1
                }
            };
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
                "partialFingerprints": { "primaryLocationLineHash": fingerprint },
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
                    "rules": rules.into_iter().map(|(_, d)| d).collect::<Vec<_>>(),
                }
            },
            "results": results,
            "columnKind": "unicodeCodePoints",
        }]
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Diagnostic, LintConfig, Linter};
    use std::path::PathBuf;

    /// `(ruleId, startLine, fingerprint)` of every result for `source`.
    fn fingerprints(source: &str) -> Vec<(String, u64, String)> {
        let report = FileReport {
            path: PathBuf::from("app/Dockerfile"),
            diagnostics: Linter::new(LintConfig::default()).lint(source),
        };
        let log: Value = serde_json::from_str(&render(&[report])).unwrap();
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_owned(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                    r["partialFingerprints"]["primaryLocationLineHash"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                )
            })
            .collect()
    }

    const TWO_OF_A_KIND: &str = "FROM debian:12.7\n\
        RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n    && rm -rf /var/lib/apt/lists/*\n\
        RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*\n\
        RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*\n";

    #[test]
    fn findings_of_one_rule_in_one_file_have_distinct_fingerprints() {
        let results = fingerprints(TWO_OF_A_KIND);
        let dl3008: Vec<_> = results.iter().filter(|r| r.0 == "DL3008").collect();
        // Two different instructions, and two identical ones.
        assert_eq!(dl3008.iter().map(|r| r.1).collect::<Vec<_>>(), [2, 4, 5]);
        let unique: std::collections::BTreeSet<_> = results.iter().map(|r| &r.2).collect();
        assert_eq!(unique.len(), results.len(), "{results:#?}");
    }

    #[test]
    fn fingerprints_survive_lines_added_above_and_reformatting() {
        let before = fingerprints(TWO_OF_A_KIND);
        let edited = TWO_OF_A_KIND
            .replacen(
                "FROM debian:12.7\n",
                "# build tools\n\nFROM debian:12.7\nWORKDIR /src\n",
                1,
            )
            .replace("curl \\\n    &&", "curl \\\n        &&");
        let after = fingerprints(&edited);
        assert_eq!(after.len(), before.len());
        for (old, new) in before.iter().zip(&after) {
            assert_eq!((&old.0, &old.2), (&new.0, &new.2));
            assert!(new.1 > old.1, "the line moved, the fingerprint did not");
        }
    }

    #[test]
    fn shellcheck_findings_have_a_rule_with_shellchecks_wiki() {
        let diagnostic = Diagnostic {
            code: "SC2086",
            severity: Severity::Info,
            line: 2,
            column: 10,
            end_line: 2,
            end_column: 12,
            message: "Double quote to prevent globbing and word splitting.".to_owned(),
            instruction_text: "RUN echo $a".to_owned(),
        };
        let report = FileReport {
            path: PathBuf::from("Dockerfile"),
            diagnostics: vec![diagnostic],
        };
        let log: Value = serde_json::from_str(&render(&[report])).unwrap();
        let run = &log["runs"][0];
        assert_eq!(run["results"][0]["ruleId"], "SC2086");
        assert_eq!(run["results"][0]["ruleIndex"], 0);
        assert_eq!(run["results"][0]["level"], "note");
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["helpUri"],
            "https://www.shellcheck.net/wiki/SC2086"
        );
    }

    #[test]
    fn changing_the_instruction_changes_its_fingerprint_only() {
        let before = fingerprints(TWO_OF_A_KIND);
        let after = fingerprints(&TWO_OF_A_KIND.replacen("curl", "wget", 1));
        let changed: Vec<_> = before
            .iter()
            .zip(&after)
            .filter(|(old, new)| old.2 != new.2)
            .map(|(old, _)| (old.0.as_str(), old.1))
            .collect();
        assert_eq!(changed, [("DL3008", 2)]);
    }
}
