//! `MultipleInstructionsDisallowed` (multiple-instructions-disallowed): only the last `CMD`, `ENTRYPOINT` or `HEALTHCHECK` of a stage counts.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "MultipleInstructionsDisallowed",
    "multiple-instructions-disallowed",
    Severity::Warning,
    "only the last `CMD`, `ENTRYPOINT` or `HEALTHCHECK` of a stage counts",
    docs!(
        what: "Flags a `CMD`, `ENTRYPOINT` or `HEALTHCHECK` that a later one of the same kind in the stage overrides (reported at the overridden one, as BuildKit does).",
        why: "The earlier instruction has no effect; readers may think it does.",
        bad: "FROM alpine:3.20\n\
    CMD [\"a\"]\n\
    CMD [\"b\"]",
        good: "FROM alpine:3.20\n\
    CMD [\"b\"]",
    ),
);

#[derive(Default)]
struct MultipleInstructions {
    /// Last CMD, ENTRYPOINT and HEALTHCHECK of the stage: (line, column).
    last: [Option<(usize, usize)>; 3],
}

impl Rule for MultipleInstructions {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        let slot = match step.ins.kind {
            InstructionKind::From { .. } => {
                self.last = [None; 3];
                return;
            }
            InstructionKind::Cmd { .. } => 0,
            InstructionKind::Entrypoint { .. } => 1,
            InstructionKind::Healthcheck { .. } => 2,
            _ => return,
        };
        if let Some((line, column)) = self.last[slot] {
            let keyword = &step.ins.keyword;
            cx.report_at(line, column, column + keyword.len(), format!("multiple {keyword} instructions should not be used in the same stage because only the last one will be used"));
        }
        self.last[slot] = Some((step.line, step.column));
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<MultipleInstructions>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "MultipleInstructionsDisallowed",
            "FROM a:1\nCMD [\"a\"]\nCMD [\"b\"]\nCMD [\"c\"]\n",
            &[2, 3],
        );
        assert_lines(
            "MultipleInstructionsDisallowed",
            "FROM a:1\nCMD [\"a\"]\nFROM b:1\nCMD [\"b\"]\n",
            &[],
        );
    }
}
