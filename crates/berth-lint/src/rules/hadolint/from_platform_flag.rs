//! `DL3029` (from-platform-flag): do not use `--platform` on `FROM` with a fixed value.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3029",
    "from-platform-flag",
    Severity::Warning,
    "do not use `--platform` on `FROM` with a fixed value",
    docs!(
        what: "Flags `FROM --platform=` unless the value uses `BUILDPLATFORM` or `TARGETPLATFORM`.",
        why: "A fixed platform builds the wrong architecture for every other target; multi-platform builds set the platform from the outside.",
        bad: "FROM --platform=linux/amd64 debian:12",
        good: "FROM --platform=$BUILDPLATFORM golang:1.23 AS build",
    ),
);

fn check(step: &Step<'_>) -> bool {
    let InstructionKind::From {
        platform: Some(p), ..
    } = &step.ins.kind
    else {
        return false;
    };
    !(p.contains("BUILDPLATFORM") || p.contains("TARGETPLATFORM"))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3029", "FROM --platform=linux/amd64 a:1\n", &[1]);
        assert_lines(
            "DL3029",
            "FROM --platform=$BUILDPLATFORM a:1\nFROM a:1\n",
            &[],
        );
    }
}
