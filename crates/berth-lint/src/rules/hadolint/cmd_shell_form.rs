//! `DL3025` (cmd-shell-form): use JSON (exec) form for `CMD` and `ENTRYPOINT`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3025",
    "cmd-shell-form",
    Severity::Warning,
    "use JSON (exec) form for `CMD` and `ENTRYPOINT`",
    docs!(
        what: "Flags `CMD`, `ENTRYPOINT` and `HEALTHCHECK CMD` written in shell form.",
        why: "Shell form runs the command under `/bin/sh -c`: the process is not PID 1, does not receive `SIGTERM`, and the container stops only when Docker kills it after the timeout.",
        bad: "FROM python:3.12-slim\n\
    CMD python app.py",
        good: "FROM python:3.12-slim\n\
    CMD [\"python\", \"app.py\"]",
    ),
);

fn check(step: &Step<'_>) -> bool {
    match &step.ins.kind {
        InstructionKind::Cmd { command } | InstructionKind::Entrypoint { command } => {
            matches!(command, CommandLine::Shell(_))
        }
        InstructionKind::Healthcheck {
            health: Health::Cmd { command },
        } => matches!(command, CommandLine::Shell(_)),
        _ => false,
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3025", "FROM a:1\nCMD x y\nENTRYPOINT x\n", &[2, 3]);
        assert_lines("DL3025", "FROM a:1\nCMD [\"x\"]\nENTRYPOINT [\"y\"]\n", &[]);
    }
}
