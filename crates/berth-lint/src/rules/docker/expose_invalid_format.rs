//! `ExposeInvalidFormat` (expose-invalid-format): `EXPOSE` takes container ports only.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "ExposeInvalidFormat",
    "expose-invalid-format",
    Severity::Warning,
    "`EXPOSE` takes container ports only",
    docs!(
        what: "Flags `EXPOSE` with an IP address or a `host:container` mapping.",
        why: "`EXPOSE` documents container ports; publishing to the host is `docker run -p`'s job, and the host part is ignored or rejected.",
        bad: "FROM nginx:1.27\n\
    EXPOSE 8080:80",
        good: "FROM nginx:1.27\n\
    EXPOSE 80",
    ),
);

fn check(step: &Step<'_>) -> bool {
    let InstructionKind::Expose { ports } = &step.ins.kind else {
        return false;
    };
    ports.iter().any(|p| p.value.contains(':'))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("ExposeInvalidFormat", "FROM a:1\nEXPOSE 8080:80\n", &[2]);
        assert_lines("ExposeInvalidFormat", "FROM a:1\nEXPOSE 80\n", &[]);
    }
}
