//! End-to-end tests of `berth analyze`: the real binary, its exit codes and its output.

use std::path::PathBuf;
use std::process::{Command, Output};

fn berth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .output()
        .expect("berth runs")
}

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("berth-analyze-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

fn example() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/analyze/multistage.Dockerfile"
    )
    .to_owned()
}

#[test]
fn text_report_exits_zero() {
    let out = berth(&["analyze", &example(), "--tag", "ml-service:v1"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("Score: 7/7 checks passed"));
    assert!(text.contains("--target builder -t ml-service:builder ."));
}

#[test]
fn json_report_parses_and_has_the_same_score() {
    let out = berth(&["analyze", &example(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(value["schema_version"], 3);
    assert_eq!(value["score"], 7);
    assert_eq!(value["checks"].as_array().map(Vec::len), Some(7));
}

#[test]
fn parse_error_exits_two_with_position() {
    let path = temp_file("bad.Dockerfile", b"FROM alpine\nRUN <<EOF\nnever closed\n");
    let out = berth(&["analyze", path.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 2") && stderr.contains("unterminated heredoc"),
        "{stderr}"
    );
}

#[test]
fn unreadable_input_gets_clear_messages() {
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "latin1.Dockerfile",
            b"FROM alpine\nLABEL a=\xe9\n",
            "not valid UTF-8",
        ),
        ("empty.Dockerfile", b"", "cannot be empty"),
        (
            "comments.Dockerfile",
            b"# nothing\n# here\n",
            "file with no instructions",
        ),
        ("missing.Dockerfile", b"", "cannot read"),
    ];
    for (name, contents, expected) in cases {
        let path = if name == "missing.Dockerfile" {
            std::env::temp_dir().join("berth-no-such-dir/Dockerfile")
        } else {
            temp_file(name, contents)
        };
        let out = berth(&["analyze", path.to_str().expect("path")]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
}

const BASE_FROM_ARG: &[u8] = b"ARG BASE\nARG TAG=3.12\nFROM python:${TAG}-slim AS build\nRUN pip install --no-cache-dir -r requirements.txt\nFROM $BASE\nCOPY --from=build /usr/local /usr/local\n";

#[test]
fn a_base_from_an_arg_without_value_is_reported_as_unknown() {
    let path = temp_file("from-arg.Dockerfile", BASE_FROM_ARG);
    let path = path.to_str().expect("path");
    let out = berth(&["analyze", path]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("Base: unknown ($BASE unresolved)"), "{text}");
    assert!(text.contains("--build-arg BASE=..."), "{text}");

    let out = berth(&["analyze", path, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let stage = &value["stages"][1];
    assert_eq!(stage["base"], "$BASE");
    assert_eq!(stage["unresolved_args"], serde_json::json!(["BASE"]));
    assert!(stage["root_image"].is_null());
    assert_eq!(value["stages"][0]["unresolved_args"], serde_json::json!([]));
}

#[test]
fn build_args_resolve_bases_like_docker_build() {
    let path = temp_file("from-arg-given.Dockerfile", BASE_FROM_ARG);
    let path = path.to_str().expect("path");
    let out = berth(&[
        "analyze",
        path,
        "--format",
        "json",
        "--build-arg",
        "BASE=python:3.13-slim",
        "--build-arg",
        "TAG=3.13",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(
        value["stages"][0]["base"], "python:3.13-slim",
        "over the default"
    );
    assert_eq!(value["stages"][1]["base"], "python:3.13-slim");
    assert_eq!(value["stages"][1]["root_image"], "python:3.13-slim");
    let build = value["build_commands"][0]["command"]
        .as_str()
        .expect("command");
    assert!(
        build.contains("--build-arg BASE=python:3.13-slim --build-arg TAG=3.13"),
        "{build}"
    );

    let out = berth(&["analyze", path, "--build-arg", "BASE"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "clap rejects a value without `=`"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected NAME=VALUE"));
}

#[test]
fn berths_runner_is_judged_by_the_dockerfiles_of_its_base_images() {
    let runner = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../container/Dockerfile.runner"
    );
    let base_runner = std::path::Path::new(runner).with_file_name("Dockerfile.base-runner");
    let out = berth(&["analyze", runner, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let checks = value["checks"].as_array().expect("checks");
    let not_applicable: Vec<&str> = checks
        .iter()
        .filter(|c| c["applicable"] == false)
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    let slim = checks
        .iter()
        .find(|c| c["id"] == "slim-base-image")
        .expect("slim check");
    let slim_reason = slim["reason"].as_str().expect("reason");
    // The builder image copies only Dockerfile.runner (container/Dockerfile.builder): there the
    // base is a private image of unknown size, as any image whose Dockerfile is not beside it.
    if base_runner.exists() {
        assert_eq!(not_applicable, ["layer-caching", "pip-cache"]);
        assert_eq!(slim["passed"], true, "{slim_reason}");
        assert!(
            slim_reason.contains("Dockerfile.base-runner FROM scratch"),
            "{slim_reason}"
        );
        assert_eq!((&value["score"], &value["total"]), (&5.into(), &5.into()));
        let note = value["size_note"]
            .as_str()
            .expect("no estimate, with a note");
        assert!(note.contains("Dockerfile.base-runner"), "{note}");
    } else {
        eprintln!(
            "{} is absent: the chain cannot be followed",
            base_runner.display()
        );
        assert_eq!(
            not_applicable,
            ["slim-base-image", "layer-caching", "pip-cache"]
        );
        assert_eq!((&value["score"], &value["total"]), (&4.into(), &4.into()));
    }

    let out = berth(&["analyze", runner]);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("Layer Caching (n/a): "), "{text}");
    assert!(!text.contains("a full image"), "{text}");
    assert!(!text.contains("Savings"), "{text}");
}

#[test]
fn base_dir_names_where_base_images_are_built() {
    let root = std::env::temp_dir().join(format!("berth-analyze-base-dir-{}", std::process::id()));
    let (app_dir, images_dir) = (root.join("app"), root.join("images"));
    std::fs::create_dir_all(&app_dir).expect("app dir");
    std::fs::create_dir_all(&images_dir).expect("images dir");
    let app = app_dir.join("Dockerfile");
    std::fs::write(
        &app,
        "FROM localhost/app-runner:1\nCOPY model.onnx /opt/ml/model/\n",
    )
    .expect("write app");
    std::fs::write(
        images_dir.join("Dockerfile.runner"),
        "FROM gcr.io/distroless/cc-debian12:nonroot\nHEALTHCHECK CMD [\"app\", \"healthcheck\"]\n",
    )
    .expect("write runner");
    let app = app.to_str().expect("path");
    let checks_passed = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["analyze", app, "--format", "json"];
        args.extend_from_slice(extra);
        let out = berth(&args);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
        value["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .filter(|c| c["passed"] == true)
            .map(|c| c["id"].as_str().expect("id").to_owned())
            .collect()
    };
    assert_eq!(checks_passed(&[]), Vec::<String>::new());
    let images = images_dir.to_str().expect("path");
    assert_eq!(
        checks_passed(&["--base-dir", images]),
        ["slim-base-image", "non-root-user", "health-check"]
    );
    let missing = root.join("missing");
    let out = berth(&[
        "analyze",
        app,
        "--base-dir",
        missing.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read --base-dir"));
    std::fs::remove_dir_all(&root).expect("clean up");
}
