//! The report formats of `berth lint` on one corpus file: SARIF validated against the SARIF
//! 2.1.0 JSON schema (vendored in `tests/data/`, offline), and snapshots of every format.

use berth_lint::files::FileReport;
use berth_lint::report::{Format, render};
use berth_lint::{LintConfig, Linter};
use std::path::{Path, PathBuf};

fn report() -> Vec<FileReport> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/lint-corpus/realistic-node-app.Dockerfile");
    let source = std::fs::read_to_string(&path).unwrap();
    vec![FileReport {
        path: PathBuf::from("docker/realistic-node-app.Dockerfile"),
        diagnostics: Linter::new(LintConfig::default()).lint(&source),
    }]
}

#[test]
fn sarif_is_valid_against_the_2_1_0_schema() {
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let sarif: serde_json::Value =
        serde_json::from_str(&render(Format::Sarif, &report(), false)).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // GitHub's own requirements beyond the schema.
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(!rules.is_empty());
    for rule in rules {
        for key in ["id", "shortDescription", "fullDescription", "help"] {
            assert!(!rule[key].is_null(), "rule without {key}: {rule}");
        }
    }
    for result in run["results"].as_array().unwrap() {
        assert!(
            result["ruleId"].is_string()
                && result["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64()
        );
    }
    // One fingerprint per finding: GitHub merges results that share one.
    let fingerprints: std::collections::BTreeSet<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"]["primaryLocationLineHash"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(fingerprints.len(), run["results"].as_array().unwrap().len());
    // An invalid log is rejected, so the check above means something.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn formats_snapshots() {
    let reports = report();
    insta::assert_snapshot!("text", render(Format::Text, &reports, false));
    insta::assert_snapshot!("json", render(Format::Json, &reports, false));
    insta::assert_snapshot!("checkstyle", render(Format::Checkstyle, &reports, false));
    insta::assert_snapshot!("github", render(Format::Github, &reports, false));
    let mut sarif: serde_json::Value =
        serde_json::from_str(&render(Format::Sarif, &reports, false)).unwrap();
    for key in ["version", "semanticVersion"] {
        sarif["runs"][0]["tool"]["driver"][key] = serde_json::json!("[version]");
    }
    insta::assert_json_snapshot!("sarif", sarif);
}
