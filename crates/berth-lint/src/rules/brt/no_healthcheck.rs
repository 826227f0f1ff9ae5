//! `BRT005` (no-healthcheck): the final image has no `HEALTHCHECK`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta {
    code: "BRT005",
    name: "no-healthcheck",
    origin: Origin::Berth,
    severity: Severity::Info,
    summary: "the final image has no `HEALTHCHECK`",
    docs: docs!(
        what: "Flags a final image without a `HEALTHCHECK` (`berth analyze`'s Health Check check). Off by default; DL3057 is the per-stage variant.",
        why: "Without a health check an orchestrator sees a running process, not a working service.",
        bad: "FROM nginx:1.27",
        good: "FROM nginx:1.27\n\
    HEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]",
    ),
    default_enabled: false,
    onbuild: false,
    twin: None,
};

struct NoHealthcheck;

impl Rule for NoHealthcheck {
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}

    fn finish(&mut self, cx: &mut Checker<'_>) {
        super::report_failed_check(cx, "health-check");
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(NoHealthcheck)
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("BRT005", "FROM a:1\n", &[1]);
        assert_lines("BRT005", "FROM a:1\nHEALTHCHECK CMD [\"x\"]\n", &[]);
    }
}
