//! Differential test against BuildKit's own parser, through the PyPI `dockerfile` package
//! (`make venv` installs it into `.venv`, pinned in `tests/requirements.txt`). Every corpus file must give the
//! same instructions, flags, arguments, line ranges and heredocs, or fail in both. Known
//! differences between the package's BuildKit (v0.12.5) and current BuildKit are listed in
//! `tests/corpus/parity-skip.txt`. Without the venv the test prints that it skipped.

use berth_dockerfile::{Node, parse_ast};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Our node in the package's shape: ENV/LABEL as pairs, ONBUILD values and flags as it reports.
fn as_package_shape(node: &Node) -> Value {
    let keyword = node.keyword.to_ascii_lowercase();
    let (value_node, sub_cmd) = match &node.trigger {
        Some(child) => (child.as_ref(), Value::String(child.keyword.clone())),
        None => (node, Value::Null),
    };
    let value_keyword = value_node.keyword.to_ascii_lowercase();
    // BuildKit keeps a nested ONBUILD's child under an empty-valued holder node.
    let values: Vec<&str> = if value_node.trigger.is_some() {
        vec![""]
    } else if matches!(value_keyword.as_str(), "env" | "label") {
        value_node
            .args
            .chunks(3)
            .flat_map(|t| t.iter().take(2))
            .map(|a| a.value.as_str())
            .collect()
    } else {
        value_node.args.iter().map(|a| a.value.as_str()).collect()
    };
    let heredocs: Vec<Value> = if keyword == "onbuild" {
        Vec::new()
    } else {
        node.heredocs
            .iter()
            .map(|h| json!({"name": h.name, "fd": h.file_descriptor, "content": h.content}))
            .collect()
    };
    let mut original = node.original.clone();
    // The package rebuilds `original` with heredoc bodies, except for ONBUILD.
    if !node.heredocs.is_empty() && keyword != "onbuild" {
        original.push('\n');
        for h in &node.heredocs {
            original.push_str(&h.content);
            original.push_str(&h.name);
            original.push('\n');
        }
    }
    json!({
        "cmd": node.keyword,
        "sub_cmd": sub_cmd,
        "json": node.json,
        "original": original,
        "start_line": node.start_line,
        "end_line": node.end_line,
        "flags": node.flags.iter().map(|f| f.text.as_str()).collect::<Vec<_>>(),
        "value": values,
        "heredocs": heredocs,
    })
}

#[test]
fn parser_matches_buildkit_on_corpus() {
    let root = workspace_root();
    let python = root.join(".venv/bin/python");
    if !python.exists() {
        // CI always has the venv (`make test` makes it): a skip there would hide a regression.
        assert!(
            std::env::var_os("CI").is_none(),
            "parity: {} not found in CI (make venv)",
            python.display()
        );
        eprintln!(
            "parity: skipped, {} not found (run `make venv`)",
            python.display()
        );
        return;
    }
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let output = Command::new(&python)
        .arg(root.join("scripts/buildkit_parse.py"))
        .arg(&corpus)
        .output()
        .expect("run buildkit_parse.py");
    assert!(
        output.status.success(),
        "buildkit_parse.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: serde_json::Map<String, Value> =
        serde_json::from_slice(&output.stdout).expect("JSON from buildkit_parse.py");
    let skip_list = std::fs::read_to_string(corpus.join("parity-skip.txt")).unwrap_or_default();
    let skipped: Vec<&str> = skip_list
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .collect();

    let (mut compared, mut skipped_count, mut mismatches) = (0, 0, Vec::new());
    for (name, expected) in &theirs {
        if skipped.contains(&name.as_str()) {
            skipped_count += 1;
            continue;
        }
        compared += 1;
        let text = std::fs::read_to_string(corpus.join(name)).expect("corpus file");
        let ours = match parse_ast(&text) {
            Ok(ast) => {
                json!({"instructions": ast.nodes.iter().map(as_package_shape).collect::<Vec<_>>()})
            }
            Err(e) => json!({"error": e.to_string()}),
        };
        let same = match (expected.get("error"), ours.get("error")) {
            (Some(_), Some(_)) => true,
            (None, None) => expected == &ours,
            _ => false,
        };
        if !same {
            mismatches.push(format!(
                "{name}:\n  buildkit: {expected}\n  berth:    {ours}"
            ));
        }
    }
    eprintln!(
        "parity: {compared} files compared, {skipped_count} skipped (known BuildKit version differences), {} mismatches",
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "parser differs from BuildKit:\n{}",
        mismatches.join("\n")
    );
    assert!(compared >= 60, "only {compared} files compared");
}
