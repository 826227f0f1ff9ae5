//! `FromAsCasing` (from-as-casing): the `AS` keyword should match the case of `FROM`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "FromAsCasing",
    "from-as-casing",
    Severity::Warning,
    "the `AS` keyword should match the case of `FROM`",
    docs!(
        what: "Flags `FROM ... as name` when `FROM` is upper case (or `from ... AS name` when it is lower case).",
        why: "Mixed keyword casing makes the file harder to read and to search.",
        bad: "FROM golang:1.23 as build",
        good: "FROM golang:1.23 AS build",
    ),
);

fn check(step: &Step<'_>) -> bool {
    if from_parts(step.ins).is_none_or(|(_, name)| name.is_none()) {
        return false;
    }
    let keyword = &step.ins.node.keyword;
    let Some(as_word) = step.ins.node.args.get(1).map(|a| a.value.as_str()) else {
        return false;
    };
    let upper = |s: &str| s.chars().all(|c| !c.is_lowercase());
    let lower = |s: &str| s.chars().all(|c| !c.is_uppercase());
    (upper(keyword) && !upper(as_word)) || (lower(keyword) && !lower(as_word))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("FromAsCasing", "FROM a:1 as b\n", &[1]);
        assert_lines("FromAsCasing", "FROM a:1 AS b\nfrom c:1 as d\n", &[]);
    }
}
