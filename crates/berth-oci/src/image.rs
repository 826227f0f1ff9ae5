//! The new image's documents, derived from the base's: the config gets the model layer's
//! `diff_id`, a history entry, labels and environment; the manifest gets the layer and the new
//! config; an index gets the new manifests in place of the base's.
//!
//! Every document is edited as JSON, not through typed structs, so that fields berth does not
//! know (a healthcheck in a docker-format config, a vendor annotation, a future field of the
//! spec) pass through unchanged. `serde_json`'s `preserve_order` keeps the base's key order, new
//! keys go last, and the output is compact: the same inputs give the same bytes.
//!
//! Past 500 lines with its tests, as one piece: the three documents are derived by the same rules
//! (keep what is unknown, add berth's fields, digest the bytes) and their tests share fixtures.

use serde_json::{Map, Value, json};

use crate::layer::{LayerCompression, LayerDigests};
use crate::{OciError, Result};

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// The manifest family of an image: its layers' media types follow it, and only OCI manifests
/// carry annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestFormat {
    /// OCI image spec.
    Oci,
    /// Docker schema 2 (what keeps a `HEALTHCHECK` for podman and docker).
    Docker,
}

impl ManifestFormat {
    /// The format of a manifest or index media type; `None` for anything else.
    #[must_use]
    pub fn of(media_type: &str) -> Option<Self> {
        match media_type {
            OCI_MANIFEST | OCI_INDEX => Some(Self::Oci),
            DOCKER_MANIFEST | DOCKER_MANIFEST_LIST => Some(Self::Docker),
            _ => None,
        }
    }

    /// The media type of a layer stored with `compression` in this format.
    #[must_use]
    pub fn layer_media_type(self, compression: LayerCompression) -> &'static str {
        match (self, compression.is_gzip()) {
            (Self::Oci, false) => "application/vnd.oci.image.layer.v1.tar",
            (Self::Oci, true) => "application/vnd.oci.image.layer.v1.tar+gzip",
            (Self::Docker, false) => "application/vnd.docker.image.rootfs.diff.tar",
            (Self::Docker, true) => "application/vnd.docker.image.rootfs.diff.tar.gzip",
        }
    }
}

/// True for an index or manifest list media type.
#[must_use]
pub fn is_index(media_type: &str) -> bool {
    matches!(media_type, OCI_INDEX | DOCKER_MANIFEST_LIST)
}

/// An OS/architecture[/variant] pair, as in `--platform linux/arm64/v8`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `linux`.
    pub os: String,
    /// `amd64`, `arm64`, ...
    pub architecture: String,
    /// `v8`, `v7`, ... when given.
    pub variant: Option<String>,
}

impl Platform {
    /// The platform of this machine (`linux/amd64` on x86-64, `linux/arm64` on aarch64).
    #[must_use]
    pub fn host() -> Self {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Self {
            os: std::env::consts::OS.to_owned(),
            architecture: architecture.to_owned(),
            variant: None,
        }
    }

    /// The platform of an index entry's `platform` object.
    pub(crate) fn of_descriptor(descriptor: &Value) -> Option<Self> {
        Self::of_object(descriptor.get("platform")?)
    }

    /// The platform named by an object's `os`, `architecture` and `variant` fields (an index
    /// entry's `platform`, or an image config).
    pub(crate) fn of_object(platform: &Value) -> Option<Self> {
        Some(Self {
            os: platform.get("os")?.as_str()?.to_owned(),
            architecture: platform.get("architecture")?.as_str()?.to_owned(),
            variant: platform
                .get("variant")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// True when `self` (what was asked for) selects `other` (what the base has): a variant
    /// left out selects any variant.
    #[must_use]
    pub fn selects(&self, other: &Self) -> bool {
        self.os == other.os
            && self.architecture == other.architecture
            && (self.variant.is_none() || self.variant == other.variant)
    }
}

impl std::str::FromStr for Platform {
    type Err = OciError;

    fn from_str(s: &str) -> Result<Self> {
        let parts: Vec<&str> = s.split('/').collect();
        let valid = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric());
        match parts.as_slice() {
            [os, architecture] | [os, architecture, _] if valid(os) && valid(architecture) => {
                let variant = parts.get(2).copied();
                if variant.is_some_and(|v| !valid(&v)) {
                    return Err(invalid_platform(s));
                }
                Ok(Self {
                    os: (*os).to_owned(),
                    architecture: (*architecture).to_owned(),
                    variant: variant.map(str::to_owned),
                })
            }
            _ => Err(invalid_platform(s)),
        }
    }
}

fn invalid_platform(s: &str) -> OciError {
    OciError::InvalidOutput {
        output: s.to_owned(),
        message: "a platform is OS/ARCH or OS/ARCH/VARIANT, for example linux/amd64".to_owned(),
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// What the new image adds to its base's config and manifest.
#[derive(Debug, Clone, Default)]
pub struct Additions {
    /// Config labels (and, in an OCI manifest, annotations), added or replaced, in order.
    pub labels: Vec<(String, String)>,
    /// Manifest annotations only (OCI manifests and indexes).
    pub annotations: Vec<(String, String)>,
    /// Environment variables, added or replaced, in order.
    pub env: Vec<(String, String)>,
    /// The image's `created` time (RFC 3339).
    pub created: String,
    /// The history entry's `created_by`.
    pub created_by: String,
}

/// A document and its descriptor fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Media type.
    pub media_type: String,
    /// The bytes, as written.
    pub bytes: Vec<u8>,
    /// `sha256:` of the bytes.
    pub digest: String,
}

impl Document {
    fn new(media_type: &str, value: &Value) -> Self {
        let bytes = serde_json::to_vec(value).expect("JSON values always serialise");
        Self {
            media_type: media_type.to_owned(),
            digest: crate::digest::sha256_digest(&bytes),
            bytes,
        }
    }
}

/// Parses a JSON document of the base, naming it in errors.
///
/// # Errors
/// [`OciError::InvalidImage`] when it is not a JSON object.
pub fn parse_document(what: &str, bytes: &[u8]) -> Result<Value> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(invalid(what, "not a JSON object")),
        Err(e) => Err(invalid(what, &e.to_string())),
    }
}

fn invalid(what: &str, message: &str) -> OciError {
    OciError::InvalidImage {
        what: what.to_owned(),
        message: message.to_owned(),
    }
}

/// The config's entrypoint must run berth: a base whose entrypoint is something else would not
/// serve the model it is given.
///
/// # Errors
/// [`OciError::NotARunner`] naming what the base runs instead.
pub fn check_runner(base: &str, config: &Value) -> Result<()> {
    let inner = config.get("config");
    let entrypoint = inner
        .and_then(|c| c.get("Entrypoint"))
        .and_then(Value::as_array)
        .and_then(|e| e.first())
        .and_then(Value::as_str);
    let runs_berth = entrypoint.is_some_and(|e| e.rsplit('/').next() == Some("berth"));
    if runs_berth {
        return Ok(());
    }
    let title = inner
        .and_then(|c| c.get("Labels"))
        .and_then(|l| l.get("org.opencontainers.image.title"))
        .and_then(Value::as_str);
    Err(OciError::NotARunner {
        base: base.to_owned(),
        message: format!(
            "its entrypoint is {}{}; berth packages models onto the berth runner image (entrypoint \
             berth), e.g. the one `make build-images` or `make push` makes",
            entrypoint.map_or_else(|| "not set".to_owned(), |e| format!("{e:?}")),
            title.map_or_else(String::new, |t| format!(" (title {t:?})")),
        ),
    })
}

/// The new config: the base's with the layer's `diff_id`, a history entry, `created`, labels
/// and environment.
///
/// # Errors
/// [`OciError::InvalidImage`] when the base config has no `rootfs.diff_ids` list.
pub fn derive_config(
    base_config: &Value,
    config_media_type: &str,
    layer: &LayerDigests,
    additions: &Additions,
) -> Result<Document> {
    let mut config = base_config.clone();
    let root = config
        .as_object_mut()
        .expect("parse_document checked an object");
    root.insert("created".into(), json!(additions.created));
    let diff_ids = root
        .get_mut("rootfs")
        .and_then(|r| r.get_mut("diff_ids"))
        .and_then(Value::as_array_mut)
        .ok_or_else(|| invalid("the base's config", "it has no rootfs.diff_ids list"))?;
    diff_ids.push(json!(layer.diff_id));
    let history = root
        .entry("history")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Some(history) = history.as_array_mut() {
        history.push(json!({
            "created": additions.created,
            "created_by": additions.created_by,
        }));
    }
    let inner = root
        .entry("config")
        .or_insert_with(|| Value::Object(Map::new()));
    let inner = inner
        .as_object_mut()
        .ok_or_else(|| invalid("the base's config", "its config field is not an object"))?;
    if !additions.labels.is_empty() {
        let labels = inner
            .entry("Labels")
            .or_insert_with(|| Value::Object(Map::new()));
        if labels.is_null() {
            *labels = Value::Object(Map::new());
        }
        let labels = labels
            .as_object_mut()
            .ok_or_else(|| invalid("the base's config", "its Labels field is not an object"))?;
        for (key, value) in &additions.labels {
            labels.insert(key.clone(), json!(value));
        }
    }
    if !additions.env.is_empty() {
        let env = inner
            .entry("Env")
            .or_insert_with(|| Value::Array(Vec::new()));
        if env.is_null() {
            *env = Value::Array(Vec::new());
        }
        let env = env
            .as_array_mut()
            .ok_or_else(|| invalid("the base's config", "its Env field is not a list"))?;
        for (key, value) in &additions.env {
            let entry = json!(format!("{key}={value}"));
            let prefix = format!("{key}=");
            match env
                .iter_mut()
                .find(|e| e.as_str().is_some_and(|e| e.starts_with(&prefix)))
            {
                Some(existing) => *existing = entry,
                None => env.push(entry),
            }
        }
    }
    Ok(Document::new(config_media_type, &config))
}

/// The new manifest: the base's with the new config and the model layer appended.
///
/// # Errors
/// [`OciError::InvalidImage`] when the base manifest has no config or layers.
pub fn derive_manifest(
    base_manifest: &Value,
    manifest_media_type: &str,
    config: &Document,
    layer: &LayerDigests,
    layer_media_type: &str,
    additions: &Additions,
) -> Result<Document> {
    let mut manifest = base_manifest.clone();
    let root = manifest
        .as_object_mut()
        .expect("parse_document checked an object");
    // Written even when the base left it out: a manifest that names its own type is read the
    // same way by every client.
    root.insert("mediaType".into(), json!(manifest_media_type));
    let config_descriptor = root
        .get_mut("config")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| invalid("the base's manifest", "it has no config descriptor"))?;
    config_descriptor.insert("mediaType".into(), json!(config.media_type));
    config_descriptor.insert("digest".into(), json!(config.digest));
    config_descriptor.insert("size".into(), json!(config.bytes.len()));
    root.get_mut("layers")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| invalid("the base's manifest", "it has no layers list"))?
        .push(json!({
            "mediaType": layer_media_type,
            "digest": layer.digest,
            "size": layer.size,
        }));
    if ManifestFormat::of(manifest_media_type) == Some(ManifestFormat::Oci) {
        annotate(root, additions);
    }
    Ok(Document::new(manifest_media_type, &manifest))
}

/// The new index: the base's, keeping the entries in `replaced` (old digest → new manifest)
/// with their platform and annotations, dropping every other entry.
#[must_use]
pub fn derive_index(
    base_index: &Value,
    index_media_type: &str,
    replaced: &[(String, &Document)],
    additions: &Additions,
) -> Document {
    let mut index = base_index.clone();
    let root = index
        .as_object_mut()
        .expect("parse_document checked an object");
    root.insert("mediaType".into(), json!(index_media_type));
    let entries = root
        .get("manifests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let kept: Vec<Value> = entries
        .into_iter()
        .filter_map(|mut entry| {
            let old = entry.get("digest")?.as_str()?.to_owned();
            let (_, new) = replaced.iter().find(|(digest, _)| *digest == old)?;
            let descriptor = entry.as_object_mut()?;
            descriptor.insert("mediaType".into(), json!(new.media_type));
            descriptor.insert("digest".into(), json!(new.digest));
            descriptor.insert("size".into(), json!(new.bytes.len()));
            Some(entry)
        })
        .collect();
    root.insert("manifests".into(), Value::Array(kept));
    if ManifestFormat::of(index_media_type) == Some(ManifestFormat::Oci) {
        annotate(root, additions);
    }
    Document::new(index_media_type, &index)
}

fn annotate(root: &mut Map<String, Value>, additions: &Additions) {
    let annotations = root
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if !annotations.is_object() {
        *annotations = Value::Object(Map::new());
    }
    let annotations = annotations.as_object_mut().expect("made an object above");
    for (key, value) in additions.labels.iter().chain(&additions.annotations) {
        annotations.insert(key.clone(), json!(value));
    }
}

/// RFC 3339 (UTC, seconds) of `seconds` since the epoch. Written here rather than with a date
/// crate: one format of one timestamp, from the days-to-civil conversion of the proleptic
/// Gregorian calendar.
#[must_use]
pub fn rfc3339(seconds: u64) -> String {
    let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX / 2);
    let second_of_day = seconds % 86_400;
    // Days since 1970-01-01 to a civil date: eras of 400 years (146097 days), March-based years.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer() -> LayerDigests {
        LayerDigests {
            diff_id: "sha256:aa".into(),
            digest: "sha256:bb".into(),
            size: 7,
            uncompressed_size: 9,
            files: vec![],
        }
    }

    fn additions() -> Additions {
        Additions {
            labels: vec![("dev.berth.model.file".into(), "model.onnx".into())],
            annotations: vec![(
                "org.opencontainers.image.base.digest".into(),
                "sha256:cc".into(),
            )],
            env: vec![
                ("MODEL_FILENAME".into(), "iris.onnx".into()),
                ("A".into(), "2".into()),
            ],
            created: "1970-01-01T00:00:00Z".into(),
            created_by: "berth package".into(),
        }
    }

    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn platforms_parse_print_and_select() {
        let amd64: Platform = "linux/amd64".parse().unwrap();
        let arm64_v8: Platform = "linux/arm64/v8".parse().unwrap();
        assert_eq!(arm64_v8.to_string(), "linux/arm64/v8");
        let arm64: Platform = "linux/arm64".parse().unwrap();
        assert!(arm64.selects(&arm64_v8));
        assert!(!arm64_v8.selects(&arm64));
        assert!(!amd64.selects(&arm64));
        for bad in [
            "linux",
            "linux/",
            "/amd64",
            "linux/amd64/v8/x",
            "linux/am d64",
        ] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_config_keeps_unknown_fields_and_gains_layer_history_labels_and_env() {
        let base = parse_document(
            "base config",
            br#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","A=1"],"Healthcheck":{"Test":["CMD","berth","healthcheck"]},"Labels":{"org.opencontainers.image.title":"berth"},"Entrypoint":["berth"]},"rootfs":{"type":"layers","diff_ids":["sha256:11"]},"history":[{"created_by":"base"}],"x-vendor":1}"#,
        )
        .unwrap();
        check_runner("base", &base).unwrap();
        let config = derive_config(
            &base,
            "application/vnd.docker.container.image.v1+json",
            &layer(),
            &additions(),
        )
        .unwrap();
        let value: Value = serde_json::from_slice(&config.bytes).unwrap();
        assert_eq!(value["x-vendor"], 1);
        assert_eq!(value["config"]["Healthcheck"]["Test"][1], "berth");
        assert_eq!(
            value["rootfs"]["diff_ids"],
            json!(["sha256:11", "sha256:aa"])
        );
        assert_eq!(
            value["config"]["Env"],
            json!(["PATH=/bin", "A=2", "MODEL_FILENAME=iris.onnx"])
        );
        assert_eq!(
            value["config"]["Labels"]["dev.berth.model.file"],
            "model.onnx"
        );
        assert_eq!(
            value["config"]["Labels"]["org.opencontainers.image.title"],
            "berth"
        );
        assert_eq!(value["history"][1]["created_by"], "berth package");
        assert_eq!(value["created"], "1970-01-01T00:00:00Z");
        assert_eq!(config.digest, crate::digest::sha256_digest(&config.bytes));
        // The same inputs give the same bytes.
        let again = derive_config(
            &base,
            "application/vnd.docker.container.image.v1+json",
            &layer(),
            &additions(),
        )
        .unwrap();
        assert_eq!(config, again);
    }

    #[test]
    fn a_base_that_does_not_run_berth_is_refused() {
        let base = parse_document("c", br#"{"config":{"Entrypoint":["/bin/sh"],"Labels":{"org.opencontainers.image.title":"debian"}},"rootfs":{"diff_ids":[]}}"#).unwrap();
        let error = check_runner("docker.io/library/debian", &base)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(
                "is not a berth runner image: its entrypoint is \"/bin/sh\" (title \"debian\")"
            ),
            "{error}"
        );
        let none = parse_document("c", br#"{"rootfs":{"diff_ids":[]}}"#).unwrap();
        assert!(
            check_runner("b", &none)
                .unwrap_err()
                .to_string()
                .contains("entrypoint is not set")
        );
    }

    #[test]
    fn the_manifest_gets_the_layer_and_oci_annotations_docker_none() {
        let base = parse_document("m", br#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:00","size":1},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:11","size":2}]}"#).unwrap();
        let config = Document::new("application/vnd.oci.image.config.v1+json", &json!({"a":1}));
        let oci = derive_manifest(
            &base,
            OCI_MANIFEST,
            &config,
            &layer(),
            "application/vnd.oci.image.layer.v1.tar",
            &additions(),
        )
        .unwrap();
        let value: Value = serde_json::from_slice(&oci.bytes).unwrap();
        assert_eq!(value["mediaType"], OCI_MANIFEST);
        assert_eq!(value["config"]["digest"], json!(config.digest));
        assert_eq!(
            value["layers"][1],
            json!({"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:bb","size":7})
        );
        assert_eq!(
            value["annotations"]["org.opencontainers.image.base.digest"],
            "sha256:cc"
        );
        let docker =
            derive_manifest(&base, DOCKER_MANIFEST, &config, &layer(), "x", &additions()).unwrap();
        let value: Value = serde_json::from_slice(&docker.bytes).unwrap();
        assert!(value.get("annotations").is_none());
    }

    #[test]
    fn the_index_keeps_only_replaced_entries_with_their_platforms() {
        let base = parse_document("i", br#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:a1","size":1,"platform":{"os":"linux","architecture":"amd64"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:a2","size":1,"platform":{"os":"linux","architecture":"arm64"}}]}"#).unwrap();
        let new = Document::new(OCI_MANIFEST, &json!({"n":1}));
        let index = derive_index(
            &base,
            OCI_INDEX,
            &[("sha256:a2".into(), &new)],
            &additions(),
        );
        let value: Value = serde_json::from_slice(&index.bytes).unwrap();
        assert_eq!(value["manifests"].as_array().unwrap().len(), 1);
        assert_eq!(value["manifests"][0]["digest"], json!(new.digest));
        assert_eq!(value["manifests"][0]["platform"]["architecture"], "arm64");
    }
}
