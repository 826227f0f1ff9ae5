//! `DL1001` (ignore-pragma-used): inline ignore pragma used.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta {
    code: "DL1001",
    name: "ignore-pragma-used",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    summary: "inline ignore pragma used",
    docs: docs!(
        what: "Flags `# hadolint ignore=` (and `# berth ignore=`) comments. Off by default; turn it on to require every exception to live in the configuration file.",
        why: "Inline exceptions are easy to add and easy to forget; a central list is reviewed.",
        bad: "FROM debian:12\n\
    # hadolint ignore=DL3008\n\
    RUN apt-get install -y curl",
        good: "FROM debian:12\n\
    RUN apt-get install -y curl=7.88.1-10+deb12u5",
    ),
    default_enabled: false,
    onbuild: false,
    twin: None,
};

struct IgnorePragmaUsed;

impl Rule for IgnorePragmaUsed {
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}

    fn finish(&mut self, cx: &mut Checker<'_>) {
        let lines: Vec<usize> = cx
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                let t = l.trim_start();
                t.starts_with('#')
                    && t.trim_start_matches('#')
                        .split_whitespace()
                        .next()
                        .is_some_and(|w| w == "hadolint" || w == "berth")
                    && t.contains("ignore")
            })
            .map(|(i, _)| i + 1)
            .collect();
        for line in lines {
            cx.report_at(line, 1, 2, cx.meta.summary);
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(IgnorePragmaUsed)
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL1001", "FROM a:1\nRUN x\n", &[]);
    }
}
