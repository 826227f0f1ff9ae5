//! `DL4000` (maintainer): `MAINTAINER` is deprecated.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL4000",
    "maintainer",
    Severity::Error,
    "`MAINTAINER` is deprecated",
    docs!(
        what: "Flags `MAINTAINER`.",
        why: "`MAINTAINER` has been deprecated since Docker 1.13; it sets a field few tools read.",
        bad: "FROM alpine:3.20\n\
    MAINTAINER jane@example.com",
        good: "FROM alpine:3.20\n\
    LABEL org.opencontainers.image.authors=\"jane@example.com\"",
    ),
);

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
        assert_lines("DL4000", "FROM a:1\nMAINTAINER x\n", &[2]);
        assert_lines("DL4000", "FROM a:1\nLABEL a=b\n", &[]);
    }
}
