//! `JSONArgsRecommended` (json-args-recommended): JSON arguments recommended for `CMD` and `ENTRYPOINT`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "JSONArgsRecommended",
    "json-args-recommended",
    Severity::Warning,
    "JSON arguments recommended for `CMD` and `ENTRYPOINT`",
    docs!(
        what: "Flags `CMD` and `ENTRYPOINT` in shell form when the stage (or a stage it builds on) sets no `SHELL`.",
        why: "In shell form the command runs under `/bin/sh -c`, which does not forward signals: the container ignores `docker stop` until it is killed.",
        bad: "FROM python:3.12-slim\n\
    ENTRYPOINT python app.py",
        good: "FROM python:3.12-slim\n\
    ENTRYPOINT [\"python\", \"app.py\"]",
    ),
).twin_of("DL3025");

use std::collections::BTreeMap;

#[derive(Default)]
struct JsonArgsRecommended {
    /// Stage key (lower-cased alias) → a SHELL was set.
    shell: BTreeMap<String, bool>,
    current: String,
}

impl Rule for JsonArgsRecommended {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        match &step.ins.kind {
            InstructionKind::From { image, name, .. } => {
                let parent = self
                    .shell
                    .get(&image.value.to_lowercase())
                    .copied()
                    .unwrap_or(false);
                self.current = name
                    .as_ref()
                    .map_or_else(|| format!("#{}", step.line), |n| n.value.to_lowercase());
                self.shell.insert(self.current.clone(), parent);
            }
            InstructionKind::Shell { .. } => {
                self.shell.insert(self.current.clone(), true);
            }
            InstructionKind::Cmd { command } | InstructionKind::Entrypoint { command }
                if matches!(command, CommandLine::Shell(_))
                    && !self.shell.get(&self.current).copied().unwrap_or(false) =>
            {
                let keyword = &step.ins.keyword;
                cx.report(
                    step,
                    format!("JSON arguments recommended for {keyword} to prevent unintended behavior related to OS signals"),
                );
            }
            _ => {}
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<JsonArgsRecommended>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("JSONArgsRecommended", "FROM a:1\nCMD x\n", &[2]);
        assert_lines(
            "JSONArgsRecommended",
            "FROM a:1\nSHELL [\"/bin/bash\", \"-c\"]\nCMD x\nENTRYPOINT [\"y\"]\n",
            &[],
        );
    }
}
