//! What a lint rule is: its metadata ([`RuleMeta`]: code, name, origin, severity, docs), the
//! [`Rule`] trait every rule implements (fed each instruction once, in file order, plus a
//! `finish` hook for rules that decide at the end), the [`Step`] a rule sees, and the
//! [`Diagnostic`] it reports. Rules never decide whether they are enabled or how severe a
//! finding is: the linter and the configuration do.

use crate::shell::Script;
use berth_dockerfile::{Dockerfile, Instruction, StageGraph};
use serde::Serialize;
use std::collections::BTreeMap;

/// How serious a finding is, most serious first (hadolint's scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Breaks the build or the image.
    Error,
    /// Very likely a mistake.
    Warning,
    /// Worth knowing.
    Info,
    /// Style only.
    Style,
}

impl Severity {
    /// Lower-case name (`error`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
            Self::Style => "style",
        }
    }

    /// Parse `error|warning|info|style` (case-insensitive).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "error" => Some(Self::Error),
            "warning" => Some(Self::Warning),
            "info" => Some(Self::Info),
            "style" => Some(Self::Style),
            _ => None,
        }
    }

    /// True when `self` is at least as serious as `threshold`.
    #[must_use]
    pub fn at_least(self, threshold: Self) -> bool {
        self <= threshold
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// hadolint's DL rules (codes kept so `# hadolint ignore=` keeps working).
    Hadolint,
    /// Docker's build checks (`docker build --check`; names kept).
    Docker,
    /// berth's own (`BRTnnn`).
    Berth,
}

impl Origin {
    /// Lower-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hadolint => "hadolint",
            Self::Docker => "docker",
            Self::Berth => "berth",
        }
    }
}

/// Everything known about a rule without running it.
#[derive(Debug, Serialize)]
pub struct RuleMeta {
    /// `DL3008`, `JSONArgsRecommended`, `BRT004`.
    pub code: &'static str,
    /// Kebab-case name of the bad pattern (`apt-get-unpinned`).
    pub name: &'static str,
    /// Where it comes from.
    pub origin: Origin,
    /// Default severity.
    pub severity: Severity,
    /// One line: what is flagged.
    pub summary: &'static str,
    /// Markdown: `## What it does`, `## Why is this bad?`, `## Example`, `## Use instead`.
    pub docs: &'static str,
    /// On without configuration.
    pub default_enabled: bool,
    /// Also run on the instruction an `ONBUILD` wraps (hadolint's `onbuild` rules).
    pub onbuild: bool,
    /// A rule of another origin that flags the same thing; when both fire on one line only
    /// the hadolint one is kept (Docker's checks and hadolint overlap).
    pub twin: Option<&'static str>,
}

/// How a rule declares its metadata: a constructor for its origin (the folder it lives in)
/// taking what every rule states (code, name, severity, summary, docs), with the common case
/// for the rest, then one modifier per exception:
///
/// ```ignore
/// pub(crate) static META: RuleMeta = RuleMeta::hadolint(
///     "DL3008",
///     "apt-get-unpinned",
///     Severity::Warning,
///     "pin versions in `apt-get install` (`package=version`)",
///     docs!(what: "...", why: "...", bad: "...", good: "..."),
/// )
/// .on_onbuild_triggers();
/// ```
impl RuleMeta {
    /// Rules are on unless they say otherwise: the catalogue is what `berth lint` checks with
    /// no configuration, and the few rules that are a policy or advice for some images
    /// rather than a mistake in any (no inline ignores, a health check, a multi-stage build)
    /// opt out with [`off_by_default`](Self::off_by_default).
    const DEFAULT_ENABLED: bool = true;

    /// An instruction wrapped by `ONBUILD` runs in a later build, not this one, so a rule
    /// does not see it unless it asks with [`on_onbuild_triggers`](Self::on_onbuild_triggers)
    /// (as hadolint runs only some of its rules on triggers).
    const DEFAULT_ONBUILD: bool = false;

    /// Most rules flag something no rule of another origin flags; the few Docker checks that
    /// repeat a hadolint rule name it with [`twin_of`](Self::twin_of).
    const DEFAULT_TWIN: Option<&'static str> = None;

    /// A hadolint rule (`DLnnnn`), with the defaults.
    pub(crate) const fn hadolint(
        code: &'static str,
        name: &'static str,
        severity: Severity,
        summary: &'static str,
        docs: &'static str,
    ) -> Self {
        Self::with_defaults(Origin::Hadolint, code, name, severity, summary, docs)
    }

    /// One of Docker's build checks (named, not numbered), with the defaults.
    pub(crate) const fn docker(
        code: &'static str,
        name: &'static str,
        severity: Severity,
        summary: &'static str,
        docs: &'static str,
    ) -> Self {
        Self::with_defaults(Origin::Docker, code, name, severity, summary, docs)
    }

    /// One of berth's own rules (`BRTnnn`), with the defaults.
    pub(crate) const fn berth(
        code: &'static str,
        name: &'static str,
        severity: Severity,
        summary: &'static str,
        docs: &'static str,
    ) -> Self {
        Self::with_defaults(Origin::Berth, code, name, severity, summary, docs)
    }

    /// The origin's constructors share this: what the rule states, the defaults for the rest.
    const fn with_defaults(
        origin: Origin,
        code: &'static str,
        name: &'static str,
        severity: Severity,
        summary: &'static str,
        docs: &'static str,
    ) -> Self {
        Self {
            code,
            name,
            origin,
            severity,
            summary,
            docs,
            default_enabled: Self::DEFAULT_ENABLED,
            onbuild: Self::DEFAULT_ONBUILD,
            twin: Self::DEFAULT_TWIN,
        }
    }

    /// Off until the configuration turns it on.
    #[must_use]
    pub(crate) const fn off_by_default(mut self) -> Self {
        self.default_enabled = false;
        self
    }

    /// Also run on the instruction an `ONBUILD` wraps.
    #[must_use]
    pub(crate) const fn on_onbuild_triggers(mut self) -> Self {
        self.onbuild = true;
        self
    }

    /// Flags the same thing as the rule `code` of another origin (see [`RuleMeta::twin`]).
    #[must_use]
    pub(crate) const fn twin_of(mut self, code: &'static str) -> Self {
        self.twin = Some(code);
        self
    }

    /// Where the upstream documentation lives, if anywhere.
    #[must_use]
    pub fn help_uri(&self) -> Option<String> {
        match self.origin {
            Origin::Hadolint => Some(format!(
                "https://github.com/hadolint/hadolint/wiki/{}",
                self.code
            )),
            Origin::Docker => Some(format!(
                "https://docs.docker.com/go/dockerfile/rule/{}/",
                self.name
            )),
            Origin::Berth => None,
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Rule code.
    pub code: &'static str,
    /// Severity after configuration.
    pub severity: Severity,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Last line of the flagged text.
    pub end_line: usize,
    /// Column just after the flagged text (on `end_line`).
    pub end_column: usize,
    /// What is wrong, for this occurrence.
    pub message: String,
    /// The text of the instruction that carries the finding (continuation lines joined,
    /// heredoc bodies included, runs of whitespace made one space), or of its source line when
    /// no instruction does. SARIF fingerprints hash it instead of the line number, so a finding
    /// keeps its identity when lines are added above it.
    pub instruction_text: String,
}

/// Label value formats of hadolint's `label-schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelFormat {
    /// Any text.
    Text,
    /// An absolute URL.
    Url,
    /// Semantic version.
    Semver,
    /// A git commit hash (7 or 40 hex digits).
    Hash,
    /// RFC 3339 date-time.
    Rfc3339,
    /// An SPDX license identifier.
    Spdx,
    /// An e-mail address.
    Email,
}

/// Settings that change what rules flag (as opposed to which rules run).
#[derive(Debug, Clone, Default)]
pub struct RuleSettings {
    /// Registries allowed in FROM (DL3026); empty: the rule does nothing.
    pub trusted_registries: Vec<String>,
    /// Required labels and their formats (DL3049, DL3051-DL3056, DL3058).
    pub label_schema: BTreeMap<String, LabelFormat>,
    /// Labels outside the schema are findings (DL3050).
    pub strict_labels: bool,
    /// Contents of a `.dockerignore` next to the Dockerfile (`CopyIgnoredFile`).
    pub dockerignore: Option<String>,
    /// Pinned digests `image[:tag]` → `sha256:...` (BRT009), e.g. from `digests.env`.
    pub digests: BTreeMap<String, String>,
}

/// One instruction as a rule sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step<'a> {
    /// The instruction (for ONBUILD triggers: the wrapped instruction).
    pub(crate) ins: &'a Instruction,
    /// Index of the stage it belongs to, `None` for ARGs before the first FROM.
    pub(crate) stage: Option<usize>,
    /// True for an instruction wrapped by ONBUILD.
    pub(crate) onbuild: bool,
    /// Line to report (the ONBUILD line for triggers).
    pub(crate) line: usize,
    /// Column to report.
    pub(crate) column: usize,
    /// The parsed shell of a shell-form RUN.
    pub(crate) script: Option<&'a Script>,
}

/// What rules can see besides the current step, and where they report.
pub(crate) struct Checker<'a> {
    /// The whole file.
    pub(crate) file: &'a Dockerfile,
    /// Raw text lines (for checks about the text itself).
    pub(crate) lines: Vec<&'a str>,
    /// The stage graph, when BuildKit's convert stage accepts the file.
    pub(crate) graph: Option<&'a StageGraph>,
    /// The rule being run.
    pub(crate) meta: &'static RuleMeta,
    /// Findings so far.
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// `berth analyze`'s checks, computed on first use.
    pub(crate) analysis: std::cell::OnceCell<Vec<crate::analyze::Check>>,
}

impl Checker<'_> {
    /// `berth analyze`'s check `id`, when the stage graph could be built.
    pub(crate) fn analysis_check(&self, id: &str) -> Option<crate::analyze::Check> {
        let graph = self.graph?;
        self.analysis
            .get_or_init(|| crate::analyze::best_practice_checks(self.file, graph))
            .iter()
            .find(|c| c.id == id)
            .cloned()
    }

    /// Report at a step (its line, its keyword's column).
    pub(crate) fn report(&mut self, step: &Step<'_>, message: impl Into<String>) {
        let end_column = step.column + step.ins.node.keyword.chars().count();
        self.report_at(step.line, step.column, end_column, message);
    }

    /// Report with the rule's summary as message.
    pub(crate) fn flag(&mut self, step: &Step<'_>) {
        self.report(step, self.meta.summary);
    }

    /// Report at an explicit position.
    pub(crate) fn report_at(
        &mut self,
        line: usize,
        column: usize,
        end_column: usize,
        message: impl Into<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            code: self.meta.code,
            severity: self.meta.severity,
            line,
            column,
            end_line: line,
            end_column: end_column.max(column + 1),
            message: message.into(),
            // Filled in once per finding by the linter, which knows the instruction.
            instruction_text: String::new(),
        });
    }
}

/// A rule: fed every instruction of the file once, in order; `finish` runs after the last.
pub(crate) trait Rule: Send {
    /// Look at one instruction.
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>);
    /// Called once after the last instruction.
    fn finish(&mut self, _cx: &mut Checker<'_>) {}
}

/// A stateless rule: a predicate over one instruction, reported with the rule's summary.
pub(crate) struct Simple(pub(crate) fn(&Step<'_>) -> bool);

impl Rule for Simple {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        if (self.0)(step) {
            cx.flag(step);
        }
    }
}

/// A stateless rule over the shell commands of RUN (ONBUILD RUN included, as hadolint does).
pub(crate) struct ShellRule(pub(crate) fn(&Script) -> bool);

impl Rule for ShellRule {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        if let Some(script) = step.script
            && (self.0)(script)
        {
            cx.flag(step);
        }
    }
}
