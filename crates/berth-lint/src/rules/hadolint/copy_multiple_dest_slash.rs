//! `DL3021` (copy-multiple-dest-slash): `COPY` with several sources needs a destination ending in `/`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3021",
    "copy-multiple-dest-slash",
    Severity::Error,
    "`COPY` with several sources needs a destination ending in `/`",
    docs!(
        what: "Flags `COPY` with more than one source whose destination does not end with `/`.",
        why: "With several sources the destination must be a directory; without the slash the intent is unclear and the build fails if the path is not a directory.",
        bad: "FROM alpine:3.20\n\
    COPY a.txt b.txt /data",
        good: "FROM alpine:3.20\n\
    COPY a.txt b.txt /data/",
    ),
);

fn check(step: &Step<'_>) -> bool {
    let InstructionKind::Copy(spec) = &step.ins.kind else {
        return false;
    };
    spec.sources.len() + spec.inline_sources.len() > 1
        && !drop_quotes(&spec.dest.value).ends_with('/')
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3021", "FROM a:1\nCOPY a b /c\n", &[2]);
        assert_lines("DL3021", "FROM a:1\nCOPY a b /c/\nCOPY a /c\n", &[]);
    }
}
