//! `DL3008` (apt-get-unpinned): pin versions in `apt-get install` (`package=version`).

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3008",
    "apt-get-unpinned",
    Severity::Warning,
    "pin versions in `apt-get install` (`package=version`)",
    docs!(
        what: "Flags `apt-get install` of a package without `=version` (local `.deb` files and paths are fine).",
        why: "Without a version the build installs whatever the mirror has that day: two builds of one Dockerfile differ, and a breaking update arrives unannounced.",
        bad: "FROM debian:12\n\
    RUN apt-get update && apt-get install -y curl",
        good: "FROM debian:12\n\
    RUN apt-get update && apt-get install -y curl=7.88.1-10+deb12u5",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script
        .commands
        .iter()
        .filter(|c| c.is("apt-get", &["install"]))
        .flat_map(|c| c.operands(&["t", "target-release"]))
        .filter(|p| *p != "install")
        .any(|p| !(p.contains('=') || p.contains('/') || p.ends_with(".deb")))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(ShellRule(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3008", "FROM a:1\nRUN apt-get install -y curl\n", &[2]);
        assert_lines(
            "DL3008",
            "FROM a:1\nRUN apt-get install -y curl=1.0 ./x.deb\n",
            &[],
        );
        assert_lines(
            "DL3008",
            "FROM a:1\nRUN apt-get install -t bookworm-backports -y curl=1\n",
            &[],
        );
        assert_lines("DL3008", "FROM a:1\nRUN sudo apt-get install curl\n", &[]);
    }

    #[test]
    fn reads_heredocs_that_a_shell_runs() {
        let body = "apt-get update\napt-get install -y curl\n";
        for line in [
            "<<EOT",
            "<<EOT bash",
            "<<EOT sh -ex",
            "<<EOT bash -euo pipefail",
        ] {
            let source = format!("FROM a:1\nRUN {line}\n{body}EOT\n");
            assert_lines("DL3008", &source, &[2]);
        }
        let source = format!("FROM a:1\nRUN <<EOT python3\n{body}EOT\n");
        assert_lines("DL3008", &source, &[]);
    }
}
