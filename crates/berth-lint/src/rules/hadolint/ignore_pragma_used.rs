//! `DL1001` (ignore-pragma-used): inline ignore pragma used.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL1001",
    "ignore-pragma-used",
    Severity::Info,
    "inline ignore pragma used",
    docs!(
        what: "Flags `# hadolint ignore=` (and `# berth ignore=`) comments. Off by default; turn it on to require every exception to live in the configuration file.",
        why: "Inline exceptions are easy to add and easy to forget; a central list is reviewed.",
        bad: "FROM debian:12\n\
    # hadolint ignore=DL3008\n\
    RUN apt-get install -y curl",
        good: "FROM debian:12\n\
    RUN apt-get install -y curl=7.88.1-10+deb12u5",
    ),
).off_by_default();

struct IgnorePragmaUsed;

impl Rule for IgnorePragmaUsed {
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}

    fn finish(&mut self, cx: &mut Checker<'_>) {
        let lines: Vec<usize> = cx
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| is_inline_ignore(l))
            .map(|(i, _)| i + 1)
            .collect();
        for line in lines {
            cx.report_at(line, 1, 2, cx.meta.summary);
        }
    }
}

/// `# hadolint ignore=...` or `# berth ignore=...`, as hadolint counts it: one `#`, and not a
/// `global ignore=` (which applies to the whole file and is not inline).
fn is_inline_ignore(line: &str) -> bool {
    let Some(comment) = line.trim_start().strip_prefix('#') else {
        return false;
    };
    if comment.starts_with('#') {
        return false;
    }
    let comment = comment.trim_start();
    let Some(rest) = comment
        .strip_prefix("hadolint")
        .or_else(|| comment.strip_prefix("berth"))
    else {
        return false;
    };
    rest.starts_with(char::is_whitespace)
        && rest
            .trim_start()
            .strip_prefix("ignore")
            .is_some_and(|r| r.trim_start().starts_with('='))
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
        assert_lines(
            "DL1001",
            "FROM a:1\n# hadolint ignore=DL3059\nRUN x\n",
            &[2],
        );
        assert_lines(
            "DL1001",
            "FROM a:1\n#hadolint ignore = DL3059\nRUN x\n",
            &[2],
        );
    }

    #[test]
    fn global_pragmas_and_other_comments_are_not_inline_ignores() {
        // The lint corpus's realistic-pragmas.Dockerfile starts with a global pragma.
        assert_lines("DL1001", "# hadolint global ignore=DL3059\nFROM a:1\n", &[]);
        assert_lines("DL1001", "FROM a:1\n# hadolint shell=bash\n", &[]);
        assert_lines("DL1001", "FROM a:1\n## hadolint ignore=DL3059\n", &[]);
        assert_lines("DL1001", "FROM a:1\n# hadolintignore=DL3059\n", &[]);
    }
}
