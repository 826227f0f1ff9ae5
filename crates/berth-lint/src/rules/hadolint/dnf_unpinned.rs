//! `DL3041` (dnf-unpinned): pin versions in `dnf install` (`package-version`).

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3041",
    "dnf-unpinned",
    Severity::Warning,
    "pin versions in `dnf install` (`package-version`)",
    docs!(
        what: "Flags `dnf`/`microdnf install` of a package without a version suffix (`.rpm` files are fine; `$VAR` and `${VAR}` count when the variable is an ARG or an ENV of the stage).",
        why: "Unpinned packages make builds unrepeatable.",
        bad: "FROM fedora:40\n\
    RUN dnf install -y httpd && dnf clean all",
        good: "FROM fedora:40\n\
    RUN dnf install -y httpd-2.4.62 && dnf clean all",
    ),
).on_onbuild_triggers();

use super::yum_unpinned::{Vars, rpm_pinned};

struct DnfUnpinned(Vars);

impl Rule for DnfUnpinned {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        let vars = self.0.observe(step);
        let Some(script) = step.script else { return };
        let bad = script
            .commands
            .iter()
            .filter(|c| !c.is_any(&["dnf", "microdnf"], &["module", "group"]))
            .filter(|c| c.is_any(&["dnf", "microdnf"], &["install"]))
            .flat_map(|c| c.operands(&[]))
            .filter(|p| *p != "install" && *p != "module")
            .any(|p| !rpm_pinned(p, &vars));
        if bad {
            cx.flag(step);
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(DnfUnpinned(Vars::default()))
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3041", "FROM a:1\nRUN dnf install -y httpd\n", &[2]);
        assert_lines("DL3041", "FROM a:1\nRUN dnf install -y httpd-2.4.62\n", &[]);
    }

    #[test]
    fn a_known_variable_pins_with_or_without_braces() {
        assert_lines(
            "DL3041",
            "FROM a:1\nARG V=1\nENV R=2\nRUN dnf install -y a-$V b-${V} c-$R.x86_64 \"d-$V\"\n",
            &[],
        );
        assert_lines(
            "DL3041",
            "FROM a:1\nARG V\nRUN microdnf install -y a-$V\n",
            &[],
        );
        // Not a variable the file declares, or a longer name that starts like one.
        assert_lines(
            "DL3041",
            "FROM a:1\nARG V=1\nRUN dnf install -y a-$W\n",
            &[3],
        );
        assert_lines(
            "DL3041",
            "FROM a:1\nARG V=1\nRUN dnf install -y a-$VERSION\n",
            &[3],
        );
        assert_lines(
            "DL3041",
            "FROM a:1\nARG V=1\nRUN dnf install -y a$V\n",
            &[3],
        );
    }
}
