//! `NoEmptyContinuation` (no-empty-continuation): empty line inside a continued instruction.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "NoEmptyContinuation",
    "no-empty-continuation",
    Severity::Warning,
    "empty line inside a continued instruction",
    docs!(
        what: "Flags an instruction whose line continuation runs over an empty line (reported at the instruction's last line, as BuildKit does).",
        why: "Empty continuation lines are deprecated and will become a syntax error; they also hide where an instruction ends.",
        bad: "FROM debian:12\n\
    RUN apt-get update && \\\n\
    \n\
    apt-get install -y curl",
        good: "FROM debian:12\n\
    RUN apt-get update && \\\n\
    apt-get install -y curl",
    ),
);

struct EmptyContinuation;

impl Rule for EmptyContinuation {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        if step.ins.node.empty_continuation && !step.onbuild {
            let line = step.ins.node.end_line;
            cx.report_at(line, 1, 2, cx.meta.summary);
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(EmptyContinuation)
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("NoEmptyContinuation", "FROM a:1\nRUN a \\\n\n b\n", &[4]);
        assert_lines("NoEmptyContinuation", "FROM a:1\nRUN a \\\n b\n", &[]);
    }
}
