//! The seven best-practice checks and their score, decided from the stage graph (the target
//! stage, its FROM lineage, the real order of COPY and RUN) and the parsed RUN commands, never
//! from substrings of the raw text. One piece past 500 lines because the checks share the
//! target stage's steps ([`Facts`]) and the readers of RUN commands (pip, package managers,
//! manifests); each check is one function of 30 to 120 lines.

use super::*;

/// The seven best-practice checks, in report order (also the sources of lint rules BRT001-BRT007).
/// The lint rules know only the file: its bases are judged by name and the table.
pub(crate) fn best_practice_checks(file: &Dockerfile, graph: &StageGraph) -> Vec<Check> {
    checks_with(file, graph, &LocalImages::default())
}

pub(super) fn checks_with(
    file: &Dockerfile,
    graph: &StageGraph,
    local: &LocalImages,
) -> Vec<Check> {
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
pub(super) struct Step<'a> {
    pub(super) stage: usize,
    pub(super) instruction: &'a Instruction,
    pub(super) expanded: &'a [String],
}

/// What the checks need, gathered once.
pub(super) struct Facts<'a> {
    /// Steps of the target's FROM lineage, root stage first: what ends up in the final image.
    pub(super) final_steps: Vec<Step<'a>>,
    /// Steps of every stage the target reaches, file order.
    pub(super) reachable_steps: Vec<Step<'a>>,
    /// Steps of stages the target reaches but does not inherit from (build stages).
    pub(super) build_only_steps: Vec<Step<'a>>,
}

impl<'a> Facts<'a> {
    pub(super) fn gather(file: &'a Dockerfile, graph: &'a StageGraph) -> Self {
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

pub(super) fn check(
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
pub(super) fn not_applicable(
    id: &'static str,
    title: &'static str,
    reason: impl Into<String>,
) -> Check {
    Check {
        id,
        title,
        passed: false,
        applicable: false,
        reason: reason.into(),
        line: None,
    }
}

pub(super) fn check_multistage(graph: &StageGraph) -> Check {
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
pub(super) fn final_root_facts(graph: &StageGraph, local: &LocalImages) -> Option<BaseFacts> {
    match graph.root_base(graph.target) {
        Some(Base::Image(image)) => Some(local.facts(image)),
        _ => None,
    }
}

pub(super) fn check_slim_base(graph: &StageGraph, local: &LocalImages) -> Check {
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
pub(super) fn unresolved_hint(args: &[String]) -> String {
    let vars: Vec<String> = args.iter().map(|a| format!("${a}")).collect();
    let flags: Vec<String> = args
        .iter()
        .map(|a| format!("--build-arg {a}=..."))
        .collect();
    format!("{} unresolved (pass {})", vars.join(", "), flags.join(" "))
}

/// Root on Linux, the administrator on Windows.
pub(super) fn is_root_user(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name.is_empty()
        || name == "root"
        || name == "0"
        || name.eq_ignore_ascii_case("ContainerAdministrator")
}

/// The last USER of the final lineage.
pub(super) fn last_user<'f, 'a>(facts: &'f Facts<'a>) -> Option<&'f Step<'a>> {
    facts
        .final_steps
        .iter()
        .rev()
        .find(|s| matches!(s.instruction.kind, InstructionKind::User { .. }))
}

pub(super) fn check_non_root(facts: &Facts<'_>, root: Option<&BaseFacts>) -> Check {
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
pub(super) const MANIFESTS: [&str; 22] = [
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

pub(super) fn is_manifest(path: &str) -> bool {
    let name = path
        .trim_end_matches('/')
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path);
    MANIFESTS.contains(&name) || (name.starts_with("requirements") && name.ends_with(".txt"))
}

/// The script a RUN executes, as shell text (with the heredoc body a POSIX shell reads).
pub(super) fn run_script(instruction: &Instruction) -> Option<String> {
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
pub(super) fn run_commands(instruction: &Instruction) -> Vec<Vec<String>> {
    run_script(instruction)
        .map(|text| Script::parse(&text).commands)
        .unwrap_or_default()
        .into_iter()
        .map(|command| std::iter::once(command.name).chain(command.args).collect())
        .collect()
}

/// `pip install ...` (also `pip3`, `python -m pip`, `uv pip`): the words after `install`.
pub(super) fn pip_install_args(words: &[String]) -> Option<&[String]> {
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

pub(super) fn is_dependency_install(words: &[String]) -> bool {
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

pub(super) fn check_layer_caching(facts: &Facts<'_>) -> Check {
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
pub(super) fn last_healthcheck<'f>(facts: &'f Facts<'_>) -> Option<(&'f Health, usize)> {
    facts
        .final_steps
        .iter()
        .rev()
        .find_map(|s| match &s.instruction.kind {
            InstructionKind::Healthcheck { health } => Some((health, s.instruction.line())),
            _ => None,
        })
}

pub(super) fn check_healthcheck(facts: &Facts<'_>, root: Option<&BaseFacts>) -> Check {
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

pub(super) fn check_pip_cache(facts: &Facts<'_>) -> Check {
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

pub(super) fn check_stage_copying(graph: &StageGraph) -> Check {
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
