//! `ExposeProtoCasing` (expose-proto-casing): protocol in `EXPOSE` should be lowercase.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "ExposeProtoCasing",
    "expose-proto-casing",
    Severity::Warning,
    "protocol in `EXPOSE` should be lowercase",
    docs!(
        what: "Flags `EXPOSE 80/TCP` and other upper-case protocols.",
        why: "Protocols are lower-case everywhere else (`tcp`, `udp`, `sctp`); mixed forms confuse tools that compare them.",
        bad: "FROM nginx:1.27\n\
    EXPOSE 80/TCP",
        good: "FROM nginx:1.27\n\
    EXPOSE 80/tcp",
    ),
);

fn check(step: &Step<'_>) -> bool {
    let InstructionKind::Expose { ports } = &step.ins.kind else {
        return false;
    };
    ports.iter().any(|p| {
        p.value
            .split_once('/')
            .is_some_and(|(_, proto)| proto.chars().any(char::is_uppercase))
    })
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("ExposeProtoCasing", "FROM a:1\nEXPOSE 80/TCP\n", &[2]);
        assert_lines("ExposeProtoCasing", "FROM a:1\nEXPOSE 80/tcp 443\n", &[]);
    }
}
