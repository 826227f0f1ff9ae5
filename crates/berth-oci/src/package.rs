//! `berth package`: a base image and the model's files in, a new image out, in one of three
//! places (a registry, an OCI layout, a docker archive).
//!
//! The order is what keeps a failed run from leaving anything half-done: everything is read and
//! checked first (the base's manifests and configs, that the base runs berth, the platform), the
//! model layer is written to a spool file and hashed, and only then does anything reach the
//! output, blobs first and the tag last.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use oci_spec::distribution::Reference;

use crate::archive::{ArchiveLayer, write_archive};
use crate::base::{BaseImage, BaseStore, open_base, read_base_images};
use crate::image::{
    Additions, Document, ManifestFormat, Platform, derive_config, derive_index, derive_manifest,
    is_index, parse_document, rfc3339,
};
use crate::layer::{LayerCompression, LayerDigests, LayerFile, LayerSpec, write_layer};
use crate::layout::Layout;
use crate::location::{Location, familiar_name};
use crate::registry::{PushStats, RegistryClient, RegistryOptions};
use crate::{OciError, Result};

/// Where the model goes inside the image: the runner's `SM_MODEL_DIR`.
pub const MODEL_DIRECTORY: &str = "opt/ml/model";

/// Everything `berth package` was asked for.
#[derive(Debug, Clone)]
pub struct PackageOptions {
    /// The model's files (the `.onnx` and its external data).
    pub files: Vec<LayerFile>,
    /// The name of the `.onnx` among them: labelled with its sha256 (`dev.berth.model.file`,
    /// `dev.berth.model.sha256`).
    pub model_file: String,
    /// The base image.
    pub base: Location,
    /// The image's name: where it is pushed, or its name in a layout or archive.
    pub tag: Reference,
    /// Where it goes: [`Location::Registry`] (the tag itself), a layout or an archive.
    pub output: Location,
    /// Only this platform of an index base.
    pub platform: Option<Platform>,
    /// Labels added to the config (and annotations of an OCI manifest), after berth's own.
    pub labels: Vec<(String, String)>,
    /// Environment variables added to the config.
    pub env: Vec<(String, String)>,
    /// Seconds since the epoch for every time in the image (`SOURCE_DATE_EPOCH`, else 0).
    pub created: u64,
    /// How the model layer is stored.
    /// `None`: by the base's format (gzip of stored blocks for docker schema 2, a plain tar for
    /// OCI).
    pub compression: Option<LayerCompression>,
    /// Registry settings (for the base and the output).
    pub registry: RegistryOptions,
    /// The `created_by` of the history entry.
    pub created_by: String,
}

/// One image (one platform) of the result.
#[derive(Debug, Clone)]
pub struct ImageReport {
    /// Its platform, when the base said.
    pub platform: Option<Platform>,
    /// The manifest's digest.
    pub digest: String,
    /// Its layers: digest, size, media type; the model layer last.
    pub layers: Vec<(String, u64, String)>,
}

/// What was made.
#[derive(Debug, Clone)]
pub struct PackageReport {
    /// Digest of the top manifest or index.
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// The base's top digest.
    pub base_digest: String,
    /// Each image.
    pub images: Vec<ImageReport>,
    /// The model layer.
    pub model_layer: LayerDigests,
    /// What a push sent (registry outputs only).
    pub push: Option<PushStats>,
}

/// The new image of one platform.
struct BuiltImage {
    base_digest: String,
    config: Document,
    manifest: Document,
    platform: Option<Platform>,
    base_layers: Vec<(String, u64, String)>,
    layer_media_type: String,
}

/// Builds the image and writes it where `options.output` says: [`prepare`], then
/// [`Prepared::write`].
///
/// # Errors
/// Every [`OciError`]: the base cannot be read or is not a berth runner, the platform is
/// missing, a model file cannot be read, the registry refuses, the output cannot be written.
pub fn package(options: &PackageOptions) -> Result<PackageReport> {
    prepare(options)?.write()
}

/// An image read, built and checked, not yet written anywhere: the caller may still drop it
/// (its spooled layer goes with it), for example when another check of the model fails.
pub struct Prepared<'a> {
    options: &'a PackageOptions,
    store: BaseStore,
    base_digest: String,
    built: Vec<BuiltImage>,
    /// The new index, for an index base.
    index: Option<Document>,
    layer: LayerDigests,
    spool: tempfile::NamedTempFile,
}

/// Reads and checks the base, writes the model layer to a spool file and derives the new
/// documents; writes nothing to the output.
///
/// # Errors
/// As [`package`], but for the output's own errors.
pub fn prepare(options: &PackageOptions) -> Result<Prepared<'_>> {
    let (store, base_name, top) = open_base(&options.base, &options.registry)?;
    let wanted = match (&options.platform, &options.output) {
        (Some(platform), _) => Some(platform.clone()),
        (None, Location::DockerArchive(_)) => Some(Platform::host()),
        (None, _) => None,
    };
    let images = read_base_images(&store, &base_name, &top, wanted.as_ref())?;

    let compression = options
        .compression
        .unwrap_or_else(|| auto_compression(&images));
    // The model layer, spooled beside where it ends up (on the same filesystem, a layout takes
    // it with a rename), without creating the output yet.
    let beside = |path: &Path| {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let spool_dir = match &options.output {
        Location::Layout { dir, .. } => beside(dir),
        Location::DockerArchive(file) => beside(file),
        Location::Registry(_) => std::env::temp_dir(),
    };
    let mut spool =
        tempfile::NamedTempFile::new_in(&spool_dir).map_err(OciError::io(&spool_dir))?;
    let layer = write_layer(
        &LayerSpec {
            directory: MODEL_DIRECTORY,
            files: &options.files,
            mtime: options.created,
            compression,
        },
        std::io::BufWriter::with_capacity(1 << 20, spool.as_file_mut()),
    )?;

    let additions = additions(options, &base_name, &top.digest, &layer);
    let mut built = Vec::with_capacity(images.len());
    for image in images {
        let format = ManifestFormat::of(&image.media_type).expect("checked when read");
        let layer_media_type = format.layer_media_type(compression).to_owned();
        let config = derive_config(&image.config, &image.config_media_type, &layer, &additions)?;
        let manifest = derive_manifest(
            &image.manifest,
            &image.media_type,
            &config,
            &layer,
            &layer_media_type,
            &additions,
        )?;
        built.push(BuiltImage {
            base_digest: image.digest,
            config,
            manifest,
            platform: image.platform,
            base_layers: image.layers,
            layer_media_type,
        });
    }
    let index = if is_index(&top.media_type) && !single_platform_output(options) {
        let index = parse_document("the base's index", &top.bytes)?;
        let replaced: Vec<(String, &Document)> = built
            .iter()
            .map(|b| (b.base_digest.clone(), &b.manifest))
            .collect();
        Some(derive_index(&index, &top.media_type, &replaced, &additions))
    } else {
        None
    };
    Ok(Prepared {
        options,
        store,
        base_digest: top.digest,
        built,
        index,
        layer,
        spool,
    })
}

impl Prepared<'_> {
    /// Writes the image where the options say: blobs first, the tag last.
    ///
    /// # Errors
    /// The output's: the registry refuses, a file cannot be written.
    pub fn write(self) -> Result<PackageReport> {
        let Self {
            options,
            store,
            base_digest,
            built,
            index,
            layer,
            spool,
        } = self;
        let top_document = index;
        let top_out = top_document
            .as_ref()
            .unwrap_or_else(|| &built[0].manifest)
            .clone();

        let push = match &options.output {
            Location::Registry(target) => Some(push(
                &store,
                target,
                &built,
                top_document.as_ref(),
                &layer,
                spool.path(),
                &options.registry,
            )?),
            Location::Layout { dir, name } => {
                let layout = Layout::create(dir)?;
                for image in &built {
                    for (digest, _, _) in &image.base_layers {
                        if !layout.has_blob(digest) {
                            layout.write_blob(digest, store.blob(digest)?)?;
                        }
                    }
                    layout.write_document(&image.config)?;
                    layout.write_document(&image.manifest)?;
                }
                layout.adopt_blob(&layer.digest, spool)?;
                if let Some(index) = &top_document {
                    layout.write_document(index)?;
                }
                let name = name
                    .clone()
                    .unwrap_or_else(|| options.tag.tag().unwrap_or("latest").to_owned());
                layout.tag(&top_out, &name)?;
                None
            }
            Location::DockerArchive(file) => {
                let image = &built[0];
                let mut layers: Vec<ArchiveLayer<'_>> = image
                    .base_layers
                    .iter()
                    .map(|(digest, size, _)| {
                        let digest = digest.clone();
                        let store = &store;
                        ArchiveLayer {
                            digest: digest.clone(),
                            size: *size,
                            open: Box::new(move || store.blob(&digest)),
                        }
                    })
                    .collect();
                let spool_path = spool.path().to_path_buf();
                layers.push(ArchiveLayer {
                    digest: layer.digest.clone(),
                    size: layer.size,
                    open: Box::new(move || crate::archive::open_file(&spool_path)),
                });
                write_archive(file, &familiar_name(&options.tag), &image.config, layers)?;
                None
            }
        };

        Ok(PackageReport {
            digest: top_out.digest.clone(),
            media_type: top_out.media_type.clone(),
            base_digest,
            images: built
                .iter()
                .map(|b| ImageReport {
                    platform: b.platform.clone(),
                    digest: b.manifest.digest.clone(),
                    layers: b
                        .base_layers
                        .iter()
                        .cloned()
                        .chain([(layer.digest.clone(), layer.size, b.layer_media_type.clone())])
                        .collect(),
                })
                .collect(),
            model_layer: layer,
            push,
        })
    }
}

/// The layer storage that fits the images' format: a plain tar for OCI, whose spec names it;
/// gzip of stored blocks for docker schema 2, whose spec names only gzip layers. Neither
/// compresses: ONNX weights hardly shrink, and compressing costs more at push and at every pull
/// than the bytes it saves (docs/package-benchmark.md).
fn auto_compression(images: &[BaseImage]) -> LayerCompression {
    let docker = images
        .iter()
        .any(|image| ManifestFormat::of(&image.media_type) == Some(ManifestFormat::Docker));
    if docker {
        LayerCompression::Store
    } else {
        LayerCompression::None
    }
}

/// A docker archive holds one image: an index base gives its host (or chosen) platform.
fn single_platform_output(options: &PackageOptions) -> bool {
    options.platform.is_some() || matches!(options.output, Location::DockerArchive(_))
}

/// berth's labels (base, model, time), then the caller's; the environment the model needs.
fn additions(
    options: &PackageOptions,
    base_name: &str,
    base_digest: &str,
    layer: &LayerDigests,
) -> Additions {
    let created = rfc3339(options.created);
    let mut labels = Vec::new();
    if !base_name.is_empty() {
        labels.push((
            "org.opencontainers.image.base.name".to_owned(),
            base_name.to_owned(),
        ));
    }
    labels.push((
        "org.opencontainers.image.base.digest".to_owned(),
        base_digest.to_owned(),
    ));
    labels.push((
        "org.opencontainers.image.created".to_owned(),
        created.clone(),
    ));
    let model_sha256 = layer
        .files
        .iter()
        .find(|(name, _)| *name == options.model_file)
        .map(|(_, digest)| digest.trim_start_matches("sha256:").to_owned());
    labels.push((
        "dev.berth.model.file".to_owned(),
        options.model_file.clone(),
    ));
    if let Some(sha256) = model_sha256 {
        labels.push(("dev.berth.model.sha256".to_owned(), sha256));
    }
    labels.extend(options.labels.iter().cloned());
    Additions {
        labels,
        annotations: Vec::new(),
        env: options.env.clone(),
        created,
        created_by: options.created_by.clone(),
    }
}

/// Pushes the built images: base layers (present, mounted from the base's repository, or
/// copied), the model layer, configs, manifests by digest, then the tag.
fn push(
    store: &BaseStore,
    target: &Reference,
    built: &[BuiltImage],
    index: Option<&Document>,
    layer: &LayerDigests,
    spool: &Path,
    options: &RegistryOptions,
) -> Result<PushStats> {
    let client = RegistryClient::new(target.registry(), target.repository(), options)?;
    let mount_from = match store {
        BaseStore::Registry(base) if base.registry() == client.registry() => {
            Some(base.repository().to_owned())
        }
        _ => None,
    };
    let mut done = std::collections::HashSet::new();
    for image in built {
        for (digest, size, _) in &image.base_layers {
            if !done.insert(digest.clone()) {
                continue;
            }
            if let Some(from) = &mount_from
                && (from == client.repository() || client.mount_blob(digest, from)?)
            {
                continue;
            }
            client.push_blob(digest, *size, &mut || {
                store
                    .blob(digest)
                    .map_err(|e| std::io::Error::other(e.to_string()))
            })?;
        }
    }
    client.push_blob(&layer.digest, layer.size, &mut || {
        Ok(Box::new(File::open(spool)?) as Box<dyn Read + Send>)
    })?;
    for image in built {
        let config = &image.config;
        client.push_blob(&config.digest, config.bytes.len() as u64, &mut || {
            Ok(Box::new(std::io::Cursor::new(config.bytes.clone())) as Box<dyn Read + Send>)
        })?;
        if index.is_some() {
            client.put_manifest(
                &image.manifest.digest,
                &image.manifest.media_type,
                &image.manifest.bytes,
            )?;
        }
    }
    let top = index.unwrap_or(&built[0].manifest);
    let tag = target.tag().unwrap_or("latest");
    client.put_manifest(tag, &top.media_type, &top.bytes)?;
    Ok(client.stats())
}
