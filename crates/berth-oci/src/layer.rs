//! The model layer: a reproducible tar of the model's files under the runner's model directory,
//! compressed with a pinned compressor, hashed while it is written.
//!
//! Reproducible means the same files give the same bytes on any machine: entries sorted by
//! path, every parent directory written explicitly, owner 0:0 with no user or group names,
//! directories 0755 and files 0444 (root-owned and read-only, readable by the runner's
//! unprivileged user), one modification time for every entry (`SOURCE_DATE_EPOCH`, else 0),
//! and gzip with a fixed level, no file name and a zero time in its header. The compressor is
//! flate2's pure-Rust backend at the version in `Cargo.lock`, so its output does not depend on
//! the machine's zlib.
//!
//! Files are streamed from disk through the tar writer, the compressor and two hashers (the
//! uncompressed `diff_id` and the compressed digest): packaging a 1 GB model holds a buffer, not
//! the model.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

use flate2::{Compression, GzBuilder};

use crate::digest::{HashingReader, HashingWriter};
use crate::stored_gzip::StoredGzip;
use crate::{OciError, Result};

/// The gzip level of a compressed model layer. Model weights are mostly incompressible floats:
/// on 200 MB of them level 1 took about 1 s and level 6 about 6 s here, for sizes within 1% of
/// each other (docs/package.md). The level is part of the layer's digest, so it never changes
/// silently.
pub const GZIP_LEVEL: u32 = 1;

/// How the model layer's tar is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LayerCompression {
    /// The tar as it is: no compression time when packaging, none when pulling; the blob's
    /// digest is its `diff_id`.
    #[default]
    None,
    /// gzip whose deflate stream is stored blocks (no compression): the gzip a docker-format
    /// image requires, at the cost of a copy.
    Store,
    /// gzip at [`GZIP_LEVEL`].
    Gzip,
}

impl LayerCompression {
    /// True when the blob is gzip (whether or not its blocks are compressed).
    #[must_use]
    pub fn is_gzip(self) -> bool {
        matches!(self, Self::Store | Self::Gzip)
    }
}

/// Mode of every directory of the layer.
const DIRECTORY_MODE: u32 = 0o755;
/// Mode of every file of the layer: read-only for everybody, owned by root.
const FILE_MODE: u32 = 0o444;
/// The gzip header's "operating system" byte: unknown, so that no build machine shows through.
const GZIP_OS_UNKNOWN: u8 = 255;

/// One file of the layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerFile {
    /// Where the file is read from.
    pub source: PathBuf,
    /// Its path inside the model directory (a file name, or a relative path such as
    /// `weights/part1.bin` for external data in a subdirectory).
    pub name: String,
}

/// What the layer is made of.
#[derive(Debug, Clone)]
pub struct LayerSpec<'a> {
    /// The directory inside the image, without leading `/` (for example `opt/ml/model`).
    pub directory: &'a str,
    /// The files, in any order.
    pub files: &'a [LayerFile],
    /// Modification time of every entry, seconds since the epoch.
    pub mtime: u64,
    /// How the tar is stored.
    pub compression: LayerCompression,
}

/// The digests of a written layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerDigests {
    /// `sha256:` of the uncompressed tar (the config's `rootfs.diff_ids` entry).
    pub diff_id: String,
    /// `sha256:` of the compressed blob (the manifest's layer digest).
    pub digest: String,
    /// Size of the compressed blob in bytes.
    pub size: u64,
    /// Size of the uncompressed tar in bytes.
    pub uncompressed_size: u64,
    /// `sha256:` of each file's content, by name, in layer order.
    pub files: Vec<(String, String)>,
}

/// Writes the layer to `out` and returns its digests.
///
/// # Errors
/// [`OciError::Io`] when a file cannot be read or `out` cannot be written;
/// [`OciError::InvalidOutput`] for a file name that would leave the directory.
pub fn write_layer(spec: &LayerSpec<'_>, out: impl Write) -> Result<LayerDigests> {
    let mut files: Vec<&LayerFile> = spec.files.iter().collect();
    for file in &files {
        check_name(&file.name)?;
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(pair) = files.windows(2).find(|pair| pair[0].name == pair[1].name) {
        return Err(OciError::InvalidOutput {
            output: pair[0].name.clone(),
            message: "two files of the model have the same name".to_owned(),
        });
    }
    let mut directories = BTreeSet::new();
    let mut parent = String::new();
    for part in spec.directory.split('/').filter(|p| !p.is_empty()) {
        parent = if parent.is_empty() {
            part.to_owned()
        } else {
            format!("{parent}/{part}")
        };
        directories.insert(parent.clone());
    }
    let root = parent;
    for file in &files {
        let mut path = root.clone();
        let parts: Vec<&str> = file.name.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            path = format!("{path}/{part}");
            directories.insert(path.clone());
        }
    }
    // One sorted list of every entry: directories sort before what they hold because a
    // directory's path with '/' appended is a prefix of its entries' paths.
    let mut entries: Vec<(String, Option<&LayerFile>)> = directories
        .into_iter()
        .map(|d| (format!("{d}/"), None))
        .chain(
            files
                .iter()
                .map(|f| (format!("{root}/{}", f.name), Some(*f))),
        )
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));

    let encoder = match spec.compression {
        // The blob is the tar: its digest is the diff_id, hashed once below.
        LayerCompression::None => Encoder::Plain(HashingWriter::counting(out)),
        LayerCompression::Store => Encoder::Stored(StoredGzip::new(HashingWriter::new(out))),
        LayerCompression::Gzip => Encoder::Gzip(
            GzBuilder::new()
                .mtime(0)
                .operating_system(GZIP_OS_UNKNOWN)
                .write(HashingWriter::new(out), Compression::new(GZIP_LEVEL)),
        ),
    };
    let uncompressed = HashingWriter::new(io::BufWriter::with_capacity(1 << 20, encoder));
    let mut builder = tar::Builder::new(uncompressed);
    let mut file_digests = Vec::with_capacity(files.len());
    for (path, file) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(spec.mtime);
        let write_error = |source| OciError::Io {
            path: PathBuf::from(&path),
            source,
        };
        match file {
            None => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(DIRECTORY_MODE);
                header.set_size(0);
                builder
                    .append_data(&mut header, &path, io::empty())
                    .map_err(write_error)?;
            }
            Some(file) => {
                let source = File::open(&file.source).map_err(OciError::io(&file.source))?;
                let length = source.metadata().map_err(OciError::io(&file.source))?.len();
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(FILE_MODE);
                header.set_size(length);
                let mut reader = HashingReader::new(BufReader::with_capacity(1 << 20, source));
                builder
                    .append_data(&mut header, &path, &mut reader)
                    .map_err(|e| read_or_write_error(e, &file.source, &path))?;
                let (digest, read) = reader.finish();
                if read != length {
                    return Err(OciError::Io {
                        path: file.source.clone(),
                        source: io::Error::other("the file changed size while it was packaged"),
                    });
                }
                file_digests.push((file.name.clone(), digest));
            }
        }
    }
    let uncompressed = builder.into_inner().map_err(OciError::io("model layer"))?;
    let (buffered, diff_id, uncompressed_size) = uncompressed.finish();
    let encoder = buffered.into_inner().map_err(|e| OciError::Io {
        path: PathBuf::from("model layer"),
        source: e.into_error(),
    })?;
    let compressed = encoder.finish().map_err(OciError::io("model layer"))?;
    let (mut out, digest, size) = compressed.finish();
    let digest = if digest.is_empty() {
        diff_id.clone()
    } else {
        digest
    };
    out.flush().map_err(OciError::io("model layer"))?;
    Ok(LayerDigests {
        diff_id,
        digest,
        size,
        uncompressed_size,
        files: file_digests,
    })
}

/// The stage between the tar and the output.
enum Encoder<W: Write> {
    Plain(HashingWriter<W>),
    Stored(StoredGzip<HashingWriter<W>>),
    Gzip(flate2::write::GzEncoder<HashingWriter<W>>),
}

impl<W: Write> Encoder<W> {
    fn finish(self) -> io::Result<HashingWriter<W>> {
        match self {
            Self::Plain(inner) => Ok(inner),
            Self::Stored(encoder) => encoder.finish(),
            Self::Gzip(encoder) => encoder.finish(),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(inner) => inner.write(buf),
            Self::Stored(encoder) => encoder.write(buf),
            Self::Gzip(encoder) => encoder.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(inner) => inner.flush(),
            Self::Stored(encoder) => encoder.flush(),
            Self::Gzip(encoder) => encoder.flush(),
        }
    }
}

/// An error of `append_data`, which reads the file and writes the layer: named after the file.
fn read_or_write_error(error: io::Error, source: &Path, path: &str) -> OciError {
    let _ = path;
    OciError::Io {
        path: source.to_path_buf(),
        source: error,
    }
}

/// A name inside the model directory: relative, no `.`/`..` parts, no empty parts.
fn check_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.starts_with('/')
        || name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        return Err(OciError::InvalidOutput {
            output: name.to_owned(),
            message: "a model file's name must be a relative path inside the model directory"
                .to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn write_files(dir: &Path, files: &[(&str, &[u8])]) -> Vec<LayerFile> {
        files
            .iter()
            .map(|(name, bytes)| {
                let source = dir.join(name.replace('/', "_"));
                std::fs::write(&source, bytes).unwrap();
                LayerFile {
                    source,
                    name: (*name).to_owned(),
                }
            })
            .collect()
    }

    fn layer(files: &[LayerFile], mtime: u64) -> (Vec<u8>, LayerDigests) {
        layer_with(files, mtime, LayerCompression::Gzip)
    }

    fn layer_with(
        files: &[LayerFile],
        mtime: u64,
        compression: LayerCompression,
    ) -> (Vec<u8>, LayerDigests) {
        let mut out = Vec::new();
        let digests = write_layer(
            &LayerSpec {
                directory: "opt/ml/model",
                files,
                mtime,
                compression,
            },
            &mut out,
        )
        .unwrap();
        (out, digests)
    }

    #[test]
    fn a_stored_gzip_layer_decodes_to_the_same_tar() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_files(dir.path(), &[("model.onnx", &[7u8; 200_000])]);
        let (stored, digests) = layer_with(&files, 0, LayerCompression::Store);
        let (plain, plain_digests) = layer_with(&files, 0, LayerCompression::None);
        assert_eq!(digests.diff_id, plain_digests.diff_id);
        assert_eq!(digests.digest, crate::digest::sha256_digest(&stored));
        assert!(stored.len() > plain.len(), "stored blocks compress nothing");
        let mut tar_bytes = Vec::new();
        flate2::read::GzDecoder::new(&stored[..])
            .read_to_end(&mut tar_bytes)
            .unwrap();
        assert_eq!(tar_bytes, plain);
    }

    #[test]
    fn an_uncompressed_layer_is_the_tar_its_digest_the_diff_id() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_files(dir.path(), &[("model.onnx", b"model")]);
        let (plain, digests) = layer_with(&files, 0, LayerCompression::None);
        let (gzip, gzip_digests) = layer(&files, 0);
        assert_eq!(digests.digest, digests.diff_id);
        assert_eq!(digests.digest, crate::digest::sha256_digest(&plain));
        assert_eq!(digests.size, plain.len() as u64);
        assert_eq!(gzip_digests.diff_id, digests.diff_id);
        let mut tar_bytes = Vec::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_end(&mut tar_bytes)
            .unwrap();
        assert_eq!(plain, tar_bytes);
    }

    #[test]
    fn the_layer_lists_sorted_entries_with_fixed_owners_modes_and_times() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_files(
            dir.path(),
            &[
                ("model.onnx", b"model"),
                ("weights/b.bin", b"bb"),
                ("a.bin", b"a"),
            ],
        );
        let (blob, digests) = layer(&files, 1_700_000_000);
        assert_eq!(digests.digest, crate::digest::sha256_digest(&blob));
        assert_eq!(digests.size, blob.len() as u64);
        let mut tar_bytes = Vec::new();
        flate2::read::GzDecoder::new(&blob[..])
            .read_to_end(&mut tar_bytes)
            .unwrap();
        assert_eq!(digests.diff_id, crate::digest::sha256_digest(&tar_bytes));
        assert_eq!(digests.uncompressed_size, tar_bytes.len() as u64);
        let mut archive = tar::Archive::new(&tar_bytes[..]);
        let listed: Vec<(String, u32, u64, u64, u64)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().to_string_lossy().into_owned(),
                    h.mode().unwrap(),
                    h.uid().unwrap(),
                    h.gid().unwrap(),
                    h.mtime().unwrap(),
                )
            })
            .collect();
        let expect = |p: &str, m| (p.to_owned(), m, 0, 0, 1_700_000_000);
        assert_eq!(
            listed,
            vec![
                expect("opt/", 0o755),
                expect("opt/ml/", 0o755),
                expect("opt/ml/model/", 0o755),
                expect("opt/ml/model/a.bin", 0o444),
                expect("opt/ml/model/model.onnx", 0o444),
                expect("opt/ml/model/weights/", 0o755),
                expect("opt/ml/model/weights/b.bin", 0o444),
            ]
        );
        let names: Vec<&str> = digests.files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a.bin", "model.onnx", "weights/b.bin"]);
        assert_eq!(digests.files[1].1, crate::digest::sha256_digest(b"model"));
    }

    #[test]
    fn the_same_files_give_the_same_bytes_whatever_their_order_and_disk_times() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_files(dir.path(), &[("model.onnx", b"m"), ("x.bin", b"x")]);
        let (first, _) = layer(&files, 0);
        let reversed: Vec<LayerFile> = files.iter().rev().cloned().collect();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&files[0].source, b"m").unwrap();
        let (second, _) = layer(&reversed, 0);
        assert_eq!(first, second);
        let (later, _) = layer(&files, 1);
        assert_ne!(first, later, "the time is part of the layer");
    }

    #[test]
    fn names_that_leave_the_directory_and_duplicates_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("f");
        std::fs::write(&source, b"f").unwrap();
        for name in ["../x", "/abs", "a//b", "./a", "", "a/.."] {
            let files = [LayerFile {
                source: source.clone(),
                name: name.to_owned(),
            }];
            let spec = LayerSpec {
                directory: "opt/ml/model",
                files: &files,
                mtime: 0,
                compression: LayerCompression::None,
            };
            assert!(write_layer(&spec, io::sink()).is_err(), "{name}");
        }
        let twice = [
            LayerFile {
                source: source.clone(),
                name: "a".into(),
            },
            LayerFile {
                source,
                name: "a".into(),
            },
        ];
        let spec = LayerSpec {
            directory: "opt/ml/model",
            files: &twice,
            mtime: 0,
            compression: LayerCompression::Gzip,
        };
        assert!(write_layer(&spec, io::sink()).is_err());
    }

    #[test]
    fn a_missing_file_is_named() {
        let files = [LayerFile {
            source: PathBuf::from("/nonexistent/model.onnx"),
            name: "model.onnx".into(),
        }];
        let spec = LayerSpec {
            directory: "opt/ml/model",
            files: &files,
            mtime: 0,
            compression: LayerCompression::Gzip,
        };
        let error = write_layer(&spec, io::sink()).unwrap_err().to_string();
        assert!(error.starts_with("/nonexistent/model.onnx: "), "{error}");
    }
}
