//! `DL3047` (wget-progress): use `wget --progress=dot:giga` (or `-q`/`-nv`).

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3047",
    "wget-progress",
    Severity::Info,
    "use `wget --progress=dot:giga` (or `-q`/`-nv`)",
    docs!(
        what: "Flags `wget` without `--progress`, `-q`, `-nv`, `-o` or `-a`.",
        why: "wget's default progress bar writes thousands of lines to the build log.",
        bad: "FROM debian:12\n\
    RUN wget https://example.com/big.tar.gz",
        good: "FROM debian:12\n\
    RUN wget --progress=dot:giga https://example.com/big.tar.gz",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script.commands.iter().any(|c| {
        c.name == "wget"
            && !c.has_flag("progress")
            && !c.has_any_flag(&[
                "q",
                "quiet",
                "o",
                "output-file",
                "a",
                "append-output",
                "no-verbose",
            ])
            && !c.has_arg("-nv")
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
        assert_lines("DL3047", "FROM a:1\nRUN wget http://x\n", &[2]);
        assert_lines(
            "DL3047",
            "FROM a:1\nRUN wget -q http://x && wget -nv y && wget --progress=dot z\n",
            &[],
        );
    }

    #[test]
    fn reads_heredocs_that_a_shell_runs() {
        assert_lines(
            "DL3047",
            "FROM a:1\nRUN <<EOT sh -ex\nwget https://x/y\nEOT\n",
            &[2],
        );
        assert_lines(
            "DL3047",
            "FROM a:1\nRUN <<EOT python3\nwget https://x/y\nEOT\n",
            &[],
        );
    }
}
