//! `DL4001` (curl-and-wget): use either `wget` or `curl`, not both.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL4001",
    "curl-and-wget",
    Severity::Warning,
    "use either `wget` or `curl`, not both",
    docs!(
        what: "Flags a RUN that uses `curl` or `wget` in a stage where the other one was used too.",
        why: "Two download tools do one job; each adds its own dependencies to the image.",
        bad: "FROM debian:12\n\
    RUN curl -fsSLO https://example.com/a\n\
    RUN wget -q https://example.com/b",
        good: "FROM debian:12\n\
    RUN curl -fsSLO https://example.com/a && curl -fsSLO https://example.com/b",
    ),
).on_onbuild_triggers();

#[derive(Default)]
struct CurlAndWget {
    curl: bool,
    wget: bool,
}

impl Rule for CurlAndWget {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        if matches!(step.ins.kind, InstructionKind::From { .. }) {
            *self = Self::default();
            return;
        }
        let Some(script) = step.script else { return };
        let curl = script.uses("curl");
        let wget = script.uses("wget");
        self.curl |= curl;
        self.wget |= wget;
        if (curl || wget) && self.curl && self.wget {
            cx.flag(step);
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<CurlAndWget>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL4001", "FROM a:1\nRUN curl x\nRUN wget y\nRUN ls\n", &[3]);
        assert_lines(
            "DL4001",
            "FROM a:1\nRUN curl x\nFROM b:1\nRUN wget y\n",
            &[],
        );
    }
}
