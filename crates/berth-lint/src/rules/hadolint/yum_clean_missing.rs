//! `DL3032` (yum-clean-missing): `yum clean all` missing after `yum install`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3032",
    "yum-clean-missing",
    Severity::Warning,
    "`yum clean all` missing after `yum install`",
    docs!(
        what: "Flags a RUN that runs `yum install` without `yum clean all` (or `rm -rf /var/cache/yum/*`) after it.",
        why: "yum's cache stays in the layer and makes the image larger for nothing.",
        bad: "FROM centos:7\n\
    RUN yum install -y httpd-2.4.6",
        good: "FROM centos:7\n\
    RUN yum install -y httpd-2.4.6 && yum clean all",
    ),
).on_onbuild_triggers();

fn check(script: &Script) -> bool {
    script.missing_after(
        |c| c.is("yum", &["install"]),
        |c| {
            (c.is("yum", &["clean"]) && c.has_arg("all"))
                || c.is("yum", &["all"])
                || (c.is("rm", &["-rf"]) && c.has_arg("/var/cache/yum/*"))
        },
    )
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(ShellRule(check))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3032", "FROM a:1\nRUN yum install -y x-1\n", &[2]);
        assert_lines(
            "DL3032",
            "FROM a:1\nRUN yum install -y x-1 && yum clean all\n",
            &[],
        );
    }
}
