//! `DL4006` (pipe-without-pipefail): set `SHELL` with `-o pipefail` before a `RUN` with a pipe.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL4006",
    "pipe-without-pipefail",
    Severity::Warning,
    "set `SHELL` with `-o pipefail` before a `RUN` with a pipe",
    docs!(
        what: "Flags a RUN with a pipe when the stage has no `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` (or zsh/ash) before it. Non-POSIX shells (pwsh, cmd) are exempt.",
        why: "`/bin/sh -c 'a | b'` succeeds when `b` succeeds, even if `a` failed: a failed download piped to a shell or to tar passes unnoticed.",
        bad: "FROM debian:12\n\
    RUN curl -fsSL https://example.com/key | gpg --dearmor -o /usr/share/keyrings/k.gpg",
        good: "FROM debian:12\n\
    SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\n\
    RUN curl -fsSL https://example.com/key | gpg --dearmor -o /usr/share/keyrings/k.gpg",
    ),
);

#[derive(Default)]
struct PipeWithoutPipefail {
    safe: bool,
}

impl Rule for PipeWithoutPipefail {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        match &step.ins.kind {
            InstructionKind::From { .. } => self.safe = false,
            InstructionKind::Shell { shell } => {
                let text = shell.join(" ");
                let non_posix = ["pwsh", "powershell", "cmd"]
                    .iter()
                    .any(|s| text.starts_with(s));
                let base = shell.first().map(|s| s.rsplit('/').next().unwrap_or(s));
                let pipefail = base.is_some_and(|b| ["bash", "zsh", "ash"].contains(&b))
                    && shell
                        .iter()
                        .any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('o'))
                    && shell.iter().any(|a| a == "pipefail");
                self.safe = non_posix || pipefail;
            }
            _ => {
                if !self.safe && !step.onbuild && step.script.is_some_and(|s| s.has_pipe) {
                    cx.flag(step);
                }
            }
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<PipeWithoutPipefail>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL4006", "FROM a:1\nRUN a | b\n", &[2]);
        assert_lines(
            "DL4006",
            "FROM a:1\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN a | b\nRUN a || b\n",
            &[],
        );
    }

    #[test]
    fn reads_heredocs_that_a_shell_runs() {
        for line in ["<<EOT", "<<EOT bash", "<<EOT sh -ex", "<<EOT /bin/bash -eu"] {
            let source = format!("FROM a:1\nRUN {line}\ncurl -s x | sh\nEOT\n");
            assert_lines("DL4006", &source, &[2]);
        }
        assert_lines(
            "DL4006",
            "FROM a:1\nRUN <<EOF python3\nprint(1 | 2)\nEOF\nRUN <<EOF node\nx | y\nEOF\n",
            &[],
        );
    }

    #[test]
    fn case_patterns_are_not_pipes() {
        assert_lines(
            "DL4006",
            "FROM a:1\nRUN case \"$arch\" in x86_64|aarch64) echo ok;; *) exit 1;; esac\n",
            &[],
        );
        assert_lines(
            "DL4006",
            "FROM a:1\nRUN case $a in x|y) curl x | sh;; esac\n",
            &[2],
        );
    }
}
