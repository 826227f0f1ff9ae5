//! `DL4005` (ln-bin-sh): use `SHELL` to change the default shell.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL4005",
    "ln-bin-sh",
    Severity::Warning,
    "use `SHELL` to change the default shell",
    docs!(
        what: "Flags `ln` that replaces `/bin/sh`.",
        why: "Relinking `/bin/sh` changes the shell of every program in the image, not just of the build; `SHELL` changes the build's shell only.",
        bad: "FROM debian:12\n\
    RUN ln -sf /bin/bash /bin/sh",
        good: "FROM debian:12\n\
    SHELL [\"/bin/bash\", \"-c\"]",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script.commands.iter().any(|c| c.is("ln", &["/bin/sh"]))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(ShellRule(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL4005", "FROM a:1\nRUN ln -sf /bin/bash /bin/sh\n", &[2]);
        assert_lines("DL4005", "FROM a:1\nRUN ln -s /a /b\n", &[]);
    }
}
