//! `DL3036` (zypper-clean-missing): `zypper clean` missing after `zypper install`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3036",
    "zypper-clean-missing",
    Severity::Warning,
    "`zypper clean` missing after `zypper install`",
    docs!(
        what: "Flags a RUN that runs `zypper install` without `zypper clean` after it (unless `/var/cache/zypp` is a cache mount).",
        why: "zypper's cache stays in the layer.",
        bad: "FROM opensuse/leap:15.6\n\
    RUN zypper install -y httpd=2.4",
        good: "FROM opensuse/leap:15.6\n\
    RUN zypper install -y httpd=2.4 && zypper clean",
    ),
).on_onbuild_triggers();

fn check(step: &Step<'_>) -> bool {
    let Some(script) = step.script else {
        return false;
    };
    !has_cache_mount(step.ins, "/var/cache/zypp")
        && script.missing_after(
            |c| c.is("zypper", &["install", "in"]),
            |c| c.is("zypper", &["clean", "cc"]),
        )
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(Simple(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3036", "FROM a:1\nRUN zypper install -y x=1\n", &[2]);
        assert_lines(
            "DL3036",
            "FROM a:1\nRUN zypper install -y x=1 && zypper clean\n",
            &[],
        );
    }
}
