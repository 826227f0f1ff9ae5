//! SHA-256 digests of streams: a writer and a reader that hash what passes through them and
//! count it, so that a layer is hashed while it is written and a blob while it is read, never
//! held in memory.

use std::io::{self, Read, Write};

use sha2::{Digest as _, Sha256};

use crate::{OciError, Result};

/// `sha256:<hex>` of `bytes`.
#[must_use]
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The hex part of a `sha256:` digest, checked: 64 lower-case hex digits.
///
/// # Errors
/// [`OciError::InvalidImage`] for another algorithm or a malformed digest.
pub fn sha256_hex(digest: &str) -> Result<&str> {
    digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .ok_or_else(|| OciError::InvalidImage {
            what: format!("digest {digest:?}"),
            message: "expected sha256: and 64 lower-case hex digits".to_owned(),
        })
}

/// A writer that hashes (unless made with [`HashingWriter::counting`]) and counts what it
/// passes on.
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: Option<Sha256>,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Some(Sha256::new()),
            written: 0,
        }
    }

    /// A writer that only counts: for bytes whose digest is known otherwise (a plain tar layer
    /// is its own `diff_id`), so that a large layer is not hashed twice.
    pub(crate) fn counting(inner: W) -> Self {
        Self {
            inner,
            hasher: None,
            written: 0,
        }
    }

    /// The inner writer, the `sha256:` digest (empty for a counting writer) and the byte count
    /// of everything written.
    pub(crate) fn finish(self) -> (W, String, u64) {
        let digest = self
            .hasher
            .map(|h| format!("sha256:{}", hex(&h.finalize())))
            .unwrap_or_default();
        (self.inner, digest, self.written)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if let Some(hasher) = &mut self.hasher {
            hasher.update(&buf[..n]);
        }
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes and counts what it reads.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
}

impl<R: Read> HashingReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            read: 0,
        }
    }

    /// The `sha256:` digest and byte count of everything read so far.
    pub(crate) fn finish(self) -> (String, u64) {
        (
            format!("sha256:{}", hex(&self.hasher.finalize())),
            self.read,
        )
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_of_known_bytes() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let mut writer = HashingWriter::new(Vec::new());
        writer.write_all(b"abc").unwrap();
        let (bytes, digest, written) = writer.finish();
        assert_eq!(bytes, b"abc");
        assert_eq!(written, 3);
        assert_eq!(digest, sha256_digest(b"abc"));
        let mut reader = HashingReader::new(&b"abc"[..]);
        io::copy(&mut reader, &mut io::sink()).unwrap();
        assert_eq!(reader.finish(), (sha256_digest(b"abc"), 3));
    }

    #[test]
    fn sha256_hex_refuses_what_is_not_a_sha256_digest() {
        let good = sha256_digest(b"x");
        assert_eq!(sha256_hex(&good).unwrap(), &good[7..]);
        for bad in [
            "sha512:00",
            "sha256:ABC",
            "sha256:",
            "e3b0",
            &good.to_uppercase(),
        ] {
            assert!(sha256_hex(bad).is_err(), "{bad}");
        }
    }
}
