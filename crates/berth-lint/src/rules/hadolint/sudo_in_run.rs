//! `DL3004` (sudo-in-run): do not use `sudo`; use a tool like `gosu` to drop privileges.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3004",
    "sudo-in-run",
    Severity::Error,
    "do not use `sudo`; use a tool like `gosu` to drop privileges",
    docs!(
        what: "Flags `sudo` in RUN.",
        why: "Build steps already run as the image's USER; `sudo` adds a setuid binary, a TTY-dependent configuration and unpredictable environment handling. Switch users with `USER`, or with `gosu`/`su-exec` at run time.",
        bad: "FROM debian:12\n\
    USER app\n\
    RUN sudo apt-get update",
        good: "FROM debian:12\n\
    RUN apt-get update\n\
    USER app",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script.uses("sudo")
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(ShellRule(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3004", "FROM a:1\nRUN sudo make install\n", &[2]);
        assert_lines("DL3004", "FROM a:1\nRUN echo $(sudo id)\n", &[2]);
        assert_lines("DL3004", "FROM a:1\nRUN echo sudo\n", &[]);
        assert_lines("DL3004", "FROM a:1\nONBUILD RUN sudo x\n", &[2]);
    }
}
