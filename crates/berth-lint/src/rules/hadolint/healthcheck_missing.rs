//! `DL3057` (healthcheck-missing): `HEALTHCHECK` instruction missing.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3057",
    "healthcheck-missing",
    Severity::Info,
    "`HEALTHCHECK` instruction missing",
    docs!(
        what: "Flags stages with no `HEALTHCHECK`, none inherited from a stage they are built on, and none in a stage built on them (as hadolint 2.15.1 counts it). Off by default, as in hadolint.",
        why: "Without a health check, an orchestrator only knows whether the process runs, not whether it answers.",
        bad: "FROM nginx:1.27\n\
    COPY site /usr/share/nginx/html",
        good: "FROM nginx:1.27\n\
    COPY site /usr/share/nginx/html\n\
    HEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]",
    ),
).off_by_default();

/// One stage as hadolint's DL3057 tracks it.
struct Stage {
    /// Line and column of its FROM.
    line: usize,
    column: usize,
    /// The image it is built on, without tag and digest.
    source: String,
    /// Its alias, or its image's name when it has none.
    name: String,
    /// It has a HEALTHCHECK, inherits one, or passes one on (see [`HealthcheckMissing`]).
    covered: bool,
}

/// hadolint 2.15.1's bookkeeping, order included: a stage is covered when it has a
/// HEALTHCHECK, when it is built on a stage covered at the time of its FROM, or when a
/// HEALTHCHECK appears in a stage built on it (directly or through other stages that were not
/// yet covered). A stage built on another before that one became covered stays uncovered.
#[derive(Default)]
struct HealthcheckMissing {
    stages: Vec<Stage>,
}

impl HealthcheckMissing {
    /// Cover the uncovered stages named `name`, and what they are built on, transitively.
    fn cover_bases(&mut self, name: &str) {
        let mut pending = vec![name.to_owned()];
        while let Some(name) = pending.pop() {
            for stage in self
                .stages
                .iter_mut()
                .filter(|s| !s.covered && s.name == name)
            {
                stage.covered = true;
                pending.push(stage.source.clone());
            }
        }
    }
}

impl Rule for HealthcheckMissing {
    fn check(&mut self, _cx: &mut Checker<'_>, step: &Step<'_>) {
        match &step.ins.kind {
            InstructionKind::From { image, name, .. } => {
                let source = ImageRef::parse(&image.value).full_name.to_owned();
                let covered = self.stages.iter().any(|s| s.covered && s.name == source);
                self.stages.push(Stage {
                    line: step.line,
                    column: step.column,
                    name: name
                        .as_ref()
                        .map_or_else(|| source.clone(), |n| n.value.clone()),
                    source,
                    covered,
                });
            }
            InstructionKind::Healthcheck { .. } => {
                if let Some(last) = self.stages.last_mut() {
                    last.covered = true;
                    let source = last.source.clone();
                    self.cover_bases(&source);
                }
            }
            _ => {}
        }
    }

    fn finish(&mut self, cx: &mut Checker<'_>) {
        for stage in self.stages.iter().filter(|s| !s.covered) {
            cx.report_at(stage.line, stage.column, stage.column + 4, cx.meta.summary);
        }
    }
}

pub(crate) fn new(_settings: &RuleSettings) -> Box<dyn Rule> {
    Box::<HealthcheckMissing>::default()
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3057", "FROM a:1\nRUN x\n", &[1]);
        assert_lines("DL3057", "FROM a:1 AS b\nHEALTHCHECK NONE\nFROM b\n", &[]);
    }

    #[test]
    fn a_healthcheck_covers_the_stages_it_is_built_on() {
        // localstack's Dockerfile: the final stage, built on `base`, has the HEALTHCHECK.
        let file = "FROM python:3 AS base\nRUN a\nFROM base AS builder\nRUN b\nFROM base\nHEALTHCHECK NONE\n";
        // `builder` was built on `base` before `base` was covered: hadolint still reports it.
        assert_lines("DL3057", file, &[3]);
        assert_lines(
            "DL3057",
            "FROM a AS x\nRUN 1\nFROM x AS y\nRUN 2\nFROM y\nHEALTHCHECK NONE\n",
            &[],
        );
        // Unaliased stages are named after their image, without the tag.
        assert_lines(
            "DL3057",
            "FROM a:1\nRUN 1\nFROM a:2\nHEALTHCHECK NONE\n",
            &[],
        );
        // A healthcheck covers what a stage is built on, not its siblings.
        assert_lines(
            "DL3057",
            "FROM a AS x\nHEALTHCHECK NONE\nFROM a AS y\nRUN 1\n",
            &[3],
        );
    }
}
