//! `DL3040` (dnf-clean-missing): `dnf clean all` missing after `dnf install`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3040",
    "dnf-clean-missing",
    Severity::Warning,
    "`dnf clean all` missing after `dnf install`",
    docs!(
        what: "Flags a RUN that installs with `dnf`/`microdnf` without `dnf clean all` after it (unless the dnf cache is a cache mount).",
        why: "dnf's metadata and package cache stay in the layer.",
        bad: "FROM fedora:40\n\
    RUN dnf install -y httpd-2.4.62",
        good: "FROM fedora:40\n\
    RUN dnf install -y httpd-2.4.62 && dnf clean all",
    ),
).on_onbuild_triggers();

const INSTALL: [&str; 8] = [
    "install",
    "in",
    "upgrade",
    "up",
    "upgrade-minimal",
    "up-min",
    "reinstall",
    "rei",
];

fn check(step: &Step<'_>) -> bool {
    let Some(script) = step.script else {
        return false;
    };
    if has_cache_mount(step.ins, "/var/cache/libdnf5")
        || has_cache_mount(step.ins, ".cache/libdnf5")
    {
        return false;
    }
    ["dnf", "microdnf"].iter().any(|name| {
        script.missing_after(
            |c| c.is(name, &INSTALL),
            |c| {
                (c.is(name, &["clean"]) && c.has_arg("all"))
                    || c.is(name, &["all"])
                    || (c.is("rm", &["-rf"]) && c.has_arg("/var/cache/libdnf5*"))
            },
        )
    })
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3040", "FROM a:1\nRUN dnf install -y x-1\n", &[2]);
        assert_lines(
            "DL3040",
            "FROM a:1\nRUN dnf install -y x-1 && dnf clean all\n",
            &[],
        );
    }
}
