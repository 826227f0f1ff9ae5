//! `DL3023` (copy-from-own-stage): `COPY --from` names its own stage.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3023",
    "copy-from-own-stage",
    Severity::Error,
    "`COPY --from` names its own stage",
    docs!(
        what: "Flags `COPY --from=x` inside the stage named `x`.",
        why: "A stage cannot copy from itself; BuildKit treats the name as an image or fails.",
        bad: "FROM golang:1.23 AS build\n\
    COPY --from=build /out /app",
        good: "FROM golang:1.23 AS build\n\
    RUN go build -o /out/app .\n\
    FROM alpine:3.20\n\
    COPY --from=build /out/app /app",
    ),
);

#[derive(Default)]
struct CopyFromOwnStage {
    alias: Option<String>,
}

impl Rule for CopyFromOwnStage {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        if let Some((_, name)) = from_parts(step.ins) {
            self.alias = name.map(str::to_owned);
            return;
        }
        if let InstructionKind::Copy(spec) = &step.ins.kind
            && spec.from.is_some()
            && spec.from == self.alias
        {
            cx.flag(step);
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<CopyFromOwnStage>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3023", "FROM a:1 AS b\nCOPY --from=b /a /b\n", &[2]);
        assert_lines(
            "DL3023",
            "FROM a:1 AS b\nFROM c:1 AS d\nCOPY --from=b /a /b\n",
            &[],
        );
    }
}
