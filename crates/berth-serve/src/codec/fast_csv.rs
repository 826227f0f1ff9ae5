//! The common CSV request, decoded straight into the tensor buffer.
//!
//! Lines of plain numbers (`5.1,3.5,1.4,0.2`), no header, no quotes, for a model with one float
//! input of fixed width is the CSV body a batch client sends. This decoder splits it in one pass
//! and writes each number into one `Vec<f32>` (or `Vec<f64>`): no parser state, no list of fields
//! per record. The general decoder (`csv.rs`) cost about a third of the server's time on 100-row
//! bodies in a profile (bench/notes.md, step 6).
//!
//! It accepts only what the general decoder reads the same way, and gives up (`None`) on anything
//! else: a quote, a lone carriage return, a field that is not a finite number (missing values,
//! `nan`, infinities), a record of another width, a first line that could be a header, more
//! rows than allowed. The general decoder then decides and writes the message. A proptest below
//! checks that both give the same tensor.

use berth_engine::{ElementType, InputSpec, InputTensor, TensorData};

/// Decodes the common shape, or `None` for anything else. `names` are the model's column names
/// when berth knows them: a first line naming one of them may be a header, so it gives up.
pub(crate) fn decode(
    body: &[u8],
    spec: &InputSpec,
    names: Option<&[String]>,
    delimiter: u8,
    max_records: u64,
) -> Option<(InputTensor, usize)> {
    if spec.shape.len() != 2
        || !matches!(
            spec.element_type,
            ElementType::Float32 | ElementType::Float64
        )
    {
        return None;
    }
    let width = spec.row_width()?;
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    // Quoted fields and a lone `\r` (a record break for the CSV parser) are the general
    // decoder's to read.
    if body.contains(&b'"') {
        return None;
    }
    let max_rows = usize::try_from(max_records).unwrap_or(usize::MAX);
    let lines = body.iter().filter(|&&b| b == b'\n').count() + 1;
    let mut data = TensorData::with_capacity(spec.element_type, width * lines.min(max_rows));
    let mut rows = 0;
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.contains(&b'\r') {
            return None;
        }
        // A line of spaces is one empty field, which the general decoder skips as blank.
        if !line.contains(&delimiter) && line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if rows >= max_rows {
            return None;
        }
        let mut count = 0;
        for field in line.split(|&b| b == delimiter) {
            count += 1;
            if count > width {
                return None;
            }
            let field = std::str::from_utf8(field.trim_ascii()).ok()?;
            if rows == 0 && names.is_some_and(|names| names.iter().any(|n| n == field)) {
                return None;
            }
            let value: f64 = field.parse().ok()?;
            if !value.is_finite() {
                return None;
            }
            match &mut data {
                TensorData::Float32(v) => {
                    #[allow(clippy::cast_possible_truncation)]
                    // float32 inputs take the nearest float32
                    let narrow = value as f32;
                    if narrow.is_infinite() {
                        return None;
                    }
                    v.push(narrow);
                }
                TensorData::Float64(v) => v.push(value),
                _ => return None,
            }
        }
        if count != width {
            return None;
        }
        rows += 1;
    }
    if rows == 0 {
        return None;
    }
    Some((
        InputTensor {
            name: spec.name.clone(),
            shape: vec![rows, width],
            data,
        },
        rows,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ColumnSelection, CsvHeader, MissingValues, RequestFormat};

    fn two_wide(element_type: ElementType) -> InputSpec {
        InputSpec {
            name: "x".into(),
            element_type,
            shape: vec![None, Some(2)],
        }
    }

    fn general(body: &[u8], spec: &InputSpec, delimiter: u8) -> Option<InputTensor> {
        let options = super::super::DecodeOptions {
            columns: ColumnSelection::default(),
            max_records: 100,
            csv_delimiter: delimiter,
            csv_header: CsvHeader::Auto,
            missing: MissingValues::Refuse,
        };
        let layout = super::super::Layout::new(std::slice::from_ref(spec), None).unwrap();
        super::super::decode_general(RequestFormat::Csv, body, &layout, &options)
            .ok()
            .map(|mut decoded| decoded.tensors.remove(0))
    }

    #[test]
    fn reads_plain_rows_and_gives_up_on_the_rest() {
        let spec = two_wide(ElementType::Float32);
        for body in [
            "1,2\n3.5,4\n",
            "1,2\r\n3.5,4",
            "\u{feff}1,2\n\n  \n3.5,4\n\n",
            " 1 , 2\n3.5,\t4 \n",
        ] {
            let (tensor, rows) = decode(body.as_bytes(), &spec, None, b',', 10).unwrap();
            assert_eq!(rows, 2, "{body:?}");
            assert_eq!(tensor.shape, vec![2, 2]);
            assert_eq!(tensor.data, TensorData::Float32(vec![1.0, 2.0, 3.5, 4.0]));
            assert_eq!(Some(tensor), general(body.as_bytes(), &spec, b','));
        }
        for body in [
            "",
            "\n\n",
            "a,b\n1,2\n",
            "\"1\",2\n",
            "1,2\r3,4\n",
            "1\n",
            "1,2,3\n",
            "1,\n",
            "1,nan\n",
            "1,NaN\n",
            "1,inf\n",
            "1,1e39\n",
            "1;2\n",
            ",,\n",
            "1,2\n3\n",
        ] {
            assert!(
                decode(body.as_bytes(), &spec, None, b',', 10).is_none(),
                "{body:?}"
            );
        }
        assert!(
            decode(b"1,2\n3,4\n", &spec, None, b',', 1).is_none(),
            "over MAX_RECORDS"
        );
        let names = ["x".to_owned(), "1".to_owned()];
        assert!(
            decode(b"0,1\n3,4\n", &spec, Some(&names), b',', 10).is_none(),
            "a first line naming a column may be a header"
        );
        assert!(decode(b"0,2\n3,1\n", &spec, Some(&names), b',', 10).is_some());
        assert!(
            decode(b"1\t\t2\n", &spec, None, b'\t', 10).is_none(),
            "an empty field between two tabs"
        );
        let wide = two_wide(ElementType::Float64);
        let (tensor, _) = decode(b"1e300,-2\n", &wide, None, b',', 10).unwrap();
        assert_eq!(tensor.data, TensorData::Float64(vec![1e300, -2.0]));
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_general_decoder(
            rows in proptest::collection::vec(proptest::collection::vec(-1.0e30f64..1.0e30, 2), 1..20),
            delimiter in proptest::sample::select(vec![b',', b';', b'|', b'\t']),
            crlf in proptest::bool::ANY,
            padded in proptest::bool::ANY,
            blank_every in 0..4usize,
            float64 in proptest::bool::ANY,
        ) {
            let spec = two_wide(if float64 { ElementType::Float64 } else { ElementType::Float32 });
            let end = if crlf { "\r\n" } else { "\n" };
            let mut body = String::new();
            for (i, row) in rows.iter().enumerate() {
                if blank_every > 0 && i % blank_every == 0 {
                    body.push_str(end);
                }
                let fields: Vec<String> = row
                    .iter()
                    .map(|v| if padded { format!(" {v} ") } else { v.to_string() })
                    .collect();
                body.push_str(&fields.join(&char::from(delimiter).to_string()));
                body.push_str(end);
            }
            let (tensor, count) = decode(body.as_bytes(), &spec, None, delimiter, 100).unwrap();
            proptest::prop_assert_eq!(count, rows.len());
            proptest::prop_assert_eq!(Some(tensor), general(body.as_bytes(), &spec, delimiter));
        }
    }
}
