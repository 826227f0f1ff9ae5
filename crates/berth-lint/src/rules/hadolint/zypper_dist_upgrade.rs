//! `DL3035` (zypper-dist-upgrade): do not use `zypper dist-upgrade`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3035",
    "zypper-dist-upgrade",
    Severity::Warning,
    "do not use `zypper dist-upgrade`",
    docs!(
        what: "Flags `zypper dist-upgrade` (`dup`).",
        why: "Upgrading the whole distribution inside a build makes the base image's version meaningless; pick a newer base image instead.",
        bad: "FROM opensuse/leap:15.5\n\
    RUN zypper dist-upgrade -y",
        good: "FROM opensuse/leap:15.6",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script
        .commands
        .iter()
        .any(|c| c.is("zypper", &["dist-upgrade", "dup"]))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(ShellRule(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3035", "FROM a:1\nRUN zypper dup -y\n", &[2]);
        assert_lines("DL3035", "FROM a:1\nRUN zypper up -y\n", &[]);
    }
}
