//! `FromPlatformFlagConstDisallowed` (from-platform-flag-const-disallowed): `FROM --platform` should not be a constant.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "FromPlatformFlagConstDisallowed",
    "from-platform-flag-const-disallowed",
    Severity::Warning,
    "`FROM --platform` should not be a constant",
    docs!(
        what: "Flags `FROM --platform=` with a constant value, unless the stage name contains the platform's OS or architecture (`AS build-arm64`).",
        why: "A constant platform builds that platform for every target: a multi-platform build silently ships the wrong architecture.",
        bad: "FROM --platform=linux/amd64 alpine:3.20",
        good: "FROM --platform=$BUILDPLATFORM alpine:3.20",
    ),
).twin_of("DL3029");

fn check(step: &Step<'_>) -> bool {
    let InstructionKind::From {
        platform: Some(p), ..
    } = &step.ins.kind
    else {
        return false;
    };
    if p.contains('$') {
        return false;
    }
    let name = from_parts(step.ins)
        .and_then(|(_, n)| n)
        .unwrap_or("")
        .to_lowercase();
    let mut parts = p.split('/');
    let os = parts.next().unwrap_or("").to_lowercase();
    let arch = parts.next().unwrap_or("").to_lowercase();
    let names_os = !os.is_empty() && name.contains(&os);
    let names_arch = !arch.is_empty() && name.contains(&arch);
    !names_os && !names_arch
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
            "FromPlatformFlagConstDisallowed",
            "FROM --platform=linux/amd64 a:1\n",
            &[1],
        );
        assert_lines(
            "FromPlatformFlagConstDisallowed",
            "FROM --platform=linux/arm64 a:1 AS build-arm64\nFROM --platform=$BUILDPLATFORM a:1\n",
            &[],
        );
    }
}
