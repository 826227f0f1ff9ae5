//! `BRT006` (pip-cache-kept): `pip install` keeps its download cache in the image.

use crate::analyze::checks::prelude::*;
#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::berth(
    "BRT006",
    "pip-cache-kept",
    Severity::Info,
    "`pip install` keeps its download cache in the image",
    docs!(
        what: "Flags `pip install` in the final image's stages without `--no-cache-dir` or a cache mount (`berth analyze`'s Pip Cache check). Off by default: DL3042 reports the same per RUN.",
        why: "pip's wheel cache is dead weight in the image.",
        bad: "FROM python:3.12-slim\n\
    RUN pip install flask==3.0.3",
        good: "FROM python:3.12-slim\n\
    RUN pip install --no-cache-dir flask==3.0.3",
    ),
).off_by_default();

struct PipCacheKept;

impl Rule for PipCacheKept {
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}

    fn finish(&mut self, cx: &mut Checker<'_>) {
        super::report_failed_check(cx, "pip-cache");
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(PipCacheKept)
}

/// `berth analyze`'s check; this rule reports it when it fails.
pub(crate) fn judge(input: &CheckInput<'_>) -> Check {
    let facts = input.facts;
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

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("BRT006", "FROM a:1\nRUN pip install x==1\n", &[2]);
        assert_lines(
            "BRT006",
            "FROM a:1\nRUN pip install --no-cache-dir x==1\n",
            &[],
        );
    }
}
