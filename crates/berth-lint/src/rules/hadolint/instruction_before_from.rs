//! `DL3061` (instruction-before-from): the Dockerfile must begin with `FROM`, `ARG` or a comment.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3061",
    "instruction-before-from",
    Severity::Error,
    "the Dockerfile must begin with `FROM`, `ARG` or a comment",
    docs!(
        what: "Flags an instruction other than `ARG` before the first `FROM`. BuildKit rejects such files while parsing, so the finding replaces the parse error.",
        why: "Only ARG may come before the first stage; anything else fails the build with `no build stage in current context`.",
        bad: "LABEL a=b\n\
    FROM alpine:3.20",
        good: "FROM alpine:3.20\n\
    LABEL a=b",
    ),
);

struct InstructionBeforeFrom;

impl Rule for InstructionBeforeFrom {
    // BuildKit's parser rejects the file; the linter reports this code instead of DL1000.
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(InstructionBeforeFrom)
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3061", "ENV A=1\nFROM a:1\n", &[1]);
        assert_lines("DL3061", "ARG A=1\nFROM a:1\n", &[]);
    }
}
