//! `DuplicateStageName` (duplicate-stage-name): stage names should be unique.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "DuplicateStageName",
    "duplicate-stage-name",
    Severity::Warning,
    "stage names should be unique",
    docs!(
        what: "Flags a stage whose name (compared case-insensitively) an earlier stage already has.",
        why: "`FROM` and `COPY --from` resolve to one of the stages; the other is unreachable by name.",
        bad: "FROM node:22 AS build\n\
    FROM golang:1.23 AS build",
        good: "FROM node:22 AS web\n\
    FROM golang:1.23 AS api",
    ),
).twin_of("DL3024");

#[derive(Default)]
struct DuplicateStageName {
    names: std::collections::BTreeSet<String>,
}

impl Rule for DuplicateStageName {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        if let Some((_, Some(name))) = from_parts(step.ins)
            && !self.names.insert(name.to_lowercase())
        {
            cx.report(
                step,
                format!("duplicate stage name `{name}`, stage names should be unique"),
            );
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<DuplicateStageName>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DuplicateStageName", "FROM a:1 AS b\nFROM c:1 AS B\n", &[2]);
        assert_lines("DuplicateStageName", "FROM a:1 AS b\nFROM c:1 AS c\n", &[]);
    }
}
