//! `DL3060` (yarn-cache-kept): `yarn cache clean` missing after `yarn install`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3060",
    "yarn-cache-kept",
    Severity::Info,
    "`yarn cache clean` missing after `yarn install`",
    docs!(
        what: "Flags a RUN with `yarn install` and no `yarn cache clean` after it (unless `.cache/yarn` is a cache mount), in the final stage or a stage another FROM builds on.",
        why: "yarn's cache stays in the layer.",
        bad: "FROM node:22-slim\n\
    RUN yarn install",
        good: "FROM node:22-slim\n\
    RUN yarn install && yarn cache clean",
    ),
).on_onbuild_triggers();

#[derive(Default)]
struct YarnCacheKept {
    bases: std::collections::BTreeSet<String>,
    kept: Vec<(usize, usize, Option<String>, Option<usize>)>,
    alias: Option<String>,
    stage: Option<usize>,
}

impl Rule for YarnCacheKept {
    fn check(&mut self, _cx: &mut Checker<'_>, step: &Step<'_>) {
        if let Some((image, name)) = from_parts(step.ins) {
            self.bases.insert(image.to_owned());
            self.alias = name.map(str::to_owned);
            self.stage = step.stage;
            return;
        }
        let Some(script) = step.script else { return };
        let install = script.position(|c| c.is("yarn", &["install"]));
        let clean =
            script.position(|c| c.name == "yarn" && c.has_arg("cache") && c.has_arg("clean"));
        let kept = match (install, clean) {
            (Some(_), None) => !has_cache_mount(step.ins, ".cache/yarn"),
            (Some(i), Some(c)) => c < i,
            _ => false,
        };
        if kept {
            self.kept
                .push((step.line, step.column, self.alias.clone(), self.stage));
        }
    }

    fn finish(&mut self, cx: &mut Checker<'_>) {
        for (line, column, alias, stage) in &self.kept {
            if *stage == self.stage || alias.as_ref().is_some_and(|a| self.bases.contains(a)) {
                cx.report_at(*line, *column, column + 3, cx.meta.summary);
            }
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<YarnCacheKept>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3060", "FROM a:1\nRUN yarn install\n", &[2]);
        assert_lines(
            "DL3060",
            "FROM a:1\nRUN yarn install && yarn cache clean\n",
            &[],
        );
    }
}
