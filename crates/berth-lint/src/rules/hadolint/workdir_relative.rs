//! `DL3000` (workdir-relative): use an absolute `WORKDIR`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3000",
    "workdir-relative",
    Severity::Error,
    "use an absolute `WORKDIR`",
    docs!(
        what: "Flags `WORKDIR` with a relative path.",
        why: "A relative `WORKDIR` depends on the directory set before it, often by the base image, so the instruction means different things as the base changes.",
        bad: "FROM alpine:3.20\n\
    WORKDIR app",
        good: "FROM alpine:3.20\n\
    WORKDIR /app",
    ),
);

fn check(step: &Step<'_>) -> bool {
    let InstructionKind::Workdir { path } = &step.ins.kind else {
        return false;
    };
    let path = drop_quotes(&path.value);
    !(path.starts_with('$') || path.starts_with('/') || is_windows_absolute(path))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3000", "FROM a:1\nWORKDIR app\n", &[2]);
        assert_lines(
            "DL3000",
            "FROM a:1\nWORKDIR /app\nWORKDIR $HOME\nWORKDIR \"/x\"\nWORKDIR C:\\\\x\n",
            &[],
        );
    }
}
