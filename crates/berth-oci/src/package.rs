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
use serde_json::Value;

use crate::archive::{ArchiveLayer, write_archive};
use crate::image::{
    Additions, Document, ManifestFormat, Platform, check_runner, derive_config, derive_index,
    derive_manifest, is_index, parse_document, rfc3339,
};
use crate::layer::{LayerCompression, LayerDigests, LayerFile, LayerSpec, write_layer};
use crate::layout::{Layout, REF_NAME};
use crate::registry::{PushStats, RegistryClient, RegistryOptions};
use crate::{OciError, Result};

/// Where the model goes inside the image: the runner's `SM_MODEL_DIR`.
pub const MODEL_DIRECTORY: &str = "opt/ml/model";

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

/// Everything `berth package` was asked for.
#[derive(Debug, Clone)]
pub struct PackageOptions {
    /// The model's files (the `.onnx` and its external data).
    pub files: Vec<LayerFile>,
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
    pub compression: LayerCompression,
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

/// Where the base's documents and blobs come from.
enum BaseStore {
    Registry(Box<RegistryClient>),
    Layout(Layout),
}

impl BaseStore {
    fn document(&self, digest: &str) -> Result<Vec<u8>> {
        match self {
            Self::Registry(client) => Ok(client.manifest(digest)?.bytes),
            Self::Layout(layout) => layout.read_blob(digest),
        }
    }

    fn config(&self, digest: &str) -> Result<Vec<u8>> {
        match self {
            Self::Registry(client) => {
                let mut bytes = Vec::new();
                client
                    .blob(digest)?
                    .read_to_end(&mut bytes)
                    .map_err(OciError::io(format!("blob {digest}")))?;
                let actual = crate::digest::sha256_digest(&bytes);
                if actual != digest {
                    return Err(OciError::DigestMismatch {
                        what: "the base's config".to_owned(),
                        expected: digest.to_owned(),
                        actual,
                    });
                }
                Ok(bytes)
            }
            Self::Layout(layout) => layout.read_blob(digest),
        }
    }

    fn blob(&self, digest: &str) -> Result<Box<dyn Read + Send>> {
        match self {
            Self::Registry(client) => client.blob(digest),
            Self::Layout(layout) => Ok(Box::new(layout.open_blob(digest)?)),
        }
    }
}

/// One platform image of the base, read and checked.
struct BaseImage {
    /// The base's digest for this manifest.
    digest: String,
    media_type: String,
    manifest: Value,
    config_media_type: String,
    config: Value,
    platform: Option<Platform>,
    /// The base's layers: digest, size, media type.
    layers: Vec<(String, u64, String)>,
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

/// Builds the image and writes it where `options.output` says.
///
/// # Errors
/// Every [`OciError`]: the base cannot be read or is not a berth runner, the platform is
/// missing, a model file cannot be read, the registry refuses, the output cannot be written.
pub fn package(options: &PackageOptions) -> Result<PackageReport> {
    let (store, base_name, top) = open_base(&options.base, &options.registry)?;
    let images = read_base_images(&store, &base_name, &top, options)?;

    // The model layer, spooled next to where it ends up (a rename, not a copy, for layouts).
    let spool_dir = match &options.output {
        Location::Layout { dir, .. } => {
            Layout::create(dir)?;
            dir.join("blobs").join("sha256")
        }
        Location::DockerArchive(file) => file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        Location::Registry(_) => std::env::temp_dir(),
    };
    let mut spool =
        tempfile::NamedTempFile::new_in(&spool_dir).map_err(OciError::io(&spool_dir))?;
    let layer = write_layer(
        &LayerSpec {
            directory: MODEL_DIRECTORY,
            files: &options.files,
            mtime: options.created,
            compression: options.compression,
        },
        std::io::BufWriter::with_capacity(1 << 20, spool.as_file_mut()),
    )?;

    let additions = additions(options, &base_name, &top.digest, &layer);
    let mut built = Vec::with_capacity(images.len());
    for image in images {
        let format = ManifestFormat::of(&image.media_type).expect("checked when read");
        let layer_media_type = format.layer_media_type(options.compression).to_owned();
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
    let top_document = if is_index(&top.media_type) && !single_platform_output(options) {
        let index = parse_document("the base's index", &top.bytes)?;
        let replaced: Vec<(String, &Document)> = built
            .iter()
            .map(|b| (b.base_digest.clone(), &b.manifest))
            .collect();
        Some(derive_index(&index, &top.media_type, &replaced, &additions))
    } else {
        None
    };
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
            let layout = Layout::open(dir)?;
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
        base_digest: top.digest.clone(),
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

/// A docker archive holds one image: an index base gives its host (or chosen) platform.
fn single_platform_output(options: &PackageOptions) -> bool {
    options.platform.is_some() || matches!(options.output, Location::DockerArchive(_))
}

/// The base's top document as fetched.
struct Top {
    media_type: String,
    bytes: Vec<u8>,
    digest: String,
}

/// Opens the base and fetches its top manifest or index. The name returned is what goes into
/// the `base.name` annotation: the reference without digest, or the layout entry's name
/// (never a local path, which would make the digest depend on the machine).
fn open_base(base: &Location, options: &RegistryOptions) -> Result<(BaseStore, String, Top)> {
    match base {
        Location::Registry(reference) => {
            let client =
                RegistryClient::new(reference.registry(), reference.repository(), options)?;
            let wanted = reference
                .digest()
                .or(reference.tag())
                .unwrap_or("latest")
                .to_owned();
            let fetched = client.manifest(&wanted)?;
            let name = format!(
                "{}/{}:{}",
                reference.registry(),
                reference.repository(),
                reference.tag().unwrap_or("latest")
            );
            Ok((
                BaseStore::Registry(Box::new(client)),
                name,
                Top {
                    media_type: fetched.media_type,
                    bytes: fetched.bytes,
                    digest: fetched.digest,
                },
            ))
        }
        Location::Layout { dir, name } => {
            let layout = Layout::open(dir)?;
            let entry = layout.resolve(name.as_deref())?;
            let digest = entry
                .get("digest")
                .and_then(Value::as_str)
                .ok_or_else(|| OciError::InvalidImage {
                    what: format!("oci:{}", dir.display()),
                    message: "an index.json entry has no digest".to_owned(),
                })?
                .to_owned();
            let bytes = layout.read_blob(&digest)?;
            let media_type = media_type_of(&entry, &bytes)?;
            let name = entry
                .get("annotations")
                .and_then(|a| a.get(REF_NAME))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            Ok((
                BaseStore::Layout(layout),
                name,
                Top {
                    media_type,
                    bytes,
                    digest,
                },
            ))
        }
        Location::DockerArchive(file) => Err(OciError::InvalidOutput {
            output: format!("docker-archive:{}", file.display()),
            message: "a base is read from a registry or an OCI layout (oci:DIR[:NAME])".to_owned(),
        }),
    }
}

/// The media type of a document: its descriptor's, else its own `mediaType` field.
fn media_type_of(descriptor: &Value, bytes: &[u8]) -> Result<String> {
    if let Some(media_type) = descriptor.get("mediaType").and_then(Value::as_str) {
        return Ok(media_type.to_owned());
    }
    let document = parse_document("a manifest of the base", bytes)?;
    document
        .get("mediaType")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| OciError::InvalidImage {
            what: "a manifest of the base".to_owned(),
            message: "it names no media type".to_owned(),
        })
}

/// Reads the platform images of the base that the new image will have, and checks each.
fn read_base_images(
    store: &BaseStore,
    base_name: &str,
    top: &Top,
    options: &PackageOptions,
) -> Result<Vec<BaseImage>> {
    let shown = if base_name.is_empty() {
        top.digest.as_str()
    } else {
        base_name
    };
    let selected: Vec<(String, String, Option<Platform>)> = if is_index(&top.media_type) {
        let index = parse_document("the base's index", &top.bytes)?;
        let entries: Vec<&Value> = index
            .get("manifests")
            .and_then(Value::as_array)
            .map(|m| m.iter().filter(|e| is_image_entry(e)).collect())
            .unwrap_or_default();
        let wanted = match (&options.platform, &options.output) {
            (Some(platform), _) => Some(platform.clone()),
            (None, Location::DockerArchive(_)) => Some(Platform::host()),
            (None, _) => None,
        };
        let chosen: Vec<&Value> = match &wanted {
            Some(platform) => entries
                .iter()
                .copied()
                .filter(|e| Platform::of_descriptor(e).is_some_and(|p| platform.selects(&p)))
                .take(1)
                .collect(),
            None => entries.clone(),
        };
        if chosen.is_empty() {
            return Err(OciError::NoSuchPlatform {
                base: shown.to_owned(),
                platform: wanted.map_or_else(String::new, |p| p.to_string()),
                available: platforms_of(&entries),
            });
        }
        chosen
            .into_iter()
            .map(|entry| {
                let digest = entry
                    .get("digest")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let media_type = entry
                    .get("mediaType")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                (digest, media_type, Platform::of_descriptor(entry))
            })
            .collect()
    } else {
        vec![(top.digest.clone(), top.media_type.clone(), None)]
    };

    let mut images = Vec::with_capacity(selected.len());
    for (digest, listed_media_type, listed_platform) in selected {
        let bytes = if digest == top.digest {
            top.bytes.clone()
        } else {
            store.document(&digest)?
        };
        let what = format!("the base's manifest {digest}");
        let manifest = parse_document(&what, &bytes)?;
        let media_type = manifest
            .get("mediaType")
            .and_then(Value::as_str)
            .map_or(listed_media_type, str::to_owned);
        if ManifestFormat::of(&media_type).is_none() || is_index(&media_type) {
            return Err(OciError::InvalidImage {
                what,
                message: format!("unsupported manifest media type {media_type:?}"),
            });
        }
        let config_descriptor = manifest
            .get("config")
            .ok_or_else(|| OciError::InvalidImage {
                what: what.clone(),
                message: "no config descriptor".to_owned(),
            })?;
        let config_digest = descriptor_digest(config_descriptor, &what)?;
        let config_media_type = config_descriptor
            .get("mediaType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let config = parse_document("the base's config", &store.config(&config_digest)?)?;
        check_runner(shown, &config)?;
        let platform = listed_platform.or_else(|| {
            Some(Platform {
                os: config.get("os")?.as_str()?.to_owned(),
                architecture: config.get("architecture")?.as_str()?.to_owned(),
                variant: config
                    .get("variant")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        });
        if !is_index(&top.media_type)
            && let (Some(wanted), Some(actual)) = (&options.platform, &platform)
            && !wanted.selects(actual)
        {
            return Err(OciError::NoSuchPlatform {
                base: shown.to_owned(),
                platform: wanted.to_string(),
                available: actual.to_string(),
            });
        }
        let mut layers = Vec::new();
        for layer in manifest
            .get("layers")
            .and_then(Value::as_array)
            .ok_or_else(|| OciError::InvalidImage {
                what: what.clone(),
                message: "no layers list".to_owned(),
            })?
        {
            let size = layer.get("size").and_then(Value::as_u64).ok_or_else(|| {
                OciError::InvalidImage {
                    what: what.clone(),
                    message: "a layer has no size".to_owned(),
                }
            })?;
            let media_type = layer
                .get("mediaType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            layers.push((descriptor_digest(layer, &what)?, size, media_type));
        }
        images.push(BaseImage {
            digest,
            media_type,
            manifest,
            config_media_type,
            config,
            platform,
            layers,
        });
    }
    Ok(images)
}

/// An index entry that is an image: attestation manifests (buildx's `unknown/unknown` entries)
/// describe the base, not the new image, and are left out.
fn is_image_entry(entry: &Value) -> bool {
    let attestation = entry
        .get("annotations")
        .and_then(|a| a.get("vnd.docker.reference.type"))
        .is_some();
    let unknown = Platform::of_descriptor(entry).is_some_and(|p| p.os == "unknown");
    !attestation && !unknown
}

fn platforms_of(entries: &[&Value]) -> String {
    let names: Vec<String> = entries
        .iter()
        .filter_map(|e| Platform::of_descriptor(e).map(|p| p.to_string()))
        .collect();
    if names.is_empty() {
        "none listed".to_owned()
    } else {
        names.join(", ")
    }
}

fn descriptor_digest(descriptor: &Value, what: &str) -> Result<String> {
    let digest = descriptor
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| OciError::InvalidImage {
            what: what.to_owned(),
            message: "a descriptor has no digest".to_owned(),
        })?;
    crate::digest::sha256_hex(digest)?;
    Ok(digest.to_owned())
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
    labels.extend(options.labels.iter().cloned());
    let _ = layer;
    Additions {
        labels,
        annotations: Vec::new(),
        env: options.env.clone(),
        created,
        created_by: options.created_by.clone(),
    }
}

/// `name:tag` as `docker images` shows it: Docker Hub's registry and `library/` left out.
fn familiar_name(reference: &Reference) -> String {
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
