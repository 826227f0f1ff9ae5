//! The registry: every rule in one table, hadolint's by code, then Docker's checks by name,
//! then berth's by code. [`ALL`] is what `--list-rules`, `--explain`, SARIF's `rules[]` and the
//! linter read. A rule is named once, in its folder's `rule_modules!` list (`rules/*/mod.rs`),
//! which declares its module and its entry here.

use crate::rule::{Rule, RuleMeta, RuleSettings};
use crate::rules::{brt, docker, hadolint};

/// A rule's metadata and how to make a fresh instance for one file.
#[derive(Clone, Copy)]
pub struct RuleEntry {
    /// What the rule is.
    pub meta: &'static RuleMeta,
    pub(crate) new: fn(&RuleSettings) -> Box<dyn Rule>,
}

impl std::fmt::Debug for RuleEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleEntry")
            .field("code", &self.meta.code)
            .finish()
    }
}

/// How many rules there are.
const COUNT: usize = hadolint::ENTRIES.len() + docker::ENTRIES.len() + brt::ENTRIES.len();

/// Every rule: hadolint's by code, Docker's checks by name, berth's by code (each folder's
/// `rule_modules!` list, which is where a rule is named).
pub static ALL: &[RuleEntry] = &concat([hadolint::ENTRIES, docker::ENTRIES, brt::ENTRIES]);

/// The folders' lists end to end (a `const fn`, so [`ALL`] stays a plain static slice).
const fn concat(groups: [&[RuleEntry]; 3]) -> [RuleEntry; COUNT] {
    let mut all = [groups[0][0]; COUNT];
    let (mut at, mut group) = (0, 0);
    while group < groups.len() {
        let mut index = 0;
        while index < groups[group].len() {
            all[at] = groups[group][index];
            at += 1;
            index += 1;
        }
        group += 1;
    }
    all
}

/// The rule with `code` (case-insensitive), `DL1000` included.
#[must_use]
pub fn find(code: &str) -> Option<&'static RuleMeta> {
    if code.eq_ignore_ascii_case(crate::linter::PARSE_ERROR.code) {
        return Some(&crate::linter::PARSE_ERROR);
    }
    ALL.iter()
        .map(|e| e.meta)
        .find(|m| m.code.eq_ignore_ascii_case(code) || m.name.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::Origin;
    use std::collections::BTreeSet;

    #[test]
    fn codes_and_names_are_unique() {
        let codes: BTreeSet<_> = ALL.iter().map(|e| e.meta.code).collect();
        let names: BTreeSet<_> = ALL.iter().map(|e| e.meta.name).collect();
        assert_eq!(codes.len(), ALL.len());
        assert_eq!(names.len(), ALL.len());
    }

    #[test]
    fn every_rule_has_its_docs() {
        for entry in ALL {
            let m = entry.meta;
            for heading in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
            ] {
                assert!(m.docs.contains(heading), "{} lacks {heading}", m.code);
            }
            assert!(
                !m.summary.ends_with('.'),
                "{}: summary ends with a period",
                m.code
            );
            assert!(
                m.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                m.name
            );
            if let Some(twin) = m.twin {
                assert!(find(twin).is_some(), "{}: unknown twin {twin}", m.code);
            }
        }
    }

    /// The body of the ```` ```dockerfile ```` block under `heading` in a rule's docs.
    fn example<'a>(docs: &'a str, heading: &str) -> &'a str {
        let after = docs.split(heading).nth(1).expect("heading");
        let body = after.split("```dockerfile\n").nth(1).expect("code block");
        body.split("\n```").next().expect("closing fence")
    }

    /// The configuration an example states in its leading comment lines (what a Dockerfile
    /// alone cannot give: the `.dockerignore` beside it, a `.hadolint.yaml` setting, the
    /// digests file); every other example lints with the defaults.
    fn config_for_example(code: &str, example: &str) -> crate::config::LintConfig {
        let mut config = crate::config::LintConfig::default();
        let comments: Vec<&str> = example
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| l.trim_start_matches('#').trim())
            .collect();
        match code {
            "CopyIgnoredFile" => {
                let ignore: String = comments
                    .iter()
                    .map(|l| format!("{}\n", l.trim_start_matches(".dockerignore:").trim()))
                    .collect();
                config.settings.dockerignore = Some(ignore);
            }
            "DL3026" => {
                config.settings.trusted_registries = vec!["registry.example.com".to_owned()];
            }
            "BRT009" => {
                for line in &comments {
                    config.apply_digests(line.trim_start_matches("container/digests.env:"));
                }
            }
            _ => {}
        }
        config
    }

    #[test]
    fn every_rule_flags_its_bad_example_and_passes_its_good_one() {
        let mut failures = Vec::new();
        for entry in ALL {
            let m = entry.meta;
            let bad = example(m.docs, "## Example");
            let good = example(m.docs, "## Use instead");
            for (name, text) in [("bad", bad), ("good", good)] {
                assert!(
                    !text.lines().any(|l| l.starts_with("    ")),
                    "{}: the {name} example is indented (it shows in --explain and SARIF)",
                    m.code
                );
            }
            if crate::testing::lines_with(m.code, bad, config_for_example(m.code, bad)).is_empty() {
                failures.push(format!("{} does not flag its bad example:\n{bad}", m.code));
            }
            let flagged =
                crate::testing::lines_with(m.code, good, config_for_example(m.code, good));
            if !flagged.is_empty() {
                failures.push(format!(
                    "{} flags its good example on lines {flagged:?}:\n{good}",
                    m.code
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }

    #[test]
    fn catalogue_size() {
        let count = |o: Origin| ALL.iter().filter(|e| e.meta.origin == o).count();
        assert!(count(Origin::Hadolint) >= 40);
        assert!(count(Origin::Docker) >= 1);
    }
}
