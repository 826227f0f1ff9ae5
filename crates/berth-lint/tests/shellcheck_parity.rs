//! ShellCheck parity with hadolint: run hadolint (`.venv/bin/hadolint`, which embeds the
//! ShellCheck library) and berth with the `shellcheck` program on every file of a corpus, and
//! compare their `SCxxxx` findings as `(file, line, code)`. hadolint reports an SC finding on
//! the RUN's first line; berth on the exact line inside the RUN, which is mapped back to the
//! RUN's first line for the comparison. Recall and precision (hadolint as the reference) are
//! printed per code and overall. The only differences allowed are the rows of the table between
//! `<!-- shellcheck-differences:start -->` and `<!-- shellcheck-differences:end -->` in
//! `docs/lint-vs-hadolint.md`, exactly: an unlisted difference fails, and so does a listed one
//! that no longer happens.
//!
//! Skips (with a message) when hadolint or shellcheck is missing and `CI` is unset; fails
//! under `CI=true`.

use berth_lint::files::lint_files;
use berth_lint::shellcheck::{ShellcheckMode, ShellcheckSettings, is_shellcheck_code};
use berth_lint::{LintConfig, Linter};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `(file name, line, code)`.
type Finding = (String, usize, String);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Rows `| file | line | code | side | reason |` of the ShellCheck differences table.
fn documented() -> BTreeSet<(Finding, String)> {
    let doc = std::fs::read_to_string(root().join("docs/lint-vs-hadolint.md"))
        .expect("docs/lint-vs-hadolint.md");
    let table = doc
        .split("<!-- shellcheck-differences:start -->")
        .nth(1)
        .and_then(|t| t.split("<!-- shellcheck-differences:end -->").next())
        .expect("shellcheck differences table markers");
    table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(|c| c.trim().trim_matches('`')).collect();
            let line = cells[2].parse().expect("line number");
            (
                (cells[1].to_owned(), line, cells[3].to_owned()),
                cells[4].to_owned(),
            )
        })
        .collect()
}

/// The SC findings of both tools on one corpus.
struct Comparison {
    files: usize,
    hadolint: BTreeSet<Finding>,
    berth: BTreeSet<Finding>,
}

impl Comparison {
    /// `(finding, "hadolint only" | "berth only")` for every finding only one tool reports.
    fn differences(&self) -> BTreeSet<(Finding, String)> {
        let only = |a: &BTreeSet<Finding>, b: &BTreeSet<Finding>, side: &str| {
            a.difference(b)
                .map(|f| (f.clone(), side.to_owned()))
                .collect::<Vec<_>>()
        };
        only(&self.hadolint, &self.berth, "hadolint only")
            .into_iter()
            .chain(only(&self.berth, &self.hadolint, "berth only"))
            .collect()
    }

    /// Per code and overall: (code, hadolint's count, berth's count, in common).
    fn counts(&self) -> Vec<(String, usize, usize, usize)> {
        let mut by_code: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
        for f in &self.hadolint {
            by_code.entry(&f.2).or_default().0 += 1;
        }
        for f in &self.berth {
            let entry = by_code.entry(&f.2).or_default();
            entry.1 += 1;
            if self.hadolint.contains(f) {
                entry.2 += 1;
            }
        }
        let mut rows: Vec<_> = by_code
            .iter()
            .map(|(code, (h, b, c))| ((*code).to_owned(), *h, *b, *c))
            .collect();
        let total = rows
            .iter()
            .fold((0, 0, 0), |t, r| (t.0 + r.1, t.1 + r.2, t.2 + r.3));
        rows.push(("overall".to_owned(), total.0, total.1, total.2));
        rows
    }

    fn report(&self) -> String {
        let ratio = |part: usize, whole: usize| {
            if whole == 0 {
                "-".to_owned()
            } else {
                format!("{:.2}", part as f64 / whole as f64)
            }
        };
        let mut out = format!(
            "shellcheck parity: {} files\ncode     hadolint berth common recall precision\n",
            self.files
        );
        for (code, h, b, c) in self.counts() {
            out.push_str(&format!(
                "{code:<8} {h:>8} {b:>5} {c:>6} {:>6} {:>9}\n",
                ratio(c, h),
                ratio(c, b)
            ));
        }
        out
    }
}

/// The file name of `path`.
fn name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Run both tools over the `*.Dockerfile` files of `corpus`.
fn compare(corpus: &Path, hadolint: &Path, shellcheck: &Path) -> Comparison {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    files.sort();

    // hadolint, from an empty directory so no configuration file is picked up.
    let empty = tempfile::tempdir().unwrap();
    let output = Command::new(hadolint)
        .args(["--no-fail", "--no-color", "-f", "json"])
        .args(&files)
        .current_dir(empty.path())
        .env_remove("HADOLINT_IGNORE")
        .env_remove("HADOLINT_FAILURE_THRESHOLD")
        .output()
        .expect("hadolint runs");
    let theirs: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("hadolint's JSON");
    let hadolint_set: BTreeSet<Finding> = theirs
        .iter()
        .map(|f| {
            (
                name(f["file"].as_str().unwrap()),
                usize::try_from(f["line"].as_u64().unwrap()).unwrap(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .filter(|(_, _, code)| is_shellcheck_code(code))
        .collect();

    let config = LintConfig {
        shellcheck: ShellcheckSettings {
            mode: ShellcheckMode::On,
            program: shellcheck.to_path_buf(),
        },
        ..LintConfig::default()
    };
    let linter = Linter::new(config);
    let mut berth_set = BTreeSet::new();
    for report in lint_files(&linter, &files).expect("shellcheck runs") {
        let report = report.expect("readable corpus file");
        let source = std::fs::read_to_string(&report.path).unwrap();
        let parsed = berth_dockerfile::parse(&source).ok();
        for d in report
            .diagnostics
            .iter()
            .filter(|d| is_shellcheck_code(d.code))
        {
            // hadolint reports on the RUN's first line.
            let run_line = parsed
                .iter()
                .flat_map(|p| &p.instructions)
                .find(|i| (i.node.start_line..=i.node.end_line).contains(&d.line))
                .map_or(d.line, |i| i.node.start_line);
            berth_set.insert((
                name(&report.path.to_string_lossy()),
                run_line,
                d.code.to_owned(),
            ));
        }
    }
    Comparison {
        files: files.len(),
        hadolint: hadolint_set,
        berth: berth_set,
    }
}

/// The tools, or `None` (with a message) when one is missing outside CI.
fn tools() -> Option<(PathBuf, PathBuf)> {
    let hadolint = root().join(".venv/bin/hadolint");
    let shellcheck = ShellcheckSettings {
        mode: ShellcheckMode::Auto,
        ..ShellcheckSettings::default()
    }
    .resolve()
    .unwrap();
    let missing = match (&shellcheck, hadolint.exists()) {
        (Some(_), true) => None,
        (None, _) => Some("shellcheck (apt-get install shellcheck; make test-tools)".to_owned()),
        (_, false) => Some(format!("{} (make venv)", hadolint.display())),
    };
    if let Some(missing) = missing {
        assert!(std::env::var_os("CI").is_none(), "CI needs {missing}");
        eprintln!("skipped: {missing} is missing");
        return None;
    }
    Some((hadolint, shellcheck?))
}

#[test]
fn berth_reports_the_same_shellcheck_findings_as_hadolint() {
    let Some((hadolint, shellcheck)) = tools() else {
        return;
    };
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint-corpus");
    let comparison = compare(&corpus, &hadolint, &shellcheck);
    assert!(
        comparison.files >= 80,
        "the corpus has {} files",
        comparison.files
    );
    eprint!("{}", comparison.report());
    let actual = comparison.differences();
    let documented = documented();
    let undocumented: Vec<_> = actual.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&actual).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "undocumented differences: {undocumented:#?}\nlisted but not happening: {stale:#?}"
    );
}
