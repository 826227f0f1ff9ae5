//! What the seven best-practice checks share: the target stage's steps ([`Facts`]), the final
//! image's root base, the readers of RUN commands (pip, package managers, manifests), and the
//! list of the checks in report order. Each check itself (`judge`) lives in the BRT rule file
//! that reports it (`rules/brt/`), so a check is written once for `analyze` and `lint`.

use super::*;
use crate::rules::brt;

/// The seven best-practice checks, in report order (also the sources of lint rules BRT001-BRT007).
/// The lint rules know only the file: its bases are judged by name and the table.
pub(crate) fn best_practice_checks(file: &Dockerfile, graph: &StageGraph) -> Vec<Check> {
    checks_with(file, graph, &LocalImages::default())
}

pub(crate) fn checks_with(
    file: &Dockerfile,
    graph: &StageGraph,
    local: &LocalImages,
) -> Vec<Check> {
    let facts = Facts::gather(file, graph);
    let root = final_root_facts(graph, local);
    let input = CheckInput {
        graph,
        facts: &facts,
        root: root.as_ref(),
        local,
    };
    JUDGES.iter().map(|judge| judge(&input)).collect()
}

/// The seven checks in report order; each lives in the BRT rule that reports it.
const JUDGES: [fn(&CheckInput<'_>) -> Check; 7] = [
    brt::single_stage::judge,
    brt::full_base_image::judge,
    brt::runs_as_root::judge,
    brt::dependency_install_after_source::judge,
    brt::no_healthcheck::judge,
    brt::pip_cache_kept::judge,
    brt::no_stage_copying::judge,
];

/// What a check reads: the stage graph, the target's steps, the final image's root base.
#[derive(Clone, Copy)]
pub(crate) struct CheckInput<'a> {
    pub(crate) graph: &'a StageGraph,
    pub(crate) facts: &'a Facts<'a>,
    pub(crate) root: Option<&'a BaseFacts>,
    pub(crate) local: &'a LocalImages,
}

/// An instruction with its stage and builder-expanded words.
pub(crate) struct Step<'a> {
    pub(crate) stage: usize,
    pub(crate) instruction: &'a Instruction,
    pub(crate) expanded: &'a [String],
}

/// What the checks need, gathered once.
pub(crate) struct Facts<'a> {
    /// Steps of the target's FROM lineage, root stage first: what ends up in the final image.
    pub(crate) final_steps: Vec<Step<'a>>,
    /// Steps of every stage the target reaches, file order.
    pub(crate) reachable_steps: Vec<Step<'a>>,
    /// Steps of stages the target reaches but does not inherit from (build stages).
    pub(crate) build_only_steps: Vec<Step<'a>>,
}

impl<'a> Facts<'a> {
    pub(crate) fn gather(file: &'a Dockerfile, graph: &'a StageGraph) -> Self {
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

pub(crate) fn check(
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
pub(crate) fn not_applicable(
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

/// The facts of the final stage's root image (None for scratch and unresolved bases).
pub(crate) fn final_root_facts(graph: &StageGraph, local: &LocalImages) -> Option<BaseFacts> {
    match graph.root_base(graph.target) {
        Some(Base::Image(image)) => Some(local.facts(image)),
        _ => None,
    }
}

/// `$BASE unresolved (pass --build-arg BASE=...)`, for the ARGs an unresolved base names.
pub(crate) fn unresolved_hint(args: &[String]) -> String {
    let vars: Vec<String> = args.iter().map(|a| format!("${a}")).collect();
    let flags: Vec<String> = args
        .iter()
        .map(|a| format!("--build-arg {a}=..."))
        .collect();
    format!("{} unresolved (pass {})", vars.join(", "), flags.join(" "))
}

/// Root on Linux, the administrator on Windows.
pub(crate) fn is_root_user(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name.is_empty()
        || name == "root"
        || name == "0"
        || name.eq_ignore_ascii_case("ContainerAdministrator")
}

/// The last USER of the final lineage.
pub(crate) fn last_user<'f, 'a>(facts: &'f Facts<'a>) -> Option<&'f Step<'a>> {
    facts
        .final_steps
        .iter()
        .rev()
        .find(|s| matches!(s.instruction.kind, InstructionKind::User { .. }))
}

/// File names that list dependencies.
pub(crate) const MANIFESTS: [&str; 22] = [
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

pub(crate) fn is_manifest(path: &str) -> bool {
    let name = path
        .trim_end_matches('/')
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path);
    MANIFESTS.contains(&name) || (name.starts_with("requirements") && name.ends_with(".txt"))
}

/// The script a RUN executes, as shell text (with the heredoc body a POSIX shell reads).
pub(crate) fn run_script(instruction: &Instruction) -> Option<String> {
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
pub(crate) fn run_commands(instruction: &Instruction) -> Vec<Vec<String>> {
    run_script(instruction)
        .map(|text| Script::parse(&text).commands)
        .unwrap_or_default()
        .into_iter()
        .map(|command| std::iter::once(command.name).chain(command.args).collect())
        .collect()
}

/// `pip install ...` (also `pip3`, `python -m pip`, `uv pip`): the words after `install`.
pub(crate) fn pip_install_args(words: &[String]) -> Option<&[String]> {
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

pub(crate) fn is_dependency_install(words: &[String]) -> bool {
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

/// The last HEALTHCHECK of the final lineage, with its line.
pub(crate) fn last_healthcheck<'f>(facts: &'f Facts<'_>) -> Option<(&'f Health, usize)> {
    facts
        .final_steps
        .iter()
        .rev()
        .find_map(|s| match &s.instruction.kind {
            InstructionKind::Healthcheck { health } => Some((health, s.instruction.line())),
            _ => None,
        })
}

/// What a check in a rule file needs in scope (`use crate::analyze::checks::prelude::*`); the
/// analysis's own `Step` is left out, as the rules' prelude has another.
pub(crate) mod prelude {
    pub(crate) use super::{
        CheckInput, check, is_dependency_install, is_manifest, is_root_user, last_healthcheck,
        last_user, not_applicable, pip_install_args, run_commands, unresolved_hint,
    };
    pub(crate) use crate::analyze::Check;
    pub(crate) use crate::analyze::sizes::{Os, Variant};
    pub(crate) use berth_dockerfile::{Base, EdgeKind, Source};
}
