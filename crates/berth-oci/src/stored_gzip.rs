//! gzip without compression: the deflate stream is made of stored blocks (RFC 1951, `BTYPE=00`),
//! each up to 65,535 bytes with its length, inside a normal gzip member (RFC 1952: header, CRC-32,
//! length).
//!
//! It is how a docker-format image carries a layer that does not compress: that format names
//! only gzip layers, and ONNX weights hardly shrink (docs/package.md measures it), so the layer is
//! valid gzip that any reader decodes at the speed of a copy. Written here rather than with
//! flate2 at level 0 because flate2 routes level 0 through its compressor and took 0.77 s per
//! 200 MB on this machine, where stored blocks need only a copy and a CRC (flate2's `Crc`).

use std::io::{self, Write};

/// The largest stored block deflate allows.
const BLOCK: usize = 65_535;

/// gzip's header: magic, deflate, no flags, no time, no extra flags, OS unknown (so that no
/// build machine shows through; the same bytes everywhere).
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// Writes one gzip member of stored blocks to the inner writer.
pub(crate) struct StoredGzip<W: Write> {
    inner: W,
    block: Vec<u8>,
    crc: flate2::Crc,
    started: bool,
}

impl<W: Write> StoredGzip<W> {
    pub(crate) fn new(inner: W) -> Self {
        Self {
            inner,
            block: Vec::with_capacity(BLOCK),
            crc: flate2::Crc::new(),
            started: false,
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.inner.write_all(&HEADER)?;
            self.started = true;
        }
        Ok(())
    }

    /// Writes the buffered block; `last` marks the stream's final block.
    fn write_block(&mut self, last: bool) -> io::Result<()> {
        self.start()?;
        let length = u16::try_from(self.block.len()).expect("blocks hold at most 65535 bytes");
        self.inner.write_all(&[u8::from(last)])?;
        self.inner.write_all(&length.to_le_bytes())?;
        self.inner.write_all(&(!length).to_le_bytes())?;
        self.inner.write_all(&self.block)?;
        self.block.clear();
        Ok(())
    }

    /// Writes the final block and the trailer, and gives back the inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.write_block(true)?;
        let crc = self.crc.sum();
        // ISIZE is the length modulo 2^32, as RFC 1952 says.
        let size = self.crc.amount();
        self.inner.write_all(&crc.to_le_bytes())?;
        self.inner.write_all(&size.to_le_bytes())?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for StoredGzip<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.block.len() == BLOCK {
            self.write_block(false)?;
        }
        let n = buf.len().min(BLOCK - self.block.len());
        self.block.extend_from_slice(&buf[..n]);
        self.crc.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn round_trip(data: &[u8]) -> Vec<u8> {
        let mut encoder = StoredGzip::new(Vec::new());
        for piece in data.chunks(10_000) {
            encoder.write_all(piece).unwrap();
        }
        let encoded = encoder.finish().unwrap();
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&encoded[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, data);
        encoded
    }

    #[test]
    fn any_length_decodes_back_with_a_standard_decoder() {
        for length in [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK, 200_000] {
            let data: Vec<u8> = (0..length).map(|i| (i * 7 % 251) as u8).collect();
            let encoded = round_trip(&data);
            let blocks = length.div_ceil(BLOCK).max(1);
            // Header, 5 bytes per block, the data, trailer: nothing is compressed.
            assert_eq!(
                encoded.len(),
                10 + 5 * blocks + length + 8,
                "length {length}"
            );
        }
    }

    #[test]
    fn the_same_bytes_give_the_same_stream() {
        let data = vec![42u8; 100_000];
        assert_eq!(round_trip(&data), round_trip(&data));
    }
}
