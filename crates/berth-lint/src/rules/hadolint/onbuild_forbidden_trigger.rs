//! `DL3043` (onbuild-forbidden-trigger): `ONBUILD` cannot trigger `ONBUILD`, `FROM` or `MAINTAINER`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3043",
    "onbuild-forbidden-trigger",
    Severity::Error,
    "`ONBUILD` cannot trigger `ONBUILD`, `FROM` or `MAINTAINER`",
    docs!(
        what: "Flags `ONBUILD ONBUILD`, `ONBUILD FROM` and `ONBUILD MAINTAINER`. BuildKit rejects these while parsing, so the finding replaces the parse error.",
        why: "These triggers are not allowed: the image that uses this one as a base fails to build.",
        bad: "FROM alpine:3.20\n\
    ONBUILD FROM alpine:3.20",
        good: "FROM alpine:3.20\n\
    ONBUILD RUN echo ready",
    ),
);

struct OnbuildForbiddenTrigger;

impl Rule for OnbuildForbiddenTrigger {
    // BuildKit's parser rejects the file; the linter reports this code instead of DL1000.
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(OnbuildForbiddenTrigger)
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3043", "FROM a:1\nONBUILD FROM b\n", &[2]);
        assert_lines("DL3043", "FROM a:1\nONBUILD RUN x\n", &[]);
    }
}
