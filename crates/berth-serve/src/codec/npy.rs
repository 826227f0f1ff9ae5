//! NumPy `.npy` bodies (`application/x-npy`) in and out: what SageMaker's Python SDK sends and
//! expects by default for scikit-learn predictors (`NumpySerializer`, `NumpyDeserializer`).
//!
//! In: one array (format versions 1 to 3), of booleans, integers, floats or unicode strings, in
//! either byte order and in C or Fortran order (`np.save` keeps a Fortran-ordered array, which
//! pandas' `DataFrame.values` often is, as it is). Its first dimension is the rows; each row must
//! have the model's per-row shape, as in JSON; a 1-D array is one row, or one value per row for a
//! model that takes one value per row. Every element goes through the codec's scalar rules
//! (missing values, range). Object arrays hold pickles, which berth never loads: refused.
//!
//! Out: the predictions as one array (`<f4`, `<f8`, `<i8`, `<i4`, `|b1`, `<U…`), in C order.
//!
//! Written here rather than with an `.npy` crate: berth needs each element converted through its
//! own scalar rules whatever the file's type and byte order, and the header is a small, fixed
//! Python literal; the reader is bounded by the body limit and refuses anything it does not know.

use berth_engine::{OutputValue, TensorData};
use serde_json::Value;

use super::batch::BatchBuilder;
use super::scalar;
use crate::ServeError;

const MAGIC: &[u8] = b"\x93NUMPY";

fn bad(message: impl std::fmt::Display) -> ServeError {
    ServeError::InvalidInput(format!("not a valid .npy body: {message}"))
}

/// The element type of an array.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Bool,
    Int,
    Unsigned,
    Float,
    /// UCS-4 strings of a fixed number of characters.
    Unicode,
}

/// A parsed `.npy` array: its layout and where its bytes are.
struct Array<'b> {
    kind: Kind,
    /// Bytes per element.
    size: usize,
    little_endian: bool,
    /// Column-major strides of the elements, in elements, for a Fortran-ordered array (empty in
    /// C order, where the element at row-major index `i` is the `i`th).
    fortran_strides: Vec<usize>,
    shape: Vec<usize>,
    data: &'b [u8],
}

impl Array<'_> {
    fn parse(body: &[u8]) -> Result<Array<'_>, ServeError> {
        let rest = body
            .strip_prefix(MAGIC)
            .ok_or_else(|| bad("it does not start with the NumPy magic string"))?;
        let (&[major, _minor], rest) = rest
            .split_first_chunk::<2>()
            .ok_or_else(|| bad("it is cut short"))?;
        let (length, rest) = match major {
            1 => {
                let (length, rest) = rest
                    .split_first_chunk::<2>()
                    .ok_or_else(|| bad("it is cut short"))?;
                (usize::from(u16::from_le_bytes(*length)), rest)
            }
            2 | 3 => {
                let (length, rest) = rest
                    .split_first_chunk::<4>()
                    .ok_or_else(|| bad("it is cut short"))?;
                (
                    usize::try_from(u32::from_le_bytes(*length)).unwrap_or(usize::MAX),
                    rest,
                )
            }
            other => return Err(bad(format!("format version {other} is unknown"))),
        };
        let (header, data) = rest
            .split_at_checked(length)
            .ok_or_else(|| bad("the header runs past the end"))?;
        let header = std::str::from_utf8(header).map_err(|_| bad("the header is not text"))?;
        let descr = quoted_value(header, "descr").ok_or_else(|| bad("no 'descr' in the header"))?;
        let fortran = match raw_value(header, "fortran_order") {
            Some(v) if v.starts_with("True") => true,
            Some(v) if v.starts_with("False") => false,
            _ => return Err(bad("no 'fortran_order' in the header")),
        };
        let shape = shape_value(header).ok_or_else(|| bad("no readable 'shape' in the header"))?;
        let (order, code) = descr
            .split_at_checked(1)
            .ok_or_else(|| bad("an empty 'descr'"))?;
        let little_endian = match order {
            "<" | "|" | "=" => true,
            ">" => false,
            _ => return Err(bad(format!("unknown byte order in {descr:?}"))),
        };
        let (kind, size) = match (
            code.get(..1),
            code.get(1..).and_then(|n| n.parse::<usize>().ok()),
        ) {
            (Some("b"), Some(1)) => (Kind::Bool, 1),
            (Some("i"), Some(n @ (1 | 2 | 4 | 8))) => (Kind::Int, n),
            (Some("u"), Some(n @ (1 | 2 | 4 | 8))) => (Kind::Unsigned, n),
            (Some("f"), Some(n @ (4 | 8))) => (Kind::Float, n),
            (Some("U"), Some(n)) if n > 0 => (Kind::Unicode, n.saturating_mul(4)),
            (Some("O"), _) => {
                return Err(ServeError::InvalidInput(
                    "a .npy array of Python objects holds pickles, which berth never loads: send \
                     numbers, booleans or strings (np.asarray(x, dtype=float) or dtype=str)"
                        .to_owned(),
                ));
            }
            _ => {
                return Err(ServeError::InvalidInput(format!(
                    "a .npy array of type {descr:?}: berth reads booleans, integers, float32, \
                     float64 and unicode strings"
                )));
            }
        };
        let count = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| bad("its shape is too large"))?;
        if count.checked_mul(size) != Some(data.len()) {
            return Err(bad(format!(
                "shape {shape:?} of {size}-byte elements needs {} bytes of data, the body has {}",
                count.saturating_mul(size),
                data.len()
            )));
        }
        let fortran_strides = if fortran {
            shape
                .iter()
                .scan(1usize, |stride, &dim| {
                    let this = *stride;
                    *stride *= dim;
                    Some(this)
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(Array {
            kind,
            size,
            little_endian,
            fortran_strides,
            shape,
            data,
        })
    }

    /// The bytes of the element at `index` in C (row-major) order.
    fn bytes(&self, index: usize) -> &[u8] {
        let position = if self.fortran_strides.is_empty() {
            index
        } else {
            // Row-major index -> column-major position.
            let mut rest = index;
            let mut position = 0;
            for (&dim, &stride) in self.shape.iter().zip(&self.fortran_strides).rev() {
                position += (rest % dim) * stride;
                rest /= dim;
            }
            position
        };
        &self.data[position * self.size..(position + 1) * self.size]
    }

    fn integer(&self, bytes: &[u8]) -> u64 {
        let mut buffer = [0u8; 8];
        if self.little_endian {
            buffer[..bytes.len()].copy_from_slice(bytes);
            u64::from_le_bytes(buffer)
        } else {
            buffer[8 - bytes.len()..].copy_from_slice(bytes);
            u64::from_be_bytes(buffer)
        }
    }

    /// Appends the element at `index` to `data`, through the scalar rules.
    fn push(
        &self,
        index: usize,
        data: &mut TensorData,
        missing: crate::config::MissingValues,
    ) -> Result<(), scalar::ScalarError> {
        let bytes = self.bytes(index);
        match self.kind {
            Kind::Bool => scalar::push_json(data, &Value::Bool(bytes[0] != 0), missing),
            Kind::Unsigned => scalar::push_json(data, &Value::from(self.integer(bytes)), missing),
            Kind::Int => {
                let bits = self.size * 8;
                let raw = self.integer(bytes);
                // Sign-extend from the element's width.
                #[allow(clippy::cast_possible_wrap)]
                let value = ((raw << (64 - bits)) as i64) >> (64 - bits);
                scalar::push_json(data, &Value::from(value), missing)
            }
            Kind::Float => {
                let value = if self.size == 4 {
                    #[allow(clippy::cast_possible_truncation)] // 4 bytes read
                    f64::from(f32::from_bits(self.integer(bytes) as u32))
                } else {
                    f64::from_bits(self.integer(bytes))
                };
                scalar::push_float(data, value, missing, || value.to_string())
            }
            Kind::Unicode => {
                let text: String = bytes
                    .chunks_exact(4)
                    .map(|c| {
                        let code = if self.little_endian {
                            u32::from_le_bytes([c[0], c[1], c[2], c[3]])
                        } else {
                            u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                        };
                        char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
                    })
                    .take_while(|&c| c != '\0')
                    .collect();
                scalar::push_json(data, &Value::String(text), missing)
            }
        }
    }
}

/// The text after `'key':` in a header literal.
fn raw_value<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    let start = header
        .find(&format!("'{key}'"))
        .or_else(|| header.find(&format!("\"{key}\"")))?;
    let rest = &header[start + key.len() + 2..];
    Some(rest.trim_start().strip_prefix(':')?.trim_start())
}

fn quoted_value<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    let rest = raw_value(header, key)?;
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let rest = &rest[1..];
    Some(&rest[..rest.find(quote)?])
}

fn shape_value(header: &str) -> Option<Vec<usize>> {
    let rest = raw_value(header, "shape")?.strip_prefix('(')?;
    let inside = &rest[..rest.find(')')?];
    inside
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse().ok())
        .collect()
}

pub(crate) fn decode_npy(body: &[u8], batch: &mut BatchBuilder<'_>) -> Result<(), ServeError> {
    let array = Array::parse(body)?;
    let Some((&rows, row_shape)) = array.shape.split_first() else {
        return Err(ServeError::InvalidInput(
            "a 0-d .npy array: send an array whose first dimension is the rows".to_owned(),
        ));
    };
    let one_per_row = batch.takes_one_value_per_row();
    let single_row = array.shape.len() == 1 && !one_per_row;
    let (rows, row_shape): (usize, &[usize]) = if single_row {
        (1, &array.shape[..])
    } else if one_per_row && row_shape.is_empty() {
        (rows, &[][..])
    } else {
        (rows, row_shape)
    };
    let row_len: usize = row_shape.iter().product();
    for row in 0..rows {
        let at = format!("row {}", row + 1);
        batch.begin_row()?;
        let push =
            |i: usize, data: &mut TensorData, missing| array.push(row * row_len + i, data, missing);
        if row_shape.len() <= 1 && batch.layout.takes_flat_rows() {
            batch.push_flat(
                row_len,
                &at,
                true,
                push,
                |_| Value::Null,
                ServeError::InvalidInput,
            )?;
        } else {
            batch.push_shaped(row_shape, &at, push)?;
        }
    }
    Ok(())
}

/// The predictions as one `.npy` array.
pub(crate) fn encode_npy(value: &OutputValue) -> Result<Vec<u8>, ServeError> {
    let OutputValue::Tensor { shape, data } = value else {
        return Err(ServeError::NotAcceptable(
            "application/x-npy: the predictions are a sequence of maps (ZipMap), which has no \
             NumPy array form; ask for application/json"
                .to_owned(),
        ));
    };
    let strings_width = match data {
        TensorData::String(v) => v
            .iter()
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
            .max(1),
        _ => 0,
    };
    let descr = match data {
        TensorData::Float32(_) => "<f4".to_owned(),
        TensorData::Float64(_) => "<f8".to_owned(),
        TensorData::Int64(_) => "<i8".to_owned(),
        TensorData::Int32(_) => "<i4".to_owned(),
        TensorData::Bool(_) => "|b1".to_owned(),
        TensorData::String(_) => format!("<U{strings_width}"),
    };
    let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
    let shape_text = match dims.as_slice() {
        [one] => format!("({one},)"),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}");
    // The data starts on a 64-byte boundary: magic (6) + version (2) + length (2) + header.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + data.len() * 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    let length = u16::try_from(header.len())
        .map_err(|_| ServeError::Internal("a .npy header longer than 65535 bytes".to_owned()))?;
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    match data {
        TensorData::String(v) => {
            for s in v {
                let mut written = 0;
                for c in s.chars() {
                    out.extend_from_slice(&u32::from(c).to_le_bytes());
                    written += 1;
                }
                for _ in written..strings_width {
                    out.extend_from_slice(&[0; 4]);
                }
            }
        }
        numbers => super::v2::write_numbers(numbers, &mut out),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
        let header = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}\n",
            if fortran { "True" } else { "False" }
        );
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    fn floats(array: &Array<'_>) -> Vec<f64> {
        let count: usize = array.shape.iter().product();
        let mut data = TensorData::Float64(Vec::new());
        for i in 0..count {
            array
                .push(i, &mut data, crate::config::MissingValues::Refuse)
                .unwrap();
        }
        match data {
            TensorData::Float64(v) => v,
            _ => unreachable!(),
        }
    }

    #[test]
    fn reads_both_orders_and_byte_orders() {
        let c: Vec<u8> = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let body = npy("<f8", false, "(2, 3)", &c);
        assert_eq!(
            floats(&Array::parse(&body).unwrap()),
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
        // The same matrix stored column by column.
        let f: Vec<u8> = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let body = npy("<f8", true, "(2, 3)", &f);
        assert_eq!(
            floats(&Array::parse(&body).unwrap()),
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
        let big: Vec<u8> = [-2i16, 7].iter().flat_map(|x| x.to_be_bytes()).collect();
        let body = npy(">i2", false, "(2,)", &big);
        assert_eq!(floats(&Array::parse(&body).unwrap()), vec![-2.0, 7.0]);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for (body, message) in [
            (b"PK\x03\x04".to_vec(), "magic"),
            (npy("|O", false, "(1,)", &[0; 8]), "pickles"),
            (npy("<f8", false, "(2, 3)", &[0; 8]), "needs 48 bytes"),
            (npy("<c16", false, "(1,)", &[0; 16]), "berth reads"),
            (MAGIC.to_vec(), "cut short"),
        ] {
            let error = Array::parse(&body).err().unwrap().to_string();
            assert!(error.contains(message), "{error}");
        }
    }

    #[test]
    fn writes_what_numpy_reads_back() {
        let value = OutputValue::Tensor {
            shape: vec![2],
            data: TensorData::Int64(vec![0, 2]),
        };
        let out = encode_npy(&value).unwrap();
        assert_eq!((out.len() - 16) % 16, 0);
        let array = Array::parse(&out).unwrap();
        assert_eq!(array.shape, vec![2]);
        assert_eq!(floats(&array), vec![0.0, 2.0]);
        let header_end = out.iter().position(|&b| b == b'\n').unwrap() + 1;
        assert_eq!(header_end % 64, 0);
    }
}
