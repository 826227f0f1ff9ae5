//! `DL3062` (go-install-unpinned): pin versions in `go install` (`package@version`).

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3062",
    "go-install-unpinned",
    Severity::Warning,
    "pin versions in `go install` (`package@version`)",
    docs!(
        what: "Flags `go install`/`go get`/`go run` of a module without `@version` (or with `@latest`/`@none`); local paths are fine.",
        why: "Without a version the newest module release is built, so builds are not reproducible.",
        bad: "FROM golang:1.23\n\
    RUN go install golang.org/x/tools/gopls@latest",
        good: "FROM golang:1.23\n\
    RUN go install golang.org/x/tools/gopls@v0.16.2",
    ),
).on_onbuild_triggers();

fn pinned(package: &str) -> bool {
    let local = package == "." || package.starts_with('/') || package.starts_with('.');
    local || (package.contains('@') && !package.ends_with("@latest") && !package.ends_with("@none"))
}

fn check(script: &Script) -> bool {
    let run: Vec<&str> = script
        .commands
        .iter()
        .filter(|c| c.is("go", &["run"]))
        .flat_map(|c| c.operands(&[]).into_iter().take(2))
        .filter(|a| *a != "run")
        .collect();
    let packages = if run.is_empty() {
        script
            .commands
            .iter()
            .filter(|c| c.is("go", &["install", "get"]))
            .flat_map(|c| c.operands(&[]))
            .filter(|a| !["install", "get", "tool"].contains(a))
            .collect()
    } else {
        run
    };
    packages.iter().any(|p| !pinned(p))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(ShellRule(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3062", "FROM a:1\nRUN go install x.org/y@latest\n", &[2]);
        assert_lines(
            "DL3062",
            "FROM a:1\nRUN go install x.org/y@v1 && go build ./...\n",
            &[],
        );
    }
}
