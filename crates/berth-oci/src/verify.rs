//! Checking bytes against the digest they were asked for, whatever their source (a registry, a
//! layout): a digest's syntax, a whole document, and a reader that hashes a blob while it streams
//! and fails at its end when the digest differs.

use std::io::Read;

use sha2::{Digest, Sha256, Sha512};

use crate::OciError;
use crate::digest::hex;

/// The running hash of one of the algorithms OCI registers for digests.
enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    /// The hasher for `digest`'s algorithm, or an error naming what is not supported.
    fn for_digest(digest: &str) -> Result<Self, OciError> {
        let (algorithm, encoded) = digest.split_once(':').unwrap_or(("", ""));
        let expected_len = match algorithm {
            "sha256" => 64,
            "sha512" => 128,
            _ => 0,
        };
        let well_formed = expected_len > 0
            && encoded.len() == expected_len
            && encoded
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed {
            return Err(OciError::InvalidReference {
                reference: digest.to_string(),
                message: "a digest is sha256:<64 hex> or sha512:<128 hex>".to_string(),
            });
        }
        Ok(match algorithm {
            "sha256" => Self::Sha256(Sha256::new()),
            _ => Self::Sha512(Sha512::new()),
        })
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(hasher) => hasher.update(bytes),
            Self::Sha512(hasher) => hasher.update(bytes),
        }
    }

    fn finish(self) -> String {
        match self {
            Self::Sha256(hasher) => format!("sha256:{}", hex(&hasher.finalize())),
            Self::Sha512(hasher) => format!("sha512:{}", hex(&hasher.finalize())),
        }
    }
}

/// Checks that `digest` is well formed (`sha256:` or `sha512:` and its hex).
pub(crate) fn check_digest_syntax(digest: &str) -> Result<(), OciError> {
    Hasher::for_digest(digest).map(|_| ())
}

/// `Err(DigestMismatch)` when `bytes` do not hash to `expected`.
pub(crate) fn verify_bytes(what: &str, expected: &str, bytes: &[u8]) -> Result<(), OciError> {
    let mut hasher = Hasher::for_digest(expected)?;
    hasher.update(bytes);
    let actual = hasher.finish();
    if actual == expected {
        Ok(())
    } else {
        Err(OciError::DigestMismatch {
            what: what.to_string(),
            expected: expected.to_string(),
            actual,
        })
    }
}

/// A reader that hashes what it passes on and, at the end of its input, fails with an
/// [`std::io::Error`] whose inner error is [`OciError::DigestMismatch`] when the digest differs
/// from the expected one. A reader stopped before its end checks nothing.
pub struct VerifyingReader<R> {
    inner: R,
    what: String,
    expected: String,
    hasher: Option<Hasher>,
}

impl<R: Read> VerifyingReader<R> {
    /// Wraps `inner`, whose bytes must hash to `expected` (`sha256:...` or `sha512:...`). `what`
    /// names the bytes in the error (for example "blob sha256:... of team/model").
    pub fn new(inner: R, expected: &str, what: impl Into<String>) -> crate::Result<Self> {
        Ok(Self {
            inner,
            what: what.into(),
            expected: expected.to_string(),
            hasher: Some(Hasher::for_digest(expected)?),
        })
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        if read > 0 {
            if let Some(hasher) = &mut self.hasher {
                hasher.update(&buf[..read]);
            }
        } else if !buf.is_empty() {
            // End of input: check once, then behave as an ordinary reader at its end.
            if let Some(hasher) = self.hasher.take() {
                let actual = hasher.finish();
                if actual != self.expected {
                    return Err(std::io::Error::other(OciError::DigestMismatch {
                        what: self.what.clone(),
                        expected: self.expected.clone(),
                        actual,
                    }));
                }
            }
        }
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::sha256_digest;

    const HELLO_SHA256: &str =
        "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[test]
    fn sha256_of_bytes() {
        assert_eq!(sha256_digest(b"hello"), HELLO_SHA256);
    }

    #[test]
    fn verifying_reader_passes_matching_bytes() {
        let mut reader = VerifyingReader::new(&b"hello"[..], HELLO_SHA256, "greeting").unwrap();
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"hello");
    }

    #[test]
    fn verifying_reader_fails_at_the_end_of_other_bytes() {
        let mut reader = VerifyingReader::new(&b"hellO"[..], HELLO_SHA256, "greeting").unwrap();
        let error = std::io::copy(&mut reader, &mut std::io::sink()).unwrap_err();
        let inner = error
            .get_ref()
            .and_then(|e| e.downcast_ref::<OciError>())
            .expect("an OciError inside");
        match inner {
            OciError::DigestMismatch {
                what,
                expected,
                actual,
            } => {
                assert_eq!(what, "greeting");
                assert_eq!(expected, HELLO_SHA256);
                assert_eq!(actual, &sha256_digest(b"hellO"));
            }
            other => panic!("expected a digest mismatch, got {other}"),
        }
    }

    #[test]
    fn malformed_digests_are_refused() {
        for digest in [
            "sha256:abc",
            "md5:00",
            "sha256",
            &HELLO_SHA256.to_uppercase(),
        ] {
            assert!(check_digest_syntax(digest).is_err(), "{digest}");
        }
        assert!(verify_bytes("x", HELLO_SHA256, b"hello").is_ok());
        assert!(matches!(
            verify_bytes("x", HELLO_SHA256, b"bye"),
            Err(OciError::DigestMismatch { .. })
        ));
    }
}
