//! `DL3067` (copy-whole-filesystem): do not copy a whole filesystem from another stage.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3067",
    "copy-whole-filesystem",
    Severity::Warning,
    "do not copy a whole filesystem from another stage",
    docs!(
        what: "Flags `COPY --from=... / /`.",
        why: "Copying `/` brings every file of the other stage, compilers and caches included, which defeats the multi-stage build.",
        bad: "FROM golang:1.23 AS build\n\
    RUN go build -o /out/app .\n\
    FROM gcr.io/distroless/static\n\
    COPY --from=build / /",
        good: "FROM golang:1.23 AS build\n\
    RUN go build -o /out/app .\n\
    FROM gcr.io/distroless/static\n\
    COPY --from=build /out/app /app",
    ),
);

fn check(step: &Step<'_>) -> bool {
    let InstructionKind::Copy(spec) = &step.ins.kind else {
        return false;
    };
    spec.from.is_some()
        && spec.sources.iter().any(|s| drop_quotes(&s.value) == "/")
        && drop_quotes(&spec.dest.value) == "/"
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "DL3067",
            "FROM a:1 AS b\nFROM c:1\nCOPY --from=b / /\n",
            &[3],
        );
        assert_lines(
            "DL3067",
            "FROM a:1 AS b\nFROM c:1\nCOPY --from=b /x /\nCOPY / /\n",
            &[],
        );
    }
}
