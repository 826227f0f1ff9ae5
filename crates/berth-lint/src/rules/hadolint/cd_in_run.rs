//! `DL3003` (cd-in-run): use `WORKDIR` to switch to a directory.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3003",
    "cd-in-run",
    Severity::Warning,
    "use `WORKDIR` to switch to a directory",
    docs!(
        what: "Flags `cd` in RUN.",
        why: "`cd` lasts for one RUN only; later instructions start elsewhere. `WORKDIR` states the directory once for every instruction after it and is visible in the image config.",
        bad: "FROM alpine:3.20\n\
    RUN cd /app && make",
        good: "FROM alpine:3.20\n\
    WORKDIR /app\n\
    RUN make",
    ),
);

fn check(script: &Script) -> bool {
    script.uses("cd")
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(ShellRule(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3003", "FROM a:1\nRUN cd /x && make\n", &[2]);
        assert_lines("DL3003", "FROM a:1\nRUN echo cd\n", &[]);
    }
}
