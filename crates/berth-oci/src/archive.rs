//! `docker-archive:FILE`: the tar that `docker load` and `podman load` read (`manifest.json`,
//! the config, one file per layer).
//!
//! The archive is written under a temporary name beside FILE and renamed when complete, so a
//! failed run never leaves a truncated archive under the name asked for. Layers are stored as
//! their blobs are (gzip or plain tar); both loaders decompress what they find.

use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::Path;

use serde_json::json;

use crate::digest::sha256_hex;
use crate::image::Document;
use crate::{OciError, Result};

/// One layer to put in the archive: its digest, size and a way to read it.
pub(crate) struct ArchiveLayer<'a> {
    /// `sha256:` of the blob.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
    /// Opens the blob.
    pub open: Box<dyn FnOnce() -> Result<Box<dyn Read + Send>> + 'a>,
}

/// Writes the archive of one image to `path`, tagged `repo_tag` (for example `iris:1`).
///
/// # Errors
/// [`OciError::Io`] for the file or a layer that cannot be read.
pub(crate) fn write_archive(
    path: &Path,
    repo_tag: &str,
    config: &Document,
    layers: Vec<ArchiveLayer<'_>>,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temporary = tempfile::NamedTempFile::new_in(dir).map_err(OciError::io(path))?;
    let mut builder = tar::Builder::new(BufWriter::with_capacity(1 << 20, temporary.as_file()));
    let config_name = format!("{}.json", sha256_hex(&config.digest)?);
    let mut layer_names = Vec::with_capacity(layers.len());
    let append = |builder: &mut tar::Builder<_>, name: &str, size: u64, reader: &mut dyn Read| {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_size(size);
        header.set_mtime(0);
        builder
            .append_data(&mut header, name, reader)
            .map_err(OciError::io(path))
    };
    append(
        &mut builder,
        &config_name,
        config.bytes.len() as u64,
        &mut &config.bytes[..],
    )?;
    for layer in layers {
        let name = format!("{}.tar", sha256_hex(&layer.digest)?);
        let mut reader = (layer.open)()?;
        // A blob shorter or longer than its descriptor says would make a corrupt archive.
        let mut limited = (&mut reader).take(layer.size);
        append(&mut builder, &name, layer.size, &mut limited)?;
        layer_names.push(name);
    }
    let manifest = serde_json::to_vec(&json!([{
        "Config": config_name,
        "RepoTags": [repo_tag],
        "Layers": layer_names,
    }]))
    .expect("JSON serialises");
    append(
        &mut builder,
        "manifest.json",
        manifest.len() as u64,
        &mut &manifest[..],
    )?;
    let buffered = builder.into_inner().map_err(OciError::io(path))?;
    buffered.into_inner().map_err(|e| OciError::Io {
        path: path.to_path_buf(),
        source: e.into_error(),
    })?;
    temporary.as_file().sync_all().map_err(OciError::io(path))?;
    temporary
        .persist(path)
        .map_err(|e| OciError::io(path)(e.error))?;
    Ok(())
}

/// Opens a file as a boxed reader for [`ArchiveLayer::open`].
pub(crate) fn open_file(path: &Path) -> Result<Box<dyn Read + Send>> {
    Ok(Box::new(File::open(path).map_err(OciError::io(path))?))
}
