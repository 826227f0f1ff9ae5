//! `DL3034` (zypper-yes-missing): use a non-interactive switch with `zypper` (`-y`, `-n`).

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3034",
    "zypper-yes-missing",
    Severity::Warning,
    "use a non-interactive switch with `zypper` (`-y`, `-n`)",
    docs!(
        what: "Flags `zypper install`, `remove`, `source-install` and `patch` without `-n`/`--non-interactive`/`-y`/`--no-confirm`.",
        why: "A build has no terminal; zypper waits for an answer and the step fails.",
        bad: "FROM opensuse/leap:15.6\n\
    RUN zypper install httpd=2.4",
        good: "FROM opensuse/leap:15.6\n\
    RUN zypper install -y httpd=2.4 && zypper clean",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script.commands.iter().any(|c| {
        c.is(
            "zypper",
            &[
                "install",
                "in",
                "remove",
                "rm",
                "source-install",
                "si",
                "patch",
            ],
        ) && !c.has_any_flag(&["non-interactive", "n", "no-confirm", "y"])
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
        assert_lines("DL3034", "FROM a:1\nRUN zypper install x=1\n", &[2]);
        assert_lines("DL3034", "FROM a:1\nRUN zypper -n install x=1\n", &[]);
    }
}
