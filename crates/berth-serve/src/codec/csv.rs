//! CSV bodies: one row per record, fields split across the inputs like a flat JSON row.
//!
//! A header line is read, never merely skipped, wherever berth knows the model's column names
//! (`FEATURE_NAMES`, or inputs that take one value each): columns are then matched by name in
//! any order, an unnamed first column is pandas' index (`to_csv()` writes one) and is left out,
//! and an unknown or missing name is refused. With `CSV_HAS_HEADER=auto` a first line is a
//! header when it names the model's columns, or, for numeric models, when none of its fields is a
//! number; such a header is refused when berth cannot match it, since the column order would be
//! a guess. `CSV_HAS_HEADER=true` skips a header it cannot match (the client vouches for the
//! order).
//!
//! Records are split by `csv_core` (the `csv` crate's own parser) rather than `csv::Reader`:
//! building a reader builds its state machine, and on a 100-row body that cost more than the
//! parsing itself (15% of the server's time in a profile, see bench/notes.md). Each thread keeps
//! one parser per delimiter and resets it for every body.

use std::cell::RefCell;

use super::DecodeOptions;
use super::batch::BatchBuilder;
use super::json::column_order;
use crate::ServeError;
use crate::config::CsvHeader;

/// Delimiters other tools write, for the hint when a body does not split on the configured one.
const OTHER_DELIMITERS: [u8; 4] = [b';', b'\t', b'|', b','];

/// How the fields of each record map to the model's columns.
enum Order {
    /// Fields are in the model's order.
    AsSent,
    /// `order[j]` is the field of the model's column `j`; records have `width` fields.
    ByName { order: Vec<usize>, width: usize },
}

thread_local! {
    /// This thread's parser and the delimiter it was built for.
    static PARSER: RefCell<Option<(u8, csv_core::Reader)>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's parser for `delimiter`, reset as if new.
fn with_parser<T>(delimiter: u8, f: impl FnOnce(&mut csv_core::Reader) -> T) -> T {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let reader = match &mut *slot {
            Some((built_for, reader)) if *built_for == delimiter => reader,
            other => {
                let reader = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
                &mut other.insert((delimiter, reader)).1
            }
        };
        reader.reset();
        f(reader)
    })
}

/// Splits `body` into records, calling `each(line, fields)` for every one with its fields
/// unquoted, trimmed of ASCII whitespace and checked as UTF-8, and the line it starts on.
fn for_each_record(
    body: &[u8],
    delimiter: u8,
    mut each: impl FnMut(u64, &[&str]) -> Result<(), ServeError>,
) -> Result<(), ServeError> {
    // A UTF-8 byte order mark (pandas' `to_csv(encoding="utf-8-sig")`) is not part of a field.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    with_parser(delimiter, |reader| {
        // A record's unquoted fields are never longer than the body they come from.
        let mut out = vec![0_u8; body.len() + 1];
        let mut ends = vec![0_usize; 16];
        let mut input = body;
        loop {
            // The parser skips blank lines inside `read_record`; they still count.
            let blank = input.iter().take_while(|b| matches!(b, b'\r' | b'\n'));
            let line = reader.line() + blank.filter(|&&b| b == b'\n').count() as u64;
            let (mut written, mut ended) = (0, 0);
            loop {
                let (result, read, nout, nend) =
                    reader.read_record(input, &mut out[written..], &mut ends[ended..]);
                input = &input[read..];
                written += nout;
                ended += nend;
                match result {
                    csv_core::ReadRecordResult::InputEmpty => {}
                    csv_core::ReadRecordResult::OutputFull => out.resize(out.len() * 2, 0),
                    csv_core::ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
                    csv_core::ReadRecordResult::Record => break,
                    csv_core::ReadRecordResult::End => return Ok(()),
                }
            }
            let mut start = 0;
            let mut fields = Vec::with_capacity(ended);
            for (column, &end) in ends[..ended].iter().enumerate() {
                let field = std::str::from_utf8(out[start..end].trim_ascii()).map_err(|_| {
                    ServeError::MalformedCsv(format!(
                        "line {line}, column {}: not valid UTF-8",
                        column + 1
                    ))
                })?;
                fields.push(field);
                start = end;
            }
            each(line, &fields)?;
        }
    })
}

/// Where a record is, for messages: written only when one is.
struct LineAt(u64);

impl std::fmt::Display for LineAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.0)
    }
}

pub(crate) fn decode_csv(
    body: &[u8],
    batch: &mut BatchBuilder<'_>,
    options: &DecodeOptions,
) -> Result<(), ServeError> {
    let mut order: Option<Order> = None;
    let mut header_seen = false;
    for_each_record(body, options.csv_delimiter, |line, fields| {
        if fields.len() == 1 && fields[0].is_empty() {
            return Ok(()); // a blank line
        }
        let at = LineAt(line);
        let mut first_line = false;
        if order.is_none() {
            check_delimiter(fields, batch, options.csv_delimiter, &at.to_string())?;
            if is_header(fields, batch, options.csv_header) {
                header_seen = true;
                order = Some(header_order(
                    fields,
                    batch,
                    options.csv_header,
                    &at.to_string(),
                )?);
                return Ok(());
            }
            order = Some(Order::AsSent);
            first_line = true;
        }
        batch.begin_row()?;
        let pushed = match order.as_ref() {
            Some(Order::ByName { order, width }) => {
                if fields.len() != *width {
                    return Err(ServeError::InvalidInput(format!(
                        "{at}: {} fields, but the header names {width} columns",
                        fields.len()
                    )));
                }
                let ordered: Vec<&str> = order.iter().map(|&i| fields[i]).collect();
                batch.push_text_row(&ordered, &at)
            }
            _ => batch.push_text_row(fields, &at),
        };
        match pushed {
            // A first line that is not data may be a header auto-detection could not see.
            Err(ServeError::MalformedCsv(message))
                if first_line && options.csv_header == CsvHeader::Auto =>
            {
                Err(ServeError::MalformedCsv(format!(
                    "{message} (if line {line} is a header, set CSV_HAS_HEADER=true)"
                )))
            }
            other => other,
        }
    })?;
    if batch.rows == 0 && header_seen {
        return Err(ServeError::InvalidInput(
            "the CSV has a header line but no rows".to_owned(),
        ));
    }
    Ok(())
}

/// True when the first record is a header line.
fn is_header(fields: &[&str], batch: &BatchBuilder<'_>, setting: CsvHeader) -> bool {
    match setting {
        CsvHeader::True => true,
        CsvHeader::False => false,
        CsvHeader::Auto => {
            // Most fields naming known columns make a header; the unknown ones are then refused
            // by name instead of being read as data.
            let named = fields
                .iter()
                .filter(|f| batch.layout.column(f).is_some())
                .count();
            let non_empty = fields.iter().filter(|f| !f.is_empty()).count();
            (named > 0 && named * 2 >= non_empty)
                || (batch.all_numeric()
                    && fields
                        .iter()
                        .all(|f| f.parse::<f64>().is_err() && !f.is_empty()))
        }
    }
}

/// How the records after `header` map to the model's columns; refuses a header it cannot match.
fn header_order(
    header: &[&str],
    batch: &BatchBuilder<'_>,
    setting: CsvHeader,
    at: &str,
) -> Result<Order, ServeError> {
    let what = format!("the CSV header ({at})");
    if batch.layout.column_names().is_none() {
        return match setting {
            CsvHeader::True => Ok(Order::AsSent),
            _ => Err(ServeError::InvalidInput(format!(
                "{at} looks like a header ({}), but {}; or send the rows without a header, or set \
                 CSV_HAS_HEADER=true to skip it unchecked (the columns must then be in the \
                 model's order), or CSV_HAS_HEADER=false if it is data",
                shown(header),
                batch.layout.names_unknown_hint()
            ))),
        };
    }
    if batch.has_selection() {
        // TABULAR_*_COLUMNS pick columns by position, which the header cannot change.
        return Ok(Order::AsSent);
    }
    // pandas' to_csv() writes its index as a first column with an empty name.
    let skip_index = usize::from(header.first().is_some_and(|f| f.is_empty()));
    let names = &header[skip_index..];
    let order = column_order(batch, names, &what)?;
    Ok(Order::ByName {
        order: order.into_iter().map(|i| i + skip_index).collect(),
        width: header.len(),
    })
}

fn shown(fields: &[&str]) -> String {
    let mut text = fields.iter().take(6).copied().collect::<Vec<_>>().join(",");
    if fields.len() > 6 {
        text.push_str(",...");
    }
    text.chars().take(120).collect()
}

/// Refuses a first record that holds one field where the model takes several, when another
/// delimiter would split it: the body was written with another separator.
fn check_delimiter(
    fields: &[&str],
    batch: &BatchBuilder<'_>,
    delimiter: u8,
    at: &str,
) -> Result<(), ServeError> {
    let [only] = fields else { return Ok(()) };
    let wide = batch.layout.column_names().map_or_else(
        || {
            batch
                .layout
                .specs
                .iter()
                .any(|s| s.row_width().is_none_or(|w| w > 1))
        },
        |names| names.len() > 1,
    ) || batch.layout.specs.len() > 1;
    if !wide {
        return Ok(());
    }
    if let Some(other) = OTHER_DELIMITERS
        .iter()
        .find(|&&d| d != delimiter && only.as_bytes().contains(&d))
    {
        let name = if *other == b'\t' {
            "\\t".to_owned()
        } else {
            char::from(*other).to_string()
        };
        return Err(ServeError::MalformedCsv(format!(
            "{at}: one field ({:?}) where the model takes several values per row, and it \
             contains {name:?}: set CSV_DELIMITER={name} for bodies separated by it (now {:?})",
            only.chars().take(60).collect::<String>(),
            char::from(delimiter)
        )));
    }
    Ok(())
}
