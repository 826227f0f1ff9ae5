//! `WorkdirRelativePath` (workdir-relative-path): the first `WORKDIR` of a stage should be absolute.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::docker(
    "WorkdirRelativePath",
    "workdir-relative-path",
    Severity::Warning,
    "the first `WORKDIR` of a stage should be absolute",
    docs!(
        what: "Flags a relative `WORKDIR` when no earlier `WORKDIR` in the stage (or in a stage it builds on) set the directory.",
        why: "A relative `WORKDIR` is resolved against the base image's directory, which may change with the base image.",
        bad: "FROM alpine:3.20\n\
    WORKDIR app",
        good: "FROM alpine:3.20\n\
    WORKDIR /app",
    ),
).twin_of("DL3000");

use std::collections::BTreeMap;

#[derive(Default)]
struct WorkdirRelativePath {
    set: BTreeMap<String, bool>,
    current: String,
}

impl Rule for WorkdirRelativePath {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        match &step.ins.kind {
            InstructionKind::From { image, name, .. } => {
                let parent = self
                    .set
                    .get(&image.value.to_lowercase())
                    .copied()
                    .unwrap_or(false);
                self.current = name
                    .as_ref()
                    .map_or_else(|| format!("#{}", step.line), |n| n.value.to_lowercase());
                self.set.insert(self.current.clone(), parent);
            }
            InstructionKind::Workdir { path } => {
                let already = self.set.insert(self.current.clone(), true).unwrap_or(false);
                let p = drop_quotes(&path.value);
                let absolute = p.starts_with('/')
                    || p.starts_with('$')
                    || is_windows_absolute(p)
                    || p.starts_with('\\');
                if !already && !absolute {
                    cx.report(step, format!("relative workdir `{p}` can have unexpected results if the base image changes"));
                }
            }
            _ => {}
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<WorkdirRelativePath>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("WorkdirRelativePath", "FROM a:1\nWORKDIR app\n", &[2]);
        assert_lines(
            "WorkdirRelativePath",
            "FROM a:1\nWORKDIR /app\nWORKDIR sub\n",
            &[],
        );
    }
}
