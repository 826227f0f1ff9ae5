//! `DL3057` (healthcheck-missing): `HEALTHCHECK` instruction missing.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta {
    code: "DL3057",
    name: "healthcheck-missing",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    summary: "`HEALTHCHECK` instruction missing",
    docs: docs!(
        what: "Flags stages with no `HEALTHCHECK` (nor one inherited from a stage they are built on). Off by default, as in hadolint.",
        why: "Without a health check, an orchestrator only knows whether the process runs, not whether it answers.",
        bad: "FROM nginx:1.27\n\
    COPY site /usr/share/nginx/html",
        good: "FROM nginx:1.27\n\
    COPY site /usr/share/nginx/html\n\
    HEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]",
    ),
    default_enabled: false,
    onbuild: false,
    twin: None,
};

#[derive(Default)]
struct HealthcheckMissing {
    /// (FROM line, column, base image, alias, has a healthcheck).
    stages: Vec<(usize, usize, String, String, bool)>,
}

impl Rule for HealthcheckMissing {
    fn check(&mut self, _cx: &mut Checker<'_>, step: &Step<'_>) {
        match &step.ins.kind {
            InstructionKind::From { image, name, .. } => {
                let alias = name.as_ref().map_or(&image.value, |n| &n.value).clone();
                let inherited = self.stages.iter().any(|s| s.3 == image.value && s.4);
                self.stages.push((
                    step.line,
                    step.column,
                    image.value.clone(),
                    alias,
                    inherited,
                ));
            }
            InstructionKind::Healthcheck { .. } => {
                if let Some(last) = self.stages.last_mut() {
                    last.4 = true;
                }
            }
            _ => {}
        }
    }

    fn finish(&mut self, cx: &mut Checker<'_>) {
        // A stage built on a stage with a healthcheck has one too, transitively.
        let mut changed = true;
        while changed {
            changed = false;
            for i in 0..self.stages.len() {
                if !self.stages[i].4
                    && self.stages[..i]
                        .iter()
                        .any(|s| s.3 == self.stages[i].2 && s.4)
                {
                    self.stages[i].4 = true;
                    changed = true;
                }
            }
        }
        for (line, column, ..) in self.stages.iter().filter(|s| !s.4) {
            cx.report_at(*line, *column, column + 4, cx.meta.summary);
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
}
