//! `StageNameCasing` (stage-name-casing): stage names should be lowercase.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "StageNameCasing",
    "stage-name-casing",
    Severity::Warning,
    "stage names should be lowercase",
    docs!(
        what: "Flags `FROM ... AS Name` whose name has upper-case letters.",
        why: "BuildKit lower-cases stage names when it resolves them, so `FROM Build` does not find a stage called `Build`: it is read as an image reference and fails.",
        bad: "FROM golang:1.23 AS Build",
        good: "FROM golang:1.23 AS build",
    ),
);

fn check(step: &Step<'_>) -> bool {
    written_name(step).is_some_and(|name| name.chars().any(char::is_uppercase))
}

/// The stage name as written (the typed instruction holds it lower-cased).
fn written_name<'a>(step: &Step<'a>) -> Option<&'a str> {
    from_parts(step.ins)?.1?;
    step.ins.node.args.get(2).map(|a| a.value.as_str())
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(StageNameCasing)
}

struct StageNameCasing;

impl Rule for StageNameCasing {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        if check(step)
            && let Some(name) = written_name(step)
        {
            cx.report(step, format!("stage name `{name}` should be lowercase"));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("StageNameCasing", "FROM a:1 AS Build\n", &[1]);
        assert_lines("StageNameCasing", "FROM a:1 AS build\n", &[]);
    }
}
