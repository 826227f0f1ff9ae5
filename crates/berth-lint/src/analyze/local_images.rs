//! Base images built by Dockerfiles beside the analyzed one (the five-image chain of
//! `container/`), and what the analysis knows about any base image ([`BaseFacts`]).
//!
//! Matching rule: an image reference that is not in the table, pins no digest,
//! and whose last path component, without tag, is `<suffix>` or ends with `-<suffix>` is built
//! by the sibling file `Dockerfile.<suffix>` or `<suffix>.Dockerfile`; the longest suffix wins,
//! and a file whose own base is that same repository (`Dockerfile.fedora` on `fedora:40`) is not
//! its builder. So `FROM alpine:3.20` beside a `Dockerfile.alpine` stays the official image. So
//! `localhost/berth-base-runner:latest` is built by `container/Dockerfile.base-runner` (not
//! `Dockerfile.runner`), as `container/images.mk` tags them (`$(IMAGE_PREFIX)-<suffix>`). That
//! Dockerfile's final stage gives the facts: its last USER (else its own base's default user),
//! its last HEALTHCHECK (inherited), its base's OS and variant (`FROM scratch` counts as
//! distroless), and the build tools of its base or the compilers it installs; its own base is
//! followed the same way (up to [`LOCAL_CHAIN_LIMIT`] files, with its ARG defaults). Its size is
//! not known: no estimate. Other directories of such Dockerfiles are added with
//! [`LocalImages::add_directory`] (`berth analyze --base-dir DIR`); the lint rules, which see one
//! file, judge bases by name and the table only.

use super::*;

/// How many Dockerfiles a chain of local base images is followed through.
pub const LOCAL_CHAIN_LIMIT: usize = 8;

/// A Dockerfile that builds an image this analysis may meet as a base.
#[derive(Debug, Clone)]
pub(crate) struct LocalDockerfile {
    /// `base-runner` of `Dockerfile.base-runner`.
    pub(crate) suffix: String,
    /// The path as shown in reasons (`container/Dockerfile.base-runner`).
    pub(crate) path: String,
    pub(crate) file: Dockerfile,
}

/// Dockerfiles beside the analyzed one, by the image name suffix they build.
#[derive(Debug, Clone, Default)]
pub struct LocalImages {
    pub(crate) files: Vec<LocalDockerfile>,
}

impl LocalImages {
    /// The parsable `Dockerfile.<suffix>` and `<suffix>.Dockerfile` files in the directory of
    /// `analyzed`, except `analyzed` itself. Files that cannot be read or parsed are left out:
    /// their images are then judged by name, as any other.
    #[must_use]
    pub fn beside(analyzed: &Path) -> Self {
        let dir = match analyzed.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut images = Self::default();
        // No directory listing: no local images, and every base is judged by its name.
        let _ = images.add_directory(dir, Some(analyzed));
        images
    }

    /// Also the Dockerfiles of `dir` (`--base-dir`), after those already read: on an equal
    /// suffix the earlier file wins. `skip` is the analyzed file.
    ///
    /// # Errors
    /// The directory cannot be listed.
    pub fn add_directory(&mut self, dir: &Path, skip: Option<&Path>) -> std::io::Result<()> {
        let skip = skip.and_then(|p| p.canonicalize().ok());
        let mut sources = Vec::new();
        for entry in std::fs::read_dir(dir)?.flatten() {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if Self::suffix_of(&name).is_none()
                || (skip.is_some() && path.canonicalize().ok() == skip)
            {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(&path) {
                sources.push((dir.join(name).display().to_string(), text));
            }
        }
        sources.sort();
        self.files.extend(Self::from_sources(sources).files);
        Ok(())
    }

    /// From `(path, text)` pairs; the suffix is read from each path's file name.
    #[must_use]
    pub fn from_sources(sources: impl IntoIterator<Item = (String, String)>) -> Self {
        let files = sources
            .into_iter()
            .filter_map(|(path, text)| {
                let name = path.rsplit(['/', '\\']).next().unwrap_or(&path);
                let suffix = Self::suffix_of(name)?.to_owned();
                let file = berth_dockerfile::parse(&text).ok()?;
                Some(LocalDockerfile { suffix, path, file })
            })
            .collect();
        Self { files }
    }

    /// `base-runner` of `Dockerfile.base-runner` or `base-runner.Dockerfile`.
    pub(crate) fn suffix_of(file_name: &str) -> Option<&str> {
        file_name
            .strip_prefix("Dockerfile.")
            .or_else(|| file_name.strip_suffix(".Dockerfile"))
            .filter(|s| !s.is_empty())
    }

    /// The Dockerfile that builds `image`, by the rule of the module doc.
    pub(crate) fn builder_of(&self, image: &str) -> Option<&LocalDockerfile> {
        if image.contains('@') || image_facts(image).known {
            return None;
        }
        let last = image.rsplit('/').next().unwrap_or(image);
        let last = last.split(':').next().unwrap_or(last);
        let mut best: Option<&LocalDockerfile> = None;
        for file in &self.files {
            let matches = last == file.suffix || last.ends_with(&format!("-{}", file.suffix));
            if matches && best.is_none_or(|b| file.suffix.len() > b.suffix.len()) {
                best = Some(file);
            }
        }
        best
    }

    /// The facts of `image`: from the Dockerfile that builds it, else from the table.
    pub(crate) fn facts(&self, image: &str) -> BaseFacts {
        self.facts_within(image, LOCAL_CHAIN_LIMIT)
    }

    pub(crate) fn facts_within(&self, image: &str, budget: usize) -> BaseFacts {
        let table = BaseFacts {
            table: image_facts(image),
            built_by: None,
            healthcheck: false,
        };
        let Some(local) = self.builder_of(image).filter(|_| budget > 0) else {
            return table;
        };
        let Ok(graph) = local.file.stage_graph(&BuildOptions {
            allow_unresolved_bases: true,
            ..BuildOptions::default()
        }) else {
            return table;
        };
        let repository = |reference: &str| ImageRef::parse(reference).repository;
        let (parent, parent_healthcheck) = match graph.root_base(graph.target) {
            Some(Base::Image(parent)) if repository(parent) == repository(image) => return table,
            Some(Base::Image(parent)) => {
                let parent = self.facts_within(parent, budget - 1);
                (parent.table, parent.healthcheck)
            }
            Some(Base::Scratch) => (
                ImageFacts {
                    variant: Some(Variant::Distroless),
                    known: true,
                    ..image_facts("scratch")
                },
                false,
            ),
            _ => return table,
        };
        let facts = Facts::gather(&local.file, &graph);
        let healthcheck = match last_healthcheck(&facts) {
            Some((health, _)) => matches!(health, Health::Cmd { .. }),
            None => parent_healthcheck,
        };
        let user = last_user(&facts).map(|step| step.expanded.first().cloned().unwrap_or_default());
        let installed: Vec<String> = excluded_items(&facts.final_steps)
            .into_iter()
            .filter(|item| BUILD_TOOL_ITEMS.contains(&item.item.as_str()))
            .map(|item| item.item)
            .collect();
        let build_tools = parent.build_tools.clone().or_else(|| {
            (!installed.is_empty())
                .then(|| format!("{} (installed by {})", installed.join(", "), local.path))
        });
        BaseFacts {
            table: ImageFacts {
                reference: image.to_owned(),
                os: parent.os,
                variant: parent.variant,
                known: true,
                digest_only: false,
                size_mb: None,
                full: None,
                lean: None,
                default_user: user.or(parent.default_user),
                build_tools,
            },
            built_by: Some((local.path.clone(), parent.reference)),
            healthcheck,
        }
    }
}

/// What the analysis knows about a base image.
#[derive(Debug, Clone)]
pub(crate) struct BaseFacts {
    /// From the table, or made from the Dockerfile that builds it.
    pub(crate) table: ImageFacts,
    /// The Dockerfile beside this one that builds it, and that file's own base.
    pub(crate) built_by: Option<(String, String)>,
    /// That Dockerfile leaves a HEALTHCHECK CMD in the image, which images on it inherit.
    pub(crate) healthcheck: bool,
}
