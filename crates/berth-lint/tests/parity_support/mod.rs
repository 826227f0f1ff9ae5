//! What the parity tests with hadolint share: running hadolint 2.15.1 and berth with every
//! hadolint rule on, comparing their `(file, line, code)` findings through a code filter, and
//! the per-rule recall and precision table.
//!
//! "Every rule" means: hadolint's two rules that are off by default (`DL1001` inline pragma
//! used, `DL3057` HEALTHCHECK missing) are raised to `warning`, and both tools trust one
//! registry ([`TRUSTED_REGISTRY`]) so that `DL3026` runs. hadolint's label rules
//! (`DL3049`–`DL3056`, `DL3058`) only run with a label schema; berth does not implement them, so
//! none is configured and they report nothing on either side.

#![allow(dead_code)] // each test binary uses its own part of this module

use berth_lint::files::lint_files;
use berth_lint::registry::ALL;
use berth_lint::shellcheck::{ShellcheckMode, ShellcheckSettings, is_shellcheck_code};
use berth_lint::{LintConfig, Linter, Origin};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One finding: file (relative to the corpus), line, code.
pub(crate) type Finding = (String, usize, String);

/// The registry both tools are told to trust, so that DL3026 reports every other one.
pub(crate) const TRUSTED_REGISTRY: &str = "docker.io";

/// hadolint's rules that are off unless given a severity.
pub(crate) const HADOLINT_OFF_BY_DEFAULT: &[&str] = &["DL1001", "DL3057"];

/// The codes of the rule parity tests: hadolint's DL rules. ShellCheck's `SC` codes are
/// compared apart ([`berth_shellcheck_findings`]): berth runs the `shellcheck` program, and
/// hadolint's findings sit on the RUN's first line.
#[must_use]
pub(crate) fn dl_codes(code: &str) -> bool {
    code.starts_with("DL")
}

/// The repository root.
#[must_use]
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether `path` exists. A test that needs it skips when it is missing: outside CI this says so
/// (and how to make it: `how`); under `CI` it fails the test.
#[must_use]
pub(crate) fn present_or_skip(path: &Path, how: &str) -> bool {
    if path.exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI needs {} ({how})",
        path.display()
    );
    eprintln!("skipped: {} missing (run `{how}`)", path.display());
    false
}

/// `.venv/bin/hadolint`, or `None` when it is missing (see [`present_or_skip`]).
#[must_use]
pub(crate) fn hadolint_or_skip() -> Option<PathBuf> {
    let hadolint = root().join(".venv/bin/hadolint");
    present_or_skip(&hadolint, "make venv").then_some(hadolint)
}

/// hadolint's arguments that turn every rule on (see the module documentation).
#[must_use]
pub(crate) fn hadolint_all_rules_args() -> Vec<String> {
    let mut args = Vec::new();
    for code in HADOLINT_OFF_BY_DEFAULT {
        args.extend(["--warning".to_owned(), (*code).to_owned()]);
    }
    args.extend(["--trusted-registry".to_owned(), TRUSTED_REGISTRY.to_owned()]);
    args
}

/// berth's configuration with every hadolint rule on (and only those, plus `DL1000`).
#[must_use]
pub(crate) fn berth_all_hadolint_rules() -> LintConfig {
    let codes = ALL
        .iter()
        .map(|e| e.meta)
        .filter(|m| m.origin == Origin::Hadolint)
        .map(|m| m.code.to_owned())
        .chain(["DL1000".to_owned()])
        .collect();
    let mut config = LintConfig {
        only: Some(codes),
        ..LintConfig::default()
    };
    config.settings.trusted_registries = vec![TRUSTED_REGISTRY.to_owned()];
    config
}

/// hadolint's findings on `files`, named by `name` and kept when `keep` accepts the code.
/// Runs from an empty directory so that no configuration file is picked up.
pub(crate) fn hadolint_findings(
    hadolint: &Path,
    files: &[PathBuf],
    name: impl Fn(&Path) -> String,
    keep: impl Fn(&str) -> bool,
) -> BTreeSet<Finding> {
    let empty = std::env::temp_dir().join(format!(
        "berth-parity-{}-{}",
        std::process::id(),
        files.len()
    ));
    std::fs::create_dir_all(&empty).unwrap();
    let output = Command::new(hadolint)
        .args(["--no-fail", "--no-color", "-f", "json"])
        .args(hadolint_all_rules_args())
        .args(files)
        .current_dir(&empty)
        .env_remove("HADOLINT_IGNORE")
        .env_remove("HADOLINT_FAILURE_THRESHOLD")
        .env_remove("HADOLINT_TRUSTED_REGISTRIES")
        .output()
        .expect("hadolint runs");
    let _ = std::fs::remove_dir(&empty);
    let theirs: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("hadolint's JSON");
    theirs
        .iter()
        .map(|f| {
            (
                name(Path::new(f["file"].as_str().unwrap())),
                usize::try_from(f["line"].as_u64().unwrap()).unwrap(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .filter(|(_, _, code)| keep(code))
        .collect()
}

/// berth's findings on `files` with [`berth_all_hadolint_rules`], as [`hadolint_findings`].
pub(crate) fn berth_findings(
    files: &[PathBuf],
    name: impl Fn(&Path) -> String,
    keep: impl Fn(&str) -> bool,
) -> BTreeSet<Finding> {
    let linter = Linter::new(berth_all_hadolint_rules());
    let mut found = BTreeSet::new();
    for file in files {
        let bytes = std::fs::read(file).unwrap();
        let source = String::from_utf8_lossy(&bytes);
        for d in linter.lint(&source) {
            if keep(d.code) {
                found.insert((name(file), d.line, d.code.to_owned()));
            }
        }
    }
    found
}

/// berth's ShellCheck findings on `files` (the `shellcheck` program at `shellcheck`), each
/// moved to the first line of its RUN, where hadolint reports SC codes.
pub(crate) fn berth_shellcheck_findings(
    files: &[PathBuf],
    name: impl Fn(&Path) -> String,
    shellcheck: &Path,
) -> BTreeSet<Finding> {
    let config = LintConfig {
        shellcheck: ShellcheckSettings {
            mode: ShellcheckMode::On,
            program: shellcheck.to_path_buf(),
            // Every script checked for real.
            cache: None,
        },
        ..LintConfig::default()
    };
    let linter = Linter::new(config);
    let mut found = BTreeSet::new();
    for report in lint_files(&linter, files).expect("shellcheck runs") {
        let report = report.expect("readable corpus file");
        let bytes = std::fs::read(&report.path).unwrap();
        let parsed = berth_dockerfile::parse(&String::from_utf8_lossy(&bytes)).ok();
        for d in report
            .diagnostics
            .iter()
            .filter(|d| is_shellcheck_code(d.code))
        {
            let run_line = parsed
                .iter()
                .flat_map(|p| &p.instructions)
                .find(|i| (i.node.start_line..=i.node.end_line).contains(&d.line))
                .map_or(d.line, |i| i.node.start_line);
            found.insert((name(&report.path), run_line, d.code.to_owned()));
        }
    }
    found
}

/// The `shellcheck` program, or `None` (with a message) when it is missing outside CI (under
/// `CI` a missing program fails the test).
pub(crate) fn shellcheck_or_skip() -> Option<PathBuf> {
    let shellcheck = ShellcheckSettings {
        mode: ShellcheckMode::Auto,
        ..ShellcheckSettings::default()
    }
    .resolve()
    .unwrap();
    if shellcheck.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs shellcheck (make test-tools)"
        );
        eprintln!("skipped: shellcheck is missing (apt-get install shellcheck)");
    }
    shellcheck
}

/// Which side reports a finding the other does not.
pub(crate) const HADOLINT_ONLY: &str = "hadolint only";
/// See [`HADOLINT_ONLY`].
pub(crate) const BERTH_ONLY: &str = "berth only";

/// The findings only one side reports, with that side.
#[must_use]
pub(crate) fn differences(
    hadolint: &BTreeSet<Finding>,
    berth: &BTreeSet<Finding>,
) -> BTreeSet<(Finding, String)> {
    let mut diff = BTreeSet::new();
    diff.extend(
        hadolint
            .difference(berth)
            .map(|f| (f.clone(), HADOLINT_ONLY.to_owned())),
    );
    diff.extend(
        berth
            .difference(hadolint)
            .map(|f| (f.clone(), BERTH_ONLY.to_owned())),
    );
    diff
}

/// Counts of one rule (or of all of them).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) hadolint: usize,
    pub(crate) berth: usize,
    pub(crate) common: usize,
}

impl Counts {
    fn ratio(part: usize, whole: usize) -> String {
        if whole == 0 {
            "—".to_owned()
        } else {
            #[allow(clippy::cast_precision_loss)] // counts of findings, far below 2^52
            let percent = 100.0 * part as f64 / whole as f64;
            format!("{percent:.1}%")
        }
    }

    /// Share of hadolint's findings that berth also reports.
    #[must_use]
    pub(crate) fn recall(self) -> String {
        Self::ratio(self.common, self.hadolint)
    }

    /// Share of berth's findings that hadolint also reports.
    #[must_use]
    pub(crate) fn precision(self) -> String {
        Self::ratio(self.common, self.berth)
    }
}

/// Per-rule counts, for every code either side reports.
#[must_use]
pub(crate) fn per_rule(
    hadolint: &BTreeSet<Finding>,
    berth: &BTreeSet<Finding>,
) -> BTreeMap<String, Counts> {
    let mut rules: BTreeMap<String, Counts> = BTreeMap::new();
    for f in hadolint {
        let c = rules.entry(f.2.clone()).or_default();
        c.hadolint += 1;
        if berth.contains(f) {
            c.common += 1;
        }
    }
    for f in berth {
        rules.entry(f.2.clone()).or_default().berth += 1;
    }
    rules
}

/// The per-rule table in Markdown, with a last row for all rules together.
#[must_use]
pub(crate) fn rule_table(rules: &BTreeMap<String, Counts>) -> String {
    let mut out = String::from(
        "| rule | hadolint | berth | in common | recall | precision |\n|---|---|---|---|---|---|\n",
    );
    let mut total = Counts::default();
    for (code, c) in rules {
        total.hadolint += c.hadolint;
        total.berth += c.berth;
        total.common += c.common;
        out.push_str(&format!(
            "| {code} | {} | {} | {} | {} | {} |\n",
            c.hadolint,
            c.berth,
            c.common,
            c.recall(),
            c.precision()
        ));
    }
    out.push_str(&format!(
        "| all | {} | {} | {} | {} | {} |\n",
        total.hadolint,
        total.berth,
        total.common,
        total.recall(),
        total.precision()
    ));
    out
}

/// The text between `<!-- {marker}:start -->` and `<!-- {marker}:end -->` of `doc`.
#[must_use]
pub(crate) fn between_markers<'a>(doc: &'a str, marker: &str) -> &'a str {
    doc.split(&format!("<!-- {marker}:start -->"))
        .nth(1)
        .and_then(|t| t.split(&format!("<!-- {marker}:end -->")).next())
        .unwrap_or_else(|| panic!("markers {marker}:start/end"))
}

/// Rows `| file | line | code | side | reason |` of a Markdown table: the finding, the side
/// and the reason.
#[must_use]
pub(crate) fn difference_rows(table: &str) -> Vec<(Finding, String, String)> {
    table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(|c| c.trim().trim_matches('`')).collect();
            let line = cells[2].parse().expect("line number");
            (
                (cells[1].to_owned(), line, cells[3].to_owned()),
                cells[4].to_owned(),
                cells[5].to_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(file: &str, line: usize, code: &str) -> Finding {
        (file.to_owned(), line, code.to_owned())
    }

    #[test]
    fn recall_and_precision_count_common_findings_per_rule() {
        let hadolint = BTreeSet::from([f("a", 1, "DL3008"), f("a", 2, "DL3008")]);
        let berth = BTreeSet::from([f("a", 1, "DL3008"), f("a", 3, "DL3015")]);
        let rules = per_rule(&hadolint, &berth);
        assert_eq!(rules["DL3008"].recall(), "50.0%");
        assert_eq!(rules["DL3008"].precision(), "100.0%");
        assert_eq!(rules["DL3015"].recall(), "—");
        assert_eq!(rules["DL3015"].precision(), "0.0%");
        assert!(rule_table(&rules).ends_with("| all | 2 | 2 | 1 | 50.0% | 50.0% |\n"));
        assert_eq!(differences(&hadolint, &berth).len(), 2);
    }
}
