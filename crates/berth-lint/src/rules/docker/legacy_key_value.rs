//! `LegacyKeyValueFormat` (legacy-key-value-format): use `key=value` in `ENV` and `LABEL`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "LegacyKeyValueFormat",
    "legacy-key-value-format",
    Severity::Warning,
    "use `key=value` in `ENV` and `LABEL`",
    docs!(
        what: "Flags `ENV key value` and `LABEL key value` (the legacy, space-separated form).",
        why: "The legacy form takes the whole rest of the line as the value, so `ENV A 1 B 2` sets one variable `A` to `1 B 2`.",
        bad: "FROM alpine:3.20\n\
    ENV APP_HOME /app",
        good: "FROM alpine:3.20\n\
    ENV APP_HOME=/app",
    ),
);

fn check(step: &Step<'_>) -> bool {
    match &step.ins.kind {
        InstructionKind::Env { pairs } | InstructionKind::Label { pairs } => {
            pairs.iter().any(|p| p.legacy)
        }
        _ => false,
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("LegacyKeyValueFormat", "FROM a:1\nENV A 1\n", &[2]);
        assert_lines(
            "LegacyKeyValueFormat",
            "FROM a:1\nENV A=1\nLABEL a=b\n",
            &[],
        );
    }
}
