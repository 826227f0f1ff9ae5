//! Snapshot tests of the `berth analyze` report: the seed's multistage example must print the
//! seed's expected output exactly; every other file under `tests/analyze/` is snapshotted as
//! text and JSON; `tests/analyze/chain/` is a chain of images built by sibling Dockerfiles.

use berth_lint::{AnalyzeOptions, analyze, render_text};
use std::path::Path;

fn options() -> AnalyzeOptions {
    AnalyzeOptions {
        path: "Dockerfile".to_owned(),
        image: "ml-service:v1".to_owned(),
        target: None,
        build_args: std::collections::BTreeMap::new(),
        local_images: berth_lint::analyze::LocalImages::default(),
    }
}

fn analyze_file(path: &Path) -> berth_lint::Analysis {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let file = berth_dockerfile::parse(&text).expect("fixture parses");
    analyze(&file, &options()).expect("fixture analyzes")
}

#[test]
fn seed_example_prints_the_seed_report() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/analyze");
    let analysis = analyze_file(&dir.join("seed-multistage.Dockerfile"));
    let expected = std::fs::read_to_string(dir.join("seed-expected.txt")).expect("expected output");
    assert_eq!(render_text(&analysis), expected);
    assert_eq!(analysis.score, 7);
}

#[test]
fn single_stage_python_fails_with_reasons() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/analyze");
    let analysis = analyze_file(&dir.join("single-stage-python.Dockerfile"));
    assert_eq!(analysis.score, 0);
    for check in &analysis.checks {
        assert!(!check.passed, "{} should fail", check.id);
        assert!(!check.reason.is_empty());
    }
}

#[test]
fn reports_match_snapshots() {
    insta::glob!("analyze/*.Dockerfile", |path| {
        let analysis = analyze_file(path);
        insta::assert_snapshot!("text", render_text(&analysis));
        insta::assert_json_snapshot!("json", analysis);
    });
}

#[test]
fn a_base_built_by_a_sibling_dockerfile_is_followed() {
    // Relative (tests run in the crate's directory), so the paths in the report are stable.
    let path = Path::new("tests/analyze/chain/Dockerfile.runner");
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let file = berth_dockerfile::parse(&text).expect("fixture parses");
    let options = AnalyzeOptions {
        path: "chain/Dockerfile.runner".to_owned(),
        image: "app:v1".to_owned(),
        local_images: berth_lint::analyze::LocalImages::beside(path),
        ..AnalyzeOptions::default()
    };
    let analysis = analyze(&file, &options).expect("fixture analyzes");
    let check = |id: &str| {
        analysis
            .checks
            .iter()
            .find(|c| c.id == id)
            .expect("check")
            .clone()
    };
    let slim = check("slim-base-image");
    assert!(slim.passed, "{}", slim.reason);
    assert!(
        slim.reason.contains("Dockerfile.base-runner FROM scratch"),
        "{}",
        slim.reason
    );
    let user = check("non-root-user");
    assert!(user.passed, "base-runner's USER 10001: {}", user.reason);
    assert!(analysis.size_estimate.is_none());
    insta::assert_snapshot!("chain-runner", render_text(&analysis));
}
