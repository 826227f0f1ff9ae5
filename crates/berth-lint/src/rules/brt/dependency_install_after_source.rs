//! `BRT004` (dependency-install-after-source): dependencies install after the whole source is copied.

use crate::analyze::checks::prelude::*;
#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::berth(
    "BRT004",
    "dependency-install-after-source",
    Severity::Warning,
    "dependencies install after the whole source is copied",
    docs!(
        what: "Flags a dependency install (`pip install -r`, `npm ci`, `go mod download`...) that runs after `COPY . .` instead of after copying only the manifest (`berth analyze`'s Layer Caching check).",
        why: "Any source change invalidates the cache of the install step: every build reinstalls every dependency.",
        bad: "FROM python:3.12-slim\n\
    WORKDIR /app\n\
    COPY . .\n\
    RUN pip install --no-cache-dir -r requirements.txt",
        good: "FROM python:3.12-slim\n\
    WORKDIR /app\n\
    COPY requirements.txt .\n\
    RUN pip install --no-cache-dir -r requirements.txt\n\
    COPY . .",
    ),
);

struct DependencyInstallAfterSource;

impl Rule for DependencyInstallAfterSource {
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}

    fn finish(&mut self, cx: &mut Checker<'_>) {
        let Some(check) = cx.analysis_check("layer-caching") else {
            return;
        };
        if check.passed || !check.applicable {
            return;
        }
        // Only a concrete misplaced install is a finding; no install step at all is not.
        if let Some(line) = check.line {
            cx.report_at(line, 1, 2, check.reason.to_lowercase());
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(DependencyInstallAfterSource)
}

/// `berth analyze`'s check; this rule reports it when it fails.
pub(crate) fn judge(input: &CheckInput<'_>) -> Check {
    let facts = input.facts;
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

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "BRT004",
            "FROM a:1\nCOPY . /app\nRUN pip install -r /app/requirements.txt\n",
            &[2],
        );
        assert_lines(
            "BRT004",
            "FROM a:1\nCOPY requirements.txt /app/\nRUN pip install -r /app/requirements.txt\nCOPY . /app\n",
            &[],
        );
    }
}
