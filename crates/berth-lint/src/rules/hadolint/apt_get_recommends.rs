//! `DL3015` (apt-get-recommends): add `--no-install-recommends` to `apt-get install`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3015",
    "apt-get-recommends",
    Severity::Info,
    "add `--no-install-recommends` to `apt-get install`",
    docs!(
        what: "Flags `apt-get install` without `--no-install-recommends`.",
        why: "Recommended packages are not needed to run the software; they make the image larger and widen its attack surface.",
        bad: "FROM debian:12\n\
    RUN apt-get update && apt-get install -y curl",
        good: "FROM debian:12\n\
    RUN apt-get update && apt-get install -y --no-install-recommends curl",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script.commands.iter().any(|c| {
        c.is("apt-get", &["install"])
            && !(c.has_flag("no-install-recommends") || c.has_arg("APT::Install-Recommends=false"))
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
        assert_lines("DL3015", "FROM a:1\nRUN apt-get install -y curl\n", &[2]);
        assert_lines(
            "DL3015",
            "FROM a:1\nRUN apt-get install -y --no-install-recommends curl\n",
            &[],
        );
    }
}
