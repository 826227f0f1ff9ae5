//! `DL3001` (pointless-command): command makes no sense in a container (`ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`).

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3001",
    "pointless-command",
    Severity::Info,
    "command makes no sense in a container (`ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`)",
    docs!(
        what: "Flags RUN commands that are interactive or manage a running system: `ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`.",
        why: "A build step runs once, non-interactively, in a throw-away container: these commands either hang, do nothing useful, or belong in the running container's entrypoint.",
        bad: "FROM debian:12\n\
    RUN service nginx start",
        good: "FROM debian:12\n\
    CMD [\"nginx\", \"-g\", \"daemon off;\"]",
    ),
).on_onbuild_triggers();

const POINTLESS: [&str; 9] = [
    "free", "kill", "mount", "ps", "service", "shutdown", "ssh", "top", "vim",
];

fn check(script: &Script) -> bool {
    script.command_names().any(|n| POINTLESS.contains(&n))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(ShellRule(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "DL3001",
            "FROM a:1\nRUN apt-get update && service x start\n",
            &[2],
        );
        assert_lines("DL3001", "FROM a:1\nRUN echo ps top\n", &[]);
        assert_lines("DL3001", "FROM a:1\nONBUILD RUN vim x\n", &[2]);
    }
}
