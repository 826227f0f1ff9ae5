//! The base image: opened from a registry or a layout, its top manifest or index fetched, and the
//! platform images the new image will have read and checked (each runs berth; the platform asked
//! for is there) before anything is written.

use std::io::Read;

use serde_json::Value;

use crate::image::{ManifestFormat, Platform, check_runner, is_index, parse_document};
use crate::layout::{Layout, REF_NAME};
use crate::location::Location;
use crate::registry::{RegistryClient, RegistryOptions};
use crate::{OciError, Result};

/// Where the base's documents and blobs come from.
pub(crate) enum BaseStore {
    Registry(Box<RegistryClient>),
    Layout(Layout),
}

impl BaseStore {
    pub(crate) fn document(&self, digest: &str) -> Result<Vec<u8>> {
        match self {
            Self::Registry(client) => Ok(client.manifest(digest)?.bytes),
            Self::Layout(layout) => layout.read_blob(digest),
        }
    }

    pub(crate) fn config(&self, digest: &str) -> Result<Vec<u8>> {
        match self {
            Self::Registry(client) => {
                let mut bytes = Vec::new();
                client
                    .blob(digest)?
                    .read_to_end(&mut bytes)
                    .map_err(OciError::io(format!("blob {digest}")))?;
                crate::verify::verify_bytes("the base's config", digest, &bytes)?;
                Ok(bytes)
            }
            Self::Layout(layout) => layout.read_blob(digest),
        }
    }

    pub(crate) fn blob(&self, digest: &str) -> Result<Box<dyn Read + Send>> {
        match self {
            Self::Registry(client) => client.blob(digest),
            Self::Layout(layout) => Ok(Box::new(layout.open_blob(digest)?)),
        }
    }
}

/// One platform image of the base, read and checked.
pub(crate) struct BaseImage {
    /// The base's digest for this manifest.
    pub(crate) digest: String,
    pub(crate) media_type: String,
    pub(crate) manifest: Value,
    pub(crate) config_media_type: String,
    pub(crate) config: Value,
    pub(crate) platform: Option<Platform>,
    /// The base's layers: digest, size, media type.
    pub(crate) layers: Vec<(String, u64, String)>,
}

/// The base's top document as fetched.
pub(crate) struct Top {
    pub(crate) media_type: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) digest: String,
}

/// Opens the base and fetches its top manifest or index. The name returned is what goes into
/// the `base.name` annotation: the reference without digest, or the layout entry's name
/// (never a local path, which would make the digest depend on the machine).
pub(crate) fn open_base(
    base: &Location,
    options: &RegistryOptions,
) -> Result<(BaseStore, String, Top)> {
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

/// Reads the platform images of the base that the new image will have, and checks each: every
/// image of an index, or the one of `wanted`; a single-image base must be of `wanted`.
pub(crate) fn read_base_images(
    store: &BaseStore,
    base_name: &str,
    top: &Top,
    wanted: Option<&Platform>,
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
        let chosen: Vec<&Value> = match wanted {
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
        let platform = listed_platform.or_else(|| Platform::of_object(&config));
        if !is_index(&top.media_type)
            && let (Some(wanted), Some(actual)) = (wanted, &platform)
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
