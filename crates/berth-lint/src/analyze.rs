//! `berth analyze`: the stage flow, seven best-practice checks with a score, the size estimate,
//! the build commands and the takeaways, decided from the parsed file and its stage graph (the
//! target stage, its FROM lineage, the real order of COPY and RUN), never from substrings of the
//! raw text. The result is plain data ([`Analysis`]); rendering is in `render`.

use crate::Error;
use crate::shell::run_shell_text;
use crate::shell_words::{base_name, command_start, simple_commands};
use crate::sizes::{ImageRef, size_mb};
use berth_dockerfile::{
    Base, BuildOptions, CommandLine, Dockerfile, EdgeKind, Health, Instruction, InstructionKind,
    Source, StageGraph,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the JSON layout (docs/analyze-json.md). 2: checks that do not apply leave the
/// score's `total`.
pub const SCHEMA_VERSION: u32 = 2;

/// Size assumed for the application and its runtime dependencies in a multistage image, MB.
const APP_LAYERS_MB: u32 = 50;

/// Inputs that are not in the Dockerfile.
#[derive(Debug, Clone)]
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
}

/// One stage as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct StageSummary {
    /// 0-based index.
    pub index: usize,
    /// `AS` name, if any.
    pub name: Option<String>,
    /// Base as shown: the image, or the parent stage's name; as written (`$BASE`) when it
    /// is unresolved.
    pub base: String,
    /// Global ARGs the base names that have no value (no default, no `--build-arg`): the base
    /// is unknown until they are given. Empty when the base is known.
    pub unresolved_args: Vec<String>,
    /// The external image at the root of the FROM chain (None for scratch).
    pub root_image: Option<String>,
    /// `--platform`, expanded.
    pub platform: Option<String>,
    /// Instruction keywords in order of first use (FROM excluded).
    pub instructions: Vec<String>,
    /// The target stage needs this stage.
    pub reaches_target: bool,
    /// Images used by `COPY --from` / `RUN --mount=from` in this stage.
    pub external_sources: Vec<String>,
    /// Line of the FROM.
    pub line: usize,
}

/// A dependency between stages, labelled like the instruction that creates it.
#[derive(Debug, Clone, Serialize)]
pub struct EdgeSummary {
    /// Source stage index.
    pub from_stage: usize,
    /// Using stage index.
    pub to_stage: usize,
    /// `from`, `copy_from` or `mount_from`.
    pub kind: EdgeKind,
    /// `COPY --from=builder`, `FROM base`, `RUN --mount=from=cache`.
    pub label: String,
    /// Line of the instruction.
    pub line: usize,
}

/// One best-practice check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id (`multistage-build`...).
    pub id: &'static str,
    /// Title as printed.
    pub title: &'static str,
    /// Passed or not (false when the check does not apply).
    pub passed: bool,
    /// False when the file gives the check nothing to judge (no dependency install to cache,
    /// a base image of unknown size): shown as n/a, left out of the score's total.
    pub applicable: bool,
    /// One-line reason.
    pub reason: String,
    /// The line the reason is about, when there is one.
    pub line: Option<usize>,
}

/// One row of the size comparison.
#[derive(Debug, Clone, Serialize)]
pub struct SizeRow {
    /// `python:3.11 (single-stage)`.
    pub label: String,
    /// Estimated size in MB.
    pub size_mb: u32,
}

/// Something a multistage build leaves out of the final image.
#[derive(Debug, Clone, Serialize)]
pub struct ExcludedItem {
    /// What.
    pub item: String,
    /// Estimated size in MB.
    pub size_mb: u32,
}

/// The size estimate.
#[derive(Debug, Clone, Serialize)]
pub struct SizeEstimate {
    /// Rows: full single-stage, slim single-stage, slim multistage.
    pub rows: Vec<SizeRow>,
    /// Full single-stage minus slim multistage.
    pub savings_mb: u32,
    /// Savings as a percentage of the full single-stage size.
    pub savings_percent: u32,
    /// True when this file already builds the multistage way.
    pub this_file_is_multistage: bool,
    /// Build-time items left in earlier stages (multistage), or that a build stage would take
    /// out of this single-stage file.
    pub excluded: Vec<ExcludedItem>,
}

/// One suggested command.
#[derive(Debug, Clone, Serialize)]
pub struct BuildCommand {
    /// The `#` comment above it.
    pub comment: String,
    /// The command.
    pub command: String,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// Layout version of this structure.
    pub schema_version: u32,
    /// The analyzed path as given.
    pub file: String,
    /// Number of stages.
    pub stage_count: usize,
    /// Stages in file order.
    pub stages: Vec<StageSummary>,
    /// Stage-to-stage dependencies.
    pub edges: Vec<EdgeSummary>,
    /// Index of the target stage.
    pub target_stage: usize,
    /// The seven checks.
    pub checks: Vec<Check>,
    /// Checks passed.
    pub score: usize,
    /// Checks that apply to this file (the seven minus the n/a ones).
    pub total: usize,
    /// Size estimate, when the final base image is in the size table.
    pub size_estimate: Option<SizeEstimate>,
    /// Why there is no size estimate.
    pub size_note: Option<String>,
    /// Suggested `docker` commands.
    pub build_commands: Vec<BuildCommand>,
    /// Key takeaways.
    pub takeaways: Vec<String>,
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
    let checks = best_practice_checks(file, &graph);
    let score = checks.iter().filter(|c| c.passed).count();
    let total = checks.iter().filter(|c| c.applicable).count();
    let (size_estimate, size_note) = estimate_size(&graph, &facts, checks[0].passed);
    Ok(Analysis {
        schema_version: SCHEMA_VERSION,
        file: options.path.clone(),
        stage_count: graph.stages.len(),
        stages: stage_summaries(file, &graph),
        edges: edge_summaries(&graph),
        target_stage: graph.target,
        total,
        build_commands: build_commands(&graph, &facts, options),
        takeaways: takeaways(&checks, &graph, &facts),
        checks,
        score,
        size_estimate,
        size_note,
    })
}

/// The seven best-practice checks, in report order (also the sources of lint rules BRT001-BRT007).
pub(crate) fn best_practice_checks(file: &Dockerfile, graph: &StageGraph) -> Vec<Check> {
    let facts = Facts::gather(file, graph);
    vec![
        check_multistage(graph),
        check_slim_base(graph),
        check_non_root(&facts),
        check_layer_caching(&facts),
        check_healthcheck(&facts),
        check_pip_cache(&facts),
        check_stage_copying(graph),
    ]
}

/// An instruction with its stage and builder-expanded words.
struct Step<'a> {
    stage: usize,
    instruction: &'a Instruction,
    expanded: &'a [String],
}

/// What the checks need, gathered once.
struct Facts<'a> {
    /// Steps of the target's FROM lineage, root stage first: what ends up in the final image.
    final_steps: Vec<Step<'a>>,
    /// Steps of every stage the target reaches, file order.
    reachable_steps: Vec<Step<'a>>,
    /// Steps of stages the target reaches but does not inherit from (build stages).
    build_only_steps: Vec<Step<'a>>,
}

impl<'a> Facts<'a> {
    fn gather(file: &'a Dockerfile, graph: &'a StageGraph) -> Self {
        let steps_of = |stage: usize| -> Vec<Step<'a>> {
            let s = &graph.stages[stage];
            s.instructions
                .iter()
                .zip(&s.expanded)
                .filter_map(|(&i, words)| {
                    file.instructions.get(i).map(|instruction| Step {
                        stage,
                        instruction,
                        expanded: words,
                    })
                })
                .collect()
        };
        let mut lineage = graph.lineage(graph.target);
        lineage.reverse();
        let final_steps = lineage.iter().flat_map(|&s| steps_of(s)).collect();
        let mut reachable_steps = Vec::new();
        let mut build_only_steps = Vec::new();
        for stage in 0..graph.stages.len() {
            if graph.reachable[stage] {
                reachable_steps.extend(steps_of(stage));
                if !lineage.contains(&stage) {
                    build_only_steps.extend(steps_of(stage));
                }
            }
        }
        Self {
            final_steps,
            reachable_steps,
            build_only_steps,
        }
    }
}

fn check(
    id: &'static str,
    title: &'static str,
    passed: bool,
    reason: impl Into<String>,
    line: Option<usize>,
) -> Check {
    Check {
        id,
        title,
        passed,
        applicable: true,
        reason: reason.into(),
        line,
    }
}

/// A check the file gives nothing to judge: n/a, neither passed nor failed.
fn not_applicable(id: &'static str, title: &'static str, reason: impl Into<String>) -> Check {
    Check {
        id,
        title,
        passed: false,
        applicable: false,
        reason: reason.into(),
        line: None,
    }
}

fn check_multistage(graph: &StageGraph) -> Check {
    let used = graph.reachable.iter().filter(|r| **r).count();
    if graph.stages.len() < 2 {
        return check(
            "multistage-build",
            "Multistage Build",
            false,
            "Single stage: build tools and caches stay in the final image",
            None,
        );
    }
    if used < 2 {
        return check(
            "multistage-build",
            "Multistage Build",
            false,
            format!(
                "{} stages, but the final stage uses none of the others",
                graph.stages.len()
            ),
            None,
        );
    }
    check(
        "multistage-build",
        "Multistage Build",
        true,
        "Uses named stages for smaller final image",
        None,
    )
}

fn check_slim_base(graph: &StageGraph) -> Check {
    let line = None;
    match graph.root_base(graph.target) {
        None | Some(Base::Scratch | Base::Stage(_)) => check(
            "slim-base-image",
            "Slim Base Image",
            true,
            "Final stage starts from scratch (empty image)",
            line,
        ),
        Some(Base::Unresolved(args)) => not_applicable(
            "slim-base-image",
            "Slim Base Image",
            format!("Final base image is unknown: {}", unresolved_hint(args)),
        ),
        Some(Base::Image(image)) => {
            let parsed = ImageRef::parse(image);
            let known = size_mb(&parsed.repository, crate::sizes::Variant::Full).is_some();
            if !parsed.variant.is_small() && !known {
                // A private or uncommon image: nothing says whether it is big or tiny.
                not_applicable(
                    "slim-base-image",
                    "Slim Base Image",
                    format!("Final image is based on {image}, an image berth has no size for"),
                )
            } else if parsed.variant.is_small() {
                check(
                    "slim-base-image",
                    "Slim Base Image",
                    true,
                    "Uses slim/alpine variant for smaller size",
                    line,
                )
            } else {
                let size = size_mb(&parsed.repository, parsed.variant)
                    .map(|mb| format!(" (~{mb} MB)"))
                    .unwrap_or_default();
                check(
                    "slim-base-image",
                    "Slim Base Image",
                    false,
                    format!(
                        "Final image is based on {image}, a full image{size}; use a slim, alpine or distroless variant"
                    ),
                    line,
                )
            }
        }
    }
}

/// `$BASE unresolved (pass --build-arg BASE=...)`, for the ARGs an unresolved base names.
fn unresolved_hint(args: &[String]) -> String {
    let vars: Vec<String> = args.iter().map(|a| format!("${a}")).collect();
    let flags: Vec<String> = args
        .iter()
        .map(|a| format!("--build-arg {a}=..."))
        .collect();
    format!("{} unresolved (pass {})", vars.join(", "), flags.join(" "))
}

fn is_root_user(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name.is_empty() || name == "root" || name == "0"
}

fn check_non_root(facts: &Facts<'_>) -> Check {
    let last_user = facts
        .final_steps
        .iter()
        .rev()
        .find(|s| matches!(s.instruction.kind, InstructionKind::User { .. }));
    match last_user {
        None => check(
            "non-root-user",
            "Non-root User",
            false,
            "No USER in the final stage: the container runs as root",
            None,
        ),
        Some(step) => {
            let user = step.expanded.first().cloned().unwrap_or_default();
            if is_root_user(&user) {
                check(
                    "non-root-user",
                    "Non-root User",
                    false,
                    format!(
                        "Last USER is {user} (line {}): the container runs as root",
                        step.instruction.line()
                    ),
                    Some(step.instruction.line()),
                )
            } else {
                check(
                    "non-root-user",
                    "Non-root User",
                    true,
                    "Runs as non-root user (security best practice)",
                    Some(step.instruction.line()),
                )
            }
        }
    }
}

/// File names that list dependencies.
const MANIFESTS: [&str; 22] = [
    "pyproject.toml",
    "poetry.lock",
    "Pipfile",
    "Pipfile.lock",
    "setup.py",
    "setup.cfg",
    "uv.lock",
    "package.json",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "go.mod",
    "go.sum",
    "Cargo.toml",
    "Cargo.lock",
    "Gemfile",
    "Gemfile.lock",
    "composer.json",
    "composer.lock",
    "pom.xml",
    "build.gradle",
    "requirements.txt",
];

fn is_manifest(path: &str) -> bool {
    let name = path
        .trim_end_matches('/')
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path);
    MANIFESTS.contains(&name) || (name.starts_with("requirements") && name.ends_with(".txt"))
}

/// The script a RUN executes, as shell text (with the heredoc body a POSIX shell reads).
fn run_script(instruction: &Instruction) -> Option<String> {
    let InstructionKind::Run { command, .. } = &instruction.kind else {
        return None;
    };
    Some(match command {
        CommandLine::Shell(text) => run_shell_text(text, &instruction.node.heredocs),
        CommandLine::Exec(args) => match args.as_slice() {
            [shell, flag, script, ..] if flag == "-c" && base_name(shell).ends_with("sh") => {
                script.clone()
            }
            _ => args.join(" "),
        },
    })
}

/// Simple commands of a RUN, each starting at its command word.
fn run_commands(instruction: &Instruction) -> Vec<Vec<String>> {
    run_script(instruction)
        .map(|s| simple_commands(&s))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|words| command_start(&words).map(|i| words[i..].to_vec()))
        .collect()
}

/// `pip install ...` (also `pip3`, `python -m pip`, `uv pip`): the words after `install`.
fn pip_install_args(words: &[String]) -> Option<&[String]> {
    let name = base_name(words.first()?);
    let rest = if name.starts_with("pip") {
        &words[1..]
    } else if name.starts_with("python") {
        let m = words.iter().position(|w| w == "-m")?;
        if words.get(m + 1).map(String::as_str) != Some("pip") {
            return None;
        }
        &words[m + 2..]
    } else if name == "uv" && words.get(1).map(String::as_str) == Some("pip") {
        &words[2..]
    } else {
        return None;
    };
    let install = rest.iter().position(|w| w == "install")?;
    Some(&rest[install + 1..])
}

fn is_dependency_install(words: &[String]) -> bool {
    if pip_install_args(words).is_some() {
        return true;
    }
    let name = words.first().map(|w| base_name(w)).unwrap_or_default();
    let sub = words.get(1).map(String::as_str).unwrap_or_default();
    match name {
        "poetry" | "pipenv" | "bundle" | "composer" | "pnpm" => matches!(sub, "install" | "sync"),
        "uv" => sub == "sync",
        "npm" => matches!(sub, "ci" | "install" | "i"),
        "yarn" => sub.is_empty() || sub == "install",
        "go" => sub == "mod" && words.get(2).map(String::as_str) == Some("download"),
        "cargo" => matches!(sub, "fetch" | "build"),
        _ => false,
    }
}

fn check_layer_caching(facts: &Facts<'_>) -> Check {
    let id = "layer-caching";
    let title = "Layer Caching";
    let mut first_problem: Option<(usize, usize)> = None;
    let mut first_success: Option<String> = None;
    let mut stage = usize::MAX;
    let mut manifest: Option<String> = None;
    let mut source_line: Option<usize> = None;
    let mut saw_install = false;
    for step in &facts.reachable_steps {
        if step.stage != stage {
            stage = step.stage;
            manifest = None;
            source_line = None;
        }
        match &step.instruction.kind {
            InstructionKind::Copy(spec) | InstructionKind::Add(spec) if spec.from.is_none() => {
                let count = spec.sources.len();
                let sources = &step.expanded[..count.min(step.expanded.len())];
                if !sources.is_empty() && sources.iter().all(|s| is_manifest(s)) {
                    manifest.get_or_insert_with(|| {
                        sources[0]
                            .trim_end_matches('/')
                            .rsplit('/')
                            .next()
                            .unwrap_or(&sources[0])
                            .to_owned()
                    });
                } else if !sources.is_empty() {
                    source_line.get_or_insert(step.instruction.line());
                }
            }
            InstructionKind::Run { .. }
                if run_commands(step.instruction)
                    .iter()
                    .any(|c| is_dependency_install(c)) =>
            {
                saw_install = true;
                match (source_line, &manifest) {
                    (Some(source), _) => {
                        first_problem.get_or_insert((source, step.instruction.line()));
                    }
                    (None, Some(name)) => {
                        first_success.get_or_insert(name.clone());
                    }
                    (None, None) => {}
                }
            }
            _ => {}
        }
    }
    if let Some((source, install)) = first_problem {
        return check(
            id,
            title,
            false,
            format!(
                "App code copied (line {source}) before dependencies are installed (line {install}): every code change reinstalls them"
            ),
            Some(source),
        );
    }
    match first_success {
        Some(name) if name.starts_with("requirements") => {
            check(id, title, true, "Requirements copied before app code", None)
        }
        Some(name) => check(
            id,
            title,
            true,
            format!("{name} copied before app code"),
            None,
        ),
        None if saw_install => check(
            id,
            title,
            false,
            "Dependencies are installed without copying their manifest first",
            None,
        ),
        None => not_applicable(id, title, "No dependency install step to keep cached"),
    }
}

fn check_healthcheck(facts: &Facts<'_>) -> Check {
    let last = facts
        .final_steps
        .iter()
        .rev()
        .find_map(|s| match &s.instruction.kind {
            InstructionKind::Healthcheck { health } => Some((health, s.instruction.line())),
            _ => None,
        });
    match last {
        Some((Health::Cmd { .. }, line)) => check(
            "health-check",
            "Health Check",
            true,
            "Includes HEALTHCHECK for orchestration",
            Some(line),
        ),
        Some((Health::None, line)) => check(
            "health-check",
            "Health Check",
            false,
            format!("HEALTHCHECK NONE (line {line}) turns the health check off"),
            Some(line),
        ),
        None => check(
            "health-check",
            "Health Check",
            false,
            "No HEALTHCHECK in the final stage",
            None,
        ),
    }
}

fn check_pip_cache(facts: &Facts<'_>) -> Check {
    let id = "pip-cache";
    let title = "Pip Cache";
    let mut installs = 0;
    let mut via_mount = false;
    let mut no_cache_env_stage: Option<usize> = None;
    for step in &facts.reachable_steps {
        if let InstructionKind::Env { pairs } = &step.instruction.kind {
            for (pair, value) in pairs.iter().zip(step.expanded) {
                if pair.key.value == "PIP_NO_CACHE_DIR"
                    && !matches!(
                        value.to_ascii_lowercase().as_str(),
                        "" | "0" | "false" | "no" | "off"
                    )
                {
                    no_cache_env_stage = Some(step.stage);
                }
            }
        }
        let InstructionKind::Run { mounts, .. } = &step.instruction.kind else {
            continue;
        };
        for command in run_commands(step.instruction) {
            let Some(args) = pip_install_args(&command) else {
                continue;
            };
            installs += 1;
            let has_flag = args.iter().any(|a| a == "--no-cache-dir");
            let cache_mount = mounts.iter().any(|m| m.kind == "cache");
            via_mount |= cache_mount && !has_flag;
            if !(has_flag || cache_mount || no_cache_env_stage == Some(step.stage)) {
                return check(
                    id,
                    title,
                    false,
                    format!(
                        "pip install at line {} keeps its download cache (add --no-cache-dir or a cache mount)",
                        step.instruction.line()
                    ),
                    Some(step.instruction.line()),
                );
            }
        }
    }
    if installs == 0 {
        not_applicable(id, title, "No pip install steps to leave a cache behind")
    } else if via_mount {
        check(
            id,
            title,
            true,
            "Uses a cache mount so pip's cache stays out of the image",
            None,
        )
    } else {
        check(
            id,
            title,
            true,
            "Uses --no-cache-dir to reduce image size",
            None,
        )
    }
}

fn check_stage_copying(graph: &StageGraph) -> Check {
    let copy = graph
        .edges_into(graph.target)
        .find(|e| e.kind == EdgeKind::CopyFrom && matches!(e.source, Source::Stage(_)));
    match copy {
        Some(edge) => check(
            "stage-copying",
            "Stage Copying",
            true,
            "Uses COPY --from to transfer artifacts",
            Some(edge.line),
        ),
        None => check(
            "stage-copying",
            "Stage Copying",
            false,
            "The final stage copies nothing from another stage",
            None,
        ),
    }
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

/// Packages and caches a build stage leaves behind, with rough sizes.
fn excluded_items(steps: &[Step<'_>]) -> Vec<ExcludedItem> {
    let mut build_essential = false;
    let mut compilers = false;
    let mut pip = false;
    let mut headers = false;
    let mut npm = false;
    for step in steps {
        for command in run_commands(step.instruction) {
            let name = command.first().map(|w| base_name(w)).unwrap_or_default();
            if pip_install_args(&command).is_some() {
                pip = true;
            }
            if name == "npm" || name == "yarn" || name == "pnpm" {
                npm |= is_dependency_install(&command);
            }
            let installs_packages =
                matches!(name, "apt-get" | "apt" | "apk" | "yum" | "dnf" | "microdnf")
                    && command.iter().any(|w| w == "install" || w == "add");
            if installs_packages {
                for package in command.iter().skip(1).filter(|w| !w.starts_with('-')) {
                    let package = package.split(['=', ':']).next().unwrap_or(package);
                    build_essential |= package == "build-essential" || package == "build-base";
                    compilers |=
                        matches!(package, "gcc" | "g++" | "clang" | "gcc-c++" | "musl-dev");
                    headers |= package.ends_with("-dev") || package.ends_with("-devel");
                }
            }
        }
    }
    let mut items = Vec::new();
    let mut push = |on: bool, item: &str, size_mb: u32| {
        if on {
            items.push(ExcludedItem {
                item: item.to_owned(),
                size_mb,
            });
        }
    };
    push(build_essential, "build-essential", 150);
    push(compilers, "gcc, g++", 100);
    push(pip, "pip cache", 50);
    push(headers, "development headers", 50);
    push(npm, "npm cache and dev dependencies", 100);
    items
}

fn estimate_size(
    graph: &StageGraph,
    facts: &Facts<'_>,
    multistage: bool,
) -> (Option<SizeEstimate>, Option<String>) {
    let image = match graph.root_base(graph.target) {
        Some(Base::Image(image)) => image,
        Some(Base::Unresolved(args)) => {
            return (
                None,
                Some(format!(
                    "The final base image is unknown: {}",
                    unresolved_hint(args)
                )),
            );
        }
        _ => {
            return (
                None,
                Some(
                    "The final stage starts from scratch: its size is what you copy in".to_owned(),
                ),
            );
        }
    };
    let parsed = ImageRef::parse(image);
    let full = size_mb(&parsed.repository, crate::sizes::Variant::Full);
    let lean_variant = if parsed.variant.is_small() {
        parsed.variant
    } else {
        crate::sizes::Variant::Slim
    };
    let Some(lean) = size_mb(&parsed.repository, lean_variant).or(full) else {
        return (None, Some(format!("No size data for base image {image}")));
    };
    // With a build stage, its tools are what the final image leaves out; in a single-stage file
    // they are what a build stage would take out.
    let excluded = if multistage {
        excluded_items(&facts.build_only_steps)
    } else {
        excluded_items(&facts.final_steps)
    };
    let excluded_total: u32 = excluded.iter().map(|e| e.size_mb).sum();
    let lean_name = if parsed.variant.is_small() {
        image.to_owned()
    } else {
        parsed.slim_name()
    };
    let multi = lean + APP_LAYERS_MB;
    let mut rows = Vec::new();
    if let Some(full) = full {
        rows.push(SizeRow {
            label: format!("{} (single-stage)", parsed.full_name()),
            size_mb: full,
        });
    }
    rows.push(SizeRow {
        label: format!("{lean_name} (single-stage)"),
        size_mb: lean + excluded_total.max(APP_LAYERS_MB),
    });
    rows.push(SizeRow {
        label: format!("{lean_name} (multistage)"),
        size_mb: multi,
    });
    let biggest = full.unwrap_or(lean + excluded_total.max(APP_LAYERS_MB));
    let savings = biggest.saturating_sub(multi);
    let percent = (savings * 100 + biggest / 2)
        .checked_div(biggest)
        .unwrap_or(0);
    (
        Some(SizeEstimate {
            rows,
            savings_mb: savings,
            savings_percent: percent,
            this_file_is_multistage: multistage,
            excluded,
        }),
        None,
    )
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

fn takeaways(checks: &[Check], graph: &StageGraph, facts: &Facts<'_>) -> Vec<String> {
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
        out.push("Use a slim, alpine or distroless base for the final stage".to_owned());
    }
    if applies("pip-cache") && !passed("pip-cache") {
        out.push("Pass --no-cache-dir to pip install (or use a cache mount) to keep pip's cache out of the image".to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
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
        let a =
            run("FROM alpine:3.20 AS build\nUSER app\nFROM alpine:3.20\nCOPY --from=build /a /a\n");
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

    #[test]
    fn healthcheck_none_fails() {
        assert!(!passed(
            &run("FROM alpine:3.20\nHEALTHCHECK NONE\n"),
            "health-check"
        ));
    }
}
