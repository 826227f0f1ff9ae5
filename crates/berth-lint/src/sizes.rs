//! The base-image size table (`data/base-images.tsv`, compiled in) and the classification of an
//! image reference into repository and variant (full, slim, alpine, distroless, minimal).

use serde::Serialize;

const TABLE: &str = include_str!("../data/base-images.tsv");

/// How lean a base image variant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "full" => Self::Full,
            "slim" => Self::Slim,
            "alpine" => Self::Alpine,
            "distroless" => Self::Distroless,
            "minimal" => Self::Minimal,
            _ => return None,
        })
    }

    /// Slim, alpine, distroless and minimal count as small.
    #[must_use]
    pub fn is_small(self) -> bool {
        self != Self::Full
    }
}

/// An image reference split for the size table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRef {
    /// Repository without registry `docker.io/` or `library/` prefixes.
    pub repository: String,
    /// Tag (`latest` when none), digest dropped.
    pub tag: String,
    /// The variant read from the tag or repository.
    pub variant: Variant,
}

impl ImageRef {
    /// Split and classify `reference`.
    #[must_use]
    pub fn parse(reference: &str) -> Self {
        let without_digest = reference.split('@').next().unwrap_or(reference);
        let (repository, tag) = match without_digest.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, tag),
            _ => (without_digest, "latest"),
        };
        let repository = repository
            .trim_start_matches("docker.io/")
            .trim_start_matches("index.docker.io/")
            .trim_start_matches("library/")
            .to_owned();
        let lower_tag = tag.to_ascii_lowercase();
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
            || repository == "busybox"
        {
            Variant::Minimal
        } else {
            Variant::Full
        };
        Self {
            repository,
            tag: tag.to_owned(),
            variant,
        }
    }

    /// The tag of the full variant: `3.11-slim-bookworm` → `3.11`.
    #[must_use]
    pub fn full_tag(&self) -> String {
        let mut tag = self.tag.clone();
        for marker in ["-slim", "-alpine", "slim", "alpine"] {
            if let Some(index) = tag.find(marker) {
                tag.truncate(index);
            }
        }
        let tag = tag.trim_end_matches(['-', '.']).to_owned();
        if tag.is_empty() {
            "latest".to_owned()
        } else {
            tag
        }
    }

    /// The name of this repository's full variant (`python:3.11`).
    #[must_use]
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.repository, self.full_tag())
    }

    /// The name of this repository's slim variant (`python:3.11-slim`).
    #[must_use]
    pub fn slim_name(&self) -> String {
        let full = self.full_tag();
        if full == "latest" {
            format!("{}:slim", self.repository)
        } else {
            format!("{}:{full}-slim", self.repository)
        }
    }
}

/// Size in MB of `repository` in `variant`, from the table.
#[must_use]
pub fn size_mb(repository: &str, variant: Variant) -> Option<u32> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut cols = l.split('\t');
            Some((
                cols.next()?,
                Variant::parse(cols.next()?)?,
                cols.next()?.trim().parse::<u32>().ok()?,
            ))
        })
        .find(|(repo, v, _)| *repo == repository && *v == variant)
        .map(|(_, _, size)| size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_variants() {
        let slim = ImageRef::parse("python:3.11-slim");
        assert_eq!(
            (slim.repository.as_str(), slim.variant),
            ("python", Variant::Slim)
        );
        assert_eq!(slim.full_name(), "python:3.11");
        assert_eq!(
            ImageRef::parse("docker.io/library/node:20-alpine").variant,
            Variant::Alpine
        );
        assert_eq!(
            ImageRef::parse("gcr.io/distroless/python3").variant,
            Variant::Distroless
        );
        assert_eq!(ImageRef::parse("localhost:5000/app").tag, "latest");
    }

    #[test]
    fn table_has_python() {
        assert_eq!(size_mb("python", Variant::Full), Some(1000));
        assert_eq!(size_mb("python", Variant::Slim), Some(150));
        assert_eq!(size_mb("nope", Variant::Full), None);
    }
}
