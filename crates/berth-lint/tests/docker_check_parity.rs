//! Parity with `docker build --check`: berth's Docker checks (the rules of origin `docker`,
//! every one on, the experimental ones too) against BuildKit's own, run for real on the lint
//! corpus and the real-world corpus. Findings are compared as `(file, line, check name)`.
//!
//! The engine is a second Docker Engine that `scripts/docker-check-engine.sh start` runs from
//! Debian's packages (the machine's own predates the checks); it writes
//! `.cache/docker-check/engine.env`, which this test reads. It can pull nothing: when BuildKit
//! asks for a base image, the test tags a stand-in with its name (`scripts/stand-in-images.py`:
//! no files, only `PATH` in its ENV, every Linux platform, or the one platform a name such as
//! `arm64v8/...` fixes), and asks again. A `# syntax=` directive names a frontend image to pull;
//! BuildKit's built-in frontend reads the file instead, given a copy whose directive line is
//! replaced by one that changes nothing (line numbers hold).
//!
//! BuildKit rejects some files outright (a build error: a cycle, a port out of range...): those
//! are compared on neither side, and must be the files listed in
//! `tests/docker-check/differences.md` (`docker-check-rejected`). Every other difference must
//! be a row there (`docker-check-differences`) with its reason; an unlisted difference fails,
//! and so does a listed one that no longer happens. The per-rule table must match
//! `docs/lint-vs-hadolint.md` (`docker-check-rules`).
//!
//! Ignored by a plain `cargo test`; `make test` starts the engine and runs it with
//! `--include-ignored`. Skips (with a message) when the engine or the real-world corpus is
//! missing and `CI` is unset; under `CI` either missing fails.

mod parity_support;

use berth_lint::registry::ALL;
use berth_lint::{LintConfig, Linter, Origin};
use parity_support::{
    BERTH_ONLY, Counts, Finding, between_markers, difference_rows, differences, per_rule,
    present_or_skip, root,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The side of a finding only BuildKit reports, in differences.md.
const DOCKER_ONLY: &str = "docker only";

/// How many `docker build --check` run at once (the engine does the work; 2 cores).
const PARALLEL_CHECKS: usize = 4;

/// The engine's environment (`DOCKER_HOST`, `DOCKER_CONFIG`), or `None` (with a message) when
/// the engine is not running outside CI.
fn engine_or_skip() -> Option<Vec<(String, String)>> {
    let path = root().join(".cache/docker-check/engine.env");
    if !present_or_skip(&path, "scripts/docker-check-engine.sh start") {
        return None;
    }
    let text = std::fs::read_to_string(&path).expect("the engine's environment");
    let env: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut version = Command::new("docker");
    version.args(["buildx", "version"]).envs(env.clone());
    let works = version.output().is_ok_and(|o| o.status.success());
    assert!(works, "the engine of {} does not answer", path.display());
    Some(env)
}

/// Both corpora's files, each with its name in the findings: `lint-corpus/<file>` and
/// `real-world/<project>/<path>`.
fn corpus_files() -> Option<Vec<(PathBuf, String)>> {
    let real_world = root().join(".cache/real-world/corpus");
    if !present_or_skip(&real_world, "make real-world-corpus") {
        return None;
    }
    let lint_corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint-corpus");
    let mut files = Vec::new();
    for (dir, prefix) in [(lint_corpus, "lint-corpus"), (real_world, "real-world")] {
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let name = path.strip_prefix(&dir).unwrap().to_string_lossy();
                    files.push((path.clone(), format!("{prefix}/{name}")));
                }
            }
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    Some(files)
}

/// The stand-in for a base image name (see `scripts/stand-in-images.py`).
fn stand_in(reference: &str) -> String {
    let name = reference.strip_prefix("docker.io/").unwrap_or(reference);
    let name = name.strip_prefix("library/").unwrap_or(name);
    let one_platform = [
        ("amd64/", "linux-amd64"),
        ("arm64v8/", "linux-arm64"),
        ("arm32v7/", "linux-armv7"),
        ("arm32v6/", "linux-armv6"),
        ("i386/", "linux-386"),
        ("ppc64le/", "linux-ppc64le"),
        ("s390x/", "linux-s390x"),
        ("riscv64/", "linux-riscv64"),
        ("mcr.microsoft.com/windows", "windows-amd64"),
    ];
    let tag = one_platform
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map_or("multi", |(_, tag)| tag);
    format!("berth-standin:{tag}")
}

/// The file to give BuildKit: `path` itself, or a copy in `scratch` whose `# syntax=` directive
/// is replaced by a directive that changes nothing.
fn without_syntax_directive(path: &Path, scratch: &Path) -> PathBuf {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let directive = |line: &str, key: &str| {
        let line = line.trim_start();
        line.strip_prefix('#').is_some_and(|rest| {
            let rest = rest.trim_start();
            rest.len() > key.len()
                && rest[..key.len()].eq_ignore_ascii_case(key)
                && rest[key.len()..].trim_start().starts_with('=')
        })
    };
    // Parser directives only stand at the top, before any other line.
    let top: Vec<&str> = text
        .lines()
        .take_while(|l| l.trim_start().starts_with('#'))
        .collect();
    let Some(syntax_line) = top.iter().position(|l| directive(l, "syntax")) else {
        return path.to_path_buf();
    };
    let harmless = if top.iter().any(|l| directive(l, "check")) {
        "# escape=\\"
    } else {
        "# check=error=false"
    };
    let copy: Vec<&str> = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i == syntax_line { harmless } else { l })
        .collect();
    let out = scratch.join(format!(
        "{}.Dockerfile",
        path.to_string_lossy().replace('/', "_")
    ));
    std::fs::write(&out, copy.join("\n") + "\n").unwrap();
    out
}

/// What BuildKit said of one file: its warnings as `(line, check)`, and its build error if it
/// rejected the file (the warnings are then those it found before it stopped).
type Outcome = (Vec<(usize, String)>, Option<String>);

/// `docker build --call=check` on `path` (context: its directory), tagging stand-ins for the
/// base images BuildKit asks for.
fn docker_check(env: &[(String, String)], path: &Path, scratch: &Path) -> Outcome {
    let dockerfile = without_syntax_directive(path, scratch);
    let mut tagged = BTreeSet::new();
    loop {
        let output = Command::new("docker")
            .envs(env.iter().cloned())
            .args(["build", "--call", "check,format=json", "--build-arg"])
            .arg("BUILDKIT_DOCKERFILE_CHECK=experimental=all")
            .arg("-f")
            .arg(&dockerfile)
            .arg(path.parent().unwrap())
            .output()
            .expect("docker runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let marker = "failed to resolve source metadata for ";
        if let Some(at) = stderr.find(marker) {
            let rest = &stderr[at + marker.len()..];
            let reference = rest.split(": ").next().unwrap_or("").trim().to_owned();
            // A digest names one exact image: no stand-in can have it.
            if !reference.contains('@') && tagged.insert(reference.clone()) {
                let tag = Command::new("docker")
                    .envs(env.iter().cloned())
                    .args(["tag", &stand_in(&reference), &reference])
                    .output()
                    .expect("docker runs");
                assert!(tag.status.success(), "docker tag {reference}: {tag:?}");
                continue;
            }
        }
        let error = stderr
            .lines()
            .find(|l| l.starts_with("ERROR:"))
            .map(|l| l.trim_start_matches("ERROR: ").to_owned());
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
        let warnings = report["warnings"].as_array().cloned().unwrap_or_default();
        let warnings = warnings
            .iter()
            .map(|w| {
                let line = w["location"]["ranges"][0]["start"]["line"]
                    .as_u64()
                    .unwrap_or(0);
                (
                    usize::try_from(line).unwrap(),
                    w["ruleName"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert!(
            error.is_some() || report.is_object(),
            "{}: no report and no error: {stderr}",
            path.display()
        );
        return (warnings, error);
    }
}

/// BuildKit's outcome for every file, [`PARALLEL_CHECKS`] at a time.
fn docker_outcomes(env: &[(String, String)], files: &[(PathBuf, String)]) -> Vec<Outcome> {
    let scratch = tempfile::tempdir().unwrap();
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new(vec![(Vec::new(), None); files.len()]);
    std::thread::scope(|s| {
        for _ in 0..PARALLEL_CHECKS {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((path, _)) = files.get(i) else { break };
                    let outcome = docker_check(env, path, scratch.path());
                    outcomes.lock().unwrap()[i] = outcome;
                }
            });
        }
    });
    outcomes.into_inner().unwrap()
}

/// berth with every Docker check on, and only those.
fn berth_docker_checks() -> Linter {
    let codes = ALL
        .iter()
        .map(|e| e.meta)
        .filter(|m| m.origin == Origin::Docker)
        .map(|m| m.code.to_owned())
        .collect();
    Linter::new(LintConfig {
        only: Some(codes),
        ..LintConfig::default()
    })
}

/// `tests/docker-check/differences.md`.
fn differences_doc() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/docker-check/differences.md"),
    )
    .expect("tests/docker-check/differences.md")
}

/// The per-rule table, with BuildKit as the reference.
fn docker_rule_table(rules: &BTreeMap<String, Counts>) -> String {
    parity_support::rule_table(rules).replacen("| hadolint |", "| docker build --check |", 1)
}

#[test]
#[ignore = "needs a Docker Engine with BuildKit's checks (scripts/docker-check-engine.sh start); make test runs it"]
fn berth_and_docker_build_check_differ_only_where_documented() {
    let Some(env) = engine_or_skip() else { return };
    let Some(files) = corpus_files() else { return };
    let outcomes = docker_outcomes(&env, &files);
    let linter = berth_docker_checks();

    let mut theirs: BTreeSet<Finding> = BTreeSet::new();
    let mut ours: BTreeSet<Finding> = BTreeSet::new();
    let mut rejected = BTreeSet::new();
    // On a file BuildKit rejects, the warnings it found before it stopped: berth must report
    // each of them too (its other findings are not compared, as BuildKit's list is cut short).
    let mut missed_before_rejection = Vec::new();
    let mut checked_before_rejection = 0;
    for ((path, name), (warnings, error)) in files.iter().zip(outcomes) {
        let warnings: BTreeSet<Finding> = warnings
            .into_iter()
            .map(|(l, c)| (name.clone(), l, c))
            .collect();
        let source = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let found: BTreeSet<Finding> = linter
            .lint(&source)
            .into_iter()
            .map(|d| (name.clone(), d.line, d.code.to_owned()))
            .collect();
        if let Some(error) = error {
            rejected.insert((name.clone(), error));
            checked_before_rejection += warnings.len();
            missed_before_rejection.extend(warnings.difference(&found).cloned());
            continue;
        }
        theirs.extend(warnings);
        ours.extend(found);
    }
    assert!(
        missed_before_rejection.is_empty(),
        "BuildKit's warnings on files it rejects that berth does not report: {missed_before_rejection:?}"
    );

    let doc = differences_doc();
    let listed_rejected: BTreeSet<String> = between_markers(&doc, "docker-check-rejected")
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(file, _)| file.to_owned())
        .collect();
    let rejected_files: BTreeSet<String> = rejected.iter().map(|(f, _)| f.clone()).collect();
    let unlisted: Vec<String> = rejected
        .iter()
        .filter(|(f, _)| !listed_rejected.contains(f))
        .map(|(f, e)| format!("| `{f}` | {} |", e.chars().take(160).collect::<String>()))
        .collect();
    let stale: Vec<&String> = listed_rejected.difference(&rejected_files).collect();
    assert!(
        unlisted.is_empty() && stale.is_empty(),
        "files BuildKit rejects, not listed:\n{}\nlisted but checked now: {stale:?}",
        unlisted.join("\n")
    );

    let actual: BTreeSet<(Finding, String)> = differences(&theirs, &ours)
        .into_iter()
        .map(|(f, side)| {
            let side = if side == BERTH_ONLY {
                side
            } else {
                DOCKER_ONLY.to_owned()
            };
            (f, side)
        })
        .collect();
    let rows = difference_rows(between_markers(&doc, "docker-check-differences"));
    assert!(
        rows.iter().all(|(_, _, reason)| !reason.is_empty()),
        "every listed difference needs a reason"
    );
    let documented: BTreeSet<(Finding, String)> =
        rows.into_iter().map(|(f, side, _)| (f, side)).collect();
    let row = |((file, line, code), side): &(Finding, String)| {
        format!("| `{file}` | {line} | {code} | {side} | |\n")
    };
    let undocumented: String = actual.difference(&documented).map(row).collect();
    let gone: String = documented.difference(&actual).map(row).collect();

    let table = docker_rule_table(&per_rule(&theirs, &ours));
    println!(
        "docker build --check parity: {} files, {} rejected by BuildKit (berth reports all {checked_before_rejection} warnings BuildKit gave on them before it stopped), {} BuildKit findings, {} berth findings, {} in common, {} documented differences\n{table}",
        files.len(),
        rejected.len(),
        theirs.len(),
        ours.len(),
        theirs.intersection(&ours).count(),
        documented.len(),
    );
    assert!(
        undocumented.is_empty() && gone.is_empty(),
        "undocumented differences:\n{undocumented}\nlisted but not happening:\n{gone}"
    );
    let lint_doc = std::fs::read_to_string(root().join("docs/lint-vs-hadolint.md"))
        .expect("docs/lint-vs-hadolint.md");
    assert_eq!(
        between_markers(&lint_doc, "docker-check-rules").trim(),
        table.trim(),
        "docs/lint-vs-hadolint.md's docker-check-rules table is stale"
    );
}
