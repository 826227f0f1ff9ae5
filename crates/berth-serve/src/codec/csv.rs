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

pub(crate) fn decode_csv(
    body: &[u8],
    batch: &mut BatchBuilder<'_>,
    options: &DecodeOptions,
) -> Result<(), ServeError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(options.csv_delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let mut record = csv::ByteRecord::new();
    let mut order: Option<Order> = None;
    let mut header_seen = false;
    loop {
        let more = reader.read_byte_record(&mut record).map_err(|e| {
            ServeError::MalformedCsv(match e.position() {
                Some(p) => format!("line {}: {}", p.line(), csv_error_kind(&e)),
                None => csv_error_kind(&e),
            })
        })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, csv::Position::line);
        let mut fields = Vec::with_capacity(record.len());
        for (column, field) in record.iter().enumerate() {
            fields.push(std::str::from_utf8(field).map_err(|_| {
                ServeError::MalformedCsv(format!(
                    "line {line}, column {}: not valid UTF-8",
                    column + 1
                ))
            })?);
        }
        if fields.len() == 1 && fields[0].is_empty() {
            continue; // a blank line
        }
        let at = format!("line {line}");
        let mut first_line = false;
        if order.is_none() {
            check_delimiter(&fields, batch, options.csv_delimiter, &at)?;
            if is_header(&fields, batch, options.csv_header) {
                header_seen = true;
                order = Some(header_order(&fields, batch, options.csv_header, &at)?);
                continue;
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
            _ => batch.push_text_row(&fields, &at),
        };
        match pushed {
            // A first line that is not data may be a header auto-detection could not see.
            Err(ServeError::MalformedCsv(message))
                if first_line && options.csv_header == CsvHeader::Auto =>
            {
                return Err(ServeError::MalformedCsv(format!(
                    "{message} (if line {line} is a header, set CSV_HAS_HEADER=true)"
                )));
            }
            other => other?,
        }
    }
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

fn csv_error_kind(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_owned(),
        csv::ErrorKind::Io(e) => e.to_string(),
        _ => "malformed CSV record".to_owned(),
    }
}
