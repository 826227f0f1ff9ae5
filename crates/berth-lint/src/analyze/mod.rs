//! `berth analyze`: the stage flow, seven best-practice checks with a score, the size estimate,
//! the build commands and the takeaways, decided from the parsed file and its stage graph (the
//! target stage, its FROM lineage, the real order of COPY and RUN), never from substrings of the
//! raw text. The result is plain data ([`Analysis`]); rendering is in `render`.
//!
//! What a base image is (its OS, variant, size, default user, build tools, smaller tags) comes
//! from the table in `sizes`, or, for an image built by a Dockerfile beside the analyzed one,
//! from that Dockerfile ([`LocalImages`]).
//!
//! The parts: `checks` (the seven checks), `estimate` (the size estimate), `local_images` (the
//! Dockerfiles beside this one), `sizes` (the table of known images), `report` (the result as
//! data) and `render` (the text report). This file joins them: the stage flow, the build
//! commands and the takeaways.

pub(crate) mod checks;
mod estimate;
pub(crate) mod local_images;
pub(crate) mod render;
mod report;
pub mod sizes;
#[cfg(test)]
mod tests;

pub(crate) use checks::best_practice_checks;
use checks::*;
use estimate::*;
use local_images::*;
pub use local_images::{LOCAL_CHAIN_LIMIT, LocalImages};
pub use report::*;

use crate::Error;
use crate::shell::{Script, base_name, run_shell_text};
use berth_dockerfile::{
    Base, BuildOptions, CommandLine, Dockerfile, EdgeKind, Health, Instruction, InstructionKind,
    Source, StageGraph,
};
use sizes::{ImageFacts, ImageRef, Os, Variant, image_facts};
use std::collections::BTreeMap;
use std::path::Path;

/// Version of the JSON layout (docs/analyze-json.md). 2: checks that do not apply leave the
/// score's `total`. 3: `excluded[].size_mb` may be null, and `size_estimate` is null when there
/// is no saving to show.
pub const SCHEMA_VERSION: u32 = 3;

/// Inputs that are not in the Dockerfile.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// The path as the user wrote it (shown in the report).
    pub path: String,
    /// The image name used in the suggested commands (`name:tag`).
    pub image: String,
    /// `--target` for the stage graph.
    pub target: Option<String>,
    /// `--build-arg` values: they set global ARGs (over their defaults), so they can decide
    /// base images. A base that names a global ARG with no value is reported as unknown.
    pub build_args: BTreeMap<String, String>,
    /// Dockerfiles that build base images this file may name (see the module doc).
    pub local_images: LocalImages,
}

/// Parse-independent entry: analyze a parsed file.
///
/// # Errors
/// Convert-stage errors of the stage graph.
pub fn analyze(file: &Dockerfile, options: &AnalyzeOptions) -> Result<Analysis, Error> {
    let graph = file.stage_graph(&BuildOptions {
        target: options.target.clone(),
        build_args: options.build_args.clone(),
        allow_unresolved_bases: true,
        ..BuildOptions::default()
    })?;
    let facts = Facts::gather(file, &graph);
    let local = &options.local_images;
    let checks = checks_with(file, &graph, local);
    let score = checks.iter().filter(|c| c.passed).count();
    let total = checks.iter().filter(|c| c.applicable).count();
    let (size_estimate, size_note) = estimate_size(&graph, &facts, checks[0].passed, local);
    Ok(Analysis {
        schema_version: SCHEMA_VERSION,
        file: options.path.clone(),
        stage_count: graph.stages.len(),
        stages: stage_summaries(file, &graph),
        edges: edge_summaries(&graph),
        target_stage: graph.target,
        total,
        build_commands: build_commands(&graph, &facts, options),
        takeaways: takeaways(&checks, &graph, &facts, local),
        checks,
        score,
        size_estimate,
        size_note,
    })
}

fn stage_summaries(file: &Dockerfile, graph: &StageGraph) -> Vec<StageSummary> {
    graph
        .stages
        .iter()
        .map(|stage| {
            let mut kinds: Vec<String> = Vec::new();
            for &i in &stage.instructions {
                if let Some(ins) = file.instructions.get(i)
                    && !kinds.contains(&ins.keyword)
                {
                    kinds.push(ins.keyword.clone());
                }
            }
            let base = match &stage.base {
                Base::Image(image) => image.clone(),
                Base::Scratch => "scratch".to_owned(),
                Base::Unresolved(_) => stage.base_written.clone(),
                Base::Stage(parent) => format!(
                    "{} (stage {})",
                    graph.stages[*parent].display_name(),
                    parent + 1
                ),
            };
            let external_sources = graph
                .edges_into(stage.index)
                .filter_map(|e| match &e.source {
                    Source::Image(image) => Some(image.clone()),
                    Source::Stage(_) => None,
                })
                .collect();
            StageSummary {
                index: stage.index,
                name: stage.name.clone(),
                base,
                unresolved_args: match &stage.base {
                    Base::Unresolved(args) => args.clone(),
                    _ => Vec::new(),
                },
                root_image: graph.root_image(stage.index).map(str::to_owned),
                platform: stage.platform.clone(),
                instructions: kinds,
                reaches_target: graph.reachable[stage.index],
                external_sources,
                line: file
                    .instructions
                    .get(stage.from_instruction)
                    .map_or(0, Instruction::line),
            }
        })
        .collect()
}

fn edge_summaries(graph: &StageGraph) -> Vec<EdgeSummary> {
    graph
        .edges
        .iter()
        .filter_map(|edge| {
            let Source::Stage(from) = edge.source else {
                return None;
            };
            let label = match edge.kind {
                EdgeKind::From => format!("FROM {}", edge.reference),
                EdgeKind::CopyFrom => format!("COPY --from={}", edge.reference),
                EdgeKind::MountFrom => format!("RUN --mount=from={}", edge.reference),
            };
            Some(EdgeSummary {
                from_stage: from,
                to_stage: edge.to,
                kind: edge.kind,
                label,
                line: edge.line,
            })
        })
        .collect()
}

fn build_commands(
    graph: &StageGraph,
    facts: &Facts<'_>,
    options: &AnalyzeOptions,
) -> Vec<BuildCommand> {
    let file_flag = if options.path == "Dockerfile" || options.path == "./Dockerfile" {
        String::new()
    } else {
        format!(" -f {}", options.path)
    };
    let repository = options
        .image
        .rsplit_once(':')
        .filter(|(_, t)| !t.contains('/'))
        .map_or(options.image.as_str(), |(r, _)| r);
    // The build arguments given to the analysis are needed to build the same image.
    let file_flag: String = std::iter::once(file_flag)
        .chain(
            options
                .build_args
                .iter()
                .map(|(k, v)| format!(" --build-arg {}", shell_quote(&format!("{k}={v}")))),
        )
        .collect();
    let mut commands = vec![BuildCommand {
        comment: "Build the full image".to_owned(),
        command: format!("docker build{file_flag} -t {} .", options.image),
    }];
    for stage in &graph.stages {
        if stage.index == graph.target {
            continue;
        }
        if let Some(name) = &stage.name {
            commands.push(BuildCommand {
                comment: format!("Build only the {name} stage (for debugging)"),
                command: format!(
                    "docker build{file_flag} --target {name} -t {repository}:{name} ."
                ),
            });
        }
    }
    let mut ports: Vec<String> = Vec::new();
    for step in &facts.final_steps {
        if matches!(step.instruction.kind, InstructionKind::Expose { .. }) {
            for port in step.expanded {
                let number = port.split('/').next().unwrap_or(port);
                if !ports.iter().any(|p| p == number) {
                    ports.push(number.to_owned());
                }
            }
        }
    }
    let publish: String = ports.iter().map(|p| format!(" -p {p}:{p}")).collect();
    commands.push(BuildCommand {
        comment: "Run the container".to_owned(),
        command: format!("docker run{publish} {}", options.image),
    });
    let health_url = facts
        .final_steps
        .iter()
        .rev()
        .find_map(|s| match &s.instruction.kind {
            InstructionKind::Healthcheck {
                health: Health::Cmd { command },
            } => command
                .text()
                .split_whitespace()
                .find(|w| w.starts_with("http://") || w.starts_with("https://"))
                .map(|w| w.trim_matches(['"', '\'', ',']).to_owned()),
            _ => None,
        });
    if let Some(url) = health_url {
        commands.push(BuildCommand {
            comment: "Test the health endpoint".to_owned(),
            command: format!("curl {url}"),
        });
    }
    commands
}

/// `word` as one POSIX shell word: as is when it is plain, else in single quotes.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn takeaways(
    checks: &[Check],
    graph: &StageGraph,
    facts: &Facts<'_>,
    local: &LocalImages,
) -> Vec<String> {
    let root = final_root_facts(graph, local);
    let windows = root.as_ref().is_some_and(|r| r.table.os == Os::Windows);
    let passed = |id: &str| checks.iter().any(|c| c.id == id && c.passed);
    // A check that does not apply gives no advice either way.
    let applies = |id: &str| checks.iter().any(|c| c.id == id && c.applicable);
    let copy_label = graph
        .edges_into(graph.target)
        .find(|e| e.kind == EdgeKind::CopyFrom && matches!(e.source, Source::Stage(_)))
        .map_or_else(
            || "COPY --from=<stage>".to_owned(),
            |e| format!("COPY --from={}", e.reference),
        );
    let manifest = facts
        .reachable_steps
        .iter()
        .find_map(|s| match &s.instruction.kind {
            InstructionKind::Copy(spec) if spec.from.is_none() => spec
                .sources
                .iter()
                .find(|a| is_manifest(&a.value))
                .map(|a| a.value.rsplit('/').next().unwrap_or(&a.value).to_owned()),
            _ => None,
        })
        .unwrap_or_else(|| "requirements.txt".to_owned());
    let mut out = Vec::new();
    out.push(if passed("multistage-build") {
        "Multistage builds separate build-time from runtime dependencies".to_owned()
    } else {
        "Split the build into stages: build in one, copy only the results into a slim final stage"
            .to_owned()
    });
    out.push(if passed("stage-copying") {
        format!("{copy_label} transfers only needed artifacts")
    } else {
        "Use COPY --from=<stage> to bring only the built artifacts into the final stage".to_owned()
    });
    out.push(if passed("non-root-user") {
        "Non-root USER improves container security".to_owned()
    } else if windows {
        "Add USER ContainerUser to the final stage rather than running as ContainerAdministrator"
            .to_owned()
    } else {
        "Add a non-root USER to the final stage".to_owned()
    });
    if applies("layer-caching") {
        out.push(if passed("layer-caching") {
            format!("Copy {manifest} first for better layer caching")
        } else {
            format!("Copy {manifest} and install dependencies before copying the code, so code edits keep the install layer cached")
        });
    }
    out.push(if passed("health-check") {
        "HEALTHCHECK enables container orchestration integration".to_owned()
    } else {
        "Add a HEALTHCHECK so orchestrators can tell when the service is ready".to_owned()
    });
    if applies("slim-base-image") && !passed("slim-base-image") {
        let lean = root.and_then(|r| r.table.lean);
        out.push(match lean {
            Some(lean) => format!(
                "Use {} (or a distroless base) for the final stage",
                lean.name
            ),
            None => {
                "Build in a full image and copy the result onto a slim or distroless final stage"
                    .to_owned()
            }
        });
    }
    if applies("pip-cache") && !passed("pip-cache") {
        out.push("Pass --no-cache-dir to pip install (or use a cache mount) to keep pip's cache out of the image".to_owned());
    }
    out
}
