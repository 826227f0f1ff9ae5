//! `DL3022` (copy-from-unknown-stage): `COPY --from` should name an earlier stage.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3022",
    "copy-from-unknown-stage",
    Severity::Warning,
    "`COPY --from` should name an earlier stage",
    docs!(
        what: "Flags `COPY --from=x` where `x` is neither an earlier stage name nor the index of an earlier stage (image references containing `:` are fine).",
        why: "A name that is not a stage is pulled as an image; a typo in a stage name becomes a confusing pull error, or silently copies from an image of that name.",
        bad: "FROM golang:1.23 AS build\n\
    FROM alpine:3.20\n\
    COPY --from=bulid /out /app",
        good: "FROM golang:1.23 AS build\n\
    FROM alpine:3.20\n\
    COPY --from=build /out /app",
    ),
);

#[derive(Default)]
struct CopyFromUnknownStage {
    count: usize,
    names: std::collections::BTreeSet<String>,
}

impl Rule for CopyFromUnknownStage {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        if let Some((_, name)) = from_parts(step.ins) {
            self.count += 1;
            if let Some(name) = name {
                self.names.insert(name.to_owned());
            }
            return;
        }
        let InstructionKind::Copy(spec) = &step.ins.kind else {
            return;
        };
        let Some(from) = &spec.from else { return };
        let known = drop_quotes(from).contains(':')
            || self.names.contains(from)
            || from.parse::<usize>().is_ok_and(|i| i < self.count);
        if !known {
            cx.flag(step);
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<CopyFromUnknownStage>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "DL3022",
            "FROM a:1 AS b\nFROM c:1\nCOPY --from=x /a /b\n",
            &[3],
        );
        assert_lines(
            "DL3022",
            "FROM a:1 AS b\nFROM c:1\nCOPY --from=b /a /b\nCOPY --from=0 /a /b\nCOPY --from=nginx:1 /a /b\n",
            &[],
        );
    }
}
