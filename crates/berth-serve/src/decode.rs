//! Request bodies to input tensors: JSON, CSV and JSON Lines.
//!
//! Decoders write straight into one typed buffer per model input ([`BatchBuilder`]), checking as
//! they go: element types against the model's inputs, row widths against the model's fixed
//! dimensions, the row count against `MAX_RECORDS`. Every refusal says where (row, column or
//! line) and what was expected.
//!
//! Accepted JSON shapes, for a model with inputs `x` (or `a` and `b`):
//! - `{"instances": ROWS}`, `{"inputs": ROWS}`, a bare `ROWS`, or `{"features": ROW}` for one row;
//! - ROWS is a list of rows, or a single row (a list of scalars);
//! - a row is a (nested) list of scalars, flattened in row-major order and split across the
//!   model's inputs in graph order; or an object keyed by input name (`{"a": [...], "b": [...]}`);
//!   or `{"features": ROW}`;
//! - `{"inputs": {"a": ROWS_A, "b": ROWS_B}}` gives each input its own rows (columnar).
//!
//! CSV: one row per record, fields split across inputs like a JSON row; an optional header line.
//! JSON Lines: one row (any JSON row shape above) per non-blank line.

use berth_engine::{ElementType, InputSpec, InputTensor, TensorData};
use serde_json::Value;

use crate::ServeError;
use crate::config::{ColumnSelection, CsvHeader, RequestFormat};

/// How to decode, beyond the format.
#[derive(Debug, Clone)]
pub(crate) struct DecodeOptions {
    /// Feature and ID columns of tabular rows.
    pub(crate) columns: ColumnSelection,
    /// Most rows accepted.
    pub(crate) max_records: u64,
    /// CSV field delimiter.
    pub(crate) csv_delimiter: u8,
    /// CSV header handling.
    pub(crate) csv_header: CsvHeader,
}

/// A decoded request: one tensor per model input, and the row count.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) tensors: Vec<InputTensor>,
    pub(crate) rows: usize,
    /// The ID columns of each row, when `TABULAR_ID_COLUMNS` is set.
    pub(crate) ids: Option<Vec<Vec<Value>>>,
}

/// Decodes `body` for a model whose inputs are `specs`.
pub(crate) fn decode(
    format: RequestFormat,
    body: &[u8],
    specs: &[InputSpec],
    options: DecodeOptions,
) -> Result<Decoded, ServeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ServeError::EmptyBody);
    }
    if format == RequestFormat::Json
        && let [spec] = specs
        && options.columns == ColumnSelection::default()
        && let Some((tensor, rows)) = crate::fast_json::decode(body, spec, options.max_records)
    {
        return Ok(Decoded {
            tensors: vec![tensor],
            rows,
            ids: None,
        });
    }
    decode_general(format, body, specs, &options)
}

/// Every accepted shape, with a precise message for every refusal.
pub(crate) fn decode_general(
    format: RequestFormat,
    body: &[u8],
    specs: &[InputSpec],
    options: &DecodeOptions,
) -> Result<Decoded, ServeError> {
    let mut batch = BatchBuilder::new(specs, options.max_records, options.columns.clone())?;
    match format {
        RequestFormat::Json => decode_json(body, &mut batch)?,
        RequestFormat::JsonLines => decode_json_lines(body, &mut batch)?,
        RequestFormat::Csv => decode_csv(body, &mut batch, options)?,
    }
    batch.finish()
}

fn decode_json(body: &[u8], batch: &mut BatchBuilder<'_>) -> Result<(), ServeError> {
    // serde_json refuses nesting deeper than 128 levels with an error, so hostile depth cannot
    // exhaust the stack; the body limit bounds the size.
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ServeError::MalformedJson(e.to_string()))?;
    match value {
        Value::Object(mut object) => {
            if let Some(rows) = object.remove("instances") {
                push_rows(batch, &rows)
            } else if let Some(inputs) = object.remove("inputs") {
                match inputs {
                    Value::Object(columns) if batch.is_columnar(&columns) => {
                        push_columns(batch, &columns)
                    }
                    rows => push_rows(batch, &rows),
                }
            } else if object.contains_key(FEATURES_KEY) || batch.is_record(&object) {
                batch.push_row(&Value::Object(object), "the request")
            } else {
                let keys: Vec<&str> = object.keys().map(String::as_str).take(5).collect();
                Err(ServeError::InvalidInput(format!(
                    "expected a JSON object with \"instances\", \"inputs\" or \"features\"{}; got keys {keys:?}",
                    batch.input_names_hint()
                )))
            }
        }
        Value::Array(_) => push_rows(batch, &value),
        other => Err(ServeError::InvalidInput(format!(
            "expected a list of rows or an object with \"instances\", got {}",
            kind(&other)
        ))),
    }
}

const FEATURES_KEY: &str = "features";

/// `rows` is a list of rows, or one row given as a list of scalars.
fn push_rows(batch: &mut BatchBuilder<'_>, rows: &Value) -> Result<(), ServeError> {
    match rows {
        Value::Array(items) if items.iter().any(|i| i.is_array() || i.is_object()) => {
            for (index, row) in items.iter().enumerate() {
                batch.push_row(row, &format!("row {}", index + 1))?;
            }
            Ok(())
        }
        Value::Array(items) if items.is_empty() => Ok(()),
        Value::Array(_) | Value::Object(_) => batch.push_row(rows, "row 1"),
        other => Err(ServeError::InvalidInput(format!(
            "expected a list of rows, got {}",
            kind(other)
        ))),
    }
}

fn push_columns(
    batch: &mut BatchBuilder<'_>,
    columns: &serde_json::Map<String, Value>,
) -> Result<(), ServeError> {
    let mut lengths = Vec::new();
    for spec in batch.specs {
        match columns.get(&spec.name) {
            Some(Value::Array(rows)) => lengths.push(rows.len()),
            Some(other) => {
                return Err(ServeError::InvalidInput(format!(
                    "input '{}' must be a list of rows, got {}",
                    spec.name,
                    kind(other)
                )));
            }
            None => {
                return Err(ServeError::InvalidInput(format!(
                    "missing input '{}' in \"inputs\"",
                    spec.name
                )));
            }
        }
    }
    let rows = lengths.first().copied().unwrap_or(0);
    if lengths.iter().any(|&n| n != rows) {
        return Err(ServeError::InvalidInput(format!(
            "inputs have different row counts: {lengths:?}"
        )));
    }
    for row in 0..rows {
        batch.begin_row()?;
        for (input, spec) in batch.specs.iter().enumerate() {
            let value = &columns[&spec.name][row];
            batch.push_input(
                input,
                value,
                &format!("row {} of input '{}'", row + 1, spec.name),
            )?;
        }
    }
    Ok(())
}

fn decode_json_lines(body: &[u8], batch: &mut BatchBuilder<'_>) -> Result<(), ServeError> {
    for (index, line) in body.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value: Value = serde_json::from_slice(line)
            .map_err(|e| ServeError::MalformedJson(format!("line {}: {e}", index + 1)))?;
        batch.push_row(&value, &format!("line {}", index + 1))?;
    }
    Ok(())
}

fn decode_csv(
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
    let numeric = batch
        .specs
        .iter()
        .all(|s| s.element_type != ElementType::String);
    let mut record = csv::ByteRecord::new();
    let mut first = true;
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
        if std::mem::take(&mut first) {
            let is_header = match options.csv_header {
                CsvHeader::True => true,
                CsvHeader::False => false,
                CsvHeader::Auto => numeric && fields.iter().all(|f| f.parse::<f64>().is_err()),
            };
            if is_header {
                continue;
            }
        }
        batch.begin_row()?;
        batch.push_text_row(&fields, line)?;
    }
    if batch.rows == 0 && !first {
        return Err(ServeError::InvalidInput(
            "the CSV has a header line but no rows".to_owned(),
        ));
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

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// One model input's buffer while decoding.
struct Column<'a> {
    spec: &'a InputSpec,
    /// Values per row: fixed by the model, or set by the first row for `[N, ?]` inputs.
    width: Option<usize>,
    data: TensorData,
}

/// Typed buffers for every model input, filled row by row.
pub(crate) struct BatchBuilder<'a> {
    specs: &'a [InputSpec],
    columns: Vec<Column<'a>>,
    rows: usize,
    max_records: u64,
    /// Column selection of tabular rows; `None` when every column is a feature.
    selection: Option<ColumnSelection>,
    /// ID columns of each row, when IDs are selected.
    ids: Option<Vec<Vec<Value>>>,
}

impl<'a> BatchBuilder<'a> {
    fn new(
        specs: &'a [InputSpec],
        max_records: u64,
        selection: ColumnSelection,
    ) -> Result<Self, ServeError> {
        let mut columns = Vec::with_capacity(specs.len());
        for spec in specs {
            let width = spec.row_width();
            // A dynamic inner dimension can only be learnt from the rows for [N, ?] inputs.
            if width.is_none() && spec.shape.len() != 2 {
                return Err(ServeError::InvalidInput(format!(
                    "input '{}' has shape {:?} with dynamic inner dimensions; berth can only fill \
                     [N, ?] inputs from rows",
                    spec.name, spec.shape
                )));
            }
            columns.push(Column {
                spec,
                width,
                data: TensorData::with_capacity(spec.element_type, 0),
            });
        }
        let ids = selection.ids.is_some().then(Vec::new);
        let selection =
            (selection.ids.is_some() || selection.features.is_some()).then_some(selection);
        Ok(Self {
            specs,
            columns,
            rows: 0,
            max_records,
            selection,
            ids,
        })
    }

    fn input_names_hint(&self) -> String {
        if self.specs.len() > 1 {
            let names: Vec<&str> = self.specs.iter().map(|s| s.name.as_str()).collect();
            format!(" or the input names {names:?}")
        } else {
            String::new()
        }
    }

    /// True when the object names only model inputs, and all of them.
    fn is_record(&self, object: &serde_json::Map<String, Value>) -> bool {
        !object.is_empty()
            && self.specs.iter().all(|s| object.contains_key(&s.name))
            && object
                .keys()
                .all(|k| self.specs.iter().any(|s| &s.name == k))
    }

    /// True when every value of the object is a list of rows for an input of that name.
    fn is_columnar(&self, object: &serde_json::Map<String, Value>) -> bool {
        self.is_record(object)
            && self.specs.iter().all(|s| {
                matches!(&object[&s.name], Value::Array(rows)
                    if rows.iter().all(|r| r.is_array()) || s.shape.len() == 1)
            })
    }

    fn begin_row(&mut self) -> Result<(), ServeError> {
        self.rows += 1;
        if self.rows as u64 > self.max_records {
            return Err(ServeError::TooManyRecords {
                limit: self.max_records,
            });
        }
        Ok(())
    }

    /// One JSON row: a record object, `{"features": ...}`, or a (nested) list of scalars.
    fn push_row(&mut self, row: &Value, at: &str) -> Result<(), ServeError> {
        if let Value::Object(object) = row {
            if let Some(features) = object.get(FEATURES_KEY)
                && !(self.is_record(object))
            {
                return self.push_row(features, at);
            }
            if !self.is_record(object) {
                let missing: Vec<&str> = self
                    .specs
                    .iter()
                    .map(|s| s.name.as_str())
                    .filter(|n| !object.contains_key(*n))
                    .collect();
                let unknown: Vec<&str> = object
                    .keys()
                    .map(String::as_str)
                    .filter(|k| !self.specs.iter().any(|s| s.name == *k))
                    .take(5)
                    .collect();
                return Err(ServeError::InvalidInput(format!(
                    "{at}: an object row must name every model input (missing {missing:?}, \
                     unknown {unknown:?}) or hold \"features\""
                )));
            }
            self.begin_row()?;
            if let Some(ids) = &mut self.ids {
                ids.push(Vec::new()); // a record names its inputs: it has no ID columns
            }
            for input in 0..self.specs.len() {
                let name = &self.specs[input].name;
                self.push_input(input, &object[name], &format!("{at}, input '{name}'"))?;
            }
            return Ok(());
        }
        if let Some(selection) = &self.selection {
            // Tabular settings pick the feature and ID columns out of the flattened row.
            let mut cells = Vec::new();
            flatten(row, &mut cells, 0)?;
            let (features, ids) = selection
                .split(cells.len())
                .map_err(|message| ServeError::InvalidInput(format!("{at}: {message}")))?;
            let id_values: Vec<Value> = ids.iter().map(|&c| cells[c].clone()).collect();
            let features = Value::Array(features.iter().map(|&c| cells[c].clone()).collect());
            if let Some(all_ids) = &mut self.ids {
                all_ids.push(id_values);
            }
            return self.push_selected_row(&features, at);
        }
        self.push_selected_row(row, at)
    }

    /// A tabular row whose columns are all features.
    fn push_selected_row(&mut self, row: &Value, at: &str) -> Result<(), ServeError> {
        self.begin_row()?;
        if self.columns.len() == 1 {
            return self.push_input(0, row, at);
        }
        // A flat row feeds the inputs in graph order, each taking its width.
        let mut cells = Vec::new();
        flatten(row, &mut cells, 0)?;
        let widths = self.fixed_widths(at)?;
        let total: usize = widths.iter().sum();
        if cells.len() != total {
            return Err(ServeError::InvalidInput(format!(
                "{at}: expected {total} values (inputs {}), got {}",
                self.widths_text(&widths),
                cells.len()
            )));
        }
        let mut start = 0;
        for (input, width) in widths.into_iter().enumerate() {
            for cell in &cells[start..start + width] {
                push_json_scalar(&mut self.columns[input], cell, at)?;
            }
            start += width;
        }
        Ok(())
    }

    fn fixed_widths(&self, at: &str) -> Result<Vec<usize>, ServeError> {
        self.columns
            .iter()
            .map(|c| {
                c.width.ok_or_else(|| {
                    ServeError::InvalidInput(format!(
                        "{at}: input '{}' has a dynamic width; name each input in an object row",
                        c.spec.name
                    ))
                })
            })
            .collect()
    }

    fn widths_text(&self, widths: &[usize]) -> String {
        self.columns
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("'{}' {w}", c.spec.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// One row's value for one input: a scalar or a (nested) list, checked against its width.
    fn push_input(&mut self, input: usize, value: &Value, at: &str) -> Result<(), ServeError> {
        let column = &mut self.columns[input];
        let before = column.data.len();
        let mut cells = Vec::new();
        flatten(value, &mut cells, 0)?;
        for cell in &cells {
            push_json_scalar(column, cell, at)?;
        }
        let got = column.data.len() - before;
        check_width(column, got, at)
    }

    /// One CSV record, split across the inputs in graph order.
    fn push_text_row(&mut self, fields: &[&str], line: u64) -> Result<(), ServeError> {
        let Some(selection) = &self.selection else {
            return self.push_text_features(fields, line);
        };
        let (features, ids) = selection
            .split(fields.len())
            .map_err(|message| ServeError::InvalidInput(format!("line {line}: {message}")))?;
        if let Some(all_ids) = &mut self.ids {
            all_ids.push(
                ids.iter()
                    .map(|&c| Value::String(fields[c].to_owned()))
                    .collect(),
            );
        }
        let features: Vec<&str> = features.iter().map(|&c| fields[c]).collect();
        self.push_text_features(&features, line)
    }

    fn push_text_features(&mut self, fields: &[&str], line: u64) -> Result<(), ServeError> {
        let widths = if self.columns.len() == 1 {
            vec![self.columns[0].width.unwrap_or(fields.len())]
        } else {
            self.fixed_widths(&format!("line {line}"))?
        };
        let total: usize = widths.iter().sum();
        if fields.len() != total {
            let expected = if self.columns.len() == 1 {
                format!("{total} features")
            } else {
                format!("{total} fields (inputs {})", self.widths_text(&widths))
            };
            return Err(ServeError::InvalidInput(format!(
                "line {line}: expected {expected}, got {}",
                fields.len()
            )));
        }
        let mut start = 0;
        for (input, width) in widths.into_iter().enumerate() {
            let column = &mut self.columns[input];
            for (offset, field) in fields[start..start + width].iter().enumerate() {
                push_text(column, field).map_err(|message| {
                    ServeError::MalformedCsv(format!(
                        "line {line}, column {}: {message}",
                        start + offset + 1
                    ))
                })?;
            }
            check_width(column, width, &format!("line {line}"))?;
            start += width;
        }
        Ok(())
    }

    fn finish(self) -> Result<Decoded, ServeError> {
        if self.rows == 0 {
            return Err(ServeError::InvalidInput(
                "no rows: send at least one row of features".to_owned(),
            ));
        }
        let rows = self.rows;
        let tensors = self
            .columns
            .into_iter()
            .map(|column| {
                let mut shape = Vec::with_capacity(column.spec.shape.len());
                shape.push(rows);
                for dim in column.spec.shape.iter().skip(1) {
                    shape.push(dim.or(column.width).unwrap_or(1));
                }
                InputTensor {
                    name: column.spec.name.clone(),
                    shape,
                    data: column.data,
                }
            })
            .collect();
        Ok(Decoded {
            tensors,
            rows,
            ids: self.ids,
        })
    }
}

fn check_width(column: &mut Column<'_>, got: usize, at: &str) -> Result<(), ServeError> {
    match column.width {
        Some(expected) if expected != got => {
            let noun = if column.spec.shape.len() <= 2 {
                "features"
            } else {
                "values"
            };
            Err(ServeError::InvalidInput(format!(
                "{at}: input '{}' expects {expected} {noun}, got {got}",
                column.spec.name
            )))
        }
        Some(_) => Ok(()),
        None if got == 0 => Err(ServeError::InvalidInput(format!(
            "{at}: input '{}' got an empty row",
            column.spec.name
        ))),
        None => {
            column.width = Some(got);
            Ok(())
        }
    }
}

/// Depth of nested lists accepted inside one row (serde_json already bounds the document).
const MAX_ROW_DEPTH: usize = 16;

fn flatten<'v>(value: &'v Value, out: &mut Vec<&'v Value>, depth: usize) -> Result<(), ServeError> {
    match value {
        Value::Array(items) => {
            if depth >= MAX_ROW_DEPTH {
                return Err(ServeError::InvalidInput(format!(
                    "a row nests lists more than {MAX_ROW_DEPTH} deep"
                )));
            }
            for item in items {
                flatten(item, out, depth + 1)?;
            }
            Ok(())
        }
        Value::Object(_) => Err(ServeError::InvalidInput(
            "an object inside a row: rows hold numbers, strings or booleans".to_owned(),
        )),
        scalar => {
            out.push(scalar);
            Ok(())
        }
    }
}

fn push_json_scalar(column: &mut Column<'_>, value: &Value, at: &str) -> Result<(), ServeError> {
    let wrong = |expected: &str| {
        ServeError::InvalidInput(format!(
            "{at}: input '{}' expects {expected}, got {}",
            column.spec.name,
            kind(value)
        ))
    };
    match (&mut column.data, value) {
        (TensorData::Float32(v), Value::Number(n)) => {
            #[allow(clippy::cast_possible_truncation)] // float32 inputs take the nearest float32
            v.push(n.as_f64().ok_or_else(|| wrong("a number"))? as f32);
        }
        (TensorData::Float32(v), Value::Null) => v.push(f32::NAN),
        (TensorData::Float64(v), Value::Number(n)) => {
            v.push(n.as_f64().ok_or_else(|| wrong("a number"))?);
        }
        (TensorData::Float64(v), Value::Null) => v.push(f64::NAN),
        (TensorData::Float32(_) | TensorData::Float64(_), _) => return Err(wrong("a number")),
        (TensorData::Int64(v), Value::Number(n)) => {
            v.push(json_integer(n).ok_or_else(|| wrong("an integer"))?);
        }
        (TensorData::Int32(v), Value::Number(n)) => v.push(
            json_integer(n)
                .and_then(|i| i32::try_from(i).ok())
                .ok_or_else(|| wrong("a 32-bit integer"))?,
        ),
        (TensorData::Int64(_) | TensorData::Int32(_), _) => return Err(wrong("an integer")),
        (TensorData::Bool(v), Value::Bool(b)) => v.push(*b),
        (TensorData::Bool(v), Value::Number(n)) if n.as_u64().is_some_and(|i| i <= 1) => {
            v.push(n.as_u64() == Some(1));
        }
        (TensorData::Bool(_), _) => return Err(wrong("a boolean")),
        (TensorData::String(v), Value::String(s)) => v.push(s.clone()),
        (TensorData::String(_), _) => return Err(wrong("a string")),
    }
    Ok(())
}

/// An integer, also when written as `3.0`.
fn json_integer(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        let f = n.as_f64()?;
        #[allow(clippy::cast_possible_truncation)] // checked: integral and in range
        (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
    })
}

fn push_text(column: &mut Column<'_>, field: &str) -> Result<(), String> {
    let type_name = column.spec.element_type.name();
    let not_a = |what: &str| {
        format!(
            "{field:?} is not {what} (input '{}' is {type_name})",
            column.spec.name
        )
    };
    match &mut column.data {
        TensorData::Float32(v) => v.push(if field.is_empty() {
            f32::NAN
        } else {
            field.parse().map_err(|_| not_a("a number"))?
        }),
        TensorData::Float64(v) => v.push(if field.is_empty() {
            f64::NAN
        } else {
            field.parse().map_err(|_| not_a("a number"))?
        }),
        TensorData::Int64(v) => v.push(field.parse().map_err(|_| not_a("an integer"))?),
        TensorData::Int32(v) => v.push(field.parse().map_err(|_| not_a("a 32-bit integer"))?),
        TensorData::Bool(v) => v.push(match field.to_ascii_lowercase().as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(not_a("a boolean")),
        }),
        TensorData::String(v) => v.push(field.to_owned()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_engine::ElementType;

    fn spec(name: &str, element_type: ElementType, shape: Vec<Option<usize>>) -> InputSpec {
        InputSpec {
            name: name.into(),
            element_type,
            shape,
        }
    }

    fn iris() -> Vec<InputSpec> {
        vec![spec("features", ElementType::Float32, vec![None, Some(4)])]
    }

    fn two() -> Vec<InputSpec> {
        vec![
            spec("a", ElementType::Float32, vec![None, Some(3)]),
            spec("b", ElementType::Int64, vec![None, Some(1)]),
        ]
    }

    fn options() -> DecodeOptions {
        DecodeOptions {
            columns: ColumnSelection::default(),
            max_records: 10,
            csv_delimiter: b',',
            csv_header: CsvHeader::Auto,
        }
    }

    fn run(format: RequestFormat, body: &str, specs: &[InputSpec]) -> Result<Decoded, ServeError> {
        decode(format, body.as_bytes(), specs, options())
    }

    fn floats(decoded: &Decoded) -> Vec<f32> {
        match &decoded.tensors[0].data {
            TensorData::Float32(v) => v.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn json_shapes_all_give_the_same_rows() {
        let specs = iris();
        for body in [
            r#"{"instances": [[1,2,3,4],[5,6,7,8]]}"#,
            r#"{"inputs": [[1,2,3,4],[5,6,7,8]]}"#,
            "[[1,2,3,4],[5,6,7,8]]",
            r#"[{"features":[1,2,3,4]},{"features":[5,6,7,8]}]"#,
            r#"{"instances": [{"features":[1,2,3,4]},{"features":[5,6,7,8]}]}"#,
            r#"{"inputs": {"features": [[1,2,3,4],[5,6,7,8]]}}"#,
        ] {
            let decoded = run(RequestFormat::Json, body, &specs).unwrap();
            assert_eq!(decoded.rows, 2, "{body}");
            assert_eq!(decoded.tensors[0].shape, vec![2, 4]);
            assert_eq!(
                floats(&decoded),
                vec![1., 2., 3., 4., 5., 6., 7., 8.],
                "{body}"
            );
        }
        for body in [
            r#"{"features":[1,2,3,4]}"#,
            "[1,2,3,4]",
            r#"{"instances":[1,2,3,4]}"#,
        ] {
            let decoded = run(RequestFormat::Json, body, &specs).unwrap();
            assert_eq!(decoded.rows, 1, "{body}");
        }
    }

    #[test]
    fn csv_detects_a_header_and_splits_fields() {
        let specs = iris();
        let decoded = run(
            RequestFormat::Csv,
            "a,b,c,d\n1,2,3,4\r\n\n5, 6 ,7,8\n",
            &specs,
        )
        .unwrap();
        assert_eq!(floats(&decoded), vec![1., 2., 3., 4., 5., 6., 7., 8.]);
        // A single bad row is an error, not a header swallowed in silence.
        let error = run(RequestFormat::Csv, "1,2,3,x", &specs).unwrap_err();
        assert_eq!(error.status(), 400);
        assert!(error.to_string().contains("column 4"), "{error}");
        let error = run(RequestFormat::Csv, "a,b,c,d\n", &specs).unwrap_err();
        assert!(
            error.to_string().contains("header line but no rows"),
            "{error}"
        );
        let decoded = run(RequestFormat::Csv, "\"1\",2,3,4", &specs).unwrap();
        assert_eq!(decoded.rows, 1);
    }

    #[test]
    fn json_lines_take_rows_and_objects() {
        let decoded = run(
            RequestFormat::JsonLines,
            "{\"features\":[1,2,3,4]}\n\n[6.5,3.0,5.2,2.3]\n",
            &iris(),
        )
        .unwrap();
        assert_eq!(decoded.rows, 2);
        let error = run(RequestFormat::JsonLines, "[1,2,3,4]\n{oops", &iris()).unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
    }

    #[test]
    fn multi_input_models_take_records_columns_flat_rows_and_csv() {
        let specs = two();
        for (format, body) in [
            (
                RequestFormat::Json,
                r#"{"instances":[{"a":[1,2,3],"b":[2]},{"a":[4,5,6],"b":3}]}"#,
            ),
            (
                RequestFormat::Json,
                r#"{"inputs":{"a":[[1,2,3],[4,5,6]],"b":[[2],[3]]}}"#,
            ),
            (RequestFormat::Json, "[[1,2,3,2],[4,5,6,3]]"),
            (RequestFormat::Csv, "1,2,3,2\n4,5,6,3"),
            (
                RequestFormat::JsonLines,
                "{\"a\":[1,2,3],\"b\":[2]}\n[4,5,6,3]",
            ),
        ] {
            let decoded = run(format, body, &specs).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(decoded.tensors[0].shape, vec![2, 3], "{body}");
            assert_eq!(decoded.tensors[1].shape, vec![2, 1], "{body}");
            assert_eq!(
                decoded.tensors[1].data,
                TensorData::Int64(vec![2, 3]),
                "{body}"
            );
        }
        let error = run(RequestFormat::Json, r#"[{"a":[1,2,3]}]"#, &specs).unwrap_err();
        assert!(error.to_string().contains("missing [\"b\"]"), "{error}");
        let error = run(RequestFormat::Json, r#"[{"a":[1,2,3],"b":[1.5]}]"#, &specs).unwrap_err();
        assert!(error.to_string().contains("expects an integer"), "{error}");
    }

    #[test]
    fn refusals_say_what_was_expected() {
        let specs = iris();
        let cases = [
            ("[[1,2,3]]", "expects 4 features, got 3"),
            ("[[1,2,3,\"x\"]]", "expects a number, got a string"),
            ("[]", "no rows"),
            ("[[]]", "expects 4 features, got 0"),
            ("5", "expected a list of rows"),
            (
                "{\"rows\": []}",
                "expected a JSON object with \"instances\"",
            ),
            ("[[1,2,3,{}]]", "an object inside a row"),
        ];
        for (body, message) in cases {
            let error = run(RequestFormat::Json, body, &specs).unwrap_err();
            assert_eq!(error.status(), 400, "{body}");
            assert!(error.to_string().contains(message), "{body}: {error}");
        }
        let error = run(RequestFormat::Json, "{not json", &specs).unwrap_err();
        assert_eq!(error.code(), "malformed_json");
        let error = run(RequestFormat::Json, "  \n", &specs).unwrap_err();
        assert_eq!(error.code(), "empty_body");
    }

    #[test]
    fn too_many_rows_is_413_and_deep_nesting_is_400() {
        let body = format!("[{}]", ["[1,2,3,4]"; 11].join(","));
        let error = run(RequestFormat::Json, &body, &iris()).unwrap_err();
        assert_eq!(error.status(), 413);
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let error = run(RequestFormat::Json, &deep, &iris()).unwrap_err();
        assert_eq!(error.status(), 400);
    }

    #[test]
    fn strings_feed_string_inputs_and_nulls_become_nan() {
        let specs = vec![spec("colour", ElementType::String, vec![None, Some(1)])];
        let decoded = run(RequestFormat::Csv, "colour\nred\nblue", &specs).unwrap();
        // A string input: the first line is data unless CSV_HAS_HEADER=true.
        assert_eq!(decoded.rows, 3);
        let decoded = run(RequestFormat::Json, r#"[["red"],["blue"]]"#, &specs).unwrap();
        assert_eq!(
            decoded.tensors[0].data,
            TensorData::String(vec!["red".into(), "blue".into()])
        );
        let decoded = run(RequestFormat::Json, "[[1,null,3,4]]", &iris()).unwrap();
        assert!(floats(&decoded)[1].is_nan());
    }

    mod never_panics {
        use super::*;
        use proptest::prelude::*;

        fn all_specs() -> Vec<Vec<InputSpec>> {
            vec![
                iris(),
                two(),
                vec![spec("s", ElementType::String, vec![None, Some(1)])],
                vec![spec("n", ElementType::Int64, vec![Some(1)])],
                vec![spec("w", ElementType::Float64, vec![None, None])],
                vec![spec("b", ElementType::Bool, vec![None, Some(2), Some(2)])],
            ]
        }

        fn decode_everything(body: &[u8]) {
            for specs in all_specs() {
                for format in [
                    RequestFormat::Json,
                    RequestFormat::Csv,
                    RequestFormat::JsonLines,
                ] {
                    for csv_header in [CsvHeader::Auto, CsvHeader::True, CsvHeader::False] {
                        let options = DecodeOptions {
                            csv_header,
                            ..options()
                        };
                        if let Ok(decoded) = decode(format, body, &specs, options) {
                            assert!(decoded.rows >= 1 && decoded.rows <= 10);
                            for tensor in &decoded.tensors {
                                assert_eq!(
                                    tensor.shape.iter().product::<usize>(),
                                    tensor.data.len()
                                );
                            }
                        }
                    }
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn on_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..256)) {
                decode_everything(&body);
            }

            #[test]
            fn on_json_and_csv_lookalikes(body in r#"[\[\]{}",:0-9a-z.\-eE \n\r\t]{0,120}"#) {
                decode_everything(body.as_bytes());
            }

            #[test]
            fn on_well_formed_rows(rows in proptest::collection::vec(
                proptest::collection::vec(-1.0e6f64..1.0e6, 0..6), 0..12)) {
                let json = serde_json::to_string(&rows).unwrap();
                decode_everything(json.as_bytes());
                let csv: Vec<String> = rows.iter()
                    .map(|r| r.iter().map(ToString::to_string).collect::<Vec<_>>().join(","))
                    .collect();
                decode_everything(csv.join("\n").as_bytes());
            }
        }
    }
}
