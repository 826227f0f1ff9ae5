//! `BRT011` (package-upgrade): distribution upgrade inside the build (`apt-get upgrade`, `apk upgrade`).

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::berth(
    "BRT011",
    "package-upgrade",
    Severity::Warning,
    "distribution upgrade inside the build (`apt-get upgrade`, `apk upgrade`)",
    docs!(
        what: "Flags `apt-get upgrade`/`dist-upgrade`/`full-upgrade`, `apt upgrade`, `apk upgrade` and `dnf`/`yum upgrade` without package names.",
        why: "Upgrading everything makes the base image tag meaningless and the build unrepeatable; pick a newer base image, or upgrade named packages to pinned versions.",
        bad: "FROM debian:12\n\
    RUN apt-get update && apt-get upgrade -y",
        good: "FROM debian:12.7\n\
    RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates=20230311",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script.commands.iter().any(|c| {
        c.is_any(
            &["apt-get", "apt"],
            &["upgrade", "dist-upgrade", "full-upgrade"],
        ) || c.is("apk", &["upgrade"])
            || (c.is_any(&["dnf", "yum", "microdnf"], &["upgrade", "update"])
                && c.operands_after(&["upgrade", "update"], &[]).is_empty())
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
            "BRT011",
            "FROM a:1\nRUN apt-get update && apt-get upgrade -y\n",
            &[2],
        );
        assert_lines(
            "BRT011",
            "FROM a:1\nRUN apt-get update\nRUN dnf upgrade -y openssl-3.2\n",
            &[],
        );
    }
}
