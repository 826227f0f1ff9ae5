//! `BRT005` (no-healthcheck): the final image has no `HEALTHCHECK`.

use crate::analyze::checks::prelude::*;
#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::berth(
    "BRT005",
    "no-healthcheck",
    Severity::Info,
    "the final image has no `HEALTHCHECK`",
    docs!(
        what: "Flags a final image without a `HEALTHCHECK` (`berth analyze`'s Health Check check). Off by default; DL3057 is the per-stage variant.",
        why: "Without a health check an orchestrator sees a running process, not a working service.",
        bad: "FROM nginx:1.27",
        good: "FROM nginx:1.27\n\
    HEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]",
    ),
).off_by_default();

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

/// `berth analyze`'s check; this rule reports it when it fails.
pub(crate) fn judge(input: &CheckInput<'_>) -> Check {
    let (facts, root) = (input.facts, input.root);
    let inherited = root.filter(|r| r.healthcheck).and_then(|r| {
        let (path, _) = r.built_by.as_ref()?;
        Some((r.table.reference.as_str(), path.as_str()))
    });
    match last_healthcheck(facts) {
        None if let Some((image, path)) = inherited => check(
            "health-check",
            "Health Check",
            true,
            format!("Inherits the HEALTHCHECK of {image} (set in {path})"),
            None,
        ),
        Some((Health::Cmd { .. }, line)) => check(
            "health-check",
            "Health Check",
            true,
            "Includes HEALTHCHECK for orchestration",
            Some(line),
        ),
        Some((Health::None, line)) => check(
            "health-check",
            "Health Check",
            false,
            format!("HEALTHCHECK NONE (line {line}) turns the health check off"),
            Some(line),
        ),
        None => check(
            "health-check",
            "Health Check",
            false,
            "No HEALTHCHECK in the final stage",
            None,
        ),
    }
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
