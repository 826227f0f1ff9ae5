//! `BRT006` (pip-cache-kept): `pip install` keeps its download cache in the image.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta {
    code: "BRT006",
    name: "pip-cache-kept",
    origin: Origin::Berth,
    severity: Severity::Info,
    summary: "`pip install` keeps its download cache in the image",
    docs: docs!(
        what: "Flags `pip install` in the final image's stages without `--no-cache-dir` or a cache mount (`berth analyze`'s Pip Cache check). Off by default: DL3042 reports the same per RUN.",
        why: "pip's wheel cache is dead weight in the image.",
        bad: "FROM python:3.12-slim\n\
    RUN pip install flask==3.0.3",
        good: "FROM python:3.12-slim\n\
    RUN pip install --no-cache-dir flask==3.0.3",
    ),
    default_enabled: false,
    onbuild: false,
    twin: None,
};

struct PipCacheKept;

impl Rule for PipCacheKept {
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}

    fn finish(&mut self, cx: &mut Checker<'_>) {
        super::report_failed_check(cx, "pip-cache");
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(PipCacheKept)
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("BRT006", "FROM a:1\nRUN pip install x==1\n", &[2]);
        assert_lines(
            "BRT006",
            "FROM a:1\nRUN pip install --no-cache-dir x==1\n",
            &[],
        );
    }
}
