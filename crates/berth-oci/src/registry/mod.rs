//! A blocking client for the OCI distribution API: one registry host and one repository, with
//! the manifest and blob calls `berth package` needs (read a base, push blobs and manifests,
//! mount blobs across repositories).
//!
//! This module owns the transport rules (which registries talk plain HTTP, timeouts, how errors
//! are reported) and the upload strategy (HEAD, then one streamed PUT, chunks when asked or when
//! the registry refuses a large body). Its submodules: `auth` owns credentials and the challenge
//! flow, `transport` sending one request, `upload` the upload strategy;
//! digests are checked with the crate's `verify`, as for every other source.
//!
//! Written on `ureq` rather than with an OCI client crate: those are async (tokio) and berth's
//! packaging path is synchronous and streams layers from files. `oci-client` in particular takes
//! a pushed blob as one byte slice (a 1 GB model would sit in memory), asks for no pull scope on
//! the source repository of a mount (token registries then refuse the mount), reads no docker or
//! podman credentials, and writes manifests without their `mediaType`.

mod auth;
mod transport;
mod upload;

use std::io::Read;
use std::net::IpAddr;
use std::sync::Mutex;

use ureq::http::Method;

use crate::digest::sha256_digest;
use crate::verify;
pub use crate::verify::VerifyingReader;
pub use auth::CredentialLookup;

use crate::{OciError, Result};
use transport::{Call, Payload};

/// The media types berth reads as manifests, in the order of preference it tells the registry.
pub const MANIFEST_MEDIA_TYPES: [&str; 4] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// How to talk to a registry.
#[derive(Clone, Debug, Default)]
pub struct RegistryOptions {
    /// Plain HTTP allowed for a registry that is not on loopback (loopback, i.e. 127.0.0.0/8,
    /// ::1, `localhost`, always talks plain HTTP; every other registry HTTPS unless insecure).
    /// An insecure registry is spoken to in plain HTTP.
    pub insecure: bool,
    /// Force chunked uploads of this many bytes per PATCH (None: monolithic, chunked only as
    /// fallback).
    pub chunk_size: Option<u64>,
    /// Where credentials come from (default: the environment, see [`CredentialLookup`]).
    pub credentials: CredentialSource,
}

/// Where a client's credentials come from.
#[derive(Clone, Debug, Default)]
pub enum CredentialSource {
    /// The auth files and credential helpers the process environment points to: in order
    /// `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
    /// `$XDG_CONFIG_HOME/containers/auth.json` (or `~/.config/...`), then `$DOCKER_CONFIG/config.json`
    /// (or `~/.docker/config.json`); in each, `credHelpers` and `credsStore` name a
    /// `docker-credential-<name>` program on `PATH`. Looked up on the first 401 only.
    #[default]
    Environment,
    /// The same search, in the files and helpers the given variables point to.
    Lookup(CredentialLookup),
    /// No credentials: anonymous access only.
    Anonymous,
    /// This user name and password.
    Basic {
        /// The user name.
        username: String,
        /// The password (or a token the registry takes as one).
        password: String,
    },
}

/// A manifest (or index) as the registry sent it.
#[derive(Clone, Debug)]
pub struct FetchedManifest {
    /// The registry's `Content-Type` (without parameters), or the document's `mediaType`.
    pub media_type: String,
    /// The bytes, exactly as received.
    pub bytes: Vec<u8>,
    /// `sha256:` of the bytes.
    pub digest: String,
}

/// What a client's pushes did, for a summary line.
#[derive(Default, Clone, Debug)]
pub struct PushStats {
    /// Blobs sent to the registry.
    pub blobs_uploaded: u64,
    /// Bytes of those blobs.
    pub bytes_uploaded: u64,
    /// Blobs the registry already had (found by HEAD).
    pub blobs_present: u64,
    /// Blobs mounted from another repository of the same registry.
    pub blobs_mounted: u64,
}

/// A client for one repository of one registry. Safe to share between threads.
pub struct RegistryClient {
    transport: transport::Transport,
    chunk_size: Option<u64>,
    stats: Mutex<PushStats>,
}

/// The host Docker Hub's API is served from, for the name users write.
const DOCKER_HUB_API: &str = "registry-1.docker.io";

impl RegistryClient {
    /// A client for `repository` on `registry` (`host[:port]`; `docker.io` means Docker Hub,
    /// where a one-part repository is under `library/`). Nothing is sent yet.
    pub fn new(registry: &str, repository: &str, options: &RegistryOptions) -> Result<Self> {
        let invalid = |message: &str| OciError::InvalidReference {
            reference: format!("{registry}/{repository}"),
            message: message.to_string(),
        };
        let registry = match registry {
            "index.docker.io" | "registry-1.docker.io" => "docker.io",
            other => other,
        };
        if registry.is_empty() || registry.contains('/') || registry.contains("://") {
            return Err(invalid(
                "the registry is a host name with an optional :port",
            ));
        }
        let repository_ok = !repository.is_empty()
            && repository.split('/').all(|part| {
                !part.is_empty()
                    && part.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)
                    })
            });
        if !repository_ok {
            return Err(invalid(
                "the repository is lowercase path components of [a-z0-9._-] separated by /",
            ));
        }
        let (api_host, repository) = if registry == "docker.io" {
            let repository = if repository.contains('/') {
                repository.to_string()
            } else {
                format!("library/{repository}")
            };
            (DOCKER_HUB_API, repository)
        } else {
            (registry, repository.to_string())
        };
        let scheme = if options.insecure || is_loopback(registry) {
            "http"
        } else {
            "https"
        };
        Ok(Self {
            transport: transport::Transport::new(
                registry,
                &repository,
                format!("{scheme}://{api_host}"),
                &options.credentials,
            ),
            chunk_size: options.chunk_size,
            stats: Mutex::new(PushStats::default()),
        })
    }

    /// The registry, as given (`docker.io` for Docker Hub).
    pub fn registry(&self) -> &str {
        &self.transport.registry
    }

    /// The repository (with `library/` for a Docker Hub official image).
    pub fn repository(&self) -> &str {
        &self.transport.repository
    }

    /// GET a manifest by tag or digest; Accept: OCI manifest + OCI index + docker v2s2 manifest +
    /// docker manifest list. Verifies the digest when asked by digest; the digest is the sha256
    /// of the bytes as received.
    pub fn manifest(&self, reference: &str) -> Result<FetchedManifest> {
        let by_digest = reference.contains(':');
        if by_digest {
            verify::check_digest_syntax(reference)?;
        }
        let call = Call::new(Method::GET, self.manifest_url(reference))
            .header("Accept", MANIFEST_MEDIA_TYPES.join(", "))
            .scopes(self.pull_scopes());
        let response = self.transport.send(&call, Payload::Empty)?;
        let response = self.transport.expect(&call, response, &[200])?;
        let header_type = transport::header(&response, "content-type")
            .map(|value| value.split(';').next().unwrap_or("").trim().to_string())
            .filter(|value| !value.is_empty());
        let bytes = transport::read_small_body(&call, response, MAX_MANIFEST_BYTES)?;
        let what = format!("manifest {reference} of {}", self.describe());
        if by_digest {
            verify::verify_bytes(&what, reference, &bytes)?;
        }
        let media_type = match header_type {
            Some(media_type) => media_type,
            None => document_media_type(&bytes).ok_or_else(|| OciError::InvalidImage {
                what,
                message: "no Content-Type and no mediaType field".to_string(),
            })?,
        };
        Ok(FetchedManifest {
            media_type,
            digest: sha256_digest(&bytes),
            bytes,
        })
    }

    /// Streams a blob (following redirects to storage). The caller checks size and digest while
    /// reading, or uses [`RegistryClient::verified_blob`].
    pub fn blob(&self, digest: &str) -> Result<Box<dyn Read + Send>> {
        verify::check_digest_syntax(digest)?;
        let call = Call::new(Method::GET, self.blob_url(digest)).scopes(self.pull_scopes());
        let response = self.transport.send(&call, Payload::Empty)?;
        let response = self.transport.expect(&call, response, &[200])?;
        Ok(Box::new(response.into_body().into_reader()))
    }

    /// [`RegistryClient::blob`] through a [`VerifyingReader`]: reading it to its end fails with
    /// an I/O error wrapping [`OciError::DigestMismatch`] when the bytes are not `digest`'s.
    pub fn verified_blob(&self, digest: &str) -> Result<Box<dyn Read + Send>> {
        let what = format!("blob {digest} of {}", self.describe());
        Ok(Box::new(VerifyingReader::new(
            self.blob(digest)?,
            digest,
            what,
        )?))
    }

    /// Whether the repository has the blob (HEAD).
    pub fn has_blob(&self, digest: &str) -> Result<bool> {
        verify::check_digest_syntax(digest)?;
        self.blob_exists(digest, self.pull_scopes())
    }

    /// Cross-repository mount (POST `?mount=&from=`): `Ok(true)` when mounted (201), `Ok(false)`
    /// when the registry started an upload instead (202; that upload session is cancelled).
    pub fn mount_blob(&self, digest: &str, from_repository: &str) -> Result<bool> {
        verify::check_digest_syntax(digest)?;
        let mut scopes = self.push_scopes();
        scopes.push(format!("repository:{from_repository}:pull"));
        let url = format!(
            "{}?mount={}&from={}",
            self.uploads_url(),
            auth::percent_encode(digest),
            auth::percent_encode(from_repository)
        );
        let call = Call::new(Method::POST, url).scopes(scopes);
        let response = self.transport.send(&call, Payload::Bytes(&[]))?;
        match response.status().as_u16() {
            201 => {
                self.with_stats(|stats| stats.blobs_mounted += 1);
                Ok(true)
            }
            202 => {
                // The registry could not mount and opened an upload session instead; the caller
                // will upload through its own session, so this one is closed. A registry that
                // refuses the DELETE only keeps an idle session until it expires.
                if let Some(location) = transport::header(&response, "location") {
                    let cancel = Call::new(Method::DELETE, self.transport.resolve(&location))
                        .scopes(self.push_scopes());
                    let _ = self.transport.send(&cancel, Payload::Empty);
                }
                Ok(false)
            }
            _ => Err(self.transport.failure(&call, response)),
        }
    }

    /// HEAD first (skip if present), then upload: POST to start, one PUT with the whole body
    /// (Content-Length set, streamed, never held in memory), or, when forced by `chunk_size` or
    /// when the monolithic PUT is refused as too large (413), PATCH chunks (Content-Range,
    /// OCI-Chunk-Min-Length respected) then PUT `?digest=`. `open` is called again for a retry or
    /// fallback, so a large layer is re-read from its source rather than buffered.
    pub fn push_blob(
        &self,
        digest: &str,
        size: u64,
        open: &mut dyn FnMut() -> std::io::Result<Box<dyn Read + Send>>,
    ) -> Result<()> {
        verify::check_digest_syntax(digest)?;
        if self.blob_exists(digest, self.push_scopes())? {
            self.with_stats(|stats| stats.blobs_present += 1);
            return Ok(());
        }
        upload::push(self, digest, size, open)?;
        self.with_stats(|stats| {
            stats.blobs_uploaded += 1;
            stats.bytes_uploaded += size;
        });
        Ok(())
    }

    /// PUT a manifest (by tag or digest) with its media type as Content-Type; returns its
    /// `sha256:` digest. Bytes that do not match a digest reference are refused before sending.
    pub fn put_manifest(&self, reference: &str, media_type: &str, bytes: &[u8]) -> Result<String> {
        if reference.contains(':') {
            verify::verify_bytes(
                &format!("manifest {reference} for {}", self.describe()),
                reference,
                bytes,
            )?;
        }
        let call = Call::new(Method::PUT, self.manifest_url(reference))
            .header("Content-Type", media_type.to_string())
            .scopes(self.push_scopes());
        let response = self.transport.send(&call, Payload::Bytes(bytes))?;
        self.transport.expect(&call, response, &[200, 201])?;
        Ok(sha256_digest(bytes))
    }

    /// What this client's pushes and mounts did so far.
    pub fn stats(&self) -> PushStats {
        self.stats
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn with_stats(&self, change: impl FnOnce(&mut PushStats)) {
        change(
            &mut self
                .stats
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
    }

    fn blob_exists(&self, digest: &str, scopes: Vec<String>) -> Result<bool> {
        let call = Call::new(Method::HEAD, self.blob_url(digest)).scopes(scopes);
        let response = self.transport.send(&call, Payload::Empty)?;
        match response.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            _ => self.transport.expect(&call, response, &[200]).map(|_| true),
        }
    }

    fn describe(&self) -> String {
        format!("{}/{}", self.registry(), self.repository())
    }

    fn pull_scopes(&self) -> Vec<String> {
        vec![format!("repository:{}:pull", self.repository())]
    }

    fn push_scopes(&self) -> Vec<String> {
        vec![format!("repository:{}:pull,push", self.repository())]
    }

    fn manifest_url(&self, reference: &str) -> String {
        format!(
            "{}/v2/{}/manifests/{reference}",
            self.transport.base_url,
            self.repository()
        )
    }

    fn blob_url(&self, digest: &str) -> String {
        format!(
            "{}/v2/{}/blobs/{digest}",
            self.transport.base_url,
            self.repository()
        )
    }

    fn uploads_url(&self) -> String {
        format!(
            "{}/v2/{}/blobs/uploads/",
            self.transport.base_url,
            self.repository()
        )
    }
}

/// Manifests are small; a larger answer is not a manifest (OCI registries cap them at 4 MiB).
const MAX_MANIFEST_BYTES: u64 = 8 << 20;

/// The `mediaType` field of a JSON document, for a registry that sends no Content-Type.
fn document_media_type(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct WithMediaType {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
    }
    serde_json::from_slice::<WithMediaType>(bytes)
        .ok()?
        .media_type
}

/// Whether `registry` (`host[:port]`) is on the loopback interface, where plain HTTP is safe.
fn is_loopback(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else if registry.matches(':').count() > 1 {
        // A bare IPv6 address: its colons are not a port separator.
        registry
    } else {
        registry.split(':').next().unwrap_or(registry)
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_talk_plain_http() {
        for host in [
            "127.0.0.1:5000",
            "127.1.2.3",
            "localhost:1",
            "[::1]:5000",
            "::1",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "10.0.0.1:5000",
            "registry.local",
            "localhost.evil.com",
            "[::2]:1",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn schemes_and_docker_hub_names() {
        let options = RegistryOptions::default();
        let local = RegistryClient::new("127.0.0.1:5000", "team/model", &options).unwrap();
        assert_eq!(local.transport.base_url, "http://127.0.0.1:5000");
        let remote = RegistryClient::new("ghcr.io", "team/model", &options).unwrap();
        assert_eq!(remote.transport.base_url, "https://ghcr.io");
        let insecure = RegistryOptions {
            insecure: true,
            ..RegistryOptions::default()
        };
        let plain = RegistryClient::new("10.1.2.3:5000", "m", &insecure).unwrap();
        assert_eq!(plain.transport.base_url, "http://10.1.2.3:5000");
        let hub = RegistryClient::new("docker.io", "debian", &options).unwrap();
        assert_eq!(hub.transport.base_url, "https://registry-1.docker.io");
        assert_eq!(
            (hub.registry(), hub.repository()),
            ("docker.io", "library/debian")
        );
    }

    #[test]
    fn bad_names_are_refused() {
        let options = RegistryOptions::default();
        for (registry, repository) in [
            ("", "a"),
            ("https://ghcr.io", "a"),
            ("ghcr.io", "Team/a"),
            ("ghcr.io", "a//b"),
            ("ghcr.io", ""),
        ] {
            assert!(
                matches!(
                    RegistryClient::new(registry, repository, &options),
                    Err(OciError::InvalidReference { .. })
                ),
                "{registry} {repository}"
            );
        }
    }

    #[test]
    fn media_type_from_the_document() {
        assert_eq!(
            document_media_type(br#"{"schemaVersion":2,"mediaType":"x/y"}"#).as_deref(),
            Some("x/y")
        );
        assert_eq!(document_media_type(b"{}"), None);
    }
}
