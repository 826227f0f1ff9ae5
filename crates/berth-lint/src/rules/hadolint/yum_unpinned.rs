//! `DL3033` (yum-unpinned): pin versions in `yum install` (`package-version`).

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3033",
    "yum-unpinned",
    Severity::Warning,
    "pin versions in `yum install` (`package-version`)",
    docs!(
        what: "Flags `yum install` of a package without a version suffix (`.rpm` files are fine; `${VAR}` counts when the variable is an ARG or an ENV of the stage).",
        why: "Unpinned packages make builds unrepeatable.",
        bad: "FROM centos:7\n\
    RUN yum install -y httpd && yum clean all",
        good: "FROM centos:7\n\
    RUN yum install -y httpd-2.4.6 && yum clean all",
    ),
).on_onbuild_triggers();

/// Shared by DL3033 and DL3041: is `package` (`name-version`) pinned?
pub(crate) fn rpm_pinned(package: &str, vars: &std::collections::BTreeSet<String>) -> bool {
    let parts: Vec<&str> = package.split('-').collect();
    if parts.len() <= 1 {
        return false;
    }
    if package.ends_with(".rpm") {
        return true;
    }
    if package.contains('$') {
        return vars
            .iter()
            .any(|v| berth_dockerfile::shell::uses_variable_plainly(package, v));
    }
    let rest = &parts[1..];
    rest.iter().all(|p| {
        p.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".~^_:+".contains(c))
    }) && rest
        .iter()
        .any(|p| p.starts_with(|c: char| c.is_ascii_digit()))
}

/// Variables an rpm package spec may use: every ARG so far and the ENVs of this stage.
#[derive(Default)]
pub(crate) struct Vars {
    args: std::collections::BTreeSet<String>,
    envs: std::collections::BTreeSet<String>,
}

impl Vars {
    pub(crate) fn observe(&mut self, step: &Step<'_>) -> std::collections::BTreeSet<String> {
        match &step.ins.kind {
            InstructionKind::From { .. } => self.envs.clear(),
            InstructionKind::Arg { args } => self.args.extend(args.iter().map(|a| a.name.clone())),
            InstructionKind::Env { pairs } => {
                self.envs.extend(pairs.iter().map(|p| p.key.value.clone()))
            }
            _ => {}
        }
        self.args.union(&self.envs).cloned().collect()
    }
}

struct YumUnpinned(Vars);

impl Rule for YumUnpinned {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        let vars = self.0.observe(step);
        let Some(script) = step.script else { return };
        let bad = script
            .commands
            .iter()
            .filter(|c| c.is("yum", &["install"]))
            .flat_map(|c| c.operands(&[]))
            .filter(|p| *p != "install" && *p != "module")
            .any(|p| !rpm_pinned(p, &vars));
        if bad {
            cx.flag(step);
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(YumUnpinned(Vars::default()))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3033", "FROM a:1\nRUN yum install -y httpd\n", &[2]);
        assert_lines(
            "DL3033",
            "FROM a:1\nARG V\nRUN yum install -y httpd-2.4.6 x-${V} y-1.0.rpm\n",
            &[],
        );
    }

    #[test]
    fn a_known_variable_pins_with_or_without_braces() {
        assert_lines(
            "DL3033",
            "FROM a:1\nARG V=1\nRUN yum install -y a-$V\n",
            &[],
        );
        assert_lines(
            "DL3033",
            "FROM a:1\nARG V=1\nRUN yum install -y a-$VV\n",
            &[3],
        );
    }
}
