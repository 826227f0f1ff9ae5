//! The table of known base images (`data/images.toml`, compiled in; its header names the sources
//! and the date they were read) and what it says about one image reference: its OS, variant,
//! size, default user, build tools, and the smaller tag that exists for it.
//!
//! A smaller tag is offered only when the table lists the tag form (`{v}` → `{v}-slim`,
//! `{v}-{c}` → `{v}-slim-{c}`...) for that repository, never for an image pinned by digest only
//! (the digest names no variant), and never for Windows images.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;

const TABLE_TEXT: &str = include_str!("../../data/images.toml");

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    // The text is compiled in and parsed by a unit test: a failure here is a build defect.
    toml::from_str(TABLE_TEXT).expect("data/images.toml parses (tested by sizes::tests)")
});

/// How lean a base image variant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// The default, complete image.
    Full,
    /// Debian `-slim`.
    Slim,
    /// Alpine based.
    Alpine,
    /// Distroless, chiseled or scratch.
    Distroless,
    /// Other minimal images (`-minimal`, nanoserver).
    Minimal,
}

impl Variant {
    /// Slim, alpine, distroless and minimal count as small.
    #[must_use]
    pub fn is_small(self) -> bool {
        self != Self::Full
    }
}

/// The operating system of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Os {
    /// Linux (everything not known to be Windows).
    #[default]
    Linux,
    /// Windows Server Core, Nano Server and the `-windowsservercore-*` / `-nanoserver-*` tags.
    Windows,
}

#[derive(Debug, Deserialize)]
struct Table {
    windows_tag_markers: Vec<String>,
    windows_minimal_marker: String,
    windows_default_user: String,
    windows_minimal_user: String,
    nonroot_user: String,
    repository: Vec<Repository>,
}

#[derive(Debug, Deserialize)]
struct Repository {
    name: String,
    #[serde(default)]
    prefix: bool,
    #[serde(default)]
    os: Os,
    variant: Option<Variant>,
    #[serde(default)]
    sizes_mb: BTreeMap<Variant, u32>,
    tools: Option<String>,
    #[serde(default)]
    tools_in: Vec<Variant>,
    #[serde(default)]
    no_tools_tags: Vec<String>,
    default_user: Option<String>,
    nonroot_tag: Option<String>,
    #[serde(default)]
    nonroot_by_default: bool,
    #[serde(default)]
    codenames: Vec<String>,
    #[serde(default)]
    slim: Vec<[String; 2]>,
    #[serde(default)]
    alpine: Vec<[String; 2]>,
}

impl Repository {
    fn matches(&self, repository: &str) -> bool {
        if self.prefix {
            return repository.starts_with(&self.name);
        }
        // Distroless publishes each image per Debian release: `python3-debian12`.
        repository == self.name
            || repository
                .strip_prefix(&self.name)
                .and_then(|rest| rest.strip_prefix("-debian"))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }

    /// The lean forms in order of preference: slim, then alpine.
    fn lean_forms(&self) -> impl Iterator<Item = (Variant, &[String; 2])> {
        self.slim
            .iter()
            .map(|f| (Variant::Slim, f))
            .chain(self.alpine.iter().map(|f| (Variant::Alpine, f)))
    }
}

/// An image reference split into repository, tag and digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRef {
    /// Repository without registry `docker.io/` or `library/` prefixes.
    pub repository: String,
    /// Tag, if one is written.
    pub tag: Option<String>,
    /// `sha256:...`, if the reference pins a digest.
    pub digest: Option<String>,
    /// The variant read from the tag or repository.
    pub variant: Variant,
}

impl ImageRef {
    /// Split and classify `reference`.
    #[must_use]
    pub fn parse(reference: &str) -> Self {
        let (without_digest, digest) = match reference.split_once('@') {
            Some((name, digest)) => (name, Some(digest.to_owned())),
            None => (reference, None),
        };
        let (repository, tag) = match without_digest.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag.to_owned())),
            _ => (without_digest, None),
        };
        let repository = repository
            .trim_start_matches("docker.io/")
            .trim_start_matches("index.docker.io/")
            .trim_start_matches("library/")
            .to_owned();
        let lower_tag = tag.as_deref().unwrap_or_default().to_ascii_lowercase();
        let variant = if repository == "scratch"
            || repository.contains("distroless")
            || lower_tag.contains("chiseled")
            || lower_tag.contains("distroless")
        {
            Variant::Distroless
        } else if repository == "alpine" || lower_tag.contains("alpine") {
            Variant::Alpine
        } else if lower_tag.contains("slim") {
            Variant::Slim
        } else if lower_tag.contains("minimal")
            || repository.ends_with("nanoserver")
            || lower_tag.contains("nanoserver")
            || repository == "busybox"
        {
            Variant::Minimal
        } else {
            Variant::Full
        };
        Self {
            repository,
            tag,
            digest,
            variant,
        }
    }

    /// The tag, `latest` when none is written.
    #[must_use]
    pub fn tag_or_latest(&self) -> &str {
        self.tag.as_deref().unwrap_or("latest")
    }

    /// Pinned by digest with no tag: the digest names no variant.
    #[must_use]
    pub fn is_digest_only(&self) -> bool {
        self.digest.is_some() && self.tag.is_none()
    }
}

/// A tag of an image with its estimated size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizedTag {
    /// `python:3.12-slim`.
    pub name: String,
    /// Size in MB, when the table has it.
    pub size_mb: Option<u32>,
}

/// What the table says about one image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    /// The reference as written.
    pub reference: String,
    /// Its OS.
    pub os: Os,
    /// Its variant; `None` when it cannot be told (pinned by digest only, not in the table and
    /// not tagged as a small variant).
    pub variant: Option<Variant>,
    /// The table has the repository.
    pub known: bool,
    /// Pinned by digest with no tag.
    pub digest_only: bool,
    /// Size in MB of this variant.
    pub size_mb: Option<u32>,
    /// The full variant of this tag, when it is a lean tag whose full form the table lists.
    pub full: Option<SizedTag>,
    /// The smaller tag the table says exists for this tag (None for small, Windows and
    /// digest-only images).
    pub lean: Option<SizedTag>,
    /// The user a container runs as when no USER is set; `None` means root.
    pub default_user: Option<String>,
    /// The build tools the image carries, when it carries any.
    pub build_tools: Option<String>,
}

/// The table's facts about `reference`.
#[must_use]
pub fn image_facts(reference: &str) -> ImageFacts {
    let table = &*TABLE;
    let image = ImageRef::parse(reference);
    let tag = image.tag_or_latest().to_ascii_lowercase();
    let entry = table
        .repository
        .iter()
        .find(|r| !r.prefix && r.matches(&image.repository))
        .or_else(|| {
            table
                .repository
                .iter()
                .find(|r| r.prefix && r.matches(&image.repository))
        });
    let windows_tag = table.windows_tag_markers.iter().any(|m| tag.contains(m));
    let os = if windows_tag {
        Os::Windows
    } else {
        entry.map_or(Os::Linux, |e| e.os)
    };
    let variant = entry.and_then(|e| e.variant).unwrap_or(image.variant);
    let known_variant = !image.is_digest_only() || entry.is_some_and(|e| e.variant.is_some());
    let variant = (known_variant && (entry.is_some() || variant.is_small())).then_some(variant);
    let size_of = |v: Variant| entry.and_then(|e| e.sizes_mb.get(&v).copied());
    let mut default_user = entry.and_then(|e| e.default_user.clone());
    if let Some(e) = entry {
        let nonroot_tag = e.nonroot_tag.as_ref().is_some_and(|m| tag.contains(m));
        if e.nonroot_by_default || nonroot_tag {
            default_user = Some(table.nonroot_user.clone());
        }
    }
    if windows_tag {
        default_user = Some(if tag.contains(&table.windows_minimal_marker) {
            table.windows_minimal_user.clone()
        } else {
            table.windows_default_user.clone()
        });
    }
    let build_tools = entry.and_then(|e| {
        let carries = variant.is_some_and(|v| e.tools_in.contains(&v))
            && !e.no_tools_tags.iter().any(|w| tag.contains(w));
        e.tools.clone().filter(|_| carries && os == Os::Linux)
    });
    let mut full = None;
    let mut lean = None;
    if let Some(e) = entry.filter(|_| os == Os::Linux && !image.is_digest_only()) {
        let named = |tag: String, v: Variant| SizedTag {
            name: format!("{}:{tag}", image.repository),
            size_mb: size_of(v),
        };
        match variant {
            Some(Variant::Full) => {
                lean = e.lean_forms().find_map(|(v, [from, to])| {
                    let found = match_form(from, &tag, &e.codenames)?;
                    Some(named(fill(to, &found), v))
                });
            }
            Some(Variant::Slim | Variant::Alpine) => {
                full = e.lean_forms().find_map(|(v, [from, to])| {
                    if Some(v) != variant {
                        return None;
                    }
                    let found = match_form(to, &tag, &e.codenames)?;
                    Some(named(fill(from, &found), Variant::Full))
                });
            }
            _ => {}
        }
    }
    ImageFacts {
        reference: reference.to_owned(),
        os,
        known: entry.is_some(),
        digest_only: image.is_digest_only(),
        size_mb: variant.and_then(size_of),
        variant,
        full,
        lean,
        default_user,
        build_tools,
    }
}

/// The `{v}` and `{c}` a tag gives a form.
#[derive(Debug, Default)]
struct FormValues {
    version: String,
    codename: String,
}

/// Match `tag` against a form (`{v}-slim-{c}`): `{v}` is a version (digits and dots), `{c}` one
/// of `codenames`; the rest is literal.
fn match_form(form: &str, tag: &str, codenames: &[String]) -> Option<FormValues> {
    fn go(form: &str, tag: &str, codenames: &[String], values: &mut FormValues) -> bool {
        if let Some(rest) = form.strip_prefix("{v}") {
            let end = tag
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(tag.len());
            let version = &tag[..end];
            if !version.starts_with(|c: char| c.is_ascii_digit()) || version.ends_with('.') {
                return false;
            }
            values.version = version.to_owned();
            return go(rest, &tag[end..], codenames, values);
        }
        if let Some(rest) = form.strip_prefix("{c}") {
            return codenames.iter().any(|c| {
                tag.strip_prefix(c.as_str()).is_some_and(|after| {
                    values.codename.clone_from(c);
                    go(rest, after, codenames, values)
                })
            });
        }
        match form.chars().next() {
            None => tag.is_empty(),
            Some(ch) => tag
                .strip_prefix(ch)
                .is_some_and(|after| go(&form[ch.len_utf8()..], after, codenames, values)),
        }
    }
    let mut values = FormValues::default();
    go(form, tag, codenames, &mut values).then_some(values)
}

fn fill(form: &str, values: &FormValues) -> String {
    form.replace("{v}", &values.version)
        .replace("{c}", &values.codename)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_names_each_repository_once() {
        let table: Table = toml::from_str(TABLE_TEXT).unwrap();
        let mut names: Vec<&str> = table.repository.iter().map(|r| r.name.as_str()).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
        for repo in &table.repository {
            for [from, to] in repo.slim.iter().chain(&repo.alpine) {
                let uses_codename = from.contains("{c}") || to.contains("{c}");
                assert!(
                    !uses_codename || !repo.codenames.is_empty(),
                    "{}: {from}",
                    repo.name
                );
            }
        }
    }

    #[test]
    fn classifies_variants() {
        let slim = ImageRef::parse("python:3.11-slim");
        assert_eq!(
            (slim.repository.as_str(), slim.variant),
            ("python", Variant::Slim)
        );
        assert_eq!(
            ImageRef::parse("docker.io/library/node:20-alpine").variant,
            Variant::Alpine
        );
        assert_eq!(
            ImageRef::parse("gcr.io/distroless/python3").variant,
            Variant::Distroless
        );
        assert_eq!(ImageRef::parse("localhost:5000/app").tag, None);
        assert!(ImageRef::parse("golang@sha256:abc").is_digest_only());
        assert!(!ImageRef::parse("golang:1.22@sha256:abc").is_digest_only());
    }

    #[test]
    fn suggests_only_tags_of_listed_forms() {
        let lean = |r: &str| image_facts(r).lean.map(|t| t.name);
        assert_eq!(lean("python:3.12").as_deref(), Some("python:3.12-slim"));
        assert_eq!(
            lean("python:3.12-bookworm").as_deref(),
            Some("python:3.12-slim-bookworm")
        );
        assert_eq!(
            lean("node:22-bookworm").as_deref(),
            Some("node:22-bookworm-slim")
        );
        assert_eq!(lean("python").as_deref(), Some("python:slim"));
        // golang has no slim variant: its smaller tag is alpine.
        assert_eq!(lean("golang:1.22").as_deref(), Some("golang:1.22-alpine"));
        assert_eq!(
            lean("golang:1.22@sha256:abc").as_deref(),
            Some("golang:1.22-alpine")
        );
        // No tag form for these: digest only, a release no longer published, Windows, unknown.
        assert_eq!(lean("golang@sha256:abc"), None);
        assert_eq!(lean("rust:buster"), None);
        assert_eq!(lean("python:3.11-windowsservercore-ltsc2022"), None);
        assert_eq!(lean("mcr.microsoft.com/windows/servercore:ltsc2022"), None);
        assert_eq!(lean("registry.example.com/team/app:1"), None);
        // The full variant of a lean tag.
        let full = image_facts("python:3.11-slim").full.unwrap();
        assert_eq!(
            (full.name.as_str(), full.size_mb),
            ("python:3.11", Some(1000))
        );
    }

    #[test]
    fn knows_windows_distroless_and_build_tools() {
        let windows = image_facts("python:3.11-windowsservercore-ltsc2022");
        assert_eq!(windows.os, Os::Windows);
        assert_eq!(windows.build_tools, None);
        assert_eq!(
            windows.default_user.as_deref(),
            Some("ContainerAdministrator")
        );
        let nano = image_facts("mcr.microsoft.com/windows/nanoserver:ltsc2022");
        assert_eq!(
            (nano.os, nano.default_user.as_deref()),
            (Os::Windows, Some("ContainerUser"))
        );
        let distroless = image_facts("gcr.io/distroless/python3-debian12:nonroot");
        assert_eq!(distroless.variant, Some(Variant::Distroless));
        assert_eq!(distroless.size_mb, Some(55));
        assert!(distroless.default_user.unwrap().starts_with("65532"));
        assert_eq!(
            image_facts("gcr.io/distroless/static-debian12:latest").default_user,
            None
        );
        assert!(
            image_facts("cgr.dev/chainguard/python:latest")
                .default_user
                .is_some()
        );
        assert!(image_facts("rust:buster").build_tools.is_some());
        assert!(image_facts("rust:1.80-slim").build_tools.is_some());
        assert!(image_facts("python:3.12").build_tools.is_some());
        assert!(image_facts("python:3.12-slim").build_tools.is_none());
        assert!(image_facts("eclipse-temurin:21-jre").build_tools.is_none());
        let digest = image_facts("golang@sha256:abc");
        assert_eq!((digest.variant, digest.size_mb), (None, None));
        let unknown = image_facts("registry.example.com/team/app:1");
        assert_eq!((unknown.known, unknown.variant), (false, None));
    }
}
