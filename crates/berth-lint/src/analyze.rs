//! `berth analyze`: the stage flow, seven best-practice checks with a score, the size estimate,
//! the build commands and the takeaways, decided from the parsed file and its stage graph (the
//! target stage, its FROM lineage, the real order of COPY and RUN), never from substrings of the
//! raw text. The result is plain data ([`Analysis`]); rendering is in `render`.
//!
//! What a base image is (its OS, variant, size, default user, build tools, smaller tags) comes
//! from the table in `sizes`, or, for an image built by a Dockerfile beside the analyzed one,
//! from that Dockerfile ([`LocalImages`]).
//!
//! Matching rule for local images: an image reference that is not in the table, pins no digest,
//! and whose last path component, without tag, is `<suffix>` or ends with `-<suffix>` is built
//! by the sibling file `Dockerfile.<suffix>` or `<suffix>.Dockerfile`; the longest suffix wins,
//! and a file whose own base is that same repository (`Dockerfile.fedora` on `fedora:40`) is not
//! its builder. So `FROM alpine:3.20` beside a `Dockerfile.alpine` stays the official image. So
//! `localhost/berth-base-runner:latest` is built by `container/Dockerfile.base-runner` (not
//! `Dockerfile.runner`), as `container/images.mk` tags them (`$(IMAGE_PREFIX)-<suffix>`). That
//! Dockerfile's final stage gives the facts: its last USER (else its own base's default user),
//! its last HEALTHCHECK (inherited), its base's OS and variant (`FROM scratch` counts as
//! distroless), and the build tools of its base or the compilers it installs; its own base is
//! followed the same way (up to [`LOCAL_CHAIN_LIMIT`] files, with its ARG defaults). Its size is
//! not known: no estimate. Other directories of such Dockerfiles are added with
//! [`LocalImages::add_directory`] (`berth analyze --base-dir DIR`); the lint rules, which see one
//! file, judge bases by name and the table only.

use crate::Error;
use crate::shell::{Script, base_name, run_shell_text};
use crate::sizes::{ImageFacts, ImageRef, Os, Variant, image_facts};
use berth_dockerfile::{
    Base, BuildOptions, CommandLine, Dockerfile, EdgeKind, Health, Instruction, InstructionKind,
    Source, StageGraph,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Version of the JSON layout (docs/analyze-json.md). 2: checks that do not apply leave the
/// score's `total`. 3: `excluded[].size_mb` may be null, and `size_estimate` is null when there
/// is no saving to show.
pub const SCHEMA_VERSION: u32 = 3;

/// How many Dockerfiles a chain of local base images is followed through.
pub const LOCAL_CHAIN_LIMIT: usize = 8;

/// Size assumed for the application and its runtime dependencies in a multistage image, MB.
const APP_LAYERS_MB: u32 = 50;

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

/// A Dockerfile that builds an image this analysis may meet as a base.
#[derive(Debug, Clone)]
struct LocalDockerfile {
    /// `base-runner` of `Dockerfile.base-runner`.
    suffix: String,
    /// The path as shown in reasons (`container/Dockerfile.base-runner`).
    path: String,
    file: Dockerfile,
}

/// Dockerfiles beside the analyzed one, by the image name suffix they build.
#[derive(Debug, Clone, Default)]
pub struct LocalImages {
    files: Vec<LocalDockerfile>,
}

impl LocalImages {
    /// The parsable `Dockerfile.<suffix>` and `<suffix>.Dockerfile` files in the directory of
    /// `analyzed`, except `analyzed` itself. Files that cannot be read or parsed are left out:
    /// their images are then judged by name, as any other.
    #[must_use]
    pub fn beside(analyzed: &Path) -> Self {
        let dir = match analyzed.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut images = Self::default();
        // No directory listing: no local images, and every base is judged by its name.
        let _ = images.add_directory(dir, Some(analyzed));
        images
    }

    /// Also the Dockerfiles of `dir` (`--base-dir`), after those already read: on an equal
    /// suffix the earlier file wins. `skip` is the analyzed file.
    ///
    /// # Errors
    /// The directory cannot be listed.
    pub fn add_directory(&mut self, dir: &Path, skip: Option<&Path>) -> std::io::Result<()> {
        let skip = skip.and_then(|p| p.canonicalize().ok());
        let mut sources = Vec::new();
        for entry in std::fs::read_dir(dir)?.flatten() {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if Self::suffix_of(&name).is_none()
                || (skip.is_some() && path.canonicalize().ok() == skip)
            {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(&path) {
                sources.push((dir.join(name).display().to_string(), text));
            }
        }
        sources.sort();
        self.files.extend(Self::from_sources(sources).files);
        Ok(())
    }

    /// From `(path, text)` pairs; the suffix is read from each path's file name.
    #[must_use]
    pub fn from_sources(sources: impl IntoIterator<Item = (String, String)>) -> Self {
        let files = sources
            .into_iter()
            .filter_map(|(path, text)| {
                let name = path.rsplit(['/', '\\']).next().unwrap_or(&path);
                let suffix = Self::suffix_of(name)?.to_owned();
                let file = berth_dockerfile::parse(&text).ok()?;
                Some(LocalDockerfile { suffix, path, file })
            })
            .collect();
        Self { files }
    }

    /// `base-runner` of `Dockerfile.base-runner` or `base-runner.Dockerfile`.
    fn suffix_of(file_name: &str) -> Option<&str> {
        file_name
            .strip_prefix("Dockerfile.")
            .or_else(|| file_name.strip_suffix(".Dockerfile"))
            .filter(|s| !s.is_empty())
    }

    /// The Dockerfile that builds `image`, by the rule of the module doc.
    fn builder_of(&self, image: &str) -> Option<&LocalDockerfile> {
        if image.contains('@') || image_facts(image).known {
            return None;
        }
        let last = image.rsplit('/').next().unwrap_or(image);
        let last = last.split(':').next().unwrap_or(last);
        let mut best: Option<&LocalDockerfile> = None;
        for file in &self.files {
            let matches = last == file.suffix || last.ends_with(&format!("-{}", file.suffix));
            if matches && best.is_none_or(|b| file.suffix.len() > b.suffix.len()) {
                best = Some(file);
            }
        }
        best
    }

    /// The facts of `image`: from the Dockerfile that builds it, else from the table.
    fn facts(&self, image: &str) -> BaseFacts {
        self.facts_within(image, LOCAL_CHAIN_LIMIT)
    }

    fn facts_within(&self, image: &str, budget: usize) -> BaseFacts {
        let table = BaseFacts {
            table: image_facts(image),
            built_by: None,
            healthcheck: false,
        };
        let Some(local) = self.builder_of(image).filter(|_| budget > 0) else {
            return table;
        };
        let Ok(graph) = local.file.stage_graph(&BuildOptions {
            allow_unresolved_bases: true,
            ..BuildOptions::default()
        }) else {
            return table;
        };
        let repository = |reference: &str| ImageRef::parse(reference).repository;
        let (parent, parent_healthcheck) = match graph.root_base(graph.target) {
            Some(Base::Image(parent)) if repository(parent) == repository(image) => return table,
            Some(Base::Image(parent)) => {
                let parent = self.facts_within(parent, budget - 1);
                (parent.table, parent.healthcheck)
            }
            Some(Base::Scratch) => (
                ImageFacts {
                    variant: Some(Variant::Distroless),
                    known: true,
                    ..image_facts("scratch")
                },
                false,
            ),
            _ => return table,
        };
        let facts = Facts::gather(&local.file, &graph);
        let healthcheck = match last_healthcheck(&facts) {
            Some((health, _)) => matches!(health, Health::Cmd { .. }),
            None => parent_healthcheck,
        };
        let user = last_user(&facts).map(|step| step.expanded.first().cloned().unwrap_or_default());
        let installed: Vec<String> = excluded_items(&facts.final_steps)
            .into_iter()
            .filter(|item| BUILD_TOOL_ITEMS.contains(&item.item.as_str()))
            .map(|item| item.item)
            .collect();
        let build_tools = parent.build_tools.clone().or_else(|| {
            (!installed.is_empty())
                .then(|| format!("{} (installed by {})", installed.join(", "), local.path))
        });
        BaseFacts {
            table: ImageFacts {
                reference: image.to_owned(),
                os: parent.os,
                variant: parent.variant,
                known: true,
                digest_only: false,
                size_mb: None,
                full: None,
                lean: None,
                default_user: user.or(parent.default_user),
                build_tools,
            },
            built_by: Some((local.path.clone(), parent.reference)),
            healthcheck,
        }
    }
}

/// What the analysis knows about a base image.
#[derive(Debug, Clone)]
struct BaseFacts {
    /// From the table, or made from the Dockerfile that builds it.
    table: ImageFacts,
    /// The Dockerfile beside this one that builds it, and that file's own base.
    built_by: Option<(String, String)>,
    /// That Dockerfile leaves a HEALTHCHECK CMD in the image, which images on it inherit.
    healthcheck: bool,
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
    /// Estimated size in MB; `None` when it is the toolchain of an image of unknown size.
    pub size_mb: Option<u32>,
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

/// The seven best-practice checks, in report order (also the sources of lint rules BRT001-BRT007).
/// The lint rules know only the file: its bases are judged by name and the table.
pub(crate) fn best_practice_checks(file: &Dockerfile, graph: &StageGraph) -> Vec<Check> {
    checks_with(file, graph, &LocalImages::default())
}

fn checks_with(file: &Dockerfile, graph: &StageGraph, local: &LocalImages) -> Vec<Check> {
    let facts = Facts::gather(file, graph);
    let root = final_root_facts(graph, local);
    vec![
        check_multistage(graph),
        check_slim_base(graph, local),
        check_non_root(&facts, root.as_ref()),
        check_layer_caching(&facts),
        check_healthcheck(&facts, root.as_ref()),
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

/// The facts of the final stage's root image (None for scratch and unresolved bases).
fn final_root_facts(graph: &StageGraph, local: &LocalImages) -> Option<BaseFacts> {
    match graph.root_base(graph.target) {
        Some(Base::Image(image)) => Some(local.facts(image)),
        _ => None,
    }
}

fn check_slim_base(graph: &StageGraph, local: &LocalImages) -> Check {
    let id = "slim-base-image";
    let title = "Slim Base Image";
    let image = match graph.root_base(graph.target) {
        None | Some(Base::Scratch | Base::Stage(_)) => {
            return check(
                id,
                title,
                true,
                "Final stage starts from scratch (empty image)",
                None,
            );
        }
        Some(Base::Unresolved(args)) => {
            return not_applicable(
                id,
                title,
                format!("Final base image is unknown: {}", unresolved_hint(args)),
            );
        }
        Some(Base::Image(image)) => image,
    };
    let base = local.facts(image);
    let facts = &base.table;
    if facts.os == Os::Windows {
        return if facts.variant == Some(Variant::Minimal) {
            check(
                id,
                title,
                true,
                "Uses Nano Server, the small Windows base",
                None,
            )
        } else {
            not_applicable(
                id,
                title,
                format!(
                    "{image} is a Windows image: Linux slim/alpine variants do not apply (Nano Server is the smaller Windows base, for apps that run on it)"
                ),
            )
        };
    }
    if let Some((path, parent)) = &base.built_by {
        let on = if parent == "scratch" {
            "FROM scratch".to_owned()
        } else {
            format!("on {parent}")
        };
        return match facts.variant {
            Some(v) if v.is_small() => check(
                id,
                title,
                true,
                format!("Final base {image} is built by {path} {on}, a small base"),
                None,
            ),
            Some(_) => check(
                id,
                title,
                false,
                format!("Final base {image} is built by {path} {on}, a full image"),
                None,
            ),
            None => not_applicable(
                id,
                title,
                format!(
                    "Final base {image} is built by {path} {on}, an image berth has no size for"
                ),
            ),
        };
    }
    match facts.variant {
        None if facts.digest_only => not_applicable(
            id,
            title,
            format!(
                "{image} is pinned by digest only: the digest fixes the image, and names no variant berth could judge"
            ),
        ),
        // A private or uncommon image: nothing says whether it is big or tiny.
        None => not_applicable(
            id,
            title,
            format!("Final image is based on {image}, an image berth has no size for"),
        ),
        Some(v) if v.is_small() => check(
            id,
            title,
            true,
            "Uses slim/alpine variant for smaller size",
            None,
        ),
        Some(_) => {
            let size = facts
                .size_mb
                .map(|mb| format!(" (~{mb} MB)"))
                .unwrap_or_default();
            let advice = match &facts.lean {
                Some(lean) if facts.reference.contains('@') => {
                    format!("{} is its smaller variant (pin its digest too)", lean.name)
                }
                Some(lean) => format!("{} is its smaller variant", lean.name),
                None => "build in it and copy the result onto a slim or distroless base".to_owned(),
            };
            check(
                id,
                title,
                false,
                format!("Final image is based on {image}, a full image{size}; {advice}"),
                None,
            )
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

/// Root on Linux, the administrator on Windows.
fn is_root_user(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name.is_empty()
        || name == "root"
        || name == "0"
        || name.eq_ignore_ascii_case("ContainerAdministrator")
}

/// The last USER of the final lineage.
fn last_user<'f, 'a>(facts: &'f Facts<'a>) -> Option<&'f Step<'a>> {
    facts
        .final_steps
        .iter()
        .rev()
        .find(|s| matches!(s.instruction.kind, InstructionKind::User { .. }))
}

fn check_non_root(facts: &Facts<'_>, root: Option<&BaseFacts>) -> Check {
    let id = "non-root-user";
    let title = "Non-root User";
    let Some(step) = last_user(facts) else {
        let root = root.map(|r| &r.table);
        return match root.and_then(|r| Some((r, r.default_user.as_deref()?))) {
            Some((base, user)) if !is_root_user(user) => check(
                id,
                title,
                true,
                format!("Runs as {user}, the default user of {}", base.reference),
                None,
            ),
            Some((base, user)) if base.os == Os::Windows => check(
                id,
                title,
                false,
                format!(
                    "No USER in the final stage: the container runs as {user}, the default of {} (add USER ContainerUser)",
                    base.reference
                ),
                None,
            ),
            _ => check(
                id,
                title,
                false,
                "No USER in the final stage: the container runs as root",
                None,
            ),
        };
    };
    let user = step.expanded.first().cloned().unwrap_or_default();
    let line = step.instruction.line();
    if is_root_user(&user) {
        let who = if user.eq_ignore_ascii_case("ContainerAdministrator") {
            "the Windows administrator"
        } else {
            "root"
        };
        check(
            id,
            title,
            false,
            format!("Last USER is {user} (line {line}): the container runs as {who}"),
            Some(line),
        )
    } else {
        check(
            id,
            title,
            true,
            "Runs as non-root user (security best practice)",
            Some(line),
        )
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

/// Simple commands of a RUN as the lint rules read them (`shell`), each as its words from the
/// command word on.
fn run_commands(instruction: &Instruction) -> Vec<Vec<String>> {
    run_script(instruction)
        .map(|text| Script::parse(&text).commands)
        .unwrap_or_default()
        .into_iter()
        .map(|command| std::iter::once(command.name).chain(command.args).collect())
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

/// The last HEALTHCHECK of the final lineage, with its line.
fn last_healthcheck<'f>(facts: &'f Facts<'_>) -> Option<(&'f Health, usize)> {
    facts
        .final_steps
        .iter()
        .rev()
        .find_map(|s| match &s.instruction.kind {
            InstructionKind::Healthcheck { health } => Some((health, s.instruction.line())),
            _ => None,
        })
}

fn check_healthcheck(facts: &Facts<'_>, root: Option<&BaseFacts>) -> Check {
    let inherited = root.filter(|r| r.healthcheck).and_then(|r| {
        let (path, _) = r.built_by.as_ref()?;
        Some((r.table.reference.as_str(), path.as_str()))
    });
    match last_healthcheck(facts) {
        None if let Some((image, path)) = inherited => check(
            "health-check",
            "Health Check",
            true,
            format!("Inherits the HEALTHCHECK of {image} (set in {path})"),
            None,
        ),
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

/// The items of [`excluded_items`] that are compilers (an image that installs them is a build
/// image).
const BUILD_TOOL_ITEMS: [&str; 2] = ["build-essential", "gcc, g++"];

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
                size_mb: Some(size_mb),
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

/// The build tools of the images the build stages start from (`rust:1.80` carries the Rust
/// toolchain), one item per image: what a multistage build leaves out beyond what it installs.
fn builder_image_tools(graph: &StageGraph, local: &LocalImages) -> Vec<(String, BaseFacts)> {
    let lineage = graph.lineage(graph.target);
    let mut out: Vec<(String, BaseFacts)> = Vec::new();
    for stage in 0..graph.stages.len() {
        if !graph.reachable[stage] || lineage.contains(&stage) {
            continue;
        }
        let Some(Base::Image(image)) = graph.root_base(stage) else {
            continue;
        };
        if out.iter().any(|(seen, _)| seen == image) {
            continue;
        }
        let facts = local.facts(image);
        if facts.table.build_tools.is_some() {
            out.push((image.clone(), facts));
        }
    }
    out
}

fn no_estimate(note: String) -> (Option<SizeEstimate>, Option<String>) {
    (None, Some(note))
}

fn estimate_size(
    graph: &StageGraph,
    facts: &Facts<'_>,
    multistage: bool,
    local: &LocalImages,
) -> (Option<SizeEstimate>, Option<String>) {
    let image = match graph.root_base(graph.target) {
        Some(Base::Image(image)) => image,
        Some(Base::Unresolved(args)) => {
            return no_estimate(format!(
                "No estimate: the final base image is unknown: {}",
                unresolved_hint(args)
            ));
        }
        _ => {
            return no_estimate(
                "No estimate: the final stage starts from scratch, so its size is what you copy in"
                    .to_owned(),
            );
        }
    };
    let base = local.facts(image);
    let root = &base.table;
    if root.os == Os::Windows {
        return no_estimate(format!(
            "No estimate: {image} is a Windows image, and berth's size model is for Linux images"
        ));
    }
    if let Some((path, _)) = &base.built_by {
        return no_estimate(format!(
            "No estimate: {image} is built by {path}, and its size is what that file puts in it"
        ));
    }
    if root.variant.is_none() && root.digest_only {
        return no_estimate(format!(
            "No estimate: {image} is pinned by digest only, which names no variant"
        ));
    }
    let (Some(variant), Some(size)) = (root.variant, root.size_mb) else {
        return no_estimate(format!("No estimate: berth has no size for {image}"));
    };
    // With a build stage, its tools are what the final image leaves out; in a single-stage file
    // they are what a build stage would take out.
    let mut excluded = if multistage {
        excluded_items(&facts.build_only_steps)
    } else {
        excluded_items(&facts.final_steps)
    };
    let installed_total: u32 = excluded.iter().filter_map(|e| e.size_mb).sum();
    let with_installs = |base: u32| base + installed_total.max(APP_LAYERS_MB);
    let (lean_name, lean_size) = match (&root.lean, variant) {
        (Some(lean), Variant::Full) => match lean.size_mb {
            Some(lean_size) => (lean.name.clone(), lean_size),
            None => (image.to_owned(), size),
        },
        _ => (image.to_owned(), size),
    };
    let multi = lean_size + APP_LAYERS_MB;
    let mut rows = Vec::new();
    if variant == Variant::Full {
        rows.push(SizeRow {
            label: format!("{image} (single-stage)"),
            size_mb: size,
        });
    } else if let Some(full) = &root.full
        && let Some(full_size) = full.size_mb
        // A full variant smaller than the multistage image (debian) compares nothing.
        && full_size > multi
    {
        rows.push(SizeRow {
            label: format!("{} (single-stage)", full.name),
            size_mb: full_size,
        });
    }
    if multistage {
        for (builder, facts) in builder_image_tools(graph, local) {
            let tools = facts.table.build_tools.unwrap_or_default();
            excluded.push(ExcludedItem {
                item: format!("{builder}, the build stage's image with {tools}"),
                size_mb: facts.table.size_mb,
            });
            if let Some(builder_size) = facts.table.size_mb {
                let label = format!("{builder} (single-stage)");
                let size_mb = with_installs(builder_size);
                // The final image's full variant may be the build stage's image (node:20).
                match rows.iter_mut().find(|r| r.label == label) {
                    Some(row) => row.size_mb = row.size_mb.max(size_mb),
                    None => rows.push(SizeRow { label, size_mb }),
                }
            }
        }
    }
    if with_installs(lean_size) != multi {
        rows.push(SizeRow {
            label: format!("{lean_name} (single-stage)"),
            size_mb: with_installs(lean_size),
        });
    }
    let biggest = rows.iter().map(|r| r.size_mb).max().unwrap_or(0);
    let savings = biggest.saturating_sub(multi);
    if savings == 0 {
        return no_estimate(format!(
            "No saving to show: ~{multi} MB on {lean_name}, and berth knows no smaller setup for this file"
        ));
    }
    rows.push(SizeRow {
        label: format!("{lean_name} (multistage)"),
        size_mb: multi,
    });
    let percent = (savings * 100 + biggest / 2) / biggest;
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
        crate::render::render_text(analysis) + &serde_json::to_string(analysis).unwrap()
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
        let admin = run(
            "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nUSER ContainerAdministrator\n",
        );
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
        assert!(!crate::render::render_text(&a).contains("no build tools found"));
    }

    #[test]
    fn distroless_and_chainguard_nonroot_images_do_not_run_as_root() {
        let distroless =
            run("FROM gcr.io/distroless/python3-debian12:nonroot\nCOPY app.py /app/\n");
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
            LocalImages::from_sources([(
                "container/Dockerfile.runner".to_owned(),
                runner.to_owned(),
            )]),
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
}
