//! `BRT003` (runs-as-root): the final image runs as root.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta {
    code: "BRT003",
    name: "runs-as-root",
    origin: Origin::Berth,
    severity: Severity::Warning,
    summary: "the final image runs as root",
    docs: docs!(
        what: "Flags a target stage (with the stages it builds on) that sets no `USER`, or whose last `USER` is root (`berth analyze`'s Non-root User check). A base whose default user is not root (distroless `:nonroot` tags, Chainguard images) needs no `USER`. Unlike DL3002 this also catches the Dockerfile that never sets a user.",
        why: "A process running as root in a container is one kernel bug away from root on the host; most software runs fine as an unprivileged user.",
        bad: "FROM python:3.12-slim\n\
    COPY app.py /app/\n\
    CMD [\"python\", \"/app/app.py\"]",
        good: "FROM python:3.12-slim\n\
    COPY app.py /app/\n\
    USER 10001\n\
    CMD [\"python\", \"/app/app.py\"]",
    ),
    default_enabled: true,
    onbuild: false,
    twin: None,
};

struct RunsAsRoot;

impl Rule for RunsAsRoot {
    fn check(&mut self, _cx: &mut Checker<'_>, _step: &Step<'_>) {}

    fn finish(&mut self, cx: &mut Checker<'_>) {
        super::report_failed_check(cx, "non-root-user");
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(RunsAsRoot)
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("BRT003", "FROM a:1\nRUN x\n", &[1]);
        assert_lines("BRT003", "FROM a:1\nUSER 1000\n", &[]);
    }

    #[test]
    fn images_whose_default_user_is_not_root_pass() {
        // Distroless `nonroot` tags and Chainguard images run as 65532 (data/images.toml).
        assert_lines(
            "BRT003",
            "FROM gcr.io/distroless/python3-debian12:nonroot\n",
            &[],
        );
        assert_lines("BRT003", "FROM cgr.dev/chainguard/python:latest\n", &[]);
        assert_lines("BRT003", "FROM gcr.io/distroless/static-debian12\n", &[1]);
        // Windows Server Core runs as ContainerAdministrator.
        assert_lines(
            "BRT003",
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n",
            &[1],
        );
    }
}
