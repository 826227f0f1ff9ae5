//! `DL3030` (yum-yes-missing): use `-y` with `yum install`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3030",
    "yum-yes-missing",
    Severity::Warning,
    "use `-y` with `yum install`",
    docs!(
        what: "Flags `yum install`, `groupinstall` and `localinstall` without `-y`/`--assumeyes`.",
        why: "A build has no terminal to answer yum's question; the step fails.",
        bad: "FROM centos:7\n\
    RUN yum install httpd-2.4.6",
        good: "FROM centos:7\n\
    RUN yum install -y httpd-2.4.6 && yum clean all",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script.commands.iter().any(|c| {
        c.is("yum", &["install", "groupinstall", "localinstall"])
            && !c.has_any_flag(&["y", "assumeyes"])
    })
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(ShellRule(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3030", "FROM a:1\nRUN yum install x\n", &[2]);
        assert_lines("DL3030", "FROM a:1\nRUN yum install -y x\n", &[]);
    }
}
