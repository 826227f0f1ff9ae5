//! `DL3020` (add-local-files): use `COPY` instead of `ADD` for files and folders.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3020",
    "add-local-files",
    Severity::Error,
    "use `COPY` instead of `ADD` for files and folders",
    docs!(
        what: "Flags `ADD` whose sources are neither URLs nor archives.",
        why: "`ADD` also downloads URLs and unpacks archives; for plain files that magic only surprises. `COPY` does exactly one thing.",
        bad: "FROM alpine:3.20\n\
    ADD app.py /app/",
        good: "FROM alpine:3.20\n\
    COPY app.py /app/",
    ),
);

fn check(step: &Step<'_>) -> bool {
    let InstructionKind::Add(spec) = &step.ins.kind else {
        return false;
    };
    spec.sources
        .iter()
        .any(|s| !(is_archive(&s.value) || is_url(&s.value)))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3020", "FROM a:1\nADD x /y\n", &[2]);
        assert_lines(
            "DL3020",
            "FROM a:1\nADD x.tar.gz /y\nADD https://e.com/f /y\n",
            &[],
        );
    }
}
