//! `DL4003` (cmd-multiple): more than one `CMD` in a stage.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL4003",
    "cmd-multiple",
    Severity::Warning,
    "more than one `CMD` in a stage",
    docs!(
        what: "Flags the second and later `CMD` of a stage.",
        why: "Only the last `CMD` takes effect.",
        bad: "FROM python:3.12-slim\n\
    CMD [\"python\", \"a.py\"]\n\
    CMD [\"python\", \"b.py\"]",
        good: "FROM python:3.12-slim\n\
    CMD [\"python\", \"b.py\"]",
    ),
);

#[derive(Default)]
struct CmdMultiple {
    seen: bool,
}

impl Rule for CmdMultiple {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        match step.ins.kind {
            InstructionKind::From { .. } => self.seen = false,
            InstructionKind::Cmd { .. } => {
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
    Box::<CmdMultiple>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL4003", "FROM a:1\nCMD [\"a\"]\nCMD [\"b\"]\n", &[3]);
        assert_lines(
            "DL4003",
            "FROM a:1\nCMD [\"a\"]\nFROM b:1\nCMD [\"b\"]\n",
            &[],
        );
    }
}
