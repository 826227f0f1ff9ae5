//! `berth lint` end to end: exit codes, configuration files, pragmas, --explain, --list-rules.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("berth-lint-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn berth_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("BERTH_LINT_SHELLCHECK_CACHE", "off")
        .output()
        .expect("run berth")
}

const BAD: &str =
    "FROM debian:12\nUSER 10001\nRUN apt-get install -y --no-install-recommends curl\n";

#[test]
fn exit_codes_follow_the_threshold() {
    let d = dir("threshold");
    std::fs::write(d.join("Dockerfile"), BAD).unwrap();
    let out = berth_in(&d, &["lint"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Dockerfile:3:1 DL3008 warning"), "{text}");
    assert_eq!(
        berth_in(&d, &["lint", "-t", "error"]).status.code(),
        Some(0)
    );
    assert_eq!(berth_in(&d, &["lint", "--no-fail"]).status.code(), Some(0));
    assert_eq!(
        berth_in(&d, &["lint", "--ignore", "DL3008,DL3009"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        berth_in(&d, &["lint", "missing-dir"]).status.code(),
        Some(2)
    );
    assert_eq!(
        berth_in(&d, &["lint", "--ignore", "NOPE"]).status.code(),
        Some(2)
    );
}

#[test]
fn reads_hadolint_yaml_berth_toml_and_pragmas() {
    let d = dir("config");
    std::fs::write(d.join("Dockerfile"), BAD).unwrap();
    std::fs::write(d.join(".hadolint.yaml"), "ignored: [DL3008]\n").unwrap();
    assert_eq!(berth_in(&d, &["lint"]).status.code(), Some(0));
    std::fs::remove_file(d.join(".hadolint.yaml")).unwrap();
    std::fs::write(
        d.join("berth.toml"),
        "[lint]\nfailure-threshold = \"error\"\n",
    )
    .unwrap();
    assert_eq!(berth_in(&d, &["lint"]).status.code(), Some(0));
    std::fs::remove_file(d.join("berth.toml")).unwrap();
    let pragma = BAD.replace("RUN apt-get", "# berth ignore=DL3008\nRUN apt-get");
    std::fs::write(d.join("Dockerfile"), pragma).unwrap();
    assert_eq!(berth_in(&d, &["lint"]).status.code(), Some(0));
}

#[test]
fn explain_and_list_rules() {
    let d = dir("docs");
    let out = berth_in(&d, &["lint", "--explain", "JSONArgsRecommended"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("## Use instead"));
    assert_eq!(
        berth_in(&d, &["lint", "--explain", "DL9999"]).status.code(),
        Some(2)
    );
    let list = String::from_utf8(berth_in(&d, &["lint", "--list-rules"]).stdout).unwrap();
    assert!(list.contains("DL3008") && list.contains("UndefinedVar") && list.contains("BRT012"));
}

#[test]
fn sarif_and_github_formats() {
    let d = dir("formats");
    std::fs::write(d.join("Dockerfile"), BAD).unwrap();
    let out = berth_in(&d, &["lint", "-f", "sarif", "--no-fail"]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let gh =
        String::from_utf8(berth_in(&d, &["lint", "-f", "github", "--no-fail"]).stdout).unwrap();
    assert!(gh.starts_with("::"), "{gh}");
}

#[test]
fn build_args_let_the_stage_graph_rules_read_a_base_from_an_arg() {
    let d = dir("build-arg");
    std::fs::write(d.join("Dockerfile"), "ARG BASE\nFROM $BASE\nRUN true\n").unwrap();
    // Without a value for BASE, BuildKit cannot build the graph: its rules skip the file.
    let out = berth_in(&d, &["lint", "--select", "BRT003"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = berth_in(
        &d,
        &[
            "lint",
            "--select",
            "BRT003",
            "--build-arg",
            "BASE=debian:12",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Dockerfile:2:1 BRT003"), "{text}");
    assert_eq!(
        berth_in(&d, &["lint", "--build-arg", "BASE"]).status.code(),
        Some(2)
    );
}
