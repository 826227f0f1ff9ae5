//! `DL3027` (apt-used): use `apt-get` or `apt-cache` instead of `apt`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3027",
    "apt-used",
    Severity::Warning,
    "use `apt-get` or `apt-cache` instead of `apt`",
    docs!(
        what: "Flags the `apt` command in RUN.",
        why: "`apt` is made for people at a terminal; its command-line interface is not stable and it warns so when used in scripts.",
        bad: "FROM debian:12\n\
    RUN apt update && apt install -y curl",
        good: "FROM debian:12\n\
    RUN apt-get update && apt-get install -y curl",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script.uses("apt")
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(ShellRule(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3027", "FROM a:1\nRUN apt install x\n", &[2]);
        assert_lines("DL3027", "FROM a:1\nRUN apt-get install -y x\n", &[]);
    }
}
