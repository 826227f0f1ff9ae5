//! `DL3019` (apk-add-cache): use `apk add --no-cache`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3019",
    "apk-add-cache",
    Severity::Info,
    "use `apk add --no-cache`",
    docs!(
        what: "Flags `apk add` without `--no-cache` (unless the RUN mounts a cache at `/var/cache/apk`).",
        why: "Without `--no-cache` the package index stays in the layer, or needs an extra `rm -rf /var/cache/apk/*`.",
        bad: "FROM alpine:3.20\n\
    RUN apk add curl=8.9.1-r0",
        good: "FROM alpine:3.20\n\
    RUN apk add --no-cache curl=8.9.1-r0",
    ),
).on_onbuild_triggers();

fn check(step: &Step<'_>) -> bool {
    let Some(script) = step.script else {
        return false;
    };
    !has_cache_mount(step.ins, "/var/cache/apk")
        && script
            .commands
            .iter()
            .any(|c| c.is("apk", &["add"]) && !c.has_flag("no-cache"))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3019", "FROM a:1\nRUN apk add x=1\n", &[2]);
        assert_lines(
            "DL3019",
            "FROM a:1\nRUN apk add --no-cache x=1\nRUN --mount=type=cache,target=/var/cache/apk apk add x=1\n",
            &[],
        );
    }
}
