//! `BRT004` (dependency-install-after-source): dependencies install after the whole source is copied.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta {
    code: "BRT004",
    name: "dependency-install-after-source",
    origin: Origin::Berth,
    severity: Severity::Warning,
    summary: "dependencies install after the whole source is copied",
    docs: docs!(
        what: "Flags a dependency install (`pip install -r`, `npm ci`, `go mod download`...) that runs after `COPY . .` instead of after copying only the manifest (`berth analyze`'s Layer Caching check).",
        why: "Any source change invalidates the cache of the install step: every build reinstalls every dependency.",
        bad: "FROM python:3.12-slim\n\
    WORKDIR /app\n\
    COPY . .\n\
    RUN pip install --no-cache-dir -r requirements.txt",
        good: "FROM python:3.12-slim\n\
    WORKDIR /app\n\
    COPY requirements.txt .\n\
    RUN pip install --no-cache-dir -r requirements.txt\n\
    COPY . .",
    ),
    default_enabled: true,
    onbuild: false,
    twin: None,
};

struct DependencyInstallAfterSource;

impl Rule for DependencyInstallAfterSource {
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}

    fn finish(&mut self, cx: &mut Checker<'_>) {
        let Some(check) = cx.analysis_check("layer-caching") else {
            return;
        };
        if check.passed || !check.applicable {
            return;
        }
        // Only a concrete misplaced install is a finding; no install step at all is not.
        if let Some(line) = check.line {
            cx.report_at(line, 1, 2, check.reason.to_lowercase());
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(DependencyInstallAfterSource)
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines(
            "BRT004",
            "FROM a:1\nCOPY . /app\nRUN pip install -r /app/requirements.txt\n",
            &[2],
        );
        assert_lines(
            "BRT004",
            "FROM a:1\nCOPY requirements.txt /app/\nRUN pip install -r /app/requirements.txt\nCOPY . /app\n",
            &[],
        );
    }
}
