//! `berth lint --shellcheck`: the real `shellcheck` program on RUN scripts (positions inside
//! continuations and heredocs, pragmas, `.hadolint.yaml`, `--ignore`, SARIF's help link), the
//! modes, and the refusals when the program is missing, fails or prints something else.
//!
//! The tests that need `shellcheck` are ignored by a plain `cargo test` (the builder image has
//! no shellcheck; `make test` runs them with `--include-ignored`); run, they skip with a
//! message when it is not installed, and fail under `CI` (`make test-tools` installs it).

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "berth-lint-shellcheck-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn berth_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("BERTH_LINT_SHELLCHECK")
        .env_remove("BERTH_LINT_SHELLCHECK_PATH")
        // No cache unless a test names one: every run checks for real, and nothing is left
        // in the home directory.
        .env("BERTH_LINT_SHELLCHECK_CACHE", "off")
        .output()
        .expect("run berth")
}

/// True when `shellcheck` is on PATH; otherwise skip (outside CI) with a message.
fn have_shellcheck() -> bool {
    let found = Command::new("shellcheck").arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs shellcheck (make test-tools)"
        );
        eprintln!("skipped: shellcheck is not installed (apt-get install shellcheck)");
    }
    found
}

const SCRIPTS: &str = "FROM debian:12\nUSER 10001\nARG VERSION=1\nRUN echo \"$VERSION\" \\\n    && echo $target\nRUN <<EOT\ntouch /srv\ncd /srv\nEOT\nRUN [\"echo\", \"$exec_form\"]\n";

/// `(line, column, code)` of the SC findings in `berth lint -f json` output.
fn sc_findings(out: &Output) -> Vec<(u64, u64, String)> {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    json.as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"].as_str().unwrap().starts_with("SC"))
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
#[ignore = "needs the shellcheck program (the builder image has none); make test runs it"]
fn findings_sit_on_their_own_lines_and_follow_the_configuration() {
    if !have_shellcheck() {
        return;
    }
    let d = dir("findings");
    std::fs::write(d.join("Dockerfile"), SCRIPTS).unwrap();
    let out = berth_in(&d, &["lint", "-f", "json", "--shellcheck", "on"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        sc_findings(&out),
        [
            (5, 13, "SC2086".to_owned()),
            (5, 13, "SC2154".to_owned()),
            (8, 1, "SC2164".to_owned())
        ]
    );
    let ignored = berth_in(
        &d,
        &[
            "lint",
            "-f",
            "json",
            "--shellcheck",
            "on",
            "--ignore",
            "SC2154,SC2164",
        ],
    );
    assert_eq!(sc_findings(&ignored), [(5, 13, "SC2086".to_owned())]);
    let off = berth_in(&d, &["lint", "-f", "json", "--shellcheck", "off"]);
    assert!(sc_findings(&off).is_empty());

    // `# hadolint ignore=` above the RUN and `.hadolint.yaml` work for SC codes.
    let with_pragma = SCRIPTS.replace(
        "RUN echo \"$VERSION\"",
        "# hadolint ignore=SC2086,SC2154\nRUN echo \"$VERSION\"",
    );
    std::fs::write(d.join("Dockerfile"), with_pragma).unwrap();
    std::fs::write(d.join(".hadolint.yaml"), "override:\n  error: [SC2164]\n").unwrap();
    let out = berth_in(&d, &["lint", "--shellcheck", "on"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Dockerfile:9:1 SC2164 error Use 'cd ... || exit'"),
        "{text}"
    );
    assert!(
        !text.contains("SC2086") && !text.contains("SC2154"),
        "{text}"
    );

    let sarif = berth_in(&d, &["lint", "-f", "sarif", "--shellcheck", "on"]);
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let rule = rules
        .iter()
        .find(|r| r["id"] == "SC2164")
        .expect("SC2164's rule");
    assert_eq!(rule["helpUri"], "https://www.shellcheck.net/wiki/SC2164");
}

#[test]
fn explain_and_list_rules_say_what_sc_codes_are() {
    let d = dir("explain");
    let out = berth_in(&d, &["lint", "--explain", "SC2086"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("ShellCheck") && text.contains("https://www.shellcheck.net/wiki/SC2086"));
    let list = String::from_utf8(berth_in(&d, &["lint", "--list-rules"]).stdout).unwrap();
    assert!(list.contains("SCxxxx codes are ShellCheck's"), "{list}");
    let enable = berth_in(&d, &["lint", "--enable", "SC2086", "."]);
    assert_eq!(enable.status.code(), Some(2));
}

/// A stand-in `shellcheck` that runs `body` (a shell script).
fn fake_shellcheck(d: &Path, body: &str) -> String {
    let path = d.join("fake-shellcheck");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn a_missing_failing_or_garbled_shellcheck_stops_the_run() {
    let d = dir("refusals");
    std::fs::write(d.join("Dockerfile"), SCRIPTS).unwrap();
    let missing = berth_in(
        &d,
        &[
            "lint",
            "--shellcheck",
            "on",
            "--shellcheck-path",
            "/nonexistent/shellcheck",
        ],
    );
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8(missing.stderr).unwrap();
    assert!(
        stderr.contains("ShellCheck is required but `/nonexistent/shellcheck` was not found"),
        "{stderr}"
    );
    // auto: no program, no SC findings, no error.
    let auto = berth_in(
        &d,
        &[
            "lint",
            "-f",
            "json",
            "--shellcheck-path",
            "/nonexistent/shellcheck",
        ],
    );
    assert_eq!(auto.status.code(), Some(1));
    assert!(sc_findings(&auto).is_empty());

    let crashing = fake_shellcheck(&d, "echo 'out of memory' >&2; exit 3");
    let out = berth_in(&d, &["lint", "--shellcheck-path", &crashing]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("failed") && stderr.contains("out of memory"),
        "{stderr}"
    );

    let garbled = fake_shellcheck(&d, "echo 'In x.sh line 1:'; exit 1");
    let out = berth_in(&d, &["lint", "--shellcheck-path", &garbled]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("unexpected ShellCheck output"), "{stderr}");
}

#[test]
#[ignore = "needs the shellcheck program (the builder image has none); make test runs it"]
fn the_cache_keeps_each_scripts_findings_and_gives_them_back_unchanged() {
    if !have_shellcheck() {
        return;
    }
    let d = dir("cache");
    std::fs::write(d.join("Dockerfile"), SCRIPTS).unwrap();
    let cache = d.join("cache");
    let _ = std::fs::remove_dir_all(&cache);
    let cache_arg = cache.to_str().unwrap();
    let run = || {
        berth_in(
            &d,
            &[
                "lint",
                "--shellcheck",
                "on",
                "--shellcheck-cache",
                cache_arg,
                "--no-fail",
                "-f",
                "json",
                "Dockerfile",
            ],
        )
    };
    let fresh = run();
    assert!(
        fresh.status.success(),
        "{}",
        String::from_utf8_lossy(&fresh.stderr)
    );
    let uncached = berth_in(
        &d,
        &[
            "lint",
            "--shellcheck",
            "on",
            "--no-fail",
            "-f",
            "json",
            "Dockerfile",
        ],
    );
    assert_eq!(sc_findings(&fresh), sc_findings(&uncached));
    assert!(!sc_findings(&fresh).is_empty());
    // One entry per RUN script (the exec-form RUN is not one).
    let entries: Vec<PathBuf> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(sc_findings(&run()), sc_findings(&fresh));
    // A damaged entry is a miss: the script is checked again and the entry rewritten.
    std::fs::write(&entries[0], b"{not json").unwrap();
    assert_eq!(sc_findings(&run()), sc_findings(&fresh));
    assert!(
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(&entries[0]).unwrap()).is_ok()
    );
}
