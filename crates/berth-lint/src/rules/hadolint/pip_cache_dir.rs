//! `DL3042` (pip-cache-dir): use `pip install --no-cache-dir`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3042",
    "pip-cache-dir",
    Severity::Warning,
    "use `pip install --no-cache-dir`",
    docs!(
        what: "Flags `pip install` without `--no-cache-dir`, unless `PIP_NO_CACHE_DIR` is set (ENV in the stage or its parent, or inline) or `~/.cache/pip` is a cache mount.",
        why: "pip keeps downloaded wheels in `~/.cache/pip`; in an image that cache is dead weight.",
        bad: "FROM python:3.12-slim\n\
    RUN pip install flask==3.0.3",
        good: "FROM python:3.12-slim\n\
    RUN pip install --no-cache-dir flask==3.0.3",
    ),
).on_onbuild_triggers();

use super::pip_unpinned::is_pip_install;
use std::collections::BTreeMap;

const TRUTHY: [&str; 10] = [
    "1", "true", "True", "TRUE", "on", "On", "ON", "yes", "Yes", "YES",
];

#[derive(Default)]
struct PipCacheDir {
    /// Stage key (alias or image name) → `PIP_NO_CACHE_DIR` set.
    set: BTreeMap<String, bool>,
    current: String,
}

fn inline_set(original: &str) -> bool {
    original
        .split("PIP_NO_CACHE_DIR=")
        .skip(1)
        .any(|rest| TRUTHY.iter().any(|t| rest.starts_with(t)))
}

impl Rule for PipCacheDir {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        match &step.ins.kind {
            InstructionKind::From { image, name, .. } => {
                let parent = self.set.get(&image.value).copied().unwrap_or(false);
                self.current = name.as_ref().map_or(&image.value, |n| &n.value).clone();
                self.set.insert(self.current.clone(), parent);
            }
            InstructionKind::Env { pairs } => {
                if pairs.iter().any(|p| {
                    p.key.value == "PIP_NO_CACHE_DIR"
                        && TRUTHY.contains(&drop_quotes(&p.value.value))
                }) {
                    self.set.insert(self.current.clone(), true);
                }
            }
            _ => {
                let Some(script) = step.script else { return };
                if self.set.get(&self.current).copied().unwrap_or(false)
                    || inline_set(&script.original)
                    || has_cache_mount(step.ins, ".cache/pip")
                {
                    return;
                }
                let forgot = script.commands.iter().any(|c| {
                    let wrapper = c.name.contains("pipx")
                        || c.name.contains("pipenv")
                        || (c.name.starts_with("python")
                            && c.args
                                .windows(2)
                                .any(|w| w[0] == "-m" && (w[1] == "pipx" || w[1] == "pipenv")));
                    is_pip_install(c) && !c.has_arg("--no-cache-dir") && !wrapper
                });
                if forgot {
                    cx.flag(step);
                }
            }
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<PipCacheDir>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3042", "FROM a:1\nRUN pip install x==1\n", &[2]);
        assert_lines(
            "DL3042",
            "FROM a:1 AS b\nENV PIP_NO_CACHE_DIR=1\nFROM b\nRUN pip install x==1\nRUN pip install --no-cache-dir y\n",
            &[],
        );
    }
}
