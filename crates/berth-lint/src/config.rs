//! Configuration of a lint run, from hadolint's `.hadolint.yaml` (so existing settings keep
//! working), berth's own `berth.toml` (`[lint]` table) and command-line flags, merged into one
//! [`LintConfig`]. Later sources win for scalars; lists add up (as in hadolint).
//!
//! `.hadolint.yaml` keys read: `ignored`, `override.{error,warning,info,style}`,
//! `trustedRegistries`, `label-schema`, `strict-labels`, `failure-threshold`, `no-fail`,
//! `disable-ignore-pragma`. `berth.toml` `[lint]` keys: `ignore`, `enable` (codes or `"all"`:
//! turns on rules that are off by default), `severity` (table code → level), `failure-threshold`,
//! `no-fail`, `disable-ignore-pragma`, `trusted-registries`, `label-schema`, `strict-labels`,
//! `digests-file`.
//!
//! ShellCheck codes (`SC2086`) are not rules of the catalogue but work in the same lists:
//! `ignored`/`ignore`, `override`/`severity` and `--select` apply to them
//! ([`LintConfig::reports_code`], [`LintConfig::severity_for_code`]); whether ShellCheck runs
//! at all is [`LintConfig::shellcheck`].

use crate::rule::{LabelFormat, RuleMeta, RuleSettings, Severity};
use crate::shellcheck::ShellcheckSettings;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// When a run counts as failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// Fail on findings of this severity or worse.
    At(Severity),
    /// Never fail on findings.
    Never,
}

impl Threshold {
    /// Parse `error|warning|info|style|ignore|none`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "none" | "ignore" => Some(Self::Never),
            other => Severity::parse(other).map(Self::At),
        }
    }

    /// A finding of `severity` fails the run.
    #[must_use]
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            Self::At(threshold) => severity.at_least(threshold),
            Self::Never => false,
        }
    }
}

/// Errors reading configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `.hadolint.yaml` is not valid YAML for hadolint's schema.
    #[error("invalid hadolint configuration: {0}")]
    Yaml(String),
    /// `berth.toml` is not valid.
    #[error("invalid berth.toml: {0}")]
    Toml(String),
    /// A severity or threshold name that does not exist.
    #[error("unknown level `{0}` (expected error, warning, info, style or none)")]
    Level(String),
}

/// Everything that shapes a lint run.
#[derive(Debug, Clone)]
pub struct LintConfig {
    /// Codes never reported.
    pub ignore: BTreeSet<String>,
    /// Codes turned on although off by default (`all` for every rule).
    pub enable: BTreeSet<String>,
    /// When set, only these codes run (`--select`).
    pub only: Option<BTreeSet<String>>,
    /// Severity per code.
    pub severity: BTreeMap<String, Severity>,
    /// Findings at or above this fail the run (default `info`, as hadolint).
    pub failure_threshold: Threshold,
    /// Exit 0 whatever is found.
    pub no_fail: bool,
    /// Inline `# hadolint ignore=` / `# berth ignore=` comments are not honoured.
    pub disable_ignore_pragma: bool,
    /// What rules need to know.
    pub settings: RuleSettings,
    /// `--build-arg` values for the stage graph (global ARGs over their defaults, as BuildKit
    /// does): the rules that need the graph skip a file whose base needs an ARG with no value.
    pub build_args: BTreeMap<String, String>,
    /// Whether ShellCheck checks RUN scripts, and which program.
    pub shellcheck: ShellcheckSettings,
}

impl Default for LintConfig {
    fn default() -> Self {
        Self {
            ignore: BTreeSet::new(),
            enable: BTreeSet::new(),
            only: None,
            severity: BTreeMap::new(),
            failure_threshold: Threshold::At(Severity::Info),
            no_fail: false,
            disable_ignore_pragma: false,
            settings: RuleSettings::default(),
            build_args: BTreeMap::new(),
            shellcheck: ShellcheckSettings::default(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
    #[default]
    None,
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s],
            Self::Many(v) => v,
            Self::None => Vec::new(),
        }
    }
}

#[derive(Deserialize, Default)]
struct HadolintOverride {
    #[serde(default)]
    error: Vec<String>,
    #[serde(default)]
    warning: Vec<String>,
    #[serde(default)]
    info: Vec<String>,
    #[serde(default)]
    style: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct HadolintFile {
    #[serde(default)]
    ignored: Vec<String>,
    #[serde(default, rename = "override")]
    overrides: Option<HadolintOverride>,
    #[serde(default, rename = "trustedRegistries")]
    trusted_registries: OneOrMany,
    #[serde(default)]
    label_schema: BTreeMap<String, LabelFormat>,
    #[serde(default)]
    strict_labels: Option<bool>,
    #[serde(default)]
    failure_threshold: Option<String>,
    #[serde(default)]
    no_fail: Option<bool>,
    #[serde(default)]
    disable_ignore_pragma: Option<bool>,
}

#[derive(Deserialize, Default)]
struct BerthFile {
    #[serde(default)]
    lint: BerthLint,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct BerthLint {
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    enable: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
    #[serde(default)]
    failure_threshold: Option<String>,
    #[serde(default)]
    no_fail: Option<bool>,
    #[serde(default)]
    disable_ignore_pragma: Option<bool>,
    #[serde(default)]
    trusted_registries: Vec<String>,
    #[serde(default)]
    label_schema: BTreeMap<String, LabelFormat>,
    #[serde(default)]
    strict_labels: Option<bool>,
    #[serde(default)]
    digests_file: Option<String>,
}

fn level(text: &str) -> Result<Severity, ConfigError> {
    Severity::parse(text).ok_or_else(|| ConfigError::Level(text.to_owned()))
}

fn threshold(text: &str) -> Result<Threshold, ConfigError> {
    Threshold::parse(text).ok_or_else(|| ConfigError::Level(text.to_owned()))
}

impl LintConfig {
    /// Merge a `.hadolint.yaml`.
    ///
    /// # Errors
    /// Invalid YAML or unknown levels.
    pub fn apply_hadolint_yaml(&mut self, text: &str) -> Result<(), ConfigError> {
        let file: HadolintFile = if text.trim().is_empty() {
            HadolintFile::default()
        } else {
            serde_yaml_ng::from_str(text).map_err(|e| ConfigError::Yaml(e.to_string()))?
        };
        self.ignore.extend(file.ignored);
        if let Some(o) = file.overrides {
            // Several lists naming one code: error > warning > info > style (hadolint's order).
            for (codes, severity) in [
                (o.style, Severity::Style),
                (o.info, Severity::Info),
                (o.warning, Severity::Warning),
                (o.error, Severity::Error),
            ] {
                for code in codes {
                    self.severity.insert(code, severity);
                }
            }
        }
        self.settings
            .trusted_registries
            .extend(file.trusted_registries.into_vec());
        self.settings.label_schema.extend(file.label_schema);
        if let Some(strict) = file.strict_labels {
            self.settings.strict_labels = strict;
        }
        if let Some(t) = file.failure_threshold {
            self.failure_threshold = threshold(&t)?;
        }
        if let Some(v) = file.no_fail {
            self.no_fail = v;
        }
        if let Some(v) = file.disable_ignore_pragma {
            self.disable_ignore_pragma = v;
        }
        Ok(())
    }

    /// Merge the `[lint]` table of a `berth.toml`. Returns the `digests-file` it names, if any
    /// (relative to the `berth.toml`), for the caller to read.
    ///
    /// # Errors
    /// Invalid TOML, unknown keys or unknown levels.
    pub fn apply_berth_toml(&mut self, text: &str) -> Result<Option<String>, ConfigError> {
        let file: BerthFile = toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        let lint = file.lint;
        self.ignore.extend(lint.ignore);
        self.enable.extend(lint.enable);
        for (code, name) in lint.severity {
            self.severity.insert(code, level(&name)?);
        }
        if let Some(t) = lint.failure_threshold {
            self.failure_threshold = threshold(&t)?;
        }
        if let Some(v) = lint.no_fail {
            self.no_fail = v;
        }
        if let Some(v) = lint.disable_ignore_pragma {
            self.disable_ignore_pragma = v;
        }
        self.settings
            .trusted_registries
            .extend(lint.trusted_registries);
        self.settings.label_schema.extend(lint.label_schema);
        if let Some(strict) = lint.strict_labels {
            self.settings.strict_labels = strict;
        }
        Ok(lint.digests_file)
    }

    /// Read a digests file (`NAME=image:tag@sha256:...` lines, as `container/digests.env`).
    pub fn apply_digests(&mut self, text: &str) {
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let value = line.split_once('=').map_or(line, |(_, v)| v);
            let value = value.trim_matches(['"', '\'']);
            if let Some((image, digest)) = value.split_once('@') {
                self.settings
                    .digests
                    .insert(image.to_owned(), digest.to_owned());
            }
        }
    }

    /// The rule runs in this configuration.
    #[must_use]
    pub fn is_enabled(&self, meta: &RuleMeta) -> bool {
        if self.ignore.contains(meta.code) {
            return false;
        }
        if let Some(only) = &self.only {
            return only.contains(meta.code);
        }
        meta.default_enabled
            || self.enable.contains(meta.code)
            || self.enable.contains("all")
            || self.severity.contains_key(meta.code)
    }

    /// Findings of `code`, a code outside the catalogue (ShellCheck's `SC2086`), are reported:
    /// not ignored, and selected when `--select` is used.
    #[must_use]
    pub fn reports_code(&self, code: &str) -> bool {
        !self.ignore.contains(code) && self.only.as_ref().is_none_or(|only| only.contains(code))
    }

    /// The severity findings of `code` (outside the catalogue) report with: the configured one,
    /// else `default` (the tool's own).
    #[must_use]
    pub fn severity_for_code(&self, code: &str, default: Severity) -> Severity {
        self.severity.get(code).copied().unwrap_or(default)
    }

    /// The severity the rule reports with.
    #[must_use]
    pub fn severity_of(&self, meta: &RuleMeta) -> Severity {
        self.severity
            .get(meta.code)
            .copied()
            .unwrap_or(meta.severity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hadolint_yaml() {
        let mut config = LintConfig::default();
        config
            .apply_hadolint_yaml(
                "ignored: [DL3008]\noverride:\n  error: [DL3015]\n  info: [DL3015, DL3006]\ntrustedRegistries: docker.io\nlabel-schema:\n  author: text\n  url: url\nstrict-labels: true\nfailure-threshold: warning\n",
            )
            .unwrap();
        assert!(config.ignore.contains("DL3008"));
        assert_eq!(config.severity["DL3015"], Severity::Error);
        assert_eq!(config.severity["DL3006"], Severity::Info);
        assert_eq!(config.settings.trusted_registries, ["docker.io"]);
        assert_eq!(config.settings.label_schema["url"], LabelFormat::Url);
        assert!(config.settings.strict_labels);
        assert_eq!(config.failure_threshold, Threshold::At(Severity::Warning));
    }

    #[test]
    fn reads_berth_toml_and_rejects_unknown_keys() {
        let mut config = LintConfig::default();
        let digests = config
            .apply_berth_toml(
                "[lint]\nignore = [\"DL3059\"]\nenable = [\"DL3057\"]\nfailure-threshold = \"error\"\ndigests-file = \"container/digests.env\"\n[lint.severity]\nDL3008 = \"style\"\n",
            )
            .unwrap();
        assert_eq!(digests.as_deref(), Some("container/digests.env"));
        assert!(config.enable.contains("DL3057"));
        assert_eq!(config.severity["DL3008"], Severity::Style);
        assert!(config.apply_berth_toml("[lint]\nfoo = 1\n").is_err());
        assert!(
            config
                .apply_berth_toml("[lint]\nfailure-threshold = \"loud\"\n")
                .is_err()
        );
    }

    #[test]
    fn shellcheck_codes_follow_ignore_select_and_overrides() {
        let mut config = LintConfig::default();
        config
            .apply_hadolint_yaml("ignored: [SC2164]\noverride:\n  error: [SC2086]\n")
            .unwrap();
        assert!(!config.reports_code("SC2164"));
        assert!(config.reports_code("SC2086"));
        assert_eq!(
            config.severity_for_code("SC2086", Severity::Info),
            Severity::Error
        );
        assert_eq!(
            config.severity_for_code("SC2046", Severity::Warning),
            Severity::Warning
        );
        config.only = Some(["DL3008".to_owned()].into());
        assert!(!config.reports_code("SC2086"));
    }

    #[test]
    fn reads_digests() {
        let mut config = LintConfig::default();
        config.apply_digests("# pinned\nDEBIAN=debian:bookworm-slim@sha256:abc\n");
        assert_eq!(
            config.settings.digests["debian:bookworm-slim"],
            "sha256:abc"
        );
    }
}
