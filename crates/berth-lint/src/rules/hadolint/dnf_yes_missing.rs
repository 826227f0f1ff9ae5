//! `DL3038` (dnf-yes-missing): use `-y` with `dnf install`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3038",
    "dnf-yes-missing",
    Severity::Warning,
    "use `-y` with `dnf install`",
    docs!(
        what: "Flags `dnf`/`microdnf` `install`, `groupinstall` and `localinstall` without `-y`/`--assumeyes`.",
        why: "A build has no terminal to answer dnf's question; the step fails.",
        bad: "FROM fedora:40\n\
    RUN dnf install httpd-2.4.62",
        good: "FROM fedora:40\n\
    RUN dnf install -y httpd-2.4.62 && dnf clean all",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script.commands.iter().any(|c| {
        c.is_any(
            &["dnf", "microdnf"],
            &["install", "groupinstall", "localinstall"],
        ) && !c.has_any_flag(&["y", "assumeyes"])
    })
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(ShellRule(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3038", "FROM a:1\nRUN dnf install x-1\n", &[2]);
        assert_lines("DL3038", "FROM a:1\nRUN microdnf install -y x-1\n", &[]);
    }
}
