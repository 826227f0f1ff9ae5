//! The registry client against a real registry (Debian's `docker-registry`, distribution 2.8) on
//! 127.0.0.1: uploads, mounts, manifests, digests, Basic and Bearer auth, credential files and
//! helpers, and an unreachable registry.
//!
//! The tests that start a registry are `#[ignore]`d so that the builder image, which has no
//! registry, lists them as skipped; `make test` runs them (`--include-ignored`), and there a
//! missing `docker-registry` fails them with the command that installs it.

mod support;

use std::io::Read;
use std::time::{Duration, Instant};

use berth_oci::OciError;
use berth_oci::registry::{CredentialLookup, CredentialSource, RegistryClient, RegistryOptions};
use berth_oci::sha256_digest;
use support::{Access, BodyLimitProxy, PASSWORD, Registry, USER};

/// Bytes that do not compress or repeat, the same on every run.
fn blob_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn connect(registry: &Registry, repository: &str, options: &RegistryOptions) -> RegistryClient {
    RegistryClient::new(&registry.host, repository, options).unwrap()
}

fn anonymous() -> RegistryOptions {
    RegistryOptions {
        credentials: CredentialSource::Anonymous,
        ..RegistryOptions::default()
    }
}

fn basic(password: &str) -> RegistryOptions {
    RegistryOptions {
        credentials: CredentialSource::Basic {
            username: USER.to_string(),
            password: password.to_string(),
        },
        ..RegistryOptions::default()
    }
}

/// Pushes `bytes` and counts how often the source was opened.
fn push(client: &RegistryClient, bytes: &[u8]) -> berth_oci::Result<u32> {
    let mut opened = 0;
    let owned = bytes.to_vec();
    client.push_blob(&sha256_digest(bytes), bytes.len() as u64, &mut || {
        opened += 1;
        Ok(Box::new(std::io::Cursor::new(owned.clone())))
    })?;
    Ok(opened)
}

fn read_blob(client: &RegistryClient, digest: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    client
        .verified_blob(digest)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

/// A config blob, one layer and the manifest naming them, pushed; returns the manifest bytes.
fn push_image(client: &RegistryClient) -> Vec<u8> {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let layer = blob_bytes(4096, 7);
    push(client, config).unwrap();
    push(client, &layer).unwrap();
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": sha256_digest(config),
            "size": config.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": sha256_digest(&layer),
            "size": layer.len(),
        }],
    }))
    .unwrap()
}

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

#[test]
#[ignore = "needs docker-registry (scripts/images/install-tools.sh); `make test` runs it"]
fn a_monolithic_push_is_seen_by_head_and_not_repeated() {
    let registry = Registry::start(Access::Open);
    let client = connect(&registry, "team/model", &RegistryOptions::default());
    let bytes = blob_bytes(300_000, 1);
    let digest = sha256_digest(&bytes);

    assert!(!client.has_blob(&digest).unwrap());
    assert_eq!(push(&client, &bytes).unwrap(), 1, "opened once");
    assert!(client.has_blob(&digest).unwrap());
    assert_eq!(read_blob(&client, &digest), bytes);

    assert_eq!(
        push(&client, &bytes).unwrap(),
        0,
        "a present blob is not read"
    );
    let stats = client.stats();
    assert_eq!(stats.blobs_uploaded, 1);
    assert_eq!(stats.bytes_uploaded, bytes.len() as u64);
    assert_eq!(stats.blobs_present, 1);
    assert_eq!(stats.blobs_mounted, 0);
    assert_eq!(
        registry.completed_uploads("team/model"),
        [digest],
        "the registry's own log: one upload"
    );
}

#[test]
#[ignore = "needs docker-registry (scripts/images/install-tools.sh); `make test` runs it"]
fn a_forced_chunked_push_arrives_whole() {
    let registry = Registry::start(Access::Open);
    let options = RegistryOptions {
        chunk_size: Some(256 * 1024),
        ..RegistryOptions::default()
    };
    let client = connect(&registry, "team/chunked", &options);
    // Not a multiple of the chunk size: the last chunk is short.
    let bytes = blob_bytes(3 * 1024 * 1024 + 12_345, 2);
    let digest = sha256_digest(&bytes);
    assert_eq!(push(&client, &bytes).unwrap(), 1);
    let fetched = read_blob(&client, &digest);
    assert_eq!(fetched.len(), bytes.len());
    assert_eq!(sha256_digest(&fetched), digest);
    assert_eq!(client.stats().bytes_uploaded, bytes.len() as u64);

    // An empty blob is a session closed at once.
    push(&client, b"").unwrap();
    assert!(client.has_blob(&sha256_digest(b"")).unwrap());
}

#[test]
#[ignore = "needs docker-registry (scripts/images/install-tools.sh); `make test` runs it"]
fn a_body_refused_as_too_large_is_sent_again_in_chunks() {
    let registry = Registry::start(Access::Open);
    let limit = 1024 * 1024;
    let proxy = BodyLimitProxy::start(&registry.host, limit);
    let client = RegistryClient::new(&proxy.host, "team/big", &RegistryOptions::default()).unwrap();
    // nginx's default limit; the fallback chunks (1 MiB) pass it, the whole blob does not.
    let bytes = blob_bytes(2 * limit as usize + 500_000, 6);
    let digest = sha256_digest(&bytes);
    let opened = push(&client, &bytes).unwrap();
    assert_eq!(
        opened, 2,
        "opened for the refused PUT, then again for the chunks"
    );
    assert_eq!(proxy.refused.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert_eq!(read_blob(&client, &digest), bytes);
}

#[test]
#[ignore = "needs docker-registry (scripts/images/install-tools.sh); `make test` runs it"]
fn a_source_shorter_than_its_size_is_reported_as_the_source() {
    let registry = Registry::start(Access::Open);
    let client = connect(&registry, "team/short", &RegistryOptions::default());
    let bytes = blob_bytes(1000, 3);
    let error = client
        .push_blob(&sha256_digest(&bytes), 2000, &mut || {
            Ok(Box::new(std::io::Cursor::new(bytes.clone())))
        })
        .unwrap_err();
    assert!(
        matches!(&error, OciError::BlobSource { source, .. } if source.to_string().contains("1000 of 2000")),
        "{error}"
    );
}

#[test]
#[ignore = "needs docker-registry (scripts/images/install-tools.sh); `make test` runs it"]
fn a_blob_is_mounted_from_another_repository() {
    let registry = Registry::start(Access::Open);
    let base = connect(&registry, "team/base", &RegistryOptions::default());
    let bytes = blob_bytes(50_000, 4);
    let digest = sha256_digest(&bytes);
    push(&base, &bytes).unwrap();

    let model = connect(&registry, "team/model", &RegistryOptions::default());
    assert!(!model.has_blob(&digest).unwrap());
    assert!(model.mount_blob(&digest, "team/base").unwrap());
    assert!(model.has_blob(&digest).unwrap());
    assert_eq!(read_blob(&model, &digest), bytes);

    // A blob the other repository does not have: the registry opens an upload instead.
    let absent = sha256_digest(b"not pushed anywhere");
    assert!(!model.mount_blob(&absent, "team/base").unwrap());
    let stats = model.stats();
    assert_eq!((stats.blobs_mounted, stats.blobs_uploaded), (1, 0));
}

#[test]
#[ignore = "needs docker-registry (scripts/images/install-tools.sh); `make test` runs it"]
fn manifests_put_by_tag_and_digest_read_back_byte_for_byte() {
    let registry = Registry::start(Access::Open);
    let client = connect(&registry, "team/model", &RegistryOptions::default());
    let manifest = push_image(&client);
    let digest = sha256_digest(&manifest);

    assert_eq!(
        client.put_manifest("v1", OCI_MANIFEST, &manifest).unwrap(),
        digest
    );
    let by_tag = client.manifest("v1").unwrap();
    assert_eq!(by_tag.bytes, manifest);
    assert_eq!(by_tag.digest, digest);
    assert_eq!(by_tag.media_type, OCI_MANIFEST);

    let other = connect(&registry, "team/other", &RegistryOptions::default());
    push_image(&other);
    assert_eq!(
        other
            .put_manifest(&digest, OCI_MANIFEST, &manifest)
            .unwrap(),
        digest
    );
    let by_digest = other.manifest(&digest).unwrap();
    assert_eq!(
        (by_digest.bytes, by_digest.digest),
        (manifest.clone(), digest.clone())
    );

    // Bytes that are not the digest they are put under are refused before they leave.
    let wrong = sha256_digest(b"something else");
    assert!(matches!(
        client.put_manifest(&wrong, OCI_MANIFEST, &manifest),
        Err(OciError::DigestMismatch { .. })
    ));
    // An unknown tag is the registry's 404, with its error code.
    match client.manifest("v404") {
        Err(OciError::RegistryStatus {
            status: 404,
            message,
            ..
        }) => {
            assert!(message.contains("MANIFEST_UNKNOWN"), "{message}")
        }
        other => panic!("expected a 404, got {other:?}"),
    }
}

#[test]
#[ignore = "needs docker-registry (scripts/images/install-tools.sh); `make test` runs it"]
fn a_blob_whose_stored_bytes_changed_fails_its_digest() {
    let registry = Registry::start(Access::Open);
    let client = connect(&registry, "team/model", &RegistryOptions::default());
    let bytes = blob_bytes(10_000, 5);
    let digest = sha256_digest(&bytes);
    push(&client, &bytes).unwrap();

    // Make the registry lie: its filesystem storage serves what is on disk without checking.
    let hex = digest.strip_prefix("sha256:").unwrap();
    let data = registry.storage().join(format!(
        "docker/registry/v2/blobs/sha256/{}/{hex}/data",
        &hex[..2]
    ));
    let mut tampered = bytes.clone();
    tampered[0] ^= 0xff;
    std::fs::write(&data, &tampered).unwrap();

    let error = std::io::copy(
        &mut client.verified_blob(&digest).unwrap(),
        &mut std::io::sink(),
    )
    .unwrap_err();
    match error.get_ref().and_then(|e| e.downcast_ref::<OciError>()) {
        Some(OciError::DigestMismatch {
            expected, actual, ..
        }) => {
            assert_eq!(expected, &digest);
            assert_eq!(actual, &sha256_digest(&tampered));
        }
        other => panic!("expected a digest mismatch, got {other:?} ({error})"),
    }
    // The unverified stream hands the bytes over as they came.
    let mut raw = Vec::new();
    client.blob(&digest).unwrap().read_to_end(&mut raw).unwrap();
    assert_eq!(raw, tampered);
}

#[test]
#[ignore = "needs docker-registry (scripts/images/install-tools.sh); `make test` runs it"]
fn basic_auth_with_given_credentials() {
    let registry = Registry::start(Access::Basic);
    let client = connect(&registry, "team/model", &basic(PASSWORD));
    let manifest = push_image(&client);
    client.put_manifest("v1", OCI_MANIFEST, &manifest).unwrap();
    assert_eq!(client.manifest("v1").unwrap().bytes, manifest);

    let wrong = connect(&registry, "team/model", &basic("wrong"));
    match wrong.has_blob(&sha256_digest(b"x")) {
        Err(OciError::Unauthorized { message, .. }) => {
            assert!(message.contains("401"), "{message}");
            assert!(
                message.contains("the credentials berth was given"),
                "{message}"
            );
            assert!(!message.contains("wrong"), "no secret in {message}");
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    let none = connect(&registry, "team/model", &anonymous());
    assert!(matches!(
        none.manifest("v1"),
        Err(OciError::Unauthorized { message, .. }) if message.contains("anonymous")
    ));
}

#[test]
#[ignore = "needs docker-registry (scripts/images/install-tools.sh); `make test` runs it"]
fn basic_auth_from_a_docker_config_file() {
    let registry = Registry::start(Access::Basic);
    let dir = tempfile::tempdir().unwrap();
    let write_config = |password: &str| {
        let auth = base64_encode(&format!("{USER}:{password}"));
        std::fs::write(
            dir.path().join("config.json"),
            format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, registry.host),
        )
        .unwrap();
    };
    let lookup = CredentialLookup::empty()
        .with_var("DOCKER_CONFIG", dir.path())
        .with_var("HOME", dir.path().join("no-home"));
    let options = RegistryOptions {
        credentials: CredentialSource::Lookup(lookup),
        ..RegistryOptions::default()
    };

    write_config(PASSWORD);
    let client = connect(&registry, "team/model", &options);
    push(&client, b"layer from a config file").unwrap();
    assert_eq!(client.stats().blobs_uploaded, 1);

    write_config("stale password");
    let stale = connect(&registry, "team/model", &options);
    match push(&stale, b"another layer") {
        Err(OciError::Unauthorized { message, .. }) => {
            let file = dir.path().join("config.json").display().to_string();
            assert!(message.contains(&file), "names the file: {message}");
            assert!(
                !message.contains("stale password"),
                "no secret in {message}"
            );
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

#[test]
#[ignore = "needs docker-registry (scripts/images/install-tools.sh); `make test` runs it"]
fn no_credentials_found_says_where_it_looked() {
    let registry = Registry::start(Access::Basic);
    let dir = tempfile::tempdir().unwrap();
    let lookup = CredentialLookup::empty().with_var("HOME", dir.path());
    let options = RegistryOptions {
        credentials: CredentialSource::Lookup(lookup),
        ..RegistryOptions::default()
    };
    match connect(&registry, "team/model", &options).manifest("latest") {
        Err(OciError::Unauthorized { message, .. }) => {
            assert!(message.contains("no credentials"), "{message}");
            assert!(message.contains(".docker/config.json"), "{message}");
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

/// A `docker-credential-<name>` script in a fresh directory, for a lookup whose PATH is it.
fn helper(dir: &std::path::Path, name: &str, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(format!("docker-credential-{name}"));
    std::fs::write(&path, format!("#!/bin/sh\n{script}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
#[ignore = "needs docker-registry (scripts/images/install-tools.sh); `make test` runs it"]
fn basic_auth_from_a_credential_helper() {
    let registry = Registry::start(Access::Basic);
    let dir = tempfile::tempdir().unwrap();
    let asked = dir.path().join("asked");
    helper(
        dir.path(),
        "berthtest",
        &format!(
            "[ \"$1\" = get ] || exit 2\ncat > {}\nprintf '{{\"ServerURL\":\"x\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}'\n",
            asked.display()
        ),
    );
    helper(dir.path(), "broken", "echo 'keychain locked' >&2\nexit 3\n");
    std::fs::write(
        dir.path().join("config.json"),
        format!(r#"{{"credHelpers":{{"{}":"berthtest"}}}}"#, registry.host),
    )
    .unwrap();
    let lookup = CredentialLookup::empty()
        .with_var("DOCKER_CONFIG", dir.path())
        // The helper directory first, then the system's, which the script's `cat` needs.
        .with_var("PATH", format!("{}:/usr/bin:/bin", dir.path().display()));
    let options = RegistryOptions {
        credentials: CredentialSource::Lookup(lookup.clone()),
        ..RegistryOptions::default()
    };
    let client = connect(&registry, "team/model", &options);
    push(&client, b"layer through a helper").unwrap();
    assert_eq!(std::fs::read_to_string(&asked).unwrap(), registry.host);

    // A store that fails is an error naming the helper and what it said.
    std::fs::write(dir.path().join("config.json"), r#"{"credsStore":"broken"}"#).unwrap();
    let broken = connect(&registry, "team/model", &options);
    match broken.manifest("latest") {
        Err(OciError::Credentials { message, .. }) => {
            assert!(message.contains("docker-credential-broken"), "{message}");
            assert!(message.contains("keychain locked"), "{message}");
        }
        other => panic!("expected a Credentials error, got {other:?}"),
    }
}

#[test]
#[ignore = "needs docker-registry (scripts/images/install-tools.sh); `make test` runs it"]
fn bearer_tokens_from_a_token_server() {
    let registry = Registry::start(Access::Token);
    let base = connect(&registry, "team/base", &basic(PASSWORD));
    let manifest = push_image(&base);
    let digest = base.put_manifest("v1", OCI_MANIFEST, &manifest).unwrap();
    assert_eq!(base.manifest("v1").unwrap().digest, digest);

    // A mount needs a token covering both repositories.
    let model = connect(&registry, "team/model", &basic(PASSWORD));
    let layer_digest = sha256_digest(&blob_bytes(4096, 7));
    assert!(model.mount_blob(&layer_digest, "team/base").unwrap());
    assert_eq!(read_blob(&model, &layer_digest), blob_bytes(4096, 7));

    let wrong = connect(&registry, "team/base", &basic("wrong"));
    match wrong.manifest("v1") {
        Err(OciError::Unauthorized { message, .. }) => {
            assert!(message.contains("token server"), "{message}");
            assert!(message.contains("wrong user name or password"), "{message}");
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    // Anonymous callers get a token that grants nothing, and the registry refuses it.
    let none = connect(&registry, "team/base", &anonymous());
    assert!(matches!(
        none.manifest("v1"),
        Err(OciError::Unauthorized { .. })
    ));
}

#[test]
fn a_closed_port_is_unreachable_at_once() {
    let port = support::free_port();
    let client = RegistryClient::new(
        &format!("127.0.0.1:{port}"),
        "team/model",
        &RegistryOptions::default(),
    )
    .unwrap();
    let started = Instant::now();
    match client.manifest("latest") {
        Err(OciError::Unreachable { registry, message }) => {
            assert_eq!(registry, format!("127.0.0.1:{port}"));
            assert!(!message.is_empty());
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
