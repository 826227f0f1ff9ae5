//! Size and encoding limits: 10,000 instructions parse quickly, a 1 MB line gets BuildKit's
//! line-length error, and non-UTF-8, empty and comment-only files get clear errors.

use berth_dockerfile::{BuildOptions, Error, parse_bytes};
use std::time::{Duration, Instant};

#[test]
fn ten_thousand_instructions_parse_fast() {
    let mut text = String::from("ARG BASE=alpine:3.20\nFROM ${BASE} AS build\n");
    for i in 0..10_000 {
        match i % 5 {
            0 => text.push_str(&format!("RUN echo {i} && \\\n    true\n")),
            1 => text.push_str(&format!("ENV V{i}=value-{i}\n")),
            2 => text.push_str(&format!("COPY --chown=app:app src/{i} /app/{i}/\n")),
            3 => text.push_str(&format!("LABEL n{i}=\"x y\"\n")),
            _ => text.push_str(&format!("WORKDIR /app/$V{}\n", i - 3)),
        }
    }
    let started = Instant::now();
    let file = parse_bytes(text.as_bytes()).expect("parses");
    let graph = file.stage_graph(&BuildOptions::default()).expect("graph");
    let elapsed = started.elapsed();
    assert_eq!(file.instructions.len(), 10_002);
    assert_eq!(graph.stages[0].instructions.len(), 10_000);
    // Generous because tests run unoptimised; the release binary analyzes this file in well under
    // a second.
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[test]
fn one_megabyte_line_is_a_clear_error() {
    let text = format!("FROM alpine\nRUN echo {}\n", "x".repeat(1 << 20));
    let started = Instant::now();
    let error = parse_bytes(text.as_bytes()).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(error, Error::LineTooLong { line: 2, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("max allowed size of 65535"));
}

#[test]
fn longest_allowed_line_parses() {
    let text = format!("FROM alpine\nRUN {}\n", "y".repeat(65_535 - 4));
    assert!(parse_bytes(text.as_bytes()).is_ok());
}

#[test]
fn non_utf8_empty_and_comment_only_files_have_clear_messages() {
    let error = parse_bytes(b"FROM alpine\nRUN echo \xff\n").unwrap_err();
    assert_eq!(
        error.to_string(),
        "line 2, column 10: the Dockerfile is not valid UTF-8"
    );
    assert_eq!(parse_bytes(b"").unwrap_err(), Error::Empty);
    let error = parse_bytes(b"# just a comment\n\n# another\n").unwrap_err();
    assert!(
        error.to_string().starts_with("file with no instructions"),
        "{error}"
    );
    let error = parse_bytes(b"# syntax=docker/dockerfile:1\n").unwrap_err();
    assert!(matches!(error, Error::NoInstructions { .. }));
}
