//! A client for the OCI distribution API (stand-in signatures until the registry work lands).
#![allow(clippy::missing_errors_doc, clippy::unused_self, missing_docs)]

use crate::Result;

#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    pub insecure: bool,
    pub chunk_size: Option<u64>,
    pub credentials: CredentialSource,
}

#[derive(Debug, Clone, Default)]
pub enum CredentialSource {
    #[default]
    Environment,
    Anonymous,
    Basic {
        username: String,
        password: String,
    },
}

pub struct FetchedManifest {
    pub media_type: String,
    pub bytes: Vec<u8>,
    pub digest: String,
}

#[derive(Default, Clone, Debug)]
pub struct PushStats {
    pub blobs_uploaded: u64,
    pub bytes_uploaded: u64,
    pub blobs_present: u64,
    pub blobs_mounted: u64,
}

pub struct RegistryClient {
    registry: String,
    repository: String,
}

impl RegistryClient {
    pub fn new(registry: &str, repository: &str, _options: &RegistryOptions) -> Result<Self> {
        Ok(Self {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
        })
    }
    pub fn registry(&self) -> &str {
        &self.registry
    }
    pub fn repository(&self) -> &str {
        &self.repository
    }
    pub fn manifest(&self, _reference: &str) -> Result<FetchedManifest> {
        unimplemented!()
    }
    pub fn blob(&self, _digest: &str) -> Result<Box<dyn std::io::Read + Send>> {
        unimplemented!()
    }
    pub fn has_blob(&self, _digest: &str) -> Result<bool> {
        unimplemented!()
    }
    pub fn mount_blob(&self, _digest: &str, _from_repository: &str) -> Result<bool> {
        unimplemented!()
    }
    pub fn push_blob(
        &self,
        _digest: &str,
        _size: u64,
        _open: &mut dyn FnMut() -> std::io::Result<Box<dyn std::io::Read + Send>>,
    ) -> Result<()> {
        unimplemented!()
    }
    pub fn put_manifest(
        &self,
        _reference: &str,
        _media_type: &str,
        _bytes: &[u8],
    ) -> Result<String> {
        unimplemented!()
    }
    pub fn stats(&self) -> PushStats {
        PushStats::default()
    }
}
