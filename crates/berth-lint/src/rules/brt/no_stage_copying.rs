//! `BRT007` (no-stage-copying): no stage copies artifacts from another.

use crate::analyze::checks::prelude::*;
#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::berth(
    "BRT007",
    "no-stage-copying",
    Severity::Info,
    "no stage copies artifacts from another",
    docs!(
        what: "Flags a multi-stage Dockerfile in which no stage copies from another stage (`berth analyze`'s Stage Copying check). Off by default.",
        why: "Stages that share nothing are separate images in one file; the final image probably rebuilds what an earlier stage built.",
        bad: "FROM golang:1.23 AS build\n\
    RUN go build -o /app .\n\
    FROM alpine:3.20\n\
    CMD [\"/app\"]",
        good: "FROM golang:1.23 AS build\n\
    RUN go build -o /app .\n\
    FROM alpine:3.20\n\
    COPY --from=build /app /app\n\
    CMD [\"/app\"]",
    ),
).off_by_default();

struct NoStageCopying;

impl Rule for NoStageCopying {
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}

    fn finish(&mut self, cx: &mut Checker<'_>) {
        super::report_failed_check(cx, "stage-copying");
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(NoStageCopying)
}

/// `berth analyze`'s check; this rule reports it when it fails.
pub(crate) fn judge(input: &CheckInput<'_>) -> Check {
    let graph = input.graph;
    let copy = graph
        .edges_into(graph.target)
        .find(|e| e.kind == EdgeKind::CopyFrom && matches!(e.source, Source::Stage(_)));
    match copy {
        Some(edge) => check(
            "stage-copying",
            "Stage Copying",
            true,
            "Uses COPY --from to transfer artifacts",
            Some(edge.line),
        ),
        None => check(
            "stage-copying",
            "Stage Copying",
            false,
            "The final stage copies nothing from another stage",
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("BRT007", "FROM a:1 AS b\nFROM c:1\n", &[2]);
        assert_lines(
            "BRT007",
            "FROM a:1 AS b\nFROM c:1\nCOPY --from=b /x /x\n",
            &[],
        );
    }
}
