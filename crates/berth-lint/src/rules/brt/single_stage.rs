//! `BRT001` (single-stage): single-stage build: build tools stay in the final image.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta {
    code: "BRT001",
    name: "single-stage",
    origin: Origin::Berth,
    severity: Severity::Info,
    summary: "single-stage build: build tools stay in the final image",
    docs: docs!(
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
    default_enabled: false,
    onbuild: false,
    twin: None,
};

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
