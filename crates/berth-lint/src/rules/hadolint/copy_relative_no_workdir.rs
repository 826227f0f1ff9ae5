//! `DL3045` (copy-relative-no-workdir): `COPY` to a relative destination without `WORKDIR` set.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3045",
    "copy-relative-no-workdir",
    Severity::Warning,
    "`COPY` to a relative destination without `WORKDIR` set",
    docs!(
        what: "Flags `COPY` to a relative destination in a stage (or parent stage) with no `WORKDIR` before it.",
        why: "A relative destination is resolved against the base image's working directory, which the Dockerfile does not show and the base image may change.",
        bad: "FROM python:3.12-slim\n\
    COPY app.py app/",
        good: "FROM python:3.12-slim\n\
    WORKDIR /srv\n\
    COPY app.py app/",
    ),
);

use std::collections::BTreeMap;

#[derive(Default)]
struct CopyRelativeNoWorkdir {
    set: BTreeMap<String, bool>,
    current: String,
}

impl Rule for CopyRelativeNoWorkdir {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        match &step.ins.kind {
            InstructionKind::From { image, name, .. } => {
                let parent = self.set.get(&image.value).copied().unwrap_or(false);
                self.current = name.as_ref().map_or(&image.value, |n| &n.value).clone();
                self.set.insert(self.current.clone(), parent);
            }
            InstructionKind::Workdir { .. } => {
                self.set.insert(self.current.clone(), true);
            }
            InstructionKind::Copy(spec) => {
                let dest = drop_quotes(&spec.dest.value);
                let workdir = self.set.get(&self.current).copied().unwrap_or(false);
                if !(workdir
                    || dest.starts_with('/')
                    || dest.starts_with('$')
                    || is_windows_absolute(dest))
                {
                    cx.flag(step);
                }
            }
            _ => {}
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<CopyRelativeNoWorkdir>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3045", "FROM a:1\nCOPY x y\n", &[2]);
        assert_lines(
            "DL3045",
            "FROM a:1 AS b\nWORKDIR /w\nFROM b\nCOPY x y\nFROM c:1\nCOPY x /y\n",
            &[],
        );
    }
}
