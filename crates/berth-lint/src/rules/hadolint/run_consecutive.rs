//! `DL3059` (run-consecutive): consecutive `RUN` instructions could be merged.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3059",
    "run-consecutive",
    Severity::Info,
    "consecutive `RUN` instructions could be merged",
    docs!(
        what: "Flags a `RUN` that directly follows another `RUN` with the same flags, when each is a single command (hadolint 2.15.1 leaves RUNs that already chain commands alone).",
        why: "Each `RUN` makes a layer; short consecutive RUNs make more layers and more cache entries than the work needs.",
        bad: "FROM debian:12\n\
    RUN mkdir /app\n\
    RUN chown 1000 /app",
        good: "FROM debian:12\n\
    RUN mkdir /app && chown 1000 /app",
    ),
);

#[derive(Default)]
struct RunConsecutive {
    previous: Option<(Vec<String>, usize)>,
}

impl Rule for RunConsecutive {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        let Some(script) = step.script else {
            self.previous = None;
            return;
        };
        let flags: Vec<String> = step.ins.node.flags.iter().map(|f| f.text.clone()).collect();
        // ShellCheck, which hadolint counts commands with, parses `[ ... ]` and `[[ ... ]]` as
        // conditions, not commands: `[ -n "$X" ] && make` is one command to hadolint.
        let count = script
            .commands
            .iter()
            .filter(|c| !matches!(c.name.as_str(), "[" | "[["))
            .count();
        if let Some((prev_flags, prev_count)) = &self.previous
            && *prev_flags == flags
            && count <= 1
            && *prev_count <= 1
        {
            cx.flag(step);
        }
        self.previous = Some((flags, count));
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<RunConsecutive>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3059", "FROM a:1\nRUN a\nRUN b\n", &[3]);
        assert_lines(
            "DL3059",
            "FROM a:1\nRUN a\nENV X=1\nRUN b\nRUN --network=none c\n",
            &[],
        );
    }

    #[test]
    fn test_brackets_are_not_commands() {
        // vllm's Dockerfile.nightly_torch: `if [ ... ]; then p=...; fi && uv pip install`.
        assert_lines(
            "DL3059",
            "FROM a:1\nRUN if [ -n \"$X\" ]; then p=1; else p=2; fi && b\nRUN c\n",
            &[3],
        );
        assert_lines(
            "DL3059",
            "FROM a:1\nRUN [[ -n \"$X\" ]] && b\nRUN c\n",
            &[3],
        );
        assert_lines("DL3059", "FROM a:1\nRUN test -n \"$X\" && b\nRUN c\n", &[]);
    }

    #[test]
    fn heredocs_count_like_hadolint() {
        // A bare heredoc runs its body: one command, like `RUN echo b`.
        assert_lines(
            "DL3059",
            "FROM a:1\nRUN echo a\nRUN <<EOT\necho b\nEOT\n",
            &[3],
        );
        // An interpreter reading the body is a command of its own, so the RUN has two.
        assert_lines(
            "DL3059",
            "FROM a:1\nRUN echo a\nRUN <<EOT bash\necho b\nEOT\nRUN echo c\n",
            &[],
        );
        // A non-shell interpreter's body is not read: the RUN is the one command `python3`.
        assert_lines(
            "DL3059",
            "FROM a:1\nRUN echo a\nRUN <<EOF python3\nprint(1)\nprint(2)\nEOF\n",
            &[3],
        );
    }
}
