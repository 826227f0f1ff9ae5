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

use berth_engine::{InputSpec, InputTensor, TensorData};

/// Decodes the common shape, or `None` for anything else. `names` are the model's column names
/// when berth knows them: a first line naming one of them may be a header, so it gives up.
pub(crate) fn decode(
    body: &[u8],
    spec: &InputSpec,
    names: Option<&[String]>,
    delimiter: u8,
    max_records: u64,
) -> Option<(InputTensor, usize)> {
    let width = super::fast_json::float_row_width(spec)?;
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let max_rows = usize::try_from(max_records).unwrap_or(usize::MAX);
    // About six bytes a value; the buffer grows if the guess is short.
    let mut data = TensorData::with_capacity(spec.element_type, (body.len() / 6).min(1 << 16));
    let mut rows = 0;
    let mut at = 0;
    // One pass: each step reads a field, the bytes around it, and what ends it.
    while at < body.len() {
        at = skip_blanks(body, at, delimiter);
        if let Some(next) = line_end(body, at)? {
            at = next; // a blank line (or one of spaces), which the general decoder skips too
            continue;
        }
        if rows >= max_rows {
            return None;
        }
        let mut count = 0;
        loop {
            count += 1;
            if count > width {
                return None;
            }
            let (value, len) = number(&body[at..])?;
            if rows == 0
                && names
                    .is_some_and(|names| names.iter().any(|n| n.as_bytes() == &body[at..at + len]))
            {
                return None;
            }
            at = skip_blanks(body, at + len, delimiter);
            super::fast_json::push_finite(&mut data, value)?;
            if body.get(at) == Some(&delimiter) {
                at = skip_blanks(body, at + 1, delimiter);
                continue;
            }
            at = line_end(body, at)??;
            break;
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

/// The position after the spaces, tabs and form feeds at `at` (a field's padding, which the
/// general decoder trims), the delimiter excepted.
fn skip_blanks(body: &[u8], mut at: usize, delimiter: u8) -> usize {
    while let Some(&b) = body.get(at)
        && matches!(b, b' ' | b'\t' | b'\x0C')
        && b != delimiter
    {
        at += 1;
    }
    at
}

/// Where the next line starts when a line ends at `at` (`\n`, `\r\n` or the end of the body),
/// `Some(None)` when it does not end there, `None` for a lone `\r` (a record break to the CSV
/// parser, left to the general decoder).
fn line_end(body: &[u8], at: usize) -> Option<Option<usize>> {
    match body.get(at) {
        None => Some(Some(at)),
        Some(b'\n') => Some(Some(at + 1)),
        Some(b'\r') if body.get(at + 1) == Some(&b'\n') => Some(Some(at + 2)),
        Some(b'\r') => None,
        Some(_) => Some(None),
    }
}

/// Powers of ten that are exact in an `f64`.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The decimal number at the start of `text` and its length in bytes, or `None` when `text`
/// does not start with one.
///
/// A decimal of at most 15 digits with an exponent within 10^±22 is one exact integer times or
/// over one exact power of ten, so one IEEE operation gives the correctly rounded value: the
/// same `f64` as `str::parse` (tested below). Every other number goes through `str::parse`.
fn number(text: &[u8]) -> Option<(f64, usize)> {
    let mut at = 0;
    let negative = match text.first() {
        Some(b'-') => {
            at = 1;
            true
        }
        Some(b'+') => {
            at = 1;
            false
        }
        _ => false,
    };
    let mut mantissa: u64 = 0;
    let mut digits = 0_usize;
    let mut scale = 0_i64; // digits after the point
    while let Some(&b) = text.get(at)
        && b.is_ascii_digit()
    {
        mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
        digits += 1;
        at += 1;
    }
    if text.get(at) == Some(&b'.') {
        at += 1;
        while let Some(&b) = text.get(at)
            && b.is_ascii_digit()
        {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
            digits += 1;
            scale += 1;
            at += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    let mut exponent: i64 = 0;
    if matches!(text.get(at), Some(b'e' | b'E')) {
        at += 1;
        let sign = match text.get(at) {
            Some(b'-') => {
                at += 1;
                -1
            }
            Some(b'+') => {
                at += 1;
                1
            }
            _ => 1,
        };
        let start = at;
        while let Some(&b) = text.get(at)
            && b.is_ascii_digit()
        {
            exponent = (exponent * 10 + i64::from(b - b'0')).min(100_000);
            at += 1;
        }
        if at == start {
            return None;
        }
        exponent *= sign;
    }
    let power = exponent - scale;
    let value = if digits <= 15 && power.unsigned_abs() < EXACT_POWERS_OF_TEN.len() as u64 {
        #[allow(clippy::cast_precision_loss)] // at most 15 digits: below 2^53, exact
        let exact = mantissa as f64;
        #[allow(clippy::cast_possible_truncation)] // below 23
        let ten = EXACT_POWERS_OF_TEN[power.unsigned_abs() as usize];
        let magnitude = if power < 0 { exact / ten } else { exact * ten };
        if negative { -magnitude } else { magnitude }
    } else {
        // The bytes read are ASCII digits, signs, a point and an exponent mark.
        std::str::from_utf8(&text[..at]).ok()?.parse().ok()?
    };
    Some((value, at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ColumnSelection, CsvHeader, MissingValues, RequestFormat};
    use berth_engine::ElementType;

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
        fn numbers_are_read_as_str_parse_reads_them(
            text in "[+-]?[0-9]{0,20}(\\.[0-9]{0,20})?([eE][+-]?[0-9]{0,3})?"
        ) {
            let ours = number(text.as_bytes()).filter(|&(_, len)| len == text.len());
            match text.parse::<f64>() {
                Ok(expected) => {
                    let (value, _) = ours.expect("a number str::parse reads");
                    proptest::prop_assert_eq!(value.to_bits(), expected.to_bits(), "{}", text);
                }
                Err(_) => proptest::prop_assert!(ours.is_none(), "{}", text),
            }
        }

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
                    .enumerate()
                    .map(|(j, v)| match (j + i) % 3 {
                        0 => format!("{v:.3}"),
                        1 => format!("{v:e}"),
                        _ => v.to_string(),
                    })
                    .map(|v| if padded { format!(" {v} ") } else { v })
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
