//! Tensors of KServe's Open Inference Protocol (v2): the JSON `data` of an input (flat or
//! nested, row-major) and the binary tensor extension, in and out.
//!
//! Inputs go through the same scalar rules as every other body ([`super::scalar`]): a `null`,
//! a NaN in binary data, an infinity or a number beyond float32's range is refused (or a missing
//! value let in as NaN, with `MISSING_VALUES=nan`), exactly as `/invocations` does. Nested `data`
//! must have exactly the declared shape; flat `data` must have its element count. Map outputs
//! (scikit-learn's ZipMap) have no v2 datatype: they are returned as `BYTES`, one JSON object per
//! row.

use berth_engine::{ElementType, InputSpec, MapKeys, OutputValue, TensorData};
use serde_json::{Map, Value, json};

use super::encode::float32;
use super::scalar;
use crate::ServeError;
use crate::config::MissingValues;

/// The protocol's datatype of an element type.
pub(crate) fn datatype(element_type: ElementType) -> &'static str {
    match element_type {
        ElementType::Float32 => "FP32",
        ElementType::Float64 => "FP64",
        ElementType::Int64 => "INT64",
        ElementType::Int32 => "INT32",
        ElementType::Bool => "BOOL",
        ElementType::String => "BYTES",
    }
}

/// The elements of one input from its JSON `data`: flat with `shape`'s element count, or nested
/// in exactly `shape`.
pub(crate) fn read_json(
    spec: &InputSpec,
    shape: &[usize],
    data: &Value,
    missing: MissingValues,
) -> Result<TensorData, ServeError> {
    let name = &spec.name;
    let count: usize = shape.iter().product();
    let mut out = TensorData::with_capacity(spec.element_type, count.min(1 << 16));
    let flat = matches!(data, Value::Array(items) if !items.iter().any(Value::is_array));
    let mut index = 0usize;
    let mut push = |value: &Value| -> Result<(), ServeError> {
        index += 1;
        scalar::push_json(&mut out, value, missing).map_err(|e| {
            ServeError::InvalidInput(format!(
                "input '{name}', element {index}: {}",
                e.message(spec.element_type.name())
            ))
        })
    };
    if flat {
        let Value::Array(items) = data else {
            unreachable!("checked flat")
        };
        if items.len() != count {
            return Err(ServeError::InvalidInput(format!(
                "input '{name}' has {} values for shape {shape:?}",
                items.len()
            )));
        }
        items.iter().try_for_each(&mut push)?;
    } else {
        nested(data, shape, name, &mut Vec::new(), &mut push)?;
    }
    Ok(out)
}

/// Walks nested `data`, which must have exactly `shape`.
fn nested(
    value: &Value,
    shape: &[usize],
    name: &str,
    path: &mut Vec<usize>,
    push: &mut impl FnMut(&Value) -> Result<(), ServeError>,
) -> Result<(), ServeError> {
    let place = || {
        let indices: Vec<String> = path.iter().map(ToString::to_string).collect();
        if indices.is_empty() {
            String::new()
        } else {
            format!(" at [{}]", indices.join("]["))
        }
    };
    match (shape.split_first(), value) {
        (None, Value::Array(_)) => Err(ServeError::InvalidInput(format!(
            "input '{name}': data nests deeper than its shape{}",
            place()
        ))),
        (None, scalar) => push(scalar),
        (Some((&n, rest)), Value::Array(items)) if items.len() == n => {
            for (index, item) in items.iter().enumerate() {
                path.push(index);
                nested(item, rest, name, path, push)?;
                path.pop();
            }
            Ok(())
        }
        (Some((&n, _)), Value::Array(items)) => Err(ServeError::InvalidInput(format!(
            "input '{name}': data has a list of {} where the shape says {n}{}",
            items.len(),
            place()
        ))),
        (Some((&n, _)), other) => Err(ServeError::InvalidInput(format!(
            "input '{name}': data has {} where the shape says a list of {n}{}",
            scalar::kind(other),
            place()
        ))),
    }
}

/// The elements of one input from the binary extension, through the scalar rules.
pub(crate) fn read_binary_checked(
    spec: &InputSpec,
    chunk: &[u8],
    missing: MissingValues,
) -> Result<TensorData, ServeError> {
    let data = read_binary(spec.element_type, chunk, &spec.name)?;
    scalar::check_floats(&data, missing).map_err(|(index, error)| {
        ServeError::InvalidInput(format!(
            "input '{}', element {}: {}",
            spec.name,
            index + 1,
            error.message(spec.element_type.name())
        ))
    })?;
    Ok(data)
}

pub(crate) fn read_binary(
    element_type: ElementType,
    chunk: &[u8],
    name: &str,
) -> Result<TensorData, ServeError> {
    let misaligned = |width: usize| {
        ServeError::InvalidInput(format!(
            "input '{name}': {} binary bytes is not a whole number of {width}-byte values",
            chunk.len()
        ))
    };
    macro_rules! fixed {
        ($t:ty, $variant:ident) => {{
            const WIDTH: usize = std::mem::size_of::<$t>();
            if chunk.len() % WIDTH != 0 {
                return Err(misaligned(WIDTH));
            }
            TensorData::$variant(
                chunk
                    .chunks_exact(WIDTH)
                    .map(|b| <$t>::from_le_bytes(b.try_into().unwrap_or([0; WIDTH])))
                    .collect(),
            )
        }};
    }
    Ok(match element_type {
        ElementType::Float32 => fixed!(f32, Float32),
        ElementType::Float64 => fixed!(f64, Float64),
        ElementType::Int64 => fixed!(i64, Int64),
        ElementType::Int32 => fixed!(i32, Int32),
        ElementType::Bool => TensorData::Bool(chunk.iter().map(|&b| b != 0).collect()),
        ElementType::String => {
            // BYTES: each element is a 4-byte little-endian length, then that many bytes.
            let mut values = Vec::new();
            let mut rest = chunk;
            while !rest.is_empty() {
                let (length, tail) = rest.split_at_checked(4).ok_or_else(|| misaligned(4))?;
                let length = u32::from_le_bytes(length.try_into().unwrap_or([0; 4])) as usize;
                let (bytes, tail) = tail.split_at_checked(length).ok_or_else(|| {
                    ServeError::InvalidInput(format!(
                        "input '{name}': a BYTES element runs past its data"
                    ))
                })?;
                let text = std::str::from_utf8(bytes).map_err(|_| {
                    ServeError::InvalidInput(format!(
                        "input '{name}': a BYTES element is not UTF-8"
                    ))
                })?;
                values.push(text.to_owned());
                rest = tail;
            }
            TensorData::String(values)
        }
    })
}

/// An output as a v2 tensor: datatype, shape, elements. Maps become BYTES of JSON text.
pub(crate) fn output_tensor(value: &OutputValue) -> (&'static str, Vec<usize>, TensorData) {
    match value {
        OutputValue::Tensor { shape, data } => {
            (datatype(data.element_type()), shape.clone(), data.clone())
        }
        OutputValue::Maps(maps) => {
            let rows: Vec<String> = maps
                .iter()
                .map(|map| {
                    let mut object = Map::new();
                    let keys: Vec<String> = match &map.keys {
                        MapKeys::Int64(k) => k.iter().map(ToString::to_string).collect(),
                        MapKeys::String(k) => k.clone(),
                    };
                    for (index, key) in keys.into_iter().enumerate() {
                        let value = match &map.values {
                            TensorData::Float32(v) => {
                                v.get(index).map_or(Value::Null, |x| float32(*x))
                            }
                            TensorData::Float64(v) => {
                                v.get(index).map_or(Value::Null, |x| json!(x))
                            }
                            _ => Value::Null,
                        };
                        object.insert(key, value);
                    }
                    Value::Object(object).to_string()
                })
                .collect();
            ("BYTES", vec![rows.len()], TensorData::String(rows))
        }
    }
}

pub(crate) fn json_data(data: &TensorData) -> Value {
    match data {
        TensorData::Float32(v) => Value::Array(v.iter().map(|x| float32(*x)).collect()),
        TensorData::Float64(v) => json!(v),
        TensorData::Int64(v) => json!(v),
        TensorData::Int32(v) => json!(v),
        TensorData::Bool(v) => json!(v),
        TensorData::String(v) => json!(v),
    }
}

/// The binary extension's bytes of a tensor: numbers little-endian, booleans one byte each,
/// BYTES as a 4-byte little-endian length and the UTF-8 text.
pub(crate) fn write_binary(data: &TensorData, out: &mut Vec<u8>) {
    match data {
        TensorData::String(v) => v.iter().for_each(|s| {
            let length = u32::try_from(s.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&length.to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }),
        numbers => write_numbers(numbers, out),
    }
}

/// Numbers little-endian and booleans one byte each, as both the binary extension and `.npy`
/// lay them out; strings are each format's own.
pub(crate) fn write_numbers(data: &TensorData, out: &mut Vec<u8>) {
    match data {
        TensorData::Float32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        TensorData::Float64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        TensorData::Int64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        TensorData::Int32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        TensorData::Bool(v) => out.extend(v.iter().map(|&b| u8::from(b))),
        TensorData::String(_) => {}
    }
}
