//! JSON and JSON Lines bodies.
//!
//! Accepted JSON shapes, for a model with inputs `x` (or `a` and `b`):
//! - SageMaker and KServe v1 style: `{"instances": ROWS}`, `{"inputs": ROWS}`, a bare `ROWS`, or
//!   `{"features": ROW}` for one row;
//! - `{"inputs": {"a": ROWS_A, "b": ROWS_B}}`: each input its own rows (columnar), also keyed by
//!   column name;
//! - MLflow's scoring protocol: `{"dataframe_split": {"columns": [...], "data": [[...]]}}` and
//!   `{"dataframe_records": [{column: value}, ...]}` (and `instances`, `inputs` as above);
//! - pandas: `to_json(orient="split")` (`{"columns", "index", "data"}`) and
//!   `to_json(orient="records")` (a list of `{column: value}` objects).
//!
//! Names are honoured: records and `columns` are matched to the model's inputs or its declared
//! column names, whatever their order; an unknown or missing name is refused. Any other key next
//! to the ones above is refused too: berth cannot apply what it does not understand.
//! JSON Lines: one row (any JSON row shape) per non-blank line.

use serde_json::{Map, Value};

use super::batch::{BatchBuilder, FEATURES_KEY};
use super::scalar::kind;
use crate::ServeError;

pub(crate) fn decode_json(body: &[u8], batch: &mut BatchBuilder<'_>) -> Result<(), ServeError> {
    // serde_json refuses nesting deeper than 128 levels with an error, so hostile depth cannot
    // exhaust the stack; the body limit bounds the size.
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ServeError::MalformedJson(e.to_string()))?;
    match value {
        Value::Object(object) => decode_object(object, batch),
        Value::Array(_) => push_rows(batch, &value),
        other => Err(ServeError::InvalidInput(format!(
            "expected a list of rows or an object with \"instances\", got {}",
            kind(&other)
        ))),
    }
}

/// The keys berth reads at the top of a JSON body, and what each holds.
const TOP_KEYS: &str = "\"instances\", \"inputs\", \"features\", \"dataframe_split\", \
                        \"dataframe_records\", pandas' \"columns\" and \"data\"";

fn decode_object(
    mut object: Map<String, Value>,
    batch: &mut BatchBuilder<'_>,
) -> Result<(), ServeError> {
    let only = |object: &Map<String, Value>, allowed: &[&str]| -> Result<(), ServeError> {
        match object.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(extra) => Err(ServeError::InvalidInput(format!(
                "unexpected key {extra:?} next to {allowed:?}: berth reads {TOP_KEYS}"
            ))),
            None => Ok(()),
        }
    };
    if object.contains_key("instances") {
        only(&object, &["instances"])?;
        return push_rows(batch, &object["instances"]);
    }
    if object.contains_key("inputs") {
        only(&object, &["inputs"])?;
        return match object.remove("inputs") {
            Some(Value::Object(columns))
                if batch.names_every_input(&columns) || batch.names_every_column(&columns) =>
            {
                push_columns(batch, &columns)
            }
            Some(rows) => push_rows(batch, &rows),
            None => Ok(()),
        };
    }
    if object.contains_key("dataframe_split") {
        only(&object, &["dataframe_split"])?;
        return match object.remove("dataframe_split") {
            Some(Value::Object(split)) => push_split(batch, &split, "dataframe_split"),
            Some(other) => Err(ServeError::InvalidInput(format!(
                "\"dataframe_split\" must be an object with \"columns\" and \"data\", got {}",
                kind(&other)
            ))),
            None => Ok(()),
        };
    }
    if object.contains_key("dataframe_records") {
        only(&object, &["dataframe_records"])?;
        return match &object["dataframe_records"] {
            Value::Array(records) => push_record_list(batch, records),
            other => Err(ServeError::InvalidInput(format!(
                "\"dataframe_records\" must be a list of objects, got {}",
                kind(other)
            ))),
        };
    }
    let is_input_or_column = |key: &str| {
        batch.layout.specs.iter().any(|s| s.name == key) || batch.layout.column(key).is_some()
    };
    if object.contains_key("columns") && object.contains_key("data") && !is_input_or_column("data")
    {
        only(&object, &["columns", "data", "index"])?;
        return push_split(batch, &object, "the body");
    }
    if object.contains_key(FEATURES_KEY)
        || batch.names_every_input(&object)
        || batch.names_every_column(&object)
    {
        return batch.push_json_row(&Value::Object(object), "the request");
    }
    if object.keys().any(|k| is_input_or_column(k)) {
        return Err(batch.record_error(object.keys().map(String::as_str), "the request"));
    }
    let keys: Vec<&str> = object.keys().map(String::as_str).take(5).collect();
    Err(ServeError::InvalidInput(format!(
        "expected a JSON object with {TOP_KEYS}; got keys {keys:?}"
    )))
}

/// `rows` is a list of rows, or one row.
pub(crate) fn push_rows(batch: &mut BatchBuilder<'_>, rows: &Value) -> Result<(), ServeError> {
    match rows {
        Value::Array(items) if items.is_empty() => Ok(()),
        Value::Array(items) if batch.is_list_of_rows(items) => {
            for (index, row) in items.iter().enumerate() {
                batch.push_json_row(row, &format!("row {}", index + 1))?;
            }
            Ok(())
        }
        Value::Array(_) | Value::Object(_) => batch.push_json_row(rows, "row 1"),
        other => Err(ServeError::InvalidInput(format!(
            "expected a list of rows, got {}",
            kind(other)
        ))),
    }
}

fn push_record_list(batch: &mut BatchBuilder<'_>, records: &[Value]) -> Result<(), ServeError> {
    for (index, record) in records.iter().enumerate() {
        let at = format!("record {}", index + 1);
        if !record.is_object() {
            return Err(ServeError::InvalidInput(format!(
                "{at}: expected an object of column names to values, got {}",
                kind(record)
            )));
        }
        batch.push_json_row(record, &at)?;
    }
    Ok(())
}

/// `{"columns": [...], "data": [[...], ...]}` (pandas' split orientation, MLflow's
/// `dataframe_split`): each row's values are matched to the model's columns by name.
fn push_split(
    batch: &mut BatchBuilder<'_>,
    split: &Map<String, Value>,
    what: &str,
) -> Result<(), ServeError> {
    let Some(Value::Array(columns)) = split.get("columns") else {
        return Err(ServeError::InvalidInput(format!(
            "{what}: \"columns\" must be a list of column names"
        )));
    };
    let Some(Value::Array(data)) = split.get("data") else {
        return Err(ServeError::InvalidInput(format!(
            "{what}: \"data\" must be a list of rows"
        )));
    };
    if let Some(extra) = split
        .keys()
        .find(|k| !["columns", "data", "index"].contains(&k.as_str()))
    {
        return Err(ServeError::InvalidInput(format!(
            "{what}: unexpected key {extra:?} (expected \"columns\", \"data\" and \"index\")"
        )));
    }
    let names: Vec<&str> = columns
        .iter()
        .map(|c| c.as_str())
        .collect::<Option<_>>()
        .ok_or_else(|| {
            ServeError::InvalidInput(format!("{what}: \"columns\" must hold strings"))
        })?;
    let order = column_order(batch, &names, what)?;
    for (index, row) in data.iter().enumerate() {
        let at = format!("row {}", index + 1);
        let Value::Array(values) = row else {
            return Err(ServeError::InvalidInput(format!(
                "{at}: expected a list of {} values, got {}",
                names.len(),
                kind(row)
            )));
        };
        if values.len() != names.len() {
            return Err(ServeError::InvalidInput(format!(
                "{at}: {} values for {} columns",
                values.len(),
                names.len()
            )));
        }
        let cells: Vec<&Value> = order.iter().map(|&i| &values[i]).collect();
        batch.begin_row()?;
        batch.push_flat_json(&cells, &at, false)?;
    }
    Ok(())
}

/// For each of the model's columns, its position among `names`; refuses unknown, missing and
/// repeated names.
pub(crate) fn column_order(
    batch: &BatchBuilder<'_>,
    names: &[&str],
    what: &str,
) -> Result<Vec<usize>, ServeError> {
    let Some(expected) = batch.layout.column_names() else {
        return Err(ServeError::InvalidInput(format!(
            "{what} names its columns, but {}",
            batch.layout.names_unknown_hint()
        )));
    };
    let unknown: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !expected.iter().any(|e| e == n))
        .take(8)
        .collect();
    let missing: Vec<&str> = expected
        .iter()
        .map(String::as_str)
        .filter(|e| !names.contains(e))
        .take(8)
        .collect();
    let repeated = names
        .iter()
        .enumerate()
        .find(|(i, n)| names[..*i].contains(n))
        .map(|(_, n)| *n);
    if !unknown.is_empty() || !missing.is_empty() || repeated.is_some() {
        let repeated = repeated
            .map(|r| format!(", repeated {r:?}"))
            .unwrap_or_default();
        return Err(ServeError::InvalidInput(format!(
            "{what}: the columns do not match the model's: unknown {unknown:?}, missing \
             {missing:?}{repeated}; expected {}",
            batch.layout.expected_names()
        )));
    }
    Ok(expected
        .iter()
        .map(|e| names.iter().position(|n| n == e).unwrap_or_default())
        .collect())
}

/// `{"a": ROWS_A, "b": ROWS_B}`: each input (or each column) its own list of rows.
fn push_columns(
    batch: &mut BatchBuilder<'_>,
    columns: &Map<String, Value>,
) -> Result<(), ServeError> {
    let mut lengths = Vec::with_capacity(columns.len());
    for (name, rows) in columns {
        match rows {
            Value::Array(rows) => lengths.push(rows.len()),
            other => {
                return Err(ServeError::InvalidInput(format!(
                    "input '{name}' must be a list of rows, got {}",
                    kind(other)
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
    if batch.names_every_input(columns) {
        let names: Vec<String> = batch.layout.specs.iter().map(|s| s.name.clone()).collect();
        for row in 0..rows {
            batch.begin_row()?;
            for (input, name) in names.iter().enumerate() {
                batch.push_input_value(
                    input,
                    &columns[name][row],
                    &format!("row {} of input '{name}'", row + 1),
                )?;
            }
        }
        return Ok(());
    }
    let names: Vec<String> = batch.layout.column_names().unwrap_or_default().to_vec();
    for row in 0..rows {
        let at = format!("row {}", row + 1);
        let cells: Vec<&Value> = names.iter().map(|n| &columns[n][row]).collect();
        batch.begin_row()?;
        batch.push_flat_json(&cells, &at, false)?;
    }
    Ok(())
}

pub(crate) fn decode_json_lines(
    body: &[u8],
    batch: &mut BatchBuilder<'_>,
) -> Result<(), ServeError> {
    for (index, line) in body.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value: Value = serde_json::from_slice(line)
            .map_err(|e| ServeError::MalformedJson(format!("line {}: {e}", index + 1)))?;
        batch.push_json_row(&value, &format!("line {}", index + 1))?;
    }
    Ok(())
}
