//! `ReservedStageName` (reserved-stage-name): reserved words should not be stage names.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "ReservedStageName",
    "reserved-stage-name",
    Severity::Warning,
    "reserved words should not be stage names",
    docs!(
        what: "Flags stages named `scratch` or `context`.",
        why: "Those names already mean the empty image and the build context.",
        bad: "FROM alpine:3.20 AS scratch",
        good: "FROM alpine:3.20 AS base",
    ),
).twin_of("DL3063");

fn check(step: &Step<'_>) -> bool {
    matches!(from_parts(step.ins), Some((_, Some(name))) if name.eq_ignore_ascii_case("scratch") || name.eq_ignore_ascii_case("context"))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("ReservedStageName", "FROM a:1 AS context\n", &[1]);
        assert_lines("ReservedStageName", "FROM a:1 AS base\n", &[]);
    }
}
