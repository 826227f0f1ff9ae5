//! Typed buffers for every model input, filled row by row, each row checked against the
//! input's per-row shape as it goes (see the codec's module doc for what a row is).
//!
//! One piece past 500 lines: the builder is one state (buffers, per-row shapes learnt from the
//! first row, column selection, ID columns) that every format writes into; its row, record and
//! flat-row entry points share that state and its messages.

use berth_engine::{ElementType, InputSpec, InputTensor, TensorData};
use serde_json::Value;

use super::scalar::{self, ScalarError};
use super::{DecodeOptions, Decoded, Layout};
use crate::ServeError;
use crate::config::{ColumnSelection, MissingValues};

/// One model input's buffer while decoding.
struct Column<'a> {
    spec: &'a InputSpec,
    /// The per-row shape: fixed by the model, or learnt from the first row where it is dynamic.
    dims: Vec<Option<usize>>,
    data: TensorData,
}

impl Column<'_> {
    /// True when a row of this input is one value (`[N]` or `[N, 1]`).
    fn takes_one_value(&self) -> bool {
        self.dims.is_empty() || self.dims == [Some(1)]
    }

    /// The per-row shape as the model declares it, for messages: `[3, 32, 32]`, `[?]`.
    fn shape_text(&self) -> String {
        let dims: Vec<String> = self.spec.shape[1..]
            .iter()
            .map(|d| d.map_or_else(|| "?".to_owned(), |d| d.to_string()))
            .collect();
        format!("[{}]", dims.join(", "))
    }

    fn scalar_error(&self, at: &str, error: &ScalarError) -> ServeError {
        ServeError::InvalidInput(format!(
            "{at}: input '{}' {}",
            self.spec.name,
            error.message(self.spec.element_type.name())
        ))
    }

    fn shape_error(&self, at: &str, path: &[usize], detail: &str) -> ServeError {
        let place = if path.is_empty() {
            String::new()
        } else {
            let indices: Vec<String> = path.iter().map(ToString::to_string).collect();
            format!(" at [{}]", indices.join("]["))
        };
        ServeError::InvalidInput(format!(
            "{at}: input '{}' takes rows of shape {}{place}: {detail}",
            self.spec.name,
            self.shape_text()
        ))
    }

    /// Fills one row (or the part of it below `path`) from nested lists of exactly the
    /// per-row shape.
    fn fill(
        &mut self,
        value: &Value,
        level: usize,
        path: &mut Vec<usize>,
        at: &str,
        missing: MissingValues,
    ) -> Result<(), ServeError> {
        if level == self.dims.len() {
            return match value {
                Value::Array(_) => Err(self.shape_error(
                    at,
                    path,
                    "a list where a value was expected (the row nests deeper than the input's shape)",
                )),
                Value::Object(_) => Err(ServeError::InvalidInput(format!(
                    "{at}: an object inside a row: rows hold numbers, strings or booleans"
                ))),
                scalar => scalar::push_json(&mut self.data, scalar, missing)
                    .map_err(|e| self.scalar_error(at, &e)),
            };
        }
        let Value::Array(items) = value else {
            let expected =
                self.dims[level].map_or_else(|| "a list".to_owned(), |n| format!("a list of {n}"));
            return Err(self.shape_error(
                at,
                path,
                &format!("{} where {expected} was expected", scalar::kind(value)),
            ));
        };
        let last = level + 1 == self.dims.len();
        if last && items.iter().any(|i| i.is_array()) {
            return Err(self.shape_error(
                at,
                path,
                "nested lists where values were expected (the row nests deeper than the input's shape)",
            ));
        }
        match self.dims[level] {
            Some(expected) if expected != items.len() => {
                return Err(if self.dims.len() == 1 {
                    ServeError::InvalidInput(format!(
                        "{at}: input '{}' expects {expected} features, got {}",
                        self.spec.name,
                        items.len()
                    ))
                } else {
                    self.shape_error(
                        at,
                        path,
                        &format!("a list of {} where {expected} were expected", items.len()),
                    )
                });
            }
            Some(_) => {}
            None if items.is_empty() => {
                return Err(ServeError::InvalidInput(format!(
                    "{at}: input '{}' got an empty row",
                    self.spec.name
                )));
            }
            None => self.dims[level] = Some(items.len()),
        }
        for (index, item) in items.iter().enumerate() {
            path.push(index);
            self.fill(item, level + 1, path, at, missing)?;
            path.pop();
        }
        Ok(())
    }
}

/// Typed buffers for every model input, filled row by row.
pub(crate) struct BatchBuilder<'a> {
    pub(crate) layout: &'a Layout,
    columns: Vec<Column<'a>>,
    pub(crate) rows: usize,
    max_records: u64,
    missing: MissingValues,
    /// Column selection of tabular rows; `None` when every column is a feature.
    selection: Option<ColumnSelection>,
    /// ID columns of each row, when IDs are selected.
    ids: Option<Vec<Vec<Value>>>,
}

/// The key of `{"features": ROW}` rows.
pub(crate) const FEATURES_KEY: &str = "features";

impl<'a> BatchBuilder<'a> {
    pub(crate) fn new(layout: &'a Layout, options: &DecodeOptions) -> Result<Self, ServeError> {
        let mut columns = Vec::with_capacity(layout.specs.len());
        for spec in &layout.specs {
            if spec.shape.is_empty() {
                return Err(ServeError::InvalidInput(format!(
                    "input '{}' is a single value without a batch dimension; berth feeds \
                     inputs row by row",
                    spec.name
                )));
            }
            columns.push(Column {
                spec,
                dims: spec.shape[1..].to_vec(),
                data: TensorData::with_capacity(spec.element_type, 0),
            });
        }
        let selection = options.columns.clone();
        let ids = selection.ids.is_some().then(Vec::new);
        let selection =
            (selection.ids.is_some() || selection.features.is_some()).then_some(selection);
        Ok(Self {
            layout,
            columns,
            rows: 0,
            max_records: options.max_records,
            missing: options.missing,
            selection,
            ids,
        })
    }

    /// True when a numeric CSV field can never be a header name (every input is numeric).
    pub(crate) fn all_numeric(&self) -> bool {
        self.layout
            .specs
            .iter()
            .all(|s| s.element_type != ElementType::String)
    }

    /// True when the model has one input that takes one value per row.
    pub(crate) fn takes_one_value_per_row(&self) -> bool {
        matches!(self.columns.as_slice(), [single] if single.takes_one_value())
            && self.selection.is_none()
    }

    /// One row of a dense array (`.npy`) whose per-row shape is `row_shape`, for a model with
    /// one input: the shape must be the input's, element for element.
    pub(crate) fn push_shaped(
        &mut self,
        row_shape: &[usize],
        at: &str,
        mut push: impl FnMut(usize, &mut TensorData, MissingValues) -> Result<(), ScalarError>,
    ) -> Result<(), ServeError> {
        let missing = self.missing;
        let [column] = self.columns.as_mut_slice() else {
            return Err(ServeError::InvalidInput(format!(
                "{at}: rows of shape {row_shape:?} cannot be split across the model's {} inputs",
                self.layout.specs.len()
            )));
        };
        let fits = column.dims.len() == row_shape.len()
            && column
                .dims
                .iter()
                .zip(row_shape)
                .all(|(d, &n)| d.is_none_or(|d| d == n) && n > 0);
        if !fits {
            return Err(column.shape_error(
                at,
                &[],
                &format!("the array's rows have shape {row_shape:?}"),
            ));
        }
        for (dim, &n) in column.dims.iter_mut().zip(row_shape) {
            *dim = Some(n);
        }
        let count: usize = row_shape.iter().product();
        for index in 0..count {
            push(index, &mut column.data, missing).map_err(|e| column.scalar_error(at, &e))?;
        }
        Ok(())
    }

    /// True when the tabular settings pick columns out of flat rows.
    pub(crate) fn has_selection(&self) -> bool {
        self.selection.is_some()
    }

    pub(crate) fn begin_row(&mut self) -> Result<(), ServeError> {
        self.rows += 1;
        if self.rows as u64 > self.max_records {
            return Err(ServeError::TooManyRecords {
                limit: self.max_records,
            });
        }
        Ok(())
    }

    /// True when `items` (a JSON list) is a list of rows rather than one row.
    pub(crate) fn is_list_of_rows(&self, items: &[Value]) -> bool {
        if items.iter().any(Value::is_object) {
            return true;
        }
        match self.columns.as_slice() {
            [single] if self.selection.is_none() => {
                if single.takes_one_value() {
                    return true;
                }
                // One row nests as deep as the per-row shape; a list of rows one deeper.
                depth(items.first()) != single.dims.len() - 1
            }
            _ => items.iter().any(Value::is_array),
        }
    }

    /// One JSON row: an object keyed by input or column names, `{"features": ROW}`, or the
    /// row itself (nested lists of the per-row shape for one input, a flat list for several).
    pub(crate) fn push_json_row(&mut self, row: &Value, at: &str) -> Result<(), ServeError> {
        if let Value::Object(object) = row {
            return self.push_record(object, at);
        }
        if self.columns.len() == 1 && self.selection.is_none() {
            self.begin_row()?;
            return self.push_input_value(0, row, at);
        }
        match row {
            Value::Array(items) => {
                if let Some(index) = items.iter().position(|v| v.is_array() || v.is_object()) {
                    return Err(ServeError::InvalidInput(format!(
                        "{at}: value {} is {}; for a model with several inputs (or with \
                         TABULAR_*_COLUMNS set) a row is a flat list of values, or an object \
                         keyed by input name",
                        index + 1,
                        scalar::kind(&items[index])
                    )));
                }
                self.begin_row()?;
                let cells: Vec<&Value> = items.iter().collect();
                self.push_flat_json(&cells, at, true)
            }
            other => Err(ServeError::InvalidInput(format!(
                "{at}: expected a row (a list of values, or an object keyed by input name), got {}",
                scalar::kind(other)
            ))),
        }
    }

    fn input_index(&self, name: &str) -> Option<usize> {
        self.layout.specs.iter().position(|s| s.name == name)
    }

    /// True when the object names every model input and nothing else.
    pub(crate) fn names_every_input(&self, object: &serde_json::Map<String, Value>) -> bool {
        !object.is_empty()
            && object.len() == self.layout.specs.len()
            && object.keys().all(|k| self.input_index(k).is_some())
    }

    /// True when the object names every known column and nothing else.
    pub(crate) fn names_every_column(&self, object: &serde_json::Map<String, Value>) -> bool {
        self.layout.column_names().is_some_and(|names| {
            object.len() == names.len() && object.keys().all(|k| self.layout.column(k).is_some())
        })
    }

    fn push_record(
        &mut self,
        object: &serde_json::Map<String, Value>,
        at: &str,
    ) -> Result<(), ServeError> {
        if let Some(features) = object.get(FEATURES_KEY)
            && object.len() == 1
            && self.input_index(FEATURES_KEY).is_none()
            && self.layout.column(FEATURES_KEY).is_none()
        {
            return self.push_json_row(features, at);
        }
        if self.names_every_input(object) {
            self.begin_row()?;
            if let Some(ids) = &mut self.ids {
                ids.push(Vec::new()); // a record names its inputs: it has no ID columns
            }
            for input in 0..self.columns.len() {
                let name = &self.layout.specs[input].name;
                self.push_input_value(input, &object[name], &format!("{at}, input '{name}'"))?;
            }
            return Ok(());
        }
        if self.names_every_column(object) {
            let names = self.layout.column_names().unwrap_or_default();
            let cells: Vec<&Value> = names.iter().map(|n| &object[n]).collect();
            self.begin_row()?;
            if let Some(ids) = &mut self.ids {
                ids.push(Vec::new());
            }
            return self.push_flat_json(&cells, at, false);
        }
        Err(self.record_error(object.keys().map(String::as_str), at))
    }

    /// The refusal of an object whose keys name neither every input nor every column.
    pub(crate) fn record_error<'k>(
        &self,
        keys: impl Iterator<Item = &'k str> + Clone,
        at: &str,
    ) -> ServeError {
        let inputs: Vec<&str> = self.layout.specs.iter().map(|s| s.name.as_str()).collect();
        let missing = |names: &[&str]| -> Vec<String> {
            names
                .iter()
                .filter(|n| !keys.clone().any(|k| k == **n))
                .map(|n| (*n).to_owned())
                .take(8)
                .collect()
        };
        let unknown = |names: &[&str]| -> Vec<String> {
            keys.clone()
                .filter(|k| !names.contains(k))
                .map(str::to_owned)
                .take(8)
                .collect()
        };
        let by_inputs = format!(
            "an object row must name every model input {inputs:?} (missing {:?}, unknown {:?}) \
             or hold \"features\"",
            missing(&inputs),
            unknown(&inputs)
        );
        match self.layout.column_names() {
            Some(columns) if columns.len() != inputs.len() || inputs.len() > 1 => {
                let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
                ServeError::InvalidInput(format!(
                    "{at}: {by_inputs}, or name every column {} (missing {:?}, unknown {:?})",
                    self.layout.expected_names(),
                    missing(&columns),
                    unknown(&columns)
                ))
            }
            Some(_) => ServeError::InvalidInput(format!("{at}: {by_inputs}")),
            None => ServeError::InvalidInput(format!(
                "{at}: {by_inputs}; to send objects keyed by column name, {}",
                self.layout.names_unknown_hint()
            )),
        }
    }

    /// One input's value of one row: nested lists of its per-row shape, or one value for inputs
    /// that take one value per row (`5` or `[5]`).
    pub(crate) fn push_input_value(
        &mut self,
        input: usize,
        value: &Value,
        at: &str,
    ) -> Result<(), ServeError> {
        let missing = self.missing;
        let column = &mut self.columns[input];
        if column.takes_one_value() {
            let scalar = match value {
                Value::Array(items)
                    if items.len() == 1 && !items[0].is_array() && !items[0].is_object() =>
                {
                    &items[0]
                }
                Value::Array(items) => {
                    return Err(ServeError::InvalidInput(format!(
                        "{at}: input '{}' takes one value per row, got a list of {}",
                        column.spec.name,
                        items.len()
                    )));
                }
                Value::Object(_) => {
                    return Err(ServeError::InvalidInput(format!(
                        "{at}: an object inside a row: rows hold numbers, strings or booleans"
                    )));
                }
                other => other,
            };
            return scalar::push_json(&mut column.data, scalar, missing)
                .map_err(|e| column.scalar_error(at, &e));
        }
        column.fill(value, 0, &mut Vec::new(), at, missing)
    }

    /// The number of values each input takes from a flat row of `len` values.
    fn flat_widths(
        &mut self,
        len: usize,
        at: &dyn std::fmt::Display,
    ) -> Result<Vec<usize>, ServeError> {
        if !self.layout.takes_flat_rows() {
            let column = self
                .columns
                .iter()
                .find(|c| c.dims.len() > 1)
                .unwrap_or(&self.columns[0]);
            return Err(ServeError::InvalidInput(format!(
                "{at}: input '{}' takes rows of shape {}, which a flat row (a CSV line, a list \
                 of values) cannot give without guessing the layout: send each row as nested \
                 JSON lists of that shape",
                column.spec.name,
                column.shape_text()
            )));
        }
        if let [single] = self.columns.as_mut_slice() {
            let expected = match single.dims.first() {
                None => 1,
                Some(Some(width)) => *width,
                Some(None) if len == 0 => {
                    return Err(ServeError::InvalidInput(format!(
                        "{at}: input '{}' got an empty row",
                        single.spec.name
                    )));
                }
                Some(None) => {
                    single.dims[0] = Some(len);
                    len
                }
            };
            if expected != len {
                return Err(ServeError::InvalidInput(format!(
                    "{at}: input '{}' expects {expected} features, got {len}",
                    single.spec.name
                )));
            }
            return Ok(vec![len]);
        }
        let widths: Vec<usize> = self
            .columns
            .iter()
            .map(|c| c.spec.row_width().unwrap_or(0))
            .collect();
        let total: usize = widths.iter().sum();
        if total != len {
            let parts: Vec<String> = self
                .columns
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{}: {w}", c.spec.name))
                .collect();
            return Err(ServeError::InvalidInput(format!(
                "{at}: the model's inputs take {total} values per row ({}), got {len}",
                parts.join(", ")
            )));
        }
        Ok(widths)
    }

    /// A flat row of JSON values, split across the inputs (after the column selection, when
    /// `select` and one is set).
    pub(crate) fn push_flat_json(
        &mut self,
        cells: &[&Value],
        at: &str,
        select: bool,
    ) -> Result<(), ServeError> {
        if let Some(index) = cells.iter().position(|v| v.is_object()) {
            return Err(ServeError::InvalidInput(format!(
                "{at}: value {} is an object: rows hold numbers, strings or booleans",
                index + 1
            )));
        }
        self.push_flat(
            cells.len(),
            &at,
            select,
            |i, data, missing| scalar::push_json(data, cells[i], missing),
            |i| cells[i].clone(),
            ServeError::InvalidInput,
        )
    }

    /// A flat row of text fields (a CSV record), split across the inputs after the column
    /// selection.
    pub(crate) fn push_text_row(
        &mut self,
        fields: &[&str],
        at: &dyn std::fmt::Display,
    ) -> Result<(), ServeError> {
        self.push_flat(
            fields.len(),
            at,
            true,
            |i, data, missing| scalar::push_text(data, fields[i], missing),
            |i| Value::String(fields[i].to_owned()),
            // A field that is not text of the input's type is malformed CSV, as it always was.
            ServeError::MalformedCsv,
        )
    }

    /// A flat row of `len` values, read through `push` by position. A value of the wrong kind
    /// is refused through `wrong_kind` (each format names its own error code), any other refusal
    /// as invalid input.
    pub(crate) fn push_flat(
        &mut self,
        len: usize,
        at: &dyn std::fmt::Display,
        select: bool,
        mut push: impl FnMut(usize, &mut TensorData, MissingValues) -> Result<(), ScalarError>,
        id_value: impl Fn(usize) -> Value,
        wrong_kind: fn(String) -> ServeError,
    ) -> Result<(), ServeError> {
        let (features, ids) = match (&self.selection, select) {
            (Some(selection), true) => selection
                .split(len)
                .map_err(|message| ServeError::InvalidInput(format!("{at}: {message}")))?,
            _ => ((0..len).collect(), Vec::new()),
        };
        if select && let Some(store) = &mut self.ids {
            store.push(ids.iter().map(|&i| id_value(i)).collect());
        }
        let widths = self.flat_widths(features.len(), at)?;
        let missing = self.missing;
        let mut next = 0;
        for (input, width) in widths.into_iter().enumerate() {
            for _ in 0..width {
                let source = features[next];
                let column = &mut self.columns[input];
                if let Err(error) = push(source, &mut column.data, missing) {
                    let name = self
                        .layout
                        .column_names()
                        .and_then(|names| names.get(next))
                        .map(|n| format!(" ({n:?})"))
                        .unwrap_or_default();
                    let message = format!(
                        "{at}, column {}{name}: input '{}' {}",
                        source + 1,
                        column.spec.name,
                        error.message(column.spec.element_type.name())
                    );
                    return Err(match error {
                        ScalarError::Kind { .. } => wrong_kind(message),
                        _ => ServeError::InvalidInput(message),
                    });
                }
                next += 1;
            }
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<Decoded, ServeError> {
        if self.rows == 0 {
            return Err(ServeError::InvalidInput(
                "the request has no rows: send at least one".to_owned(),
            ));
        }
        let rows = self.rows;
        let has_missing = self.missing == MissingValues::Nan
            && self.columns.iter().any(|c| scalar::has_nan(&c.data));
        let tensors = self
            .columns
            .into_iter()
            .map(|column| {
                let mut shape = Vec::with_capacity(column.dims.len() + 1);
                shape.push(rows);
                shape.extend(column.dims.iter().map(|d| d.unwrap_or(0)));
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
            has_missing,
        })
    }
}

/// How deep lists nest, following first elements (`[[1, 2]]` is 2, `5` is 0).
fn depth(value: Option<&Value>) -> usize {
    let mut depth = 0;
    let mut value = value;
    while let Some(Value::Array(items)) = value {
        depth += 1;
        value = items.first();
    }
    depth
}
