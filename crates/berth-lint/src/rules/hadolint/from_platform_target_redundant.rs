//! `DL3065` (from-platform-target-redundant): `FROM --platform=$TARGETPLATFORM` is redundant.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3065",
    "from-platform-target-redundant",
    Severity::Warning,
    "`FROM --platform=$TARGETPLATFORM` is redundant",
    docs!(
        what: "Flags `FROM --platform=$TARGETPLATFORM` (or `${TARGETPLATFORM}`).",
        why: "The target platform is already the default; the flag adds noise and suggests something special happens.",
        bad: "FROM --platform=$TARGETPLATFORM alpine:3.20",
        good: "FROM alpine:3.20",
    ),
);

fn check(step: &Step<'_>) -> bool {
    matches!(&step.ins.kind, InstructionKind::From { platform: Some(p), .. } if p == "$TARGETPLATFORM" || p == "${TARGETPLATFORM}")
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3065", "FROM --platform=$TARGETPLATFORM a:1\n", &[1]);
        assert_lines("DL3065", "FROM --platform=$BUILDPLATFORM a:1\n", &[]);
    }
}
