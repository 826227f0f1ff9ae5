//! Corpus harness: every `tests/corpus/*.Dockerfile` goes through the three stages (parser,
//! instructions, stage graph) and the result is snapshotted, so each behaviour of BuildKit's
//! parser has a small file and its expected parse under `tests/snapshots/`.

use berth_dockerfile::{BuildOptions, Node, parse, parse_ast};
use std::fmt::Write as _;

fn dump_node(node: &Node, indent: &str, out: &mut String) {
    let _ = write!(
        out,
        "{indent}{}-{} {} @{}:{}",
        node.start_line,
        node.end_line,
        node.keyword,
        node.keyword_span.start.line,
        node.keyword_span.start.column
    );
    if node.json {
        out.push_str(" json");
    }
    for flag in &node.flags {
        let _ = write!(
            out,
            " flag{:?}@{}:{}",
            flag.text, flag.span.start.line, flag.span.start.column
        );
    }
    for arg in &node.args {
        let _ = write!(
            out,
            " {:?}@{}:{}",
            arg.value, arg.span.start.line, arg.span.start.column
        );
    }
    if !node.comments.is_empty() {
        let _ = write!(out, " comments={:?}", node.comments);
    }
    if node.empty_continuation {
        out.push_str(" empty-continuation");
    }
    out.push('\n');
    for heredoc in &node.heredocs {
        let _ = writeln!(
            out,
            "{indent}  heredoc {:?} fd={} expand={} chomp={} content={:?}",
            heredoc.name, heredoc.file_descriptor, heredoc.expand, heredoc.chomp, heredoc.content
        );
    }
    if let Some(trigger) = &node.trigger {
        dump_node(trigger, &format!("{indent}  trigger "), out);
    }
}

fn describe(text: &str) -> String {
    let mut out = String::new();
    match parse_ast(text) {
        Err(e) => {
            let _ = writeln!(out, "parser error: {e}");
            return out;
        }
        Ok(ast) => {
            for d in &ast.directives {
                let _ = writeln!(out, "directive {}={:?} line {}", d.name, d.value, d.line);
            }
            let _ = writeln!(out, "escape {:?}", ast.escape);
            for node in &ast.nodes {
                dump_node(node, "", &mut out);
            }
        }
    }
    let file = match parse(text) {
        Err(e) => {
            let _ = writeln!(out, "instructions error: {e}");
            return out;
        }
        Ok(file) => file,
    };
    match file.stage_graph(&BuildOptions::default()) {
        Err(e) => {
            let _ = writeln!(out, "graph error: {e}");
        }
        Ok(graph) => {
            for stage in &graph.stages {
                let _ = writeln!(
                    out,
                    "stage {} {:?} base={:?} platform={:?} reachable={} expanded={:?}",
                    stage.index,
                    stage.display_name(),
                    stage.base,
                    stage.platform,
                    graph.reachable[stage.index],
                    stage.expanded
                );
            }
            for edge in &graph.edges {
                let _ = writeln!(
                    out,
                    "edge {:?} {:?} -> {} line {}",
                    edge.kind, edge.source, edge.to, edge.line
                );
            }
            for var in &graph.undefined_vars {
                let _ = writeln!(out, "undefined ${} line {}", var.name, var.span.start.line);
            }
            let _ = writeln!(out, "target {}", graph.target);
        }
    }
    out
}

#[test]
fn corpus_snapshots() {
    insta::glob!("corpus/*.Dockerfile", |path| {
        let bytes = std::fs::read(path).expect("corpus file is readable");
        let text = String::from_utf8(bytes).expect("corpus files are UTF-8");
        insta::assert_snapshot!(describe(&text));
    });
}

#[test]
fn corpus_is_large_enough_and_errors_are_named() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if !name.ends_with(".Dockerfile") {
            continue;
        }
        count += 1;
        let text = std::fs::read_to_string(&path).expect("utf-8");
        let outcome =
            parse(&text).and_then(|f| f.stage_graph(&BuildOptions::default()).map(|_| ()));
        assert_eq!(
            name.starts_with("error_"),
            outcome.is_err(),
            "{name}: files named error_* must fail, others must parse: {outcome:?}"
        );
    }
    assert!(count >= 60, "corpus has {count} files");
}
