//! The one error type of `berth-oci`: every way packaging, reading a base or talking to a
//! registry can fail, each with what was expected.

use std::path::PathBuf;

/// What went wrong while reading, building or writing an image.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    /// A file of the model or of a layout could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// An image reference that is not valid (`registry/repository[:tag][@sha256:...]`).
    #[error("invalid image reference {reference:?}: {message}")]
    InvalidReference {
        /// The reference as given.
        reference: String,
        /// What is wrong with it.
        message: String,
    },

    /// An output that is not `oci:DIR[:TAG]`, `docker-archive:FILE` or a registry reference.
    #[error("invalid output {output:?}: {message}")]
    InvalidOutput {
        /// The output as given.
        output: String,
        /// What was expected.
        message: String,
    },

    /// A manifest, index or config that is not what the OCI image spec says.
    #[error("{what}: {message}")]
    InvalidImage {
        /// Which document (for example "the base's manifest sha256:...").
        what: String,
        /// What is wrong with it.
        message: String,
    },

    /// The base image is not a berth runner (no berth entrypoint or title label).
    #[error("the base {base} is not a berth runner image: {message}")]
    NotARunner {
        /// The base reference.
        base: String,
        /// What was found instead.
        message: String,
    },

    /// `--platform` names a platform the base does not have.
    #[error("the base {base} has no platform {platform} (it has: {available})")]
    NoSuchPlatform {
        /// The base reference.
        base: String,
        /// The platform asked for.
        platform: String,
        /// The platforms the base has.
        available: String,
    },

    /// Bytes whose digest differs from the one they were fetched by.
    #[error("{what}: expected digest {expected}, got {actual}")]
    DigestMismatch {
        /// Which blob or manifest.
        what: String,
        /// The digest asked for.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },

    // ---- registry (crate::registry) ----
    /// The registry could not be reached (connection refused, DNS, TLS, timeout).
    #[error("registry {registry} is unreachable: {message}")]
    Unreachable {
        /// `host[:port]`.
        registry: String,
        /// What the transport said.
        message: String,
    },

    /// The registry refused the credentials (or asked for some and none were found).
    #[error("registry {registry} refused access to {repository}: {message}")]
    Unauthorized {
        /// `host[:port]`.
        registry: String,
        /// The repository.
        repository: String,
        /// The registry's answer, and where credentials were looked for.
        message: String,
    },

    /// A registry answered with an unexpected status.
    #[error("{method} {url}: {status} {message}")]
    RegistryStatus {
        /// HTTP method.
        method: &'static str,
        /// The URL asked.
        url: String,
        /// HTTP status.
        status: u16,
        /// The registry's error body, shortened.
        message: String,
    },

    /// The source of a blob being uploaded failed or ended before the blob's size.
    #[error("reading the blob to send to {url}: {source}")]
    BlobSource {
        /// The upload URL.
        url: String,
        /// What the source said.
        #[source]
        source: std::io::Error,
    },

    /// A credentials file or credential helper that could not be used.
    #[error("credentials for {registry}: {message}")]
    Credentials {
        /// `host[:port]`.
        registry: String,
        /// What went wrong (file, helper, format).
        message: String,
    },
}

impl OciError {
    /// An [`OciError::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
