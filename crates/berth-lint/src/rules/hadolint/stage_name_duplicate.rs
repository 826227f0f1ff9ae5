//! `DL3024` (stage-name-duplicate): `FROM` stage names must be unique.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3024",
    "stage-name-duplicate",
    Severity::Error,
    "`FROM` stage names must be unique",
    docs!(
        what: "Flags a `FROM ... AS name` whose name an earlier stage already has.",
        why: "`COPY --from` and `FROM` find only one of the stages; which one is not obvious to a reader.",
        bad: "FROM node:22 AS build\n\
    FROM golang:1.23 AS build",
        good: "FROM node:22 AS web\n\
    FROM golang:1.23 AS api",
    ),
);

#[derive(Default)]
struct StageNameDuplicate {
    names: std::collections::BTreeSet<String>,
}

impl Rule for StageNameDuplicate {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        if let Some((_, Some(name))) = from_parts(step.ins)
            && !self.names.insert(name.to_owned())
        {
            cx.flag(step);
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<StageNameDuplicate>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3024", "FROM a:1 AS b\nFROM c:1 AS b\n", &[2]);
        assert_lines("DL3024", "FROM a:1 AS b\nFROM c:1 AS d\n", &[]);
    }
}
