//! `RedundantTargetPlatform` (redundant-target-platform): setting the platform to `$TARGETPLATFORM` is redundant.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "RedundantTargetPlatform",
    "redundant-target-platform",
    Severity::Warning,
    "setting the platform to `$TARGETPLATFORM` is redundant",
    docs!(
        what: "Flags `FROM --platform=$TARGETPLATFORM` (or `${TARGETPLATFORM}`), the default anyway.",
        why: "The flag adds nothing and suggests something special happens.",
        bad: "FROM --platform=$TARGETPLATFORM alpine:3.20",
        good: "FROM alpine:3.20",
    ),
).twin_of("DL3065");

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
        assert_lines(
            "RedundantTargetPlatform",
            "FROM --platform=${TARGETPLATFORM} a:1\n",
            &[1],
        );
        assert_lines("RedundantTargetPlatform", "FROM a:1\n", &[]);
    }
}
