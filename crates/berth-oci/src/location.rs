//! Where images are read from and written to: a registry reference, `oci:DIR[:NAME]` or
//! `docker-archive:FILE`, parsed in one place.

use std::path::PathBuf;

use oci_spec::distribution::Reference;

use crate::{OciError, Result};

/// Where an image is read from or written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A registry reference.
    Registry(Reference),
    /// `oci:DIR[:NAME]`.
    Layout {
        /// The layout directory.
        dir: PathBuf,
        /// The entry's name (ref.name annotation) or digest.
        name: Option<String>,
    },
    /// `docker-archive:FILE`.
    DockerArchive(PathBuf),
}

impl Location {
    /// Parses `oci:DIR[:NAME]`, `docker-archive:FILE` or a registry reference.
    ///
    /// # Errors
    /// [`OciError::InvalidReference`] or [`OciError::InvalidOutput`].
    pub fn parse(text: &str) -> Result<Self> {
        if let Some(rest) = text.strip_prefix("oci:") {
            let (dir, name) = match rest.rsplit_once(':') {
                Some((dir, name)) if !name.contains('/') && !name.is_empty() => {
                    (dir, Some(name.to_owned()))
                }
                _ => (rest, None),
            };
            if dir.is_empty() {
                return Err(OciError::InvalidOutput {
                    output: text.to_owned(),
                    message: "expected oci:DIR or oci:DIR:NAME".to_owned(),
                });
            }
            return Ok(Self::Layout {
                dir: PathBuf::from(dir),
                name,
            });
        }
        if let Some(file) = text.strip_prefix("docker-archive:") {
            if file.is_empty() {
                return Err(OciError::InvalidOutput {
                    output: text.to_owned(),
                    message: "expected docker-archive:FILE".to_owned(),
                });
            }
            return Ok(Self::DockerArchive(PathBuf::from(file)));
        }
        parse_reference(text).map(Self::Registry)
    }
}

/// Parses a registry reference (`registry/repository[:tag][@sha256:...]`).
///
/// # Errors
/// [`OciError::InvalidReference`] saying what a reference looks like.
pub fn parse_reference(text: &str) -> Result<Reference> {
    text.parse::<Reference>()
        .map_err(|e| OciError::InvalidReference {
            reference: text.to_owned(),
            message: format!(
                "{e}; expected REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST] with a lower-case \
                 repository, e.g. 127.0.0.1:5000/models/iris:1"
            ),
        })
}

/// `name:tag` as `docker images` shows it: Docker Hub's registry and `library/` left out.
pub(crate) fn familiar_name(reference: &Reference) -> String {
    let repository = reference.repository();
    let name = if reference.registry() == "docker.io" {
        repository
            .strip_prefix("library/")
            .unwrap_or(repository)
            .to_owned()
    } else {
        format!("{}/{repository}", reference.registry())
    };
    format!("{name}:{}", reference.tag().unwrap_or("latest"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse() {
        assert_eq!(
            Location::parse("oci:/tmp/x:v1").unwrap(),
            Location::Layout {
                dir: "/tmp/x".into(),
                name: Some("v1".into())
            }
        );
        assert_eq!(
            Location::parse("oci:out").unwrap(),
            Location::Layout {
                dir: "out".into(),
                name: None
            }
        );
        assert_eq!(
            Location::parse("docker-archive:/tmp/a.tar").unwrap(),
            Location::DockerArchive("/tmp/a.tar".into())
        );
        let Location::Registry(reference) = Location::parse("127.0.0.1:5000/m/iris:1").unwrap()
        else {
            panic!()
        };
        assert_eq!(reference.registry(), "127.0.0.1:5000");
        assert_eq!(reference.repository(), "m/iris");
        assert_eq!(reference.tag(), Some("1"));
        for bad in ["oci:", "docker-archive:", "Upper/Case:1", "a b", "x:y:z:w"] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn familiar_names() {
        let name = |s: &str| familiar_name(&parse_reference(s).unwrap());
        assert_eq!(name("iris:1"), "iris:1");
        assert_eq!(name("docker.io/me/iris"), "me/iris:latest");
        assert_eq!(name("127.0.0.1:5000/m/iris:2"), "127.0.0.1:5000/m/iris:2");
    }
}
