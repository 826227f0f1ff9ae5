//! OCI image layouts on disk (`oci:DIR[:NAME]`): reading a base from one, writing an image into
//! one.
//!
//! Blobs are written under a temporary name, checked against their digest and then renamed, and
//! `index.json` is replaced last, in one rename: a layout that a failed run leaves behind holds at
//! most unreferenced blobs, never a tag that points at something missing.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::digest::{HashingWriter, sha256_hex};
use crate::image::{Document, parse_document};
use crate::{OciError, Result};

/// The `imageLayout` version this crate reads and writes.
const LAYOUT_VERSION: &str = "1.0.0";
/// The annotation that names an entry of `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// An OCI image layout directory.
#[derive(Debug, Clone)]
pub struct Layout {
    dir: PathBuf,
}

impl Layout {
    /// Opens an existing layout.
    ///
    /// # Errors
    /// [`OciError::InvalidImage`] when `dir` has no `oci-layout` file.
    pub fn open(dir: &Path) -> Result<Self> {
        let marker = dir.join("oci-layout");
        let text = fs::read(&marker).map_err(|e| OciError::InvalidImage {
            what: format!("oci:{}", dir.display()),
            message: format!("not an OCI image layout ({}: {e})", marker.display()),
        })?;
        parse_document(&marker.display().to_string(), &text)?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// Creates `dir` as an empty layout, or opens it when it is one already.
    ///
    /// # Errors
    /// [`OciError::InvalidOutput`] when `dir` exists, is not empty and is not a layout.
    pub fn create(dir: &Path) -> Result<Self> {
        if dir.join("oci-layout").is_file() {
            return Self::open(dir);
        }
        if dir.exists()
            && fs::read_dir(dir)
                .map_err(OciError::io(dir))?
                .next()
                .is_some()
        {
            return Err(OciError::InvalidOutput {
                output: format!("oci:{}", dir.display()),
                message: "the directory exists, is not empty and is not an OCI layout".to_owned(),
            });
        }
        fs::create_dir_all(dir.join("blobs").join("sha256")).map_err(OciError::io(dir))?;
        let layout = Self {
            dir: dir.to_path_buf(),
        };
        layout.replace_file(
            "oci-layout",
            &serde_json::to_vec(&json!({ "imageLayoutVersion": LAYOUT_VERSION }))
                .expect("JSON serialises"),
        )?;
        layout.replace_file(
            "index.json",
            &serde_json::to_vec(&json!({ "schemaVersion": 2, "manifests": [] }))
                .expect("JSON serialises"),
        )?;
        Ok(layout)
    }

    /// The path of a blob (whether or not it exists).
    ///
    /// # Errors
    /// [`OciError::InvalidImage`] for a digest that is not sha256.
    pub fn blob_path(&self, digest: &str) -> Result<PathBuf> {
        Ok(self
            .dir
            .join("blobs")
            .join("sha256")
            .join(sha256_hex(digest)?))
    }

    /// The layout's `index.json`.
    ///
    /// # Errors
    /// [`OciError::Io`] or [`OciError::InvalidImage`] when it cannot be read.
    pub fn index(&self) -> Result<Value> {
        let path = self.dir.join("index.json");
        let bytes = fs::read(&path).map_err(OciError::io(&path))?;
        parse_document(&path.display().to_string(), &bytes)
    }

    /// The `index.json` entry named `name` (its ref.name annotation, or a digest), or the only
    /// entry when `name` is `None`.
    ///
    /// # Errors
    /// [`OciError::InvalidImage`] when no entry, or more than one, fits.
    pub fn resolve(&self, name: Option<&str>) -> Result<Value> {
        let index = self.index()?;
        let entries = index
            .get("manifests")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let fits = |entry: &&Value| match name {
            None => true,
            Some(name) if name.starts_with("sha256:") => {
                entry.get("digest").and_then(Value::as_str) == Some(name)
            }
            Some(name) => ref_name(entry) == Some(name),
        };
        let found: Vec<&Value> = entries.iter().filter(fits).collect();
        let names: Vec<&str> = entries.iter().filter_map(ref_name).collect();
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(OciError::InvalidImage {
                what: format!("oci:{}", self.dir.display()),
                message: format!(
                    "no image named {:?} (names in index.json: {names:?})",
                    name.unwrap_or("")
                ),
            }),
            _ => Err(OciError::InvalidImage {
                what: format!("oci:{}", self.dir.display()),
                message: format!(
                    "{} images fit; name one with oci:DIR:NAME (names: {names:?})",
                    found.len()
                ),
            }),
        }
    }

    /// A small blob (a manifest or config), checked against its digest.
    ///
    /// # Errors
    /// [`OciError::Io`] or [`OciError::DigestMismatch`].
    pub fn read_blob(&self, digest: &str) -> Result<Vec<u8>> {
        let path = self.blob_path(digest)?;
        let bytes = fs::read(&path).map_err(OciError::io(&path))?;
        crate::verify::verify_bytes(&path.display().to_string(), digest, &bytes)?;
        Ok(bytes)
    }

    /// A blob as a stream.
    ///
    /// # Errors
    /// [`OciError::Io`] when it is missing.
    pub fn open_blob(&self, digest: &str) -> Result<File> {
        let path = self.blob_path(digest)?;
        File::open(&path).map_err(OciError::io(&path))
    }

    /// True when the blob is present.
    #[must_use]
    pub fn has_blob(&self, digest: &str) -> bool {
        self.blob_path(digest).is_ok_and(|p| p.is_file())
    }

    /// Writes a blob from a stream: under a temporary name, checked, then renamed. A blob that
    /// is already there is not written again.
    ///
    /// # Errors
    /// [`OciError::Io`] or [`OciError::DigestMismatch`] (nothing is left behind then).
    pub fn write_blob(&self, digest: &str, mut reader: impl Read) -> Result<()> {
        let path = self.blob_path(digest)?;
        if path.is_file() {
            return Ok(());
        }
        let mut temporary = tempfile::NamedTempFile::new_in(self.dir.join("blobs").join("sha256"))
            .map_err(OciError::io(&path))?;
        let mut writer = HashingWriter::new(io::BufWriter::new(temporary.as_file_mut()));
        io::copy(&mut reader, &mut writer).map_err(OciError::io(&path))?;
        let (buffered, actual, _) = writer.finish();
        buffered.into_inner().map_err(|e| OciError::Io {
            path: path.clone(),
            source: e.into_error(),
        })?;
        if actual != digest {
            return Err(OciError::DigestMismatch {
                what: format!("blob written to {}", path.display()),
                expected: digest.to_owned(),
                actual,
            });
        }
        temporary
            .persist(&path)
            .map_err(|e| OciError::io(&path)(e.error))?;
        Ok(())
    }

    /// Moves a finished file (the spooled model layer) into the layout as a blob.
    ///
    /// # Errors
    /// [`OciError::Io`].
    pub fn adopt_blob(&self, digest: &str, file: tempfile::NamedTempFile) -> Result<()> {
        let path = self.blob_path(digest)?;
        if path.is_file() {
            return Ok(());
        }
        match file.persist(&path) {
            Ok(_) => Ok(()),
            // Another filesystem: copy instead.
            Err(e) => self.write_blob(
                digest,
                File::open(e.file.path()).map_err(OciError::io(&path))?,
            ),
        }
    }

    /// Writes a document as a blob.
    ///
    /// # Errors
    /// [`OciError::Io`].
    pub fn write_document(&self, document: &Document) -> Result<()> {
        self.write_blob(&document.digest, &document.bytes[..])
    }

    /// Points `index.json` at `document`, named `name`: an entry with the same name is
    /// replaced, other entries are kept.
    ///
    /// # Errors
    /// [`OciError::Io`].
    pub fn tag(&self, document: &Document, name: &str) -> Result<()> {
        let mut index = self.index()?;
        let entry = json!({
            "mediaType": document.media_type,
            "digest": document.digest,
            "size": document.bytes.len(),
            "annotations": { REF_NAME: name },
        });
        let manifests = index
            .as_object_mut()
            .expect("parse_document checked an object")
            .entry("manifests")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = manifests.as_array_mut() {
            list.retain(|e| ref_name(e) != Some(name));
            list.push(entry);
        }
        self.replace_file(
            "index.json",
            &serde_json::to_vec(&index).expect("JSON serialises"),
        )
    }

    /// Writes a file of the layout's top directory in one rename.
    fn replace_file(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(name);
        let mut temporary =
            tempfile::NamedTempFile::new_in(&self.dir).map_err(OciError::io(&path))?;
        temporary.write_all(bytes).map_err(OciError::io(&path))?;
        temporary
            .persist(&path)
            .map_err(|e| OciError::io(&path)(e.error))?;
        Ok(())
    }
}

/// The ref.name annotation of an index entry.
fn ref_name(entry: &Value) -> Option<&str> {
    entry.get("annotations")?.get(REF_NAME)?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_is_created_written_tagged_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("out");
        let layout = Layout::create(&root).unwrap();
        let document = Document {
            media_type: crate::image::OCI_MANIFEST.into(),
            bytes: b"{}".to_vec(),
            digest: crate::digest::sha256_digest(b"{}"),
        };
        layout.write_document(&document).unwrap();
        layout.tag(&document, "v1").unwrap();
        layout.tag(&document, "v2").unwrap();
        layout.tag(&document, "v1").unwrap();
        let reopened = Layout::open(&root).unwrap();
        let entry = reopened.resolve(Some("v1")).unwrap();
        assert_eq!(entry["digest"], json!(document.digest));
        assert_eq!(
            reopened.index().unwrap()["manifests"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert!(
            reopened
                .resolve(None)
                .unwrap_err()
                .to_string()
                .contains("2 images fit")
        );
        assert!(
            reopened
                .resolve(Some("v3"))
                .unwrap_err()
                .to_string()
                .contains("no image named \"v3\"")
        );
        assert_eq!(reopened.read_blob(&document.digest).unwrap(), b"{}");
    }

    #[test]
    fn a_blob_with_the_wrong_digest_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::create(dir.path()).unwrap();
        let wrong = crate::digest::sha256_digest(b"other");
        assert!(matches!(
            layout.write_blob(&wrong, &b"bytes"[..]),
            Err(OciError::DigestMismatch { .. })
        ));
        assert!(!layout.has_blob(&wrong));
        let leftovers = fs::read_dir(dir.path().join("blobs/sha256"))
            .unwrap()
            .count();
        assert_eq!(leftovers, 0);
    }

    #[test]
    fn a_non_empty_directory_that_is_not_a_layout_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("file"), b"x").unwrap();
        assert!(Layout::create(dir.path()).is_err());
        assert!(Layout::open(dir.path()).is_err());
    }
}
