//! The common JSON request, decoded straight into the tensor buffer.
//!
//! `{"instances": [[5.1, 3.5, 1.4, 0.2], ...]}` (or `"inputs"`, or a bare list of rows) for a
//! model with one float input of fixed width is by far the most frequent request. This decoder
//! reads it with serde's streaming visitors into one `Vec<f32>` (or `Vec<f64>`), with no
//! `serde_json::Value` tree in between. Anything else, including every malformed body, makes it
//! give up (`None`), and the general decoder takes over and writes the error message.

use std::fmt;

use berth_engine::{ElementType, InputSpec, InputTensor, TensorData};
use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

/// Where rows are written, and the limits they must respect.
struct Rows<'a> {
    data: &'a mut TensorData,
    width: usize,
    rows: usize,
    max_rows: usize,
}

/// Decodes the common shape, or `None` for anything else.
pub(crate) fn decode(
    body: &[u8],
    spec: &InputSpec,
    max_records: u64,
) -> Option<(InputTensor, usize)> {
    let width = float_row_width(spec)?;
    let mut data = TensorData::with_capacity(spec.element_type, width * 8);
    let mut rows = Rows {
        data: &mut data,
        width,
        rows: 0,
        max_rows: usize::try_from(max_records).unwrap_or(usize::MAX),
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    Body(&mut rows).deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    let count = rows.rows;
    if count == 0 {
        return None;
    }
    Some((
        InputTensor {
            name: spec.name.clone(),
            shape: vec![count, width],
            data,
        },
        count,
    ))
}

/// The row width of an input the fast decoders take: one float input of shape `[N, width]`.
pub(crate) fn float_row_width(spec: &InputSpec) -> Option<usize> {
    let float = matches!(
        spec.element_type,
        ElementType::Float32 | ElementType::Float64
    );
    if spec.shape.len() != 2 || !float {
        return None;
    }
    spec.row_width()
}

/// Appends a finite value to a float input's buffer; `None` for a value the general decoder
/// must judge (not finite, beyond float32's range) or an input that is not a float one.
pub(crate) fn push_finite(data: &mut TensorData, value: f64) -> Option<()> {
    if !value.is_finite() {
        return None;
    }
    match data {
        TensorData::Float32(v) => {
            #[allow(clippy::cast_possible_truncation)] // float32 inputs take the nearest float32
            let narrow = value as f32;
            if narrow.is_infinite() {
                return None;
            }
            v.push(narrow);
        }
        TensorData::Float64(v) => v.push(value),
        _ => return None,
    }
    Some(())
}

/// The whole body: an object with one `instances` or `inputs` key, or a list of rows.
struct Body<'r, 'a>(&'r mut Rows<'a>);

impl<'de> DeserializeSeed<'de> for Body<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Body<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("rows")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? else {
            return Err(A::Error::custom("empty object"));
        };
        if key != "instances" && key != "inputs" {
            return Err(A::Error::custom("another shape"));
        }
        map.next_value_seed(RowList(self.0))?;
        if map.next_key::<IgnoredAny>()?.is_some() {
            return Err(A::Error::custom("more keys"));
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        RowList(self.0).visit_seq(seq)
    }
}

/// A list of rows.
struct RowList<'r, 'a>(&'r mut Rows<'a>);

impl<'de> DeserializeSeed<'de> for RowList<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowList<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Row(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One row: a list of exactly `width` numbers.
struct Row<'r, 'a>(&'r mut Rows<'a>);

impl<'de> DeserializeSeed<'de> for Row<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Row<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row of numbers")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let rows = self.0;
        if rows.rows >= rows.max_rows {
            return Err(A::Error::custom("too many rows"));
        }
        let mut count = 0;
        while let Some(value) = seq.next_element::<f64>()? {
            count += 1;
            if count > rows.width {
                return Err(A::Error::custom("row too wide"));
            }
            // Beyond float32's range: the general decoder says so.
            push_finite(rows.data, value).ok_or_else(|| A::Error::custom("out of range"))?;
        }
        if count != rows.width {
            return Err(A::Error::custom("row too narrow"));
        }
        rows.rows += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> InputSpec {
        InputSpec {
            name: "x".into(),
            element_type: ElementType::Float32,
            shape: vec![None, Some(2)],
        }
    }

    #[test]
    fn reads_the_common_shapes_and_gives_up_on_the_rest() {
        for body in [
            r#"{"instances": [[1, 2], [3.5, 4]]}"#,
            r#"{"inputs":[[1,2],[3.5,4]]}"#,
            "[[1,2],[3.5,4]]",
        ] {
            let (tensor, rows) = decode(body.as_bytes(), &spec(), 10).unwrap();
            assert_eq!(rows, 2);
            assert_eq!(tensor.shape, vec![2, 2]);
            assert_eq!(tensor.data, TensorData::Float32(vec![1.0, 2.0, 3.5, 4.0]));
        }
        for body in [
            "[]",
            "[1,2]",
            "[[1]]",
            "[[1,2,3]]",
            r#"[[1,"2"]]"#,
            "[[1,null]]",
            r#"{"x": [[1,2]]}"#,
            r#"{"instances": [[1,2]], "extra": 1}"#,
            "{",
            "[[1,2]] trailing",
            r#"{"features":[1,2]}"#,
        ] {
            assert!(decode(body.as_bytes(), &spec(), 10).is_none(), "{body}");
        }
        assert!(
            decode(b"[[1,2],[3,4]]", &spec(), 1).is_none(),
            "over MAX_RECORDS"
        );
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_general_decoder(rows in proptest::collection::vec(
            proptest::collection::vec(-1.0e30f64..1.0e30, 2), 1..20), wrap in 0..3u8) {
            let list = serde_json::to_string(&rows).unwrap();
            let body = match wrap { 0 => list, 1 => format!("{{\"instances\": {list}}}"), _ => format!("{{\"inputs\":{list}}}") };
            let (tensor, count) = decode(body.as_bytes(), &spec(), 100).unwrap();
            let options = super::super::DecodeOptions {
                columns: crate::config::ColumnSelection::default(),
                max_records: 100,
                csv_delimiter: b',',
                csv_header: crate::config::CsvHeader::Auto,
                missing: crate::config::MissingValues::Refuse,
            };
            let layout = super::super::Layout::new(&[spec()], None).unwrap();
            let general = super::super::decode_general(
                crate::config::RequestFormat::Json, body.as_bytes(), &layout, &options).unwrap();
            proptest::prop_assert_eq!(count, general.rows);
            proptest::prop_assert_eq!(&tensor, &general.tensors[0]);
        }
    }
}
