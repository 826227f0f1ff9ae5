//! `DL3063` (stage-name-reserved): stage name is a reserved word (`scratch`, `context`).

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3063",
    "stage-name-reserved",
    Severity::Warning,
    "stage name is a reserved word (`scratch`, `context`)",
    docs!(
        what: "Flags stages named `scratch` or `context`.",
        why: "`FROM scratch` and the build context already use those names; a stage called so is shadowed or shadows them.",
        bad: "FROM golang:1.23 AS scratch",
        good: "FROM golang:1.23 AS build",
    ),
);

fn check(step: &Step<'_>) -> bool {
    matches!(from_parts(step.ins), Some((_, Some(name))) if name == "scratch" || name == "context")
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3063", "FROM a:1 AS scratch\n", &[1]);
        assert_lines("DL3063", "FROM a:1 AS build\n", &[]);
    }
}
