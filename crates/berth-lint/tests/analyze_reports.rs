//! Snapshot tests of the `berth analyze` report: the seed's multistage example must print the
//! seed's expected output exactly; every other file under `tests/analyze/` is snapshotted as
//! text and JSON.

use berth_lint::{AnalyzeOptions, analyze, render_text};
use std::path::Path;

fn options() -> AnalyzeOptions {
    AnalyzeOptions {
        path: "Dockerfile".to_owned(),
        image: "ml-service:v1".to_owned(),
        target: None,
        build_args: std::collections::BTreeMap::new(),
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
