//! `DL3009` (apt-lists-kept): delete the apt lists (`/var/lib/apt/lists`) after `apt-get update`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3009",
    "apt-lists-kept",
    Severity::Info,
    "delete the apt lists (`/var/lib/apt/lists`) after `apt-get update`",
    docs!(
        what: "Flags a RUN that runs `apt-get update` (or `apt update`) without `rm -rf /var/lib/apt/lists/*` in the same RUN, in the final stage or in a stage another FROM builds on (a cache mount of the lists counts as clean).",
        why: "The package lists are tens of megabytes that nothing needs at run time; removed in a later RUN they still weigh in the earlier layer.",
        bad: "FROM debian:12\n\
    RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5",
        good: "FROM debian:12\n\
    RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5 \\\n\
    && rm -rf /var/lib/apt/lists/*",
    ),
).on_onbuild_triggers();

#[derive(Default)]
struct AptListsKept {
    /// Image name of every FROM so far (a stage is built on when its alias appears here).
    bases: std::collections::BTreeSet<String>,
    /// (line, column, stage alias, stage index) of each RUN that kept the lists.
    kept: Vec<(usize, usize, Option<String>, Option<usize>)>,
    alias: Option<String>,
    stage: Option<usize>,
}

fn forgot_cleanup(script: &Script) -> bool {
    let update = script.commands.iter().any(|c| {
        c.is("apt", &["update"]) || c.is("apt-get", &["update"]) || c.is("aptitude", &["update"])
    });
    let cleanup = script
        .commands
        .iter()
        .any(|c| c.is("rm", &["-rf", "/var/lib/apt/lists/*"]));
    update && !cleanup
}

impl Rule for AptListsKept {
    fn check(&mut self, _cx: &mut Checker<'_>, step: &Step<'_>) {
        if let Some((image, name)) = from_parts(step.ins) {
            self.bases.insert(image.to_owned());
            self.alias = name.map(str::to_owned);
            self.stage = step.stage;
            return;
        }
        let Some(script) = step.script else { return };
        if forgot_cleanup(script)
            && !has_cache_mount(step.ins, "/var/lib/apt/lists")
            && !(has_cache_mount(step.ins, "/var/lib/apt")
                && has_cache_mount(step.ins, "/var/cache/apt"))
        {
            self.kept
                .push((step.line, step.column, self.alias.clone(), self.stage));
        }
    }

    fn finish(&mut self, cx: &mut Checker<'_>) {
        for (line, column, alias, stage) in &self.kept {
            let last = *stage == self.stage;
            let built_on = alias.as_ref().is_some_and(|a| self.bases.contains(a));
            if last || built_on {
                cx.report_at(*line, *column, column + 3, cx.meta.summary);
            }
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<AptListsKept>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "DL3009",
            "FROM a:1\nRUN apt-get update && apt-get install -y x\n",
            &[2],
        );
        assert_lines(
            "DL3009",
            "FROM a:1 AS b\nRUN apt-get update\nFROM c:1\nRUN x\n",
            &[],
        );
        assert_lines(
            "DL3009",
            "FROM a:1 AS b\nRUN apt-get update\nFROM b\nRUN x\n",
            &[2],
        );
        assert_lines(
            "DL3009",
            "FROM a:1\nRUN apt-get update && rm -rf /var/lib/apt/lists/*\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update\n",
            &[],
        );
    }
}
