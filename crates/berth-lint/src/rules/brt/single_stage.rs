//! `BRT001` (single-stage): single-stage build: build tools stay in the final image.

use crate::analyze::checks::prelude::*;
#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::berth(
    "BRT001",
    "single-stage",
    Severity::Info,
    "single-stage build: build tools stay in the final image",
    docs!(
        what: "Flags a Dockerfile whose target uses no other stage (`berth analyze`'s Multistage Build check). Off by default.",
        why: "Compilers, headers and package caches needed to build are shipped with the application; a separate build stage leaves them behind.",
        bad: "FROM golang:1.23\n\
    COPY . /src\n\
    RUN go build -o /app /src\n\
    CMD [\"/app\"]",
        good: "FROM golang:1.23 AS build\n\
    COPY . /src\n\
    RUN go build -o /app /src\n\
    FROM gcr.io/distroless/static\n\
    COPY --from=build /app /app\n\
    CMD [\"/app\"]",
    ),
).off_by_default();

struct SingleStage;

impl Rule for SingleStage {
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}

    fn finish(&mut self, cx: &mut Checker<'_>) {
        super::report_failed_check(cx, "multistage-build");
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(SingleStage)
}

/// `berth analyze`'s check; this rule reports it when it fails.
pub(crate) fn judge(input: &CheckInput<'_>) -> Check {
    let graph = input.graph;
    let used = graph.reachable.iter().filter(|r| **r).count();
    if graph.stages.len() < 2 {
        return check(
            "multistage-build",
            "Multistage Build",
            false,
            "Single stage: build tools and caches stay in the final image",
            None,
        );
    }
    if used < 2 {
        return check(
            "multistage-build",
            "Multistage Build",
            false,
            format!(
                "{} stages, but the final stage uses none of the others",
                graph.stages.len()
            ),
            None,
        );
    }
    check(
        "multistage-build",
        "Multistage Build",
        true,
        "Uses named stages for smaller final image",
        None,
    )
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("BRT001", "FROM a:1\nRUN x\n", &[1]);
        assert_lines(
            "BRT001",
            "FROM a:1 AS b\nRUN x\nFROM c:1\nCOPY --from=b /x /x\n",
            &[],
        );
    }
}
