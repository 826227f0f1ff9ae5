//! `MaintainerDeprecated` (maintainer-deprecated): the `MAINTAINER` instruction is deprecated.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "MaintainerDeprecated",
    "maintainer-deprecated",
    Severity::Warning,
    "the `MAINTAINER` instruction is deprecated",
    docs!(
        what: "Flags `MAINTAINER`.",
        why: "It has been deprecated since Docker 1.13; use the `org.opencontainers.image.authors` label.",
        bad: "FROM alpine:3.20\n\
    MAINTAINER jane@example.com",
        good: "FROM alpine:3.20\n\
    LABEL org.opencontainers.image.authors=\"jane@example.com\"",
    ),
).twin_of("DL4000");

fn check(step: &Step<'_>) -> bool {
    matches!(step.ins.kind, InstructionKind::Maintainer { .. })
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("MaintainerDeprecated", "FROM a:1\nMAINTAINER x\n", &[2]);
        assert_lines("MaintainerDeprecated", "FROM a:1\n", &[]);
    }
}
