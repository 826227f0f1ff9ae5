//! `DL3011` (expose-port-range): valid UNIX ports range from 0 to 65535.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3011",
    "expose-port-range",
    Severity::Error,
    "valid UNIX ports range from 0 to 65535",
    docs!(
        what: "Flags `EXPOSE` of a port above 65535.",
        why: "No such port exists; the build fails or the port is silently meaningless.",
        bad: "FROM nginx:1.27\n\
    EXPOSE 80000",
        good: "FROM nginx:1.27\n\
    EXPOSE 8080",
    ),
);

fn check(step: &Step<'_>) -> bool {
    let InstructionKind::Expose { ports } = &step.ins.kind else {
        return false;
    };
    ports.iter().any(|p| {
        let number = p.value.split('/').next().unwrap_or_default();
        number
            .split('-')
            .filter_map(|n| n.parse::<u64>().ok())
            .any(|n| n > 65535)
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
        assert_lines("DL3011", "FROM a:1\nEXPOSE 80000\n", &[2]);
        assert_lines("DL3011", "FROM a:1\nEXPOSE 80 443/tcp 1000-2000 $P\n", &[]);
    }
}
