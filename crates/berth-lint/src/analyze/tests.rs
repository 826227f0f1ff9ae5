//! The analysis end to end on small Dockerfiles: checks, n/a, local images, estimates.

use super::*;

fn run(src: &str) -> Analysis {
    let file = berth_dockerfile::parse(src).unwrap();
    analyze(
        &file,
        &AnalyzeOptions {
            path: "Dockerfile".into(),
            image: "app:v1".into(),
            target: None,
            build_args: BTreeMap::new(),
            local_images: LocalImages::default(),
        },
    )
    .unwrap()
}

fn passed(analysis: &Analysis, id: &str) -> bool {
    analysis.checks.iter().find(|c| c.id == id).unwrap().passed
}

fn applies(analysis: &Analysis, id: &str) -> bool {
    analysis
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap()
        .applicable
}

#[test]
fn checks_with_nothing_to_judge_are_not_applicable() {
    // A tiny private base, a final stage that installs nothing: berth's own runner.
    let a = run("FROM localhost/builder:1 AS builder
FROM localhost/base-runner:1
COPY --from=builder /out/bin/app /usr/local/bin/app
USER 10001
HEALTHCHECK CMD [\"app\", \"healthcheck\"]\n");
    for id in ["slim-base-image", "layer-caching", "pip-cache"] {
        assert!(!applies(&a, id) && !passed(&a, id), "{id} is n/a");
    }
    assert_eq!((a.score, a.total), (4, 4));
    assert!(
        a.takeaways
            .iter()
            .all(|t| !t.contains("slim") && !t.contains("install"))
    );
    // An unresolved base says how to resolve it.
    let b = run("ARG BASE\nFROM $BASE\n");
    let slim = b.checks.iter().find(|c| c.id == "slim-base-image").unwrap();
    assert!(!slim.applicable);
    assert!(
        slim.reason.contains("--build-arg BASE=..."),
        "{}",
        slim.reason
    );
    // Known images, and installs, are still judged.
    let c = run("FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n");
    for id in ["slim-base-image", "layer-caching", "pip-cache"] {
        assert!(applies(&c, id) && !passed(&c, id), "{id} applies and fails");
    }
    assert_eq!(c.total, 7);
}

#[test]
fn user_root_fails_and_inherits_through_from_stage() {
    let a = run("FROM alpine:3.20 AS base\nUSER app\nFROM base\nRUN true\n");
    assert!(passed(&a, "non-root-user"));
    let b = run("FROM alpine:3.20\nUSER app\nUSER 0:0\n");
    assert!(!passed(&b, "non-root-user"));
}

#[test]
fn user_in_a_build_stage_does_not_count() {
    let a = run("FROM alpine:3.20 AS build\nUSER app\nFROM alpine:3.20\nCOPY --from=build /a /a\n");
    assert!(!passed(&a, "non-root-user"));
}

#[test]
fn layer_caching_looks_at_order_not_text() {
    let good = run(
        "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n",
    );
    assert!(passed(&good, "layer-caching"));
    let bad = run(
        "FROM python:3.12-slim\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n",
    );
    assert!(!passed(&bad, "layer-caching"));
}

#[test]
fn pip_cache_accepts_flag_env_or_cache_mount() {
    assert!(!passed(
        &run("FROM python:3.12\nRUN pip install x\n"),
        "pip-cache"
    ));
    assert!(passed(
        &run("FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache pip install x\n"),
        "pip-cache"
    ));
    assert!(passed(
        &run("FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install x\n"),
        "pip-cache"
    ));
    // A comment mentioning the flag is not the flag.
    assert!(!passed(
        &run("FROM python:3.12\nRUN pip install x # --no-cache-dir later\n"),
        "pip-cache"
    ));
}

#[test]
fn heredocs_count_only_when_a_shell_runs_them() {
    for run_line in ["RUN <<EOT", "RUN <<EOT bash", "RUN <<EOT sh -ex"] {
        let src = format!("FROM python:3.12\n{run_line}\npip install x\nEOT\n");
        assert!(!passed(&run(&src), "pip-cache"), "{run_line}");
    }
    // A file written by `cat` and a Python script are not commands of the image build:
    // no pip install runs, so the check has nothing to judge.
    for run_line in ["RUN cat <<EOT > /usr/local/bin/setup", "RUN <<EOT python3"] {
        let src = format!("FROM python:3.12\n{run_line}\npip install x\nEOT\n");
        assert!(!applies(&run(&src), "pip-cache"), "{run_line}");
    }
}

fn run_with(src: &str, local_images: LocalImages) -> Analysis {
    let file = berth_dockerfile::parse(src).unwrap();
    let options = AnalyzeOptions {
        path: "container/Dockerfile.app".into(),
        image: "app:v1".into(),
        local_images,
        ..AnalyzeOptions::default()
    };
    analyze(&file, &options).unwrap()
}

fn check_of<'a>(analysis: &'a Analysis, id: &str) -> &'a Check {
    analysis.checks.iter().find(|c| c.id == id).unwrap()
}

/// The whole report, text and JSON, for "never says X" assertions.
fn everything(analysis: &Analysis) -> String {
    render::render_text(analysis) + &serde_json::to_string(analysis).unwrap()
}

#[test]
fn windows_images_get_no_linux_advice() {
    for src in [
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN echo hi\n",
        "FROM python:3.11-windowsservercore-ltsc2022\nRUN pip install --no-cache-dir x\n",
    ] {
        let a = run(src);
        let slim = check_of(&a, "slim-base-image");
        assert!(!slim.applicable, "{src}: {}", slim.reason);
        assert!(slim.reason.contains("Windows"), "{}", slim.reason);
        assert!(a.size_estimate.is_none());
        assert!(a.size_note.as_deref().unwrap().starts_with("No estimate"));
        let root = check_of(&a, "non-root-user");
        assert!(!root.passed && root.reason.contains("ContainerAdministrator"));
        let all = everything(&a);
        assert!(!all.contains("-slim") && !all.contains("-alpine"), "{all}");
        assert!(a.takeaways.iter().any(|t| t.contains("USER ContainerUser")));
    }
    let admin =
        run("FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nUSER ContainerAdministrator\n");
    let check = check_of(&admin, "non-root-user");
    assert!(!check.passed && check.reason.contains("Windows administrator"));
    let nano = run("FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCOPY app.exe /\n");
    assert!(passed(&nano, "slim-base-image"));
    assert!(
        passed(&nano, "non-root-user"),
        "Nano Server runs as ContainerUser"
    );
}

#[test]
fn digest_pins_name_no_new_tag() {
    let only = run(
        "FROM golang@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\nCOPY . .\n",
    );
    let slim = check_of(&only, "slim-base-image");
    assert!(
        !slim.applicable && slim.reason.contains("pinned by digest"),
        "{}",
        slim.reason
    );
    assert!(only.size_estimate.is_none());
    let all = everything(&only);
    assert!(!all.contains("-slim") && !all.contains("-alpine"), "{all}");

    let tagged = run(
        "FROM golang:1.22@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\nCOPY . .\n",
    );
    let slim = check_of(&tagged, "slim-base-image");
    assert!(slim.applicable && !slim.passed);
    assert!(
        slim.reason.contains("golang:1.22-alpine") && slim.reason.contains("pin its digest"),
        "{}",
        slim.reason
    );
    assert!(!everything(&tagged).contains("golang:1.22-slim"));
}

#[test]
fn a_builder_image_with_a_toolchain_is_a_build_tool() {
    let a = run("FROM rust:buster AS build
COPY . .
RUN cargo build --release
FROM debian:bookworm-slim
COPY --from=build /src/target/release/app /usr/local/bin/app
USER 10001
");
    let estimate = a.size_estimate.as_ref().expect("an estimate");
    assert!(
        estimate.excluded.iter().any(|e| e.item
            == "rust:buster, the build stage's image with the Rust toolchain (rustc, cargo)"
            && e.size_mb == Some(1500)),
        "{:?}",
        estimate.excluded
    );
    assert!(
        estimate
            .rows
            .iter()
            .any(|r| r.label == "rust:buster (single-stage)")
    );
    assert!(estimate.savings_mb > 0);
    assert!(!render::render_text(&a).contains("no build tools found"));
}

#[test]
fn distroless_and_chainguard_nonroot_images_do_not_run_as_root() {
    let distroless = run("FROM gcr.io/distroless/python3-debian12:nonroot\nCOPY app.py /app/\n");
    let check = check_of(&distroless, "non-root-user");
    assert!(
        check.passed && check.reason.contains("65532"),
        "{}",
        check.reason
    );
    assert!(passed(&distroless, "slim-base-image"));
    let chainguard = run("FROM cgr.dev/chainguard/python:latest\nCOPY app.py /app/\n");
    assert!(passed(&chainguard, "non-root-user"));
    assert!(passed(&chainguard, "slim-base-image"));
    // The distroless tags without `nonroot` run as root.
    let root = run("FROM gcr.io/distroless/static-debian12\nCOPY app /\n");
    assert!(!passed(&root, "non-root-user"));
}

#[test]
fn an_unknown_image_gets_no_estimate() {
    let a = run("FROM registry.example.com/team/app:1\nCOPY . .\n");
    assert!(a.size_estimate.is_none());
    assert_eq!(
        a.size_note.as_deref(),
        Some("No estimate: berth has no size for registry.example.com/team/app:1")
    );
}

#[test]
fn a_full_python_image_still_gets_its_slim_tag() {
    let a = run(
        "FROM python:3.12\nCOPY . .\nRUN apt-get install -y gcc && pip install -r requirements.txt\n",
    );
    let slim = check_of(&a, "slim-base-image");
    assert!(
        !slim.passed
            && slim
                .reason
                .contains("python:3.12-slim is its smaller variant")
    );
    let estimate = a.size_estimate.as_ref().unwrap();
    let labels: Vec<&str> = estimate.rows.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "python:3.12 (single-stage)",
            "python:3.12-slim (single-stage)",
            "python:3.12-slim (multistage)"
        ]
    );
    assert!(a.takeaways.iter().any(|t| t.contains("python:3.12-slim")));
}

#[test]
fn savings_shown_are_above_zero() {
    for src in [
        "FROM alpine:3.20\nCOPY app /app\n",
        "FROM ubuntu:24.04\nCOPY app /app\n",
        "FROM golang:1.22-alpine AS build\nRUN go build\nFROM gcr.io/distroless/static:nonroot\nCOPY --from=build /a /a\n",
        "FROM python:3.12-slim AS build\nRUN pip install --no-cache-dir x\nFROM python:3.12-slim\nCOPY --from=build /a /a\n",
    ] {
        let a = run(src);
        match &a.size_estimate {
            Some(estimate) => assert!(estimate.savings_mb > 0, "{src}"),
            None => assert!(a.size_note.is_some(), "{src}"),
        }
    }
    assert!(
        run("FROM alpine:3.20\nCOPY app /app\n")
            .size_estimate
            .is_none()
    );
}

fn berth_like_chain() -> LocalImages {
    LocalImages::from_sources([
        (
            "container/Dockerfile.base".to_owned(),
            "ARG DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim@sha256:7b14\nFROM ${DEBIAN_IMAGE}\nRUN useradd berth\n".to_owned(),
        ),
        (
            "container/Dockerfile.base-builder".to_owned(),
            "ARG BASE_IMAGE=localhost/berth-base:latest\nFROM ${BASE_IMAGE}\nRUN apt-get install -y gcc libc6-dev\n".to_owned(),
        ),
        (
            "container/Dockerfile.builder".to_owned(),
            "ARG BASE_BUILDER_IMAGE=localhost/berth-base-builder:latest\nFROM ${BASE_BUILDER_IMAGE}\nRUN make\n".to_owned(),
        ),
        (
            "container/Dockerfile.base-runner".to_owned(),
            "FROM localhost/berth-base:latest AS rootfs\nRUN mkdir /rootfs\nFROM scratch\nCOPY --from=rootfs /rootfs/ /\nUSER 10001:10001\n".to_owned(),
        ),
        (
            "container/Dockerfile.runner".to_owned(),
            "FROM localhost/berth-base-runner:latest\n".to_owned(),
        ),
    ])
}

#[test]
fn a_base_built_beside_the_file_is_judged_by_its_dockerfile() {
    let runner = "ARG BUILDER_IMAGE=localhost/berth-builder:latest
ARG BASE_RUNNER_IMAGE=localhost/berth-base-runner:latest
FROM ${BUILDER_IMAGE} AS builder
FROM ${BASE_RUNNER_IMAGE}
COPY --from=builder /out/bin/berth /usr/local/bin/berth
HEALTHCHECK CMD [\"berth\", \"healthcheck\"]
";
    let a = run_with(runner, berth_like_chain());
    let slim = check_of(&a, "slim-base-image");
    assert!(slim.passed, "{}", slim.reason);
    assert!(
        slim.reason
            .contains("container/Dockerfile.base-runner FROM scratch"),
        "the longest suffix wins over Dockerfile.runner: {}",
        slim.reason
    );
    let user = check_of(&a, "non-root-user");
    assert!(
        user.passed && user.reason.contains("10001"),
        "{}",
        user.reason
    );
    assert!(
        a.size_note
            .as_deref()
            .unwrap()
            .contains("built by container/Dockerfile.base-runner")
    );
    // An image on the runner inherits its HEALTHCHECK.
    let example = run_with(
        "FROM localhost/berth-runner:latest\nCOPY model.onnx /opt/ml/model/\n",
        LocalImages::from_sources([("container/Dockerfile.runner".to_owned(), runner.to_owned())]),
    );
    let health = check_of(&example, "health-check");
    assert!(health.passed, "{}", health.reason);
    assert!(health.reason.contains("container/Dockerfile.runner"));
    // Without the files, the same names are unknown images.
    let alone = run(runner);
    assert!(!applies(&alone, "slim-base-image"));
    assert!(!passed(&alone, "non-root-user"));

    // The builder chain: berth-builder on berth-base-builder, which installs gcc.
    let local = berth_like_chain();
    let builder = local.facts("localhost/berth-builder:latest");
    assert_eq!(
        builder.table.build_tools.as_deref(),
        Some("gcc, g++ (installed by container/Dockerfile.base-builder)")
    );
    // berth-base is debian slim, by its pinned tag.
    let base = local.facts("localhost/berth-base:latest");
    assert_eq!(base.table.variant, Some(Variant::Slim));
    assert_eq!(local.facts("localhost/other:1").built_by, None);
    // Known images and digest pins are never local; nor is a file's own base.
    let variants = LocalImages::from_sources([
        (
            "Dockerfile.alpine".to_owned(),
            "FROM alpine:3.20\nUSER 1000\n".to_owned(),
        ),
        (
            "Dockerfile.fedora".to_owned(),
            "FROM fedora:40\nUSER 1000\n".to_owned(),
        ),
        (
            "Dockerfile.tools".to_owned(),
            "FROM alpine:3.20\nUSER 1000\n".to_owned(),
        ),
    ]);
    assert_eq!(variants.facts("alpine:3.20").built_by, None);
    assert_eq!(variants.facts("fedora:40").built_by, None);
    assert_eq!(
        variants.facts("localhost/app-tools@sha256:00").built_by,
        None
    );
    assert!(variants.facts("localhost/app-tools:1").built_by.is_some());
}

#[test]
fn healthcheck_none_fails() {
    assert!(!passed(
        &run("FROM alpine:3.20\nHEALTHCHECK NONE\n"),
        "health-check"
    ));
}

#[test]
fn a_full_image_with_no_smaller_tag_is_one_row() {
    let a = run(
        "FROM buildpack-deps:jammy\nRUN apt-get install -y python3-dev && pip install flask\nRUN npm install\nCOPY . /app\n",
    );
    let estimate = a.size_estimate.expect("an estimate");
    let labels: Vec<&str> = estimate.rows.iter().map(|r| r.label.as_str()).collect();
    let unique: std::collections::BTreeSet<&str> = labels.iter().copied().collect();
    assert_eq!(labels.len(), unique.len(), "rows: {labels:?}");
}
