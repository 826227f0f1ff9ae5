//! `DL3018` (apk-add-unpinned): pin versions in `apk add` (`package=version`).

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3018",
    "apk-add-unpinned",
    Severity::Warning,
    "pin versions in `apk add` (`package=version`)",
    docs!(
        what: "Flags `apk add` of a package without a version constraint (`=`, `~`, `>`, `<`; local `.apk` files are fine).",
        why: "Unpinned packages make builds unrepeatable: the same Dockerfile installs different versions over time.",
        bad: "FROM alpine:3.20\n\
    RUN apk add --no-cache curl",
        good: "FROM alpine:3.20\n\
    RUN apk add --no-cache curl=8.9.1-r0",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script
        .commands
        .iter()
        .filter(|c| c.is("apk", &["add"]))
        .flat_map(|c| c.operands(&["t", "virtual", "repository", "X"]))
        .filter(|p| *p != "add")
        .any(|p| !(p.contains(['=', '~', '>', '<']) || p.ends_with(".apk")))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(ShellRule(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3018", "FROM a:1\nRUN apk add curl\n", &[2]);
        assert_lines(
            "DL3018",
            "FROM a:1\nRUN apk add --virtual deps curl=1 x~2\n",
            &[],
        );
    }
}
