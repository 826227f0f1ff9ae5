//! `BRT012` (curl-pipe-shell): downloaded script piped straight into a shell.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::berth(
    "BRT012",
    "curl-pipe-shell",
    Severity::Warning,
    "downloaded script piped straight into a shell",
    docs!(
        what: "Flags `curl ... | sh` and `wget -O- ... | bash` (any download command piped into `sh`, `bash`, `zsh`, `ash`, `dash`, `ksh` or `python`).",
        why: "The script runs without being checked: no checksum, no review, and a failed or truncated download still runs (and without `pipefail` the step even succeeds).",
        bad: "FROM debian:12\n\
    RUN curl -fsSL https://example.com/install.sh | sh",
        good: "FROM debian:12\n\
    ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2015d0a6ff5ea2e3 https://example.com/install.sh /tmp/install.sh\n\
    RUN sh /tmp/install.sh",
    ),
).on_onbuild_triggers();

const SHELLS: [&str; 8] = [
    "sh", "bash", "zsh", "ash", "dash", "ksh", "python", "python3",
];

fn check(script: &Script) -> bool {
    script.commands.windows(2).any(|pair| {
        let downloader = matches!(pair[0].name.rsplit('/').next(), Some("curl" | "wget"));
        let shell = pair[1]
            .name
            .rsplit('/')
            .next()
            .is_some_and(|n| SHELLS.contains(&n));
        downloader && pair[1].piped && shell
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
        assert_lines(
            "BRT012",
            "FROM a:1\nRUN curl -fsSL https://x/i.sh | sh\n",
            &[2],
        );
        assert_lines(
            "BRT012",
            "FROM a:1\nRUN curl -fsSL https://x/k | gpg --dearmor > k\nRUN curl x; sh y\n",
            &[],
        );
    }
}
