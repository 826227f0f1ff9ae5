//! `DL3037` (zypper-unpinned): pin versions in `zypper install` (`package=version`).

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3037",
    "zypper-unpinned",
    Severity::Warning,
    "pin versions in `zypper install` (`package=version`)",
    docs!(
        what: "Flags `zypper install` of a package without a version constraint (`.rpm` files are fine).",
        why: "Unpinned packages make builds unrepeatable.",
        bad: "FROM opensuse/leap:15.6\n\
    RUN zypper install -y httpd",
        good: "FROM opensuse/leap:15.6\n\
    RUN zypper install -y httpd=2.4.58",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script
        .commands
        .iter()
        .filter(|c| c.is("zypper", &["install", "in"]))
        .flat_map(|c| c.operands(&[]))
        .filter(|p| *p != "install" && *p != "in")
        .any(|p| !(p.contains(['=', '>', '<']) || p.ends_with(".rpm")))
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(ShellRule(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3037", "FROM a:1\nRUN zypper install -y x\n", &[2]);
        assert_lines("DL3037", "FROM a:1\nRUN zypper install -y x=1 'y>2'\n", &[]);
    }
}
