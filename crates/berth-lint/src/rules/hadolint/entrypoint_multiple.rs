//! `DL4004` (entrypoint-multiple): more than one `ENTRYPOINT` in a stage.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL4004",
    "entrypoint-multiple",
    Severity::Error,
    "more than one `ENTRYPOINT` in a stage",
    docs!(
        what: "Flags the second and later `ENTRYPOINT` of a stage.",
        why: "Only the last `ENTRYPOINT` takes effect.",
        bad: "FROM alpine:3.20\n\
    ENTRYPOINT [\"/a\"]\n\
    ENTRYPOINT [\"/b\"]",
        good: "FROM alpine:3.20\n\
    ENTRYPOINT [\"/b\"]",
    ),
);

#[derive(Default)]
struct EntrypointMultiple {
    seen: bool,
}

impl Rule for EntrypointMultiple {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        match step.ins.kind {
            InstructionKind::From { .. } => self.seen = false,
            InstructionKind::Entrypoint { .. } => {
                if self.seen {
                    cx.flag(step);
                }
                self.seen = true;
            }
            _ => {}
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<EntrypointMultiple>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "DL4004",
            "FROM a:1\nENTRYPOINT [\"a\"]\nENTRYPOINT [\"b\"]\n",
            &[3],
        );
        assert_lines("DL4004", "FROM a:1\nENTRYPOINT [\"a\"]\n", &[]);
    }
}
