//! `DL3014` (apt-get-yes-missing): use `-y` with `apt-get install`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3014",
    "apt-get-yes-missing",
    Severity::Warning,
    "use `-y` with `apt-get install`",
    docs!(
        what: "Flags `apt-get install` without `-y` (or `--yes`, `--assume-yes`, `-qq`).",
        why: "A build has no terminal: without `-y` apt asks for confirmation and aborts the step.",
        bad: "FROM debian:12\n\
    RUN apt-get update && apt-get install curl",
        good: "FROM debian:12\n\
    RUN apt-get update && apt-get install -y curl",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script.commands.iter().any(|c| {
        c.is("apt-get", &["install"])
            && !(c.has_any_flag(&["y", "yes", "qq", "assume-yes"])
                || c.count_flag("q") == 2
                || c.count_flag("quiet") == 2
                || c.has_arg("-q=2"))
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
        assert_lines("DL3014", "FROM a:1\nRUN apt-get install curl\n", &[2]);
        assert_lines(
            "DL3014",
            "FROM a:1\nRUN apt-get install -y curl\nRUN apt-get -qq install x\nRUN apt-get -q -q install x\n",
            &[],
        );
    }
}
