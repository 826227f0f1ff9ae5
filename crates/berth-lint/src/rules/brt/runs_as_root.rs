//! `BRT003` (runs-as-root): the final image runs as root.

use crate::analyze::checks::prelude::*;
#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::berth(
    "BRT003",
    "runs-as-root",
    Severity::Warning,
    "the final image runs as root",
    docs!(
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
);

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

/// `berth analyze`'s check; this rule reports it when it fails.
pub(crate) fn judge(input: &CheckInput<'_>) -> Check {
    let (facts, root) = (input.facts, input.root);
    let id = "non-root-user";
    let title = "Non-root User";
    let Some(step) = last_user(facts) else {
        let root = root.map(|r| &r.table);
        return match root.and_then(|r| Some((r, r.default_user.as_deref()?))) {
            Some((base, user)) if !is_root_user(user) => check(
                id,
                title,
                true,
                format!("Runs as {user}, the default user of {}", base.reference),
                None,
            ),
            Some((base, user)) if base.os == Os::Windows => check(
                id,
                title,
                false,
                format!(
                    "No USER in the final stage: the container runs as {user}, the default of {} (add USER ContainerUser)",
                    base.reference
                ),
                None,
            ),
            _ => check(
                id,
                title,
                false,
                "No USER in the final stage: the container runs as root",
                None,
            ),
        };
    };
    let user = step.expanded.first().cloned().unwrap_or_default();
    let line = step.instruction.line();
    if is_root_user(&user) {
        let who = if user.eq_ignore_ascii_case("ContainerAdministrator") {
            "the Windows administrator"
        } else {
            "root"
        };
        check(
            id,
            title,
            false,
            format!("Last USER is {user} (line {line}): the container runs as {who}"),
            Some(line),
        )
    } else {
        check(
            id,
            title,
            true,
            "Runs as non-root user (security best practice)",
            Some(line),
        )
    }
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
