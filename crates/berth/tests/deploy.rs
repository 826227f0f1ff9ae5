//! The deployment files of `deploy/` (docs/deploy.md), checked for real: rendered and validated,
//! every container in them started as berth with its own arguments and probed, and the Compose
//! file brought up and down with `docker compose` and with `podman-compose`.
//!
//! The checks are Python programs under `deploy/test/` (YAML, JSON schemas and the engines' CLIs
//! are at home there); each test runs one and passes when it exits 0, showing what it printed.
//! They need the deploy tools (`make deploy-tools`), the container tools (`make test-tools`) and
//! the Docker Engine, so they are ignored by default; `make test` runs them.

use std::path::{Path, PathBuf};
use std::process::Command;

const BERTH: &str = env!("CARGO_BIN_EXE_berth");

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `deploy/test/<script>` with the tests' Python (.venv: PyYAML, jsonschema, tritonclient)
/// and the deploy tools (.venv-deploy), and fails with its output unless it exits 0.
fn run_check(script: &str, args: &[&str]) {
    let root = repo_root();
    let python = root.join(".venv/bin/python");
    let tools = root.join(".venv-deploy");
    for needed in [&python, &tools.join("bin/kubectl")] {
        assert!(
            needed.exists(),
            "{} is missing: run `make venv deploy-tools` first",
            needed.display()
        );
    }
    let output = Command::new(python)
        .arg(root.join("deploy/test").join(script))
        .args(["--berth", BERTH, "--fixtures"])
        .arg(root.join("tests/fixtures/models"))
        .arg("--tools")
        .arg(&tools)
        .args(args)
        .output()
        .expect("python runs");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{printed}");
    assert!(
        output.status.success(),
        "{script} {args:?} failed:\n{printed}"
    );
}

/// The ONNX Runtime library berth loads, for the runner-shaped base of the model image.
fn onnxruntime() -> String {
    berth_engine::library::LibraryLocator::from_env()
        .locate()
        .expect("the ONNX Runtime library (make onnxruntime)")
        .display()
        .to_string()
}

#[test]
#[ignore = "needs kubectl and kubernetes-validate (make deploy-tools); `make test` runs it"]
fn every_manifest_renders_validates_and_runs_as_berth_with_its_probes_answering() {
    run_check("validate.py", &[]);
}

#[test]
#[ignore = "needs the Docker Engine and Compose v2 (make deploy-tools); `make test` runs it"]
fn compose_up_with_docker_answers_and_prometheus_scrapes_berth() {
    run_check(
        "compose_test.py",
        &["--engine", "docker", "--ort-lib", &onnxruntime()],
    );
}

#[test]
#[ignore = "needs podman (make test-tools) and podman-compose (make deploy-tools); `make test` runs it"]
fn compose_up_with_podman_compose_answers_and_prometheus_scrapes_berth() {
    run_check(
        "compose_test.py",
        &["--engine", "podman", "--ort-lib", &onnxruntime()],
    );
}
