//! `DL3002` (root-user-last): last `USER` of the stage is root.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3002",
    "root-user-last",
    Severity::Warning,
    "last `USER` of the stage is root",
    docs!(
        what: "Flags a stage whose last `USER` is `root` or `0`.",
        why: "Containers should not run as root: a process that escapes the container keeps root's privileges on the host's kernel.",
        bad: "FROM debian:12\n\
    USER root\n\
    RUN apt-get update",
        good: "FROM debian:12\n\
    RUN apt-get update\n\
    USER 10001",
    ),
);

#[derive(Default)]
struct RootUserLast {
    /// Per stage: the line of its last USER when that USER is root.
    last_root: Vec<Option<(usize, usize)>>,
}

fn is_root(user: &str) -> bool {
    user == "root" || user == "0" || user.starts_with("root:") || user.starts_with("0:")
}

impl Rule for RootUserLast {
    fn check(&mut self, _cx: &mut Checker<'_>, step: &Step<'_>) {
        let Some(stage) = step.stage else { return };
        if self.last_root.len() <= stage {
            self.last_root.resize(stage + 1, None);
        }
        if let InstructionKind::User { user } = &step.ins.kind {
            self.last_root[stage] = is_root(&user.value).then_some((step.line, step.column));
        }
    }

    fn finish(&mut self, cx: &mut Checker<'_>) {
        for (line, column) in self.last_root.iter().flatten() {
            cx.report_at(*line, *column, column + 4, cx.meta.summary);
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<RootUserLast>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "DL3002",
            "FROM a:1\nUSER root\nFROM b:1\nUSER 0:0\nUSER app\n",
            &[2],
        );
        assert_lines("DL3002", "FROM a:1\nUSER root\nRUN x\nUSER app\n", &[]);
    }
}
