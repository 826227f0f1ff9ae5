//! The rule catalogue, one module per rule, grouped by origin: `hadolint` (DL codes),
//! `docker` (Docker's build checks, their names kept) and `brt` (berth's own, BRT codes; named
//! by the code so as not to share the binary's name). This module holds the helpers several
//! rules share; each rule file holds its docs, metadata, check and tests.
//!
//! A rule file declares `pub(crate) static META: RuleMeta` with its folder's constructor
//! ([`RuleMeta::hadolint`], [`RuleMeta::docker`], [`RuleMeta::berth`]), which takes only what
//! is the rule's own (code, name, severity, summary, [`docs!`]) and sets the defaults for the
//! rest: on by default, not run on `ONBUILD` triggers, no twin. A rule that differs says so
//! with a modifier: `.off_by_default()`, `.on_onbuild_triggers()`, `.twin_of("DL3025")`. It
//! also declares `pub(crate) fn new(&RuleSettings) -> Box<dyn Rule>`, and is listed in its
//! folder's `rule_modules!`.
//!
//! [`RuleMeta::hadolint`]: crate::rule::RuleMeta::hadolint
//! [`RuleMeta::docker`]: crate::rule::RuleMeta::docker
//! [`RuleMeta::berth`]: crate::rule::RuleMeta::berth

/// Declare a folder's rule modules and list their registry entries, so that a rule is named
/// once: a module listed here is a rule, and every rule is listed here. Each module provides
/// `META` (its [`RuleMeta`](crate::rule::RuleMeta), built with its origin's constructor) and
/// `new`.
macro_rules! rule_modules {
    ($($rule:ident),* $(,)?) => {
        $(pub(crate) mod $rule;)*

        /// This folder's rules, in the order listed.
        pub(crate) const ENTRIES: &[crate::registry::RuleEntry] = &[
            $(crate::registry::RuleEntry { meta: &$rule::META, new: $rule::new }),*
        ];
    };
}

pub(crate) mod brt;
pub(crate) mod docker;
pub(crate) mod hadolint;

use berth_dockerfile::Instruction;
use berth_dockerfile::instruction::InstructionKind;

/// Write a rule's docs with the fixed headings.
macro_rules! docs {
    (what: $what:literal, why: $why:literal, bad: $bad:literal, good: $good:literal $(,)?) => {
        concat!(
            "## What it does\n",
            $what,
            "\n\n## Why is this bad?\n",
            $why,
            "\n\n## Example\n```dockerfile\n",
            $bad,
            "\n```\n\n## Use instead\n```dockerfile\n",
            $good,
            "\n```\n"
        )
    };
}
pub(crate) use docs;

/// Quotes around a word removed (hadolint's `dropQuotes`).
pub(crate) fn drop_quotes(text: &str) -> &str {
    text.trim_matches(['"', '\''])
}

/// `C:\...` or `c:/...`.
pub(crate) fn is_windows_absolute(path: &str) -> bool {
    let mut chars = path.chars();
    matches!((chars.next(), chars.next()), (Some(d), Some(':')) if d.is_alphabetic())
}

/// File name extensions of archives that `ADD` extracts.
pub(crate) const ARCHIVE_EXTENSIONS: [&str; 15] = [
    ".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2", ".tbz", ".tbz2", ".tgz", ".tlz",
    ".tpz", ".txz", ".xz",
];

/// The path names an archive.
pub(crate) fn is_archive(path: &str) -> bool {
    let path = drop_quotes(path);
    ARCHIVE_EXTENSIONS.iter().any(|e| path.ends_with(e))
}

/// An `http://` or `https://` URL.
pub(crate) fn is_url(path: &str) -> bool {
    let path = drop_quotes(path);
    path.starts_with("https://") || path.starts_with("http://")
}

/// RUN has a cache or tmpfs mount whose target contains `fragment`.
pub(crate) fn has_cache_mount(ins: &Instruction, fragment: &str) -> bool {
    let InstructionKind::Run { mounts, .. } = &ins.kind else {
        return false;
    };
    mounts.iter().any(|m| {
        matches!(m.kind.as_str(), "cache" | "tmpfs")
            && m.target.as_deref().is_some_and(|t| t.contains(fragment))
    })
}

/// An image reference split the way hadolint reads FROM: `[registry/]name[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// Registry host, when the first component looks like one.
    pub(crate) registry: Option<&'a str>,
    /// Repository path without registry.
    pub(crate) name: &'a str,
    /// Name with registry, as written, without tag and digest.
    pub(crate) full_name: &'a str,
    /// Tag.
    pub(crate) tag: Option<&'a str>,
    /// Digest.
    pub(crate) digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub(crate) fn parse(text: &'a str) -> Self {
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (text, None),
        };
        let slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (full_name, tag) = match rest[slash..].rfind(':') {
            Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..])),
            None => (rest, None),
        };
        let (registry, name) = match full_name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first), path)
            }
            _ => (None, full_name),
        };
        Self {
            registry,
            name,
            full_name,
            tag,
            digest,
        }
    }
}

/// FROM's image text and stage name as written (not lower-cased), if `ins` is a FROM.
pub(crate) fn from_parts(ins: &Instruction) -> Option<(&str, Option<&str>)> {
    match &ins.kind {
        InstructionKind::From { image, name, .. } => Some((
            image.value.as_str(),
            name.as_ref().map(|n| {
                ins.node
                    .args
                    .get(2)
                    .map_or(n.value.as_str(), |a| a.value.as_str())
            }),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_refs() {
        let r = ImageRef::parse("gcr.io/proj/app:1.2@sha256:ab");
        assert_eq!(r.registry, Some("gcr.io"));
        assert_eq!(r.name, "proj/app");
        assert_eq!(r.tag, Some("1.2"));
        assert_eq!(r.digest, Some("sha256:ab"));
        let r = ImageRef::parse("localhost:5000/app");
        assert_eq!(
            (r.registry, r.name, r.tag),
            (Some("localhost:5000"), "app", None)
        );
        assert_eq!(ImageRef::parse("debian").tag, None);
    }
}

/// What every rule file imports.
#[allow(unused_imports)]
pub(crate) mod prelude {
    pub(crate) use super::{
        ImageRef, docs, drop_quotes, from_parts, has_cache_mount, is_archive, is_url,
        is_windows_absolute,
    };
    pub(crate) use crate::rule::{
        Checker, LabelFormat, Origin, Rule, RuleMeta, RuleSettings, Severity, ShellRule, Simple,
        Step,
    };
    pub(crate) use crate::shell::{Command, Script};
    pub(crate) use berth_dockerfile::Instruction;
    pub(crate) use berth_dockerfile::instruction::{CommandLine, Health, InstructionKind};
}
