//! `DL3012` (healthcheck-multiple): more than one `HEALTHCHECK` in a stage.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3012",
    "healthcheck-multiple",
    Severity::Error,
    "more than one `HEALTHCHECK` in a stage",
    docs!(
        what: "Flags the second and later `HEALTHCHECK` of a stage.",
        why: "Only the last `HEALTHCHECK` takes effect; the others are dead text that misleads readers.",
        bad: "FROM nginx:1.27\n\
    HEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]\n\
    HEALTHCHECK CMD [\"true\"]",
        good: "FROM nginx:1.27\n\
    HEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]",
    ),
);

#[derive(Default)]
struct HealthcheckMultiple {
    seen: bool,
}

impl Rule for HealthcheckMultiple {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        match step.ins.kind {
            InstructionKind::From { .. } => self.seen = false,
            InstructionKind::Healthcheck { .. } => {
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
    Box::<HealthcheckMultiple>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "DL3012",
            "FROM a:1\nHEALTHCHECK CMD [\"a\"]\nHEALTHCHECK NONE\n",
            &[3],
        );
        assert_lines(
            "DL3012",
            "FROM a:1\nHEALTHCHECK NONE\nFROM b:1\nHEALTHCHECK NONE\n",
            &[],
        );
    }
}
