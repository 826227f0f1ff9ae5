//! ShellCheck parity with hadolint: run hadolint (`.venv/bin/hadolint`, which embeds the
//! ShellCheck library) and berth with the `shellcheck` program on every file of a corpus, and
//! compare their `SCxxxx` findings as `(file, line, code)`. hadolint reports an SC finding on
//! the RUN's first line; berth on the exact line inside the RUN, which is mapped back to the
//! RUN's first line for the comparison. Recall and precision (hadolint as the reference) are
//! printed per code and overall, and must be the table between `<!-- shellcheck-figures:start
//! -->` and its end marker in `docs/lint-vs-hadolint.md`. The only differences allowed are the rows of the table between
//! `<!-- shellcheck-differences:start -->` and `<!-- shellcheck-differences:end -->` in
//! `docs/lint-vs-hadolint.md`, exactly: an unlisted difference fails, and so does a listed one
//! that no longer happens.
//!
//! Ignored by a plain `cargo test` (the builder image has no shellcheck); `make test` runs it.
//! Skips (with a message) when hadolint or shellcheck is missing and `CI` is unset; fails
//! under `CI=true`.

mod parity_support;

use berth_lint::shellcheck::is_shellcheck_code;
use parity_support::{
    Finding, berth_shellcheck_findings, between_markers, difference_rows, differences,
    hadolint_findings, hadolint_or_skip, per_rule, root, rule_table, shellcheck_or_skip,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Rows of the ShellCheck differences table: the finding and the side.
fn documented() -> BTreeSet<(Finding, String)> {
    let doc = std::fs::read_to_string(root().join("docs/lint-vs-hadolint.md"))
        .expect("docs/lint-vs-hadolint.md");
    difference_rows(between_markers(&doc, "shellcheck-differences"))
        .into_iter()
        .map(|(finding, side, _)| (finding, side))
        .collect()
}

/// The SC findings of both tools on one corpus.
struct Comparison {
    files: usize,
    hadolint: BTreeSet<Finding>,
    berth: BTreeSet<Finding>,
}

/// The file name of `path`.
fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Run both tools over the `*.Dockerfile` files of `corpus`.
fn compare(corpus: &Path, hadolint: &Path, shellcheck: &Path) -> Comparison {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    files.sort();
    let hadolint_set = hadolint_findings(hadolint, &files, name, is_shellcheck_code);

    let berth_set = berth_shellcheck_findings(&files, name, shellcheck);
    Comparison {
        files: files.len(),
        hadolint: hadolint_set,
        berth: berth_set,
    }
}

/// The tools, or `None` (with a message) when one is missing outside CI (under `CI` a
/// missing tool fails the test).
fn tools() -> Option<(PathBuf, PathBuf)> {
    Some((hadolint_or_skip()?, shellcheck_or_skip()?))
}

#[test]
#[ignore = "needs the shellcheck program (the builder image has none); make test runs it"]
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
    let table = rule_table(&per_rule(&comparison.hadolint, &comparison.berth));
    eprintln!("shellcheck parity: {} files\n{table}", comparison.files);
    let doc = std::fs::read_to_string(root().join("docs/lint-vs-hadolint.md")).unwrap();
    assert_eq!(
        between_markers(&doc, "shellcheck-figures").trim(),
        table.trim(),
        "docs/lint-vs-hadolint.md: the ShellCheck figures are not the measured ones"
    );
    let actual = differences(&comparison.hadolint, &comparison.berth);
    let documented = documented();
    let undocumented: Vec<_> = actual.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&actual).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "undocumented differences: {undocumented:#?}\nlisted but not happening: {stale:#?}"
    );
}
