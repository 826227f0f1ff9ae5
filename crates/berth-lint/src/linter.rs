//! The lint pass: parse one Dockerfile, walk its instructions once feeding every enabled rule
//! (ONBUILD triggers a second time, unwrapped, to the rules that ask for them), then apply
//! inline pragmas, `# check=skip=` for Docker's checks, severity overrides and de-duplication
//! of Docker/hadolint twins. Files that do not parse give one `DL1000` finding (or hadolint's
//! `DL3061`/`DL3043` when BuildKit's error is exactly what those rules describe).
//! ShellCheck's findings, which come later from one process for many files
//! ([`crate::files::lint_files`]), go through the same pragmas and configuration
//! (`Linter::add_shellcheck_findings`).

use crate::config::LintConfig;
use crate::pragma::Pragmas;
use crate::registry::{self, RuleEntry};
use crate::rule::{Checker, Diagnostic, Origin, RuleMeta, Severity, Step};
use crate::shell::{Script, run_shell_text};
use berth_dockerfile::{BuildOptions, CommandLine, Dockerfile, InstructionKind};
use std::collections::BTreeSet;

/// The pseudo-rule for files that do not parse (hadolint's code).
pub static PARSE_ERROR: RuleMeta = RuleMeta::hadolint(
    "DL1000",
    "parse-error",
    Severity::Error,
    "the Dockerfile does not parse",
    "## What it does\nReports a Dockerfile that BuildKit's parser would reject, with BuildKit's message.\n\n## Why is this bad?\nThe build fails before any instruction runs.\n\n## Example\n```dockerfile\nFROM alpine\nCOPY onlyone\n```\n\n## Use instead\n```dockerfile\nFROM alpine\nCOPY app /app\n```\n",
);

/// The lines of the file's FROM instructions (where pragmas' stage scopes start).
fn stage_start_lines(file: &Dockerfile) -> Vec<usize> {
    file.instructions
        .iter()
        .filter(|i| matches!(i.kind, InstructionKind::From { .. }))
        .map(berth_dockerfile::Instruction::line)
        .collect()
}

/// A configured linter: which rules run, at which severity. Cheap to share between threads.
#[derive(Debug)]
pub struct Linter {
    entries: Vec<(&'static RuleEntry, Severity)>,
    config: LintConfig,
}

impl Linter {
    /// Select the rules `config` enables.
    #[must_use]
    pub fn new(config: LintConfig) -> Self {
        let entries = registry::ALL
            .iter()
            .filter(|entry| config.is_enabled(entry.meta))
            .map(|entry| (entry, config.severity_of(entry.meta)))
            .collect();
        Self { entries, config }
    }

    /// The configuration in force.
    #[must_use]
    pub fn config(&self) -> &LintConfig {
        &self.config
    }

    /// Lint one Dockerfile's text. Findings are sorted by line, column and code.
    #[must_use]
    pub fn lint(&self, source: &str) -> Vec<Diagnostic> {
        self.lint_with_context(source, None)
    }

    /// [`Linter::lint`], with the text of the `.dockerignore` next to the file, if any.
    #[must_use]
    pub fn lint_with_context(&self, source: &str, dockerignore: Option<&str>) -> Vec<Diagnostic> {
        self.lint_parsed(source, dockerignore).0
    }

    /// [`Linter::lint_with_context`], also returning the parsed file (`None` when it does not
    /// parse) for the ShellCheck pass.
    pub(crate) fn lint_parsed(
        &self,
        source: &str,
        dockerignore: Option<&str>,
    ) -> (Vec<Diagnostic>, Option<Dockerfile>) {
        let settings;
        let settings_ref = if dockerignore.is_some() {
            settings = crate::rule::RuleSettings {
                dockerignore: dockerignore.map(str::to_owned),
                ..self.config.settings.clone()
            };
            &settings
        } else {
            &self.config.settings
        };
        let file = match berth_dockerfile::parse(source) {
            Ok(file) => file,
            Err(error) => {
                let mut diagnostics = self.parse_failure(&error);
                attach_instruction_texts(&mut diagnostics, source, None);
                return (diagnostics, None);
            }
        };
        // BuildKit's convert-stage errors (blank base names, bad `--from` references) depend on
        // build arguments or are what DL3022/DL3023 report: they are not findings by
        // themselves; the rules that need the stage graph just skip such files.
        let graph = file
            .stage_graph(&BuildOptions {
                build_args: self.config.build_args.clone(),
                ..BuildOptions::default()
            })
            .ok();
        let mut diagnostics = Vec::new();
        let skipped_checks = docker_check_skips(&file);
        let active: Vec<_> = self
            .entries
            .iter()
            .filter(|(entry, _)| {
                entry.meta.origin != Origin::Docker || !skipped_checks.skips(entry.meta.code)
            })
            .collect();
        let mut rules: Vec<_> = active
            .iter()
            .map(|(entry, _)| (entry.meta, (entry.new)(settings_ref)))
            .collect();
        let scripts: Vec<Option<Script>> = file
            .instructions
            .iter()
            .map(|ins| run_script(&ins.kind, &ins.node.heredocs))
            .collect();
        let trigger_scripts: Vec<Option<Script>> = file
            .instructions
            .iter()
            .map(|ins| match &ins.kind {
                InstructionKind::Onbuild {
                    trigger: Some(t), ..
                } => run_script(&t.kind, &t.node.heredocs),
                _ => None,
            })
            .collect();
        let mut cx = Checker {
            file: &file,
            lines: source.lines().collect(),
            graph: graph.as_ref(),
            meta: &PARSE_ERROR,
            diagnostics: Vec::new(),
            analysis: std::cell::OnceCell::new(),
        };
        let mut stage: Option<usize> = None;
        for (index, ins) in file.instructions.iter().enumerate() {
            if matches!(ins.kind, InstructionKind::From { .. }) {
                stage = Some(stage.map_or(0, |s| s + 1));
            }
            let step = Step {
                ins,
                stage,
                onbuild: false,
                line: ins.line(),
                column: ins.node.keyword_span.start.column,
                script: scripts[index].as_ref(),
            };
            for (meta, rule) in &mut rules {
                cx.meta = meta;
                rule.check(&mut cx, &step);
            }
            if let InstructionKind::Onbuild {
                trigger: Some(trigger),
                ..
            } = &ins.kind
            {
                let step = Step {
                    ins: trigger,
                    onbuild: true,
                    script: trigger_scripts[index].as_ref(),
                    ..step
                };
                for (meta, rule) in rules.iter_mut().filter(|(m, _)| m.onbuild) {
                    cx.meta = meta;
                    rule.check(&mut cx, &step);
                }
            }
        }
        for (meta, rule) in &mut rules {
            cx.meta = meta;
            rule.finish(&mut cx);
        }
        diagnostics.append(&mut cx.diagnostics);
        let from_lines = stage_start_lines(&file);
        let mut diagnostics = self.finalize(source, &from_lines, diagnostics);
        attach_instruction_texts(&mut diagnostics, source, Some(&file));
        (diagnostics, Some(file))
    }

    /// Add ShellCheck's `findings` on `file` (whose text is `source`) to its `diagnostics`:
    /// those the configuration reports (`ignore`, `--select`) at the configured severity, and
    /// that no pragma suppresses, on the finding's line or on the RUN's first line (where
    /// hadolint reports them, so `# hadolint ignore=SC2086` above the RUN keeps working).
    pub(crate) fn add_shellcheck_findings(
        &self,
        source: &str,
        file: &Dockerfile,
        diagnostics: &mut Vec<Diagnostic>,
        findings: Vec<crate::shellcheck::Finding>,
    ) {
        let from_lines = stage_start_lines(file);
        let pragmas =
            (!self.config.disable_ignore_pragma).then(|| Pragmas::parse(source, &from_lines));
        let mut added: Vec<Diagnostic> = findings
            .into_iter()
            .filter(|f| self.config.reports_code(f.code))
            .filter(|f| {
                pragmas.as_ref().is_none_or(|p| {
                    !p.ignores(f.code, f.line) && !p.ignores(f.code, f.instruction_line)
                })
            })
            .map(|f| Diagnostic {
                code: f.code,
                severity: self.config.severity_for_code(f.code, f.severity),
                line: f.line,
                column: f.column,
                end_line: f.end_line,
                end_column: f.end_column,
                message: f.message,
                instruction_text: String::new(),
            })
            .collect();
        if added.is_empty() {
            return;
        }
        attach_instruction_texts(&mut added, source, Some(file));
        diagnostics.append(&mut added);
        sort_findings(diagnostics);
    }

    fn parse_failure(&self, error: &berth_dockerfile::Error) -> Vec<Diagnostic> {
        let message = error.message();
        let (line, column) = error
            .span()
            .map_or((1, 1), |s| (s.start.line.max(1), s.start.column.max(1)));
        let code = if message == "no build stage in current context" {
            "DL3061"
        } else if message.contains("ONBUILD") && message.contains("allowed") {
            "DL3043"
        } else {
            PARSE_ERROR.code
        };
        let severity = registry::find(code).map_or(Severity::Error, |m| self.config.severity_of(m));
        let diagnostic = Diagnostic {
            code: registry::find(code).map_or(PARSE_ERROR.code, |m| m.code),
            severity,
            line,
            column,
            end_line: line,
            end_column: column + 1,
            message,
            instruction_text: String::new(),
        };
        if code != PARSE_ERROR.code
            && registry::find(code).is_some_and(|m| !self.config.is_enabled(m))
        {
            return Vec::new();
        }
        vec![diagnostic]
    }

    fn finalize(
        &self,
        source: &str,
        from_lines: &[usize],
        mut diagnostics: Vec<Diagnostic>,
    ) -> Vec<Diagnostic> {
        if !self.config.disable_ignore_pragma {
            let pragmas = Pragmas::parse(source, from_lines);
            diagnostics.retain(|d| !pragmas.ignores(d.code, d.line));
        }
        for d in &mut diagnostics {
            if let Some((_, severity)) = self.entries.iter().find(|(e, _)| e.meta.code == d.code) {
                d.severity = *severity;
            }
        }
        // A Docker check whose hadolint twin fired on the same line says the same thing twice.
        let fired: BTreeSet<(usize, &str)> = diagnostics.iter().map(|d| (d.line, d.code)).collect();
        diagnostics.retain(|d| {
            registry::find(d.code)
                .and_then(|m| m.twin)
                .is_none_or(|twin| !fired.contains(&(d.line, twin)))
        });
        sort_findings(&mut diagnostics);
        diagnostics
    }
}

/// Sort by line, column, code and message; drop exact duplicates.
fn sort_findings(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        (a.line, a.column, a.code, &a.message).cmp(&(b.line, b.column, b.code, &b.message))
    });
    diagnostics.dedup();
}

/// The shell of a RUN, parsed: the line with the heredoc body a POSIX shell reads
/// ([`crate::shell::run_shell_text`]); exec form is one command with its arguments.
fn run_script(kind: &InstructionKind, heredocs: &[berth_dockerfile::Heredoc]) -> Option<Script> {
    let InstructionKind::Run { command, .. } = kind else {
        return None;
    };
    Some(match command {
        CommandLine::Shell(text) => Script::parse(&run_shell_text(text, heredocs)),
        CommandLine::Exec(args) => {
            let mut script = Script::parse("");
            script.original = args.join(" ");
            if let Some((name, rest)) = args.split_first() {
                script.commands.push(crate::shell::Command {
                    name: name.clone(),
                    args: rest.to_vec(),
                    piped: false,
                });
            }
            script
        }
    })
}

/// Fill each finding's [`Diagnostic::instruction_text`]: the instruction whose lines hold the
/// finding, else the finding's own source line (parse errors, pragmas on comment lines).
fn attach_instruction_texts(
    diagnostics: &mut [Diagnostic],
    source: &str,
    file: Option<&Dockerfile>,
) {
    let instructions = file.map_or(&[][..], |f| f.instructions.as_slice());
    for diagnostic in diagnostics {
        let carrier = instructions
            .iter()
            .find(|i| (i.node.start_line..=i.node.end_line).contains(&diagnostic.line));
        diagnostic.instruction_text = match carrier {
            Some(instruction) => {
                let node = &instruction.node;
                let bodies = node.heredocs.iter().map(|h| h.content.as_str());
                normalize_whitespace(std::iter::once(node.original.as_str()).chain(bodies))
            }
            None => normalize_whitespace(source.lines().nth(diagnostic.line.saturating_sub(1))),
        };
    }
}

/// The words of `parts`, joined by single spaces.
fn normalize_whitespace<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts
        .into_iter()
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

/// What `# check=skip=...` turns off.
struct CheckSkips {
    all: bool,
    names: BTreeSet<String>,
}

impl CheckSkips {
    fn skips(&self, code: &str) -> bool {
        self.all || self.names.contains(code)
    }
}

fn docker_check_skips(file: &Dockerfile) -> CheckSkips {
    let mut skips = CheckSkips {
        all: false,
        names: BTreeSet::new(),
    };
    for directive in file.directives.iter().filter(|d| d.name == "check") {
        for part in directive.value.split(';') {
            if let Some((key, value)) = part.split_once('=')
                && key.trim().eq_ignore_ascii_case("skip")
            {
                let value = value.trim();
                if value == "all" {
                    skips.all = true;
                } else {
                    skips
                        .names
                        .extend(value.split(',').map(|s| s.trim().to_owned()));
                }
            }
        }
    }
    skips
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::lines_with;

    #[test]
    fn build_args_decide_the_base_for_the_stage_graph_rules() {
        let source = "ARG BASE\nFROM $BASE\nRUN true\n";
        assert!(lines_with("BRT003", source, LintConfig::default()).is_empty());
        let mut config = LintConfig::default();
        config
            .build_args
            .insert("BASE".to_owned(), "debian:12".to_owned());
        assert_eq!(lines_with("BRT003", source, config), [2]);
    }

    fn shellcheck_finding(
        code: &'static str,
        line: usize,
        instruction_line: usize,
    ) -> crate::shellcheck::Finding {
        crate::shellcheck::Finding {
            code,
            severity: Severity::Info,
            message: "from ShellCheck".to_owned(),
            line,
            column: 5,
            end_line: line,
            end_column: 7,
            instruction_line,
        }
    }

    /// `(code, line, severity)` of the ShellCheck findings kept for `source` by `config`.
    fn shellcheck_kept(
        source: &str,
        config: LintConfig,
        findings: Vec<crate::shellcheck::Finding>,
    ) -> Vec<(&'static str, usize, Severity)> {
        let linter = Linter::new(config);
        let (mut diagnostics, file) = linter.lint_parsed(source, None);
        linter.add_shellcheck_findings(source, &file.unwrap(), &mut diagnostics, findings);
        diagnostics
            .iter()
            .filter(|d| d.code.starts_with("SC"))
            .map(|d| (d.code, d.line, d.severity))
            .collect()
    }

    #[test]
    fn shellcheck_findings_honour_pragmas_above_the_run_and_above_their_line() {
        let source = "FROM debian:12\n# hadolint ignore=SC2086\nRUN echo $a \\\n    && echo $b\nRUN echo $c \\\n# berth ignore=SC2046\n    && echo $(ls)\n";
        let findings = vec![
            shellcheck_finding("SC2086", 3, 3),
            shellcheck_finding("SC2086", 4, 3),
            shellcheck_finding("SC2164", 4, 3),
            shellcheck_finding("SC2086", 5, 5),
            shellcheck_finding("SC2046", 7, 5),
        ];
        let kept = shellcheck_kept(source, LintConfig::default(), findings.clone());
        assert_eq!(
            kept,
            [("SC2164", 4, Severity::Info), ("SC2086", 5, Severity::Info)]
        );
        let config = LintConfig {
            disable_ignore_pragma: true,
            ..LintConfig::default()
        };
        assert_eq!(shellcheck_kept(source, config, findings).len(), 5);
    }

    #[test]
    fn shellcheck_findings_follow_ignore_select_and_severity() {
        let source = "FROM debian:12\nRUN echo $a; cd /x\n";
        let findings = || {
            vec![
                shellcheck_finding("SC2086", 2, 2),
                shellcheck_finding("SC2164", 2, 2),
            ]
        };
        let mut config = LintConfig::default();
        config.ignore.insert("SC2164".to_owned());
        config.severity.insert("SC2086".to_owned(), Severity::Error);
        assert_eq!(
            shellcheck_kept(source, config, findings()),
            [("SC2086", 2, Severity::Error)]
        );
        let config = LintConfig {
            only: Some(["SC2164".to_owned()].into()),
            ..LintConfig::default()
        };
        assert_eq!(
            shellcheck_kept(source, config, findings()),
            [("SC2164", 2, Severity::Info)]
        );
    }

    #[test]
    fn instruction_texts_join_continuations_and_heredocs() {
        let source = "FROM debian:12\nRUN apt-get install \\\n      curl\nRUN <<EOT\napt-get install  git\nEOT\n";
        let findings = Linter::new(LintConfig::default()).lint(source);
        let texts: Vec<(&str, &str)> = findings
            .iter()
            .filter(|d| d.code == "DL3008")
            .map(|d| (d.code, d.instruction_text.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                ("DL3008", "RUN apt-get install curl"),
                ("DL3008", "RUN <<EOT apt-get install git")
            ]
        );
        let broken = Linter::new(LintConfig::default()).lint("FROM a\nCOPY  onlyone\n");
        assert_eq!(broken[0].instruction_text, "COPY onlyone");
    }
}
