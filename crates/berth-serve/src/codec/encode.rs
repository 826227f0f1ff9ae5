//! Model outputs to response bodies: JSON, CSV, JSON Lines and `.npy`.
//!
//! Predictions are the model's first output, one value per row: a scalar for `[N]` and `[N, 1]`
//! tensors (a label, a regression value), a list for `[N, k]`, an object for a map (ZipMap's
//! class -> probability). With every output requested, JSON adds `"outputs": {name: per-row
//! values}`; CSV writes a header line and every output's columns; JSON Lines one object per row.
//! float32 values are written with the shortest text that reads back as the same float32.
//!
//! An output that does not have one value per request row (a model that aggregates its batch)
//! is written whole, the same in every format: JSON gives the tensor, CSV and JSON Lines one
//! line per item of its first dimension. Next to other outputs in CSV or JSON Lines it has no
//! per-row place, and that answer is refused (406) rather than repeated on every line.
//!
//! One piece past 500 lines: the JSON, CSV, JSON Lines and `.npy` writers share the per-row
//! views of the outputs (the serializers below) and the response plan.

use berth_engine::{MapKeys, OutputMap, OutputSpec, OutputValue, Outputs, TensorData};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Number, Value};

use crate::ServeConfig;
use crate::ServeError;
use crate::config::{ResponseFormat, ResponseOutputs};

/// What a prediction answer holds, fixed at start-up from the settings and the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResponsePlan {
    /// The output whose values are "the predictions" (`ONNX_OUTPUT_NAME`, else the first).
    prediction: usize,
    shape: ResponseShape,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ResponseShape {
    /// `{KEY: predictions}`, or the bare list with `RETURN_PREDICTIONS_ONLY`.
    Predictions { key: String, bare: bool },
    /// `{KEY: predictions, "outputs": {every output}}`.
    All { key: String },
    /// `{response key: output}` from `ONNX_OUTPUT_MAP_JSON`.
    Map(Vec<(String, usize)>),
}

impl ResponsePlan {
    /// Checks the output settings against the model's outputs.
    pub(crate) fn new(config: &ServeConfig, outputs: &[OutputSpec]) -> Result<Self, ServeError> {
        let index = |setting: &'static str, name: &str| {
            outputs
                .iter()
                .position(|o| o.name == name)
                .ok_or_else(|| ServeError::InvalidSetting {
                    name: setting,
                    message: format!(
                        "the model has no output '{name}' (its outputs: {:?})",
                        outputs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>()
                    ),
                })
        };
        if outputs.is_empty() {
            return Err(ServeError::Internal("the model has no outputs".to_owned()));
        }
        let prediction = match &config.onnx_output_name {
            Some(name) => index("ONNX_OUTPUT_NAME", name)?,
            None => 0,
        };
        let key = config.json_output_key.clone();
        let shape = if let Some(map) = &config.onnx_output_map_json {
            let mut columns = Vec::with_capacity(map.0.len());
            for (response_key, output) in &map.0 {
                columns.push((response_key.clone(), index("ONNX_OUTPUT_MAP_JSON", output)?));
            }
            ResponseShape::Map(columns)
        } else if config.response_outputs == ResponseOutputs::All {
            ResponseShape::All { key }
        } else {
            ResponseShape::Predictions {
                key,
                bare: config.return_predictions_only,
            }
        };
        Ok(Self { prediction, shape })
    }

    /// The plan of the default settings for a model (tests and the KServe side use it).
    #[cfg(test)]
    pub(crate) fn predictions() -> Self {
        Self {
            prediction: 0,
            shape: ResponseShape::Predictions {
                key: "predictions".into(),
                bare: false,
            },
        }
    }

    #[cfg(test)]
    pub(crate) fn all() -> Self {
        Self {
            prediction: 0,
            shape: ResponseShape::All {
                key: "predictions".into(),
            },
        }
    }

    /// The named columns of a CSV or JSON Lines answer.
    fn columns<'a>(&'a self, outputs: &'a Outputs) -> Vec<(&'a str, &'a OutputValue)> {
        let named = |i: usize| (outputs.values[i].0.as_str(), &outputs.values[i].1);
        match &self.shape {
            ResponseShape::Predictions { key, .. } => {
                vec![(key.as_str(), &outputs.values[self.prediction].1)]
            }
            ResponseShape::All { .. } => (0..outputs.values.len()).map(named).collect(),
            ResponseShape::Map(columns) => columns
                .iter()
                .map(|(key, i)| (key.as_str(), &outputs.values[*i].1))
                .collect(),
        }
    }
}

/// Encodes the outputs of a batch of `rows` rows; `ids` are the ID columns of each row, when
/// `TABULAR_ID_COLUMNS` selected some.
pub(crate) fn encode(
    outputs: &Outputs,
    rows: usize,
    ids: Option<&[Vec<Value>]>,
    format: ResponseFormat,
    plan: &ResponsePlan,
    delimiter: u8,
) -> Result<Vec<u8>, ServeError> {
    if outputs.values.len() <= plan.prediction {
        return Err(ServeError::Internal(
            "the model returned fewer outputs than it declares".to_owned(),
        ));
    }
    let prediction = &outputs.values[plan.prediction].1;
    let ids_value = |row: usize| {
        ids.and_then(|ids| ids.get(row))
            .map(|r| Value::Array(r.clone()))
    };
    let internal = |e: &dyn std::fmt::Display| ServeError::Internal(e.to_string());
    match format {
        ResponseFormat::Json => {
            let mut out = Vec::with_capacity(32 + rows * 16);
            let mut serializer = serde_json::Serializer::new(&mut out);
            let bare = matches!(plan.shape, ResponseShape::Predictions { bare: true, .. });
            if bare && ids.is_none() {
                PerRow(prediction, rows)
                    .serialize(&mut serializer)
                    .map_err(|e| internal(&e))?;
                return Ok(out);
            }
            let mut body = serializer.serialize_map(None).map_err(|e| internal(&e))?;
            if let Some(ids) = ids {
                body.serialize_entry("ids", ids).map_err(|e| internal(&e))?;
            }
            match &plan.shape {
                ResponseShape::Predictions { key, .. } => {
                    body.serialize_entry(key, &PerRow(prediction, rows))
                }
                ResponseShape::All { key } => body
                    .serialize_entry(key, &PerRow(prediction, rows))
                    .and_then(|()| body.serialize_entry("outputs", &AllOutputs(outputs, rows))),
                ResponseShape::Map(columns) => columns.iter().try_for_each(|(key, index)| {
                    body.serialize_entry(key, &PerRow(&outputs.values[*index].1, rows))
                }),
            }
            .map_err(|e| internal(&e))?;
            SerializeMap::end(body).map_err(|e| internal(&e))?;
            Ok(out)
        }
        ResponseFormat::Npy => match (&plan.shape, ids) {
            (ResponseShape::Predictions { .. }, None) => super::encode_npy(prediction),
            _ => Err(ServeError::Unrepresentable(
                "an application/x-npy answer holds one array, the predictions: with \
                 RESPONSE_OUTPUTS=all, ONNX_OUTPUT_MAP_JSON or TABULAR_ID_COLUMNS ask for \
                 application/json"
                    .to_owned(),
            )),
        },
        ResponseFormat::JsonLines => {
            let columns = plan.columns(outputs);
            let rows = line_count(&columns, rows, ids.is_some(), "JSON Lines")?;
            let mut out = Vec::with_capacity(rows * 16);
            for row in 0..rows {
                let mut serializer = serde_json::Serializer::new(&mut out);
                match (&plan.shape, ids) {
                    (ResponseShape::Predictions { .. }, None) => {
                        RowOf(prediction, row, rows).serialize(&mut serializer)
                    }
                    (_, ids) => (|| {
                        let mut line = serializer.serialize_map(None)?;
                        if let Some(row_ids) = ids.and_then(|ids| ids.get(row)) {
                            line.serialize_entry("ids", row_ids)?;
                        }
                        for (name, value) in &columns {
                            line.serialize_entry(name, &RowOf(value, row, rows))?;
                        }
                        SerializeMap::end(line)
                    })(),
                }
                .map_err(|e| internal(&e))?;
                out.push(b'\n');
            }
            Ok(out)
        }
        ResponseFormat::Csv => {
            let columns = plan.columns(outputs);
            let rows = line_count(&columns, rows, ids.is_some(), "CSV")?;
            let mut writer = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .from_writer(Vec::new());
            let id_width = ids.and_then(|ids| ids.first()).map_or(0, Vec::len);
            if !matches!(plan.shape, ResponseShape::Predictions { .. }) {
                let mut header: Vec<String> = (0..id_width).map(|i| format!("id_{i}")).collect();
                for (name, value) in &columns {
                    header.extend(column_names(name, value, rows));
                }
                writer.write_record(&header).map_err(|e| internal(&e))?;
            }
            for row in 0..rows {
                let mut record = Vec::new();
                if let Some(row_ids) = ids_value(row) {
                    cells(&row_ids, &mut record);
                }
                for (_, value) in &columns {
                    row_cells(value, row, rows, &mut record);
                }
                writer.write_record(&record).map_err(|e| internal(&e))?;
            }
            writer.into_inner().map_err(|e| internal(&e))
        }
    }
}

/// The number of lines of a CSV or JSON Lines answer: the request's rows, or the items of an
/// output that is not per row when it is the only column.
fn line_count(
    columns: &[(&str, &OutputValue)],
    rows: usize,
    has_ids: bool,
    format: &str,
) -> Result<usize, ServeError> {
    let Some((name, value)) = columns.iter().find(|(_, v)| !is_batch_aligned(v, rows)) else {
        return Ok(rows);
    };
    if columns.len() == 1 && !has_ids {
        return Ok(match value {
            OutputValue::Tensor { shape, .. } => shape.first().copied().unwrap_or(1),
            OutputValue::Maps(maps) => maps.len(),
        });
    }
    Err(ServeError::Unrepresentable(format!(
        "the model's output '{name}' does not have one value per request row ({rows} rows), so \
         it has no place on each {format} line: ask for application/json"
    )))
}

/// Serializes an output as one value per row (or whole, when not batch-aligned), straight from
/// the tensor: no `serde_json::Value` in between.
struct PerRow<'a>(&'a OutputValue, usize);

/// Serializes one row of an output.
struct RowOf<'a>(&'a OutputValue, usize, usize);

/// Serializes every output by name, one value per row each.
struct AllOutputs<'a>(&'a Outputs, usize);

/// Serializes `shape`-nested elements of a tensor from `start`.
struct Nested<'a> {
    data: &'a TensorData,
    start: usize,
    shape: &'a [usize],
}

/// Serializes one element.
struct Element<'a>(&'a TensorData, usize);

/// Serializes one map of a map sequence as a JSON object.
struct MapOf<'a>(&'a OutputMap);

impl Serialize for PerRow<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Self(value, rows) = *self;
        if !is_batch_aligned(value, rows) {
            return Whole(value).serialize(serializer);
        }
        let mut seq = serializer.serialize_seq(Some(rows))?;
        for row in 0..rows {
            seq.serialize_element(&RowOf(value, row, rows))?;
        }
        seq.end()
    }
}

struct Whole<'a>(&'a OutputValue);

impl Serialize for Whole<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            OutputValue::Tensor { shape, data } => Nested {
                data,
                start: 0,
                shape,
            }
            .serialize(serializer),
            OutputValue::Maps(maps) => serializer.collect_seq(maps.iter().map(MapOf)),
        }
    }
}

impl Serialize for RowOf<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Self(value, row, rows) = *self;
        if !is_batch_aligned(value, rows) {
            return Whole(value).serialize(serializer);
        }
        match value {
            OutputValue::Tensor { shape, data } => {
                let inner = &shape[1..];
                let width: usize = inner.iter().product();
                let start = row * width;
                if width == 1 && inner.len() <= 1 {
                    Element(data, start).serialize(serializer)
                } else {
                    Nested {
                        data,
                        start,
                        shape: inner,
                    }
                    .serialize(serializer)
                }
            }
            OutputValue::Maps(maps) => MapOf(&maps[row]).serialize(serializer),
        }
    }
}

impl Serialize for AllOutputs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Self(outputs, rows) = *self;
        serializer.collect_map(
            outputs
                .values
                .iter()
                .map(|(name, value)| (name, PerRow(value, rows))),
        )
    }
}

impl Serialize for Nested<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.shape {
            [] => Element(self.data, self.start).serialize(serializer),
            [n, rest @ ..] => {
                let stride: usize = rest.iter().product();
                let mut seq = serializer.serialize_seq(Some(*n))?;
                for i in 0..*n {
                    seq.serialize_element(&Nested {
                        data: self.data,
                        start: self.start + i * stride,
                        shape: rest,
                    })?;
                }
                seq.end()
            }
        }
    }
}

impl Serialize for Element<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Self(data, index) = *self;
        // JSON has no NaN or infinity: they are written as null.
        match data {
            TensorData::Float32(v) => match v.get(index) {
                Some(x) if x.is_finite() => serializer.serialize_f32(*x),
                _ => serializer.serialize_none(),
            },
            TensorData::Float64(v) => match v.get(index) {
                Some(x) if x.is_finite() => serializer.serialize_f64(*x),
                _ => serializer.serialize_none(),
            },
            TensorData::Int64(v) => v.get(index).serialize(serializer),
            TensorData::Int32(v) => v.get(index).serialize(serializer),
            TensorData::Bool(v) => v.get(index).serialize(serializer),
            TensorData::String(v) => v.get(index).serialize(serializer),
        }
    }
}

impl Serialize for MapOf<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let map = self.0;
        let mut object = serializer.serialize_map(None)?;
        match &map.keys {
            MapKeys::Int64(keys) => {
                for (index, key) in keys.iter().enumerate() {
                    object.serialize_entry(&key.to_string(), &Element(&map.values, index))?;
                }
            }
            MapKeys::String(keys) => {
                for (index, key) in keys.iter().enumerate() {
                    object.serialize_entry(key, &Element(&map.values, index))?;
                }
            }
        }
        object.end()
    }
}

fn is_batch_aligned(value: &OutputValue, rows: usize) -> bool {
    match value {
        OutputValue::Tensor { shape, .. } => shape.first() == Some(&rows),
        OutputValue::Maps(maps) => maps.len() == rows,
    }
}

/// A float32 as the JSON number with its shortest round-tripping text (`0.1`, not
/// `0.10000000149011612`); non-finite values become `null`, which JSON has for them.
pub(crate) fn float32(value: f32) -> Value {
    if !value.is_finite() {
        return Value::Null;
    }
    let shortest: f64 = value.to_string().parse().unwrap_or(f64::from(value));
    Number::from_f64(shortest).map_or(Value::Null, Value::Number)
}

/// The CSV fields of one row of an output: its elements in row-major order (a map's values in
/// key order); the whole output when it is not batch-aligned.
fn row_cells(value: &OutputValue, row: usize, rows: usize, out: &mut Vec<String>) {
    let aligned = is_batch_aligned(value, rows);
    match value {
        OutputValue::Tensor { shape, data } => {
            let width: usize = shape.iter().skip(1).product();
            let range = if aligned {
                row * width..(row + 1) * width
            } else {
                0..data.len()
            };
            out.extend(range.map(|i| cell(data, i)));
        }
        OutputValue::Maps(maps) => {
            let selected = if aligned { &maps[row..=row] } else { &maps[..] };
            for map in selected {
                out.extend((0..map.values.len()).map(|i| cell(&map.values, i)));
            }
        }
    }
}

/// One element as CSV text: the shortest text that reads back as the same number; NaN and
/// infinities (which JSON writes as null) as an empty field.
fn cell(data: &TensorData, index: usize) -> String {
    /// Floats keep a decimal point (`3.0`), as in the JSON answers.
    fn float(text: String) -> String {
        if text.contains('.') {
            text
        } else {
            text + ".0"
        }
    }
    fn text<T: ToString>(x: Option<&T>) -> String {
        x.map(ToString::to_string).unwrap_or_default()
    }
    match data {
        TensorData::Float32(v) => v
            .get(index)
            .filter(|x| x.is_finite())
            .map_or_else(String::new, |x| float(x.to_string())),
        TensorData::Float64(v) => v
            .get(index)
            .filter(|x| x.is_finite())
            .map_or_else(String::new, |x| float(x.to_string())),
        TensorData::Int64(v) => text(v.get(index)),
        TensorData::Int32(v) => text(v.get(index)),
        TensorData::Bool(v) => text(v.get(index)),
        TensorData::String(v) => v.get(index).cloned().unwrap_or_default(),
    }
}

/// The CSV fields of ID columns (JSON values): strings as they are, others as JSON text.
fn cells(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|i| cells(i, out)),
        Value::Object(map) => map.values().for_each(|v| cells(v, out)),
        Value::String(s) => out.push(s.clone()),
        Value::Null => out.push(String::new()),
        other => out.push(other.to_string()),
    }
}

/// Column names for the CSV header of one output: `name` for one value per row, `name_i` for
/// lists, `name_key` for maps.
fn column_names(name: &str, value: &OutputValue, rows: usize) -> Vec<String> {
    if rows == 0 {
        return vec![name.to_owned()];
    }
    if let OutputValue::Maps(maps) = value
        && is_batch_aligned(value, rows)
    {
        return match &maps[0].keys {
            MapKeys::Int64(keys) => keys.iter().map(|k| format!("{name}_{k}")).collect(),
            MapKeys::String(keys) => keys.iter().map(|k| format!("{name}_{k}")).collect(),
        };
    }
    let mut first_row = Vec::new();
    row_cells(value, 0, rows, &mut first_row);
    if first_row.len() == 1 {
        vec![name.to_owned()]
    } else {
        (0..first_row.len())
            .map(|i| format!("{name}_{i}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classifier() -> Outputs {
        Outputs {
            values: vec![
                (
                    "label".into(),
                    OutputValue::Tensor {
                        shape: vec![2],
                        data: TensorData::Int64(vec![0, 2]),
                    },
                ),
                (
                    "probability".into(),
                    OutputValue::Maps(vec![
                        OutputMap {
                            keys: MapKeys::Int64(vec![0, 1]),
                            values: TensorData::Float32(vec![0.9, 0.1]),
                        },
                        OutputMap {
                            keys: MapKeys::Int64(vec![0, 1]),
                            values: TensorData::Float32(vec![0.25, 0.75]),
                        },
                    ]),
                ),
            ],
        }
    }

    fn text(format: ResponseFormat, plan: &ResponsePlan, outputs: &Outputs) -> String {
        String::from_utf8(encode(outputs, 2, None, format, plan, b',').unwrap()).unwrap()
    }

    #[test]
    fn predictions_in_each_format() {
        let outputs = classifier();
        let p = &ResponsePlan::predictions();
        assert_eq!(
            text(ResponseFormat::Json, p, &outputs),
            r#"{"predictions":[0,2]}"#
        );
        assert_eq!(text(ResponseFormat::Csv, p, &outputs), "0\n2\n");
        assert_eq!(text(ResponseFormat::JsonLines, p, &outputs), "0\n2\n");
    }

    #[test]
    fn every_output_in_each_format() {
        let outputs = classifier();
        let all = &ResponsePlan::all();
        assert_eq!(
            text(ResponseFormat::Json, all, &outputs),
            r#"{"predictions":[0,2],"outputs":{"label":[0,2],"probability":[{"0":0.9,"1":0.1},{"0":0.25,"1":0.75}]}}"#
        );
        assert_eq!(
            text(ResponseFormat::Csv, all, &outputs),
            "label,probability_0,probability_1\n0,0.9,0.1\n2,0.25,0.75\n"
        );
        assert_eq!(
            text(ResponseFormat::JsonLines, all, &outputs),
            "{\"label\":0,\"probability\":{\"0\":0.9,\"1\":0.1}}\n{\"label\":2,\"probability\":{\"0\":0.25,\"1\":0.75}}\n"
        );
    }

    #[test]
    fn column_outputs_are_scalars_and_wide_ones_lists() {
        let outputs = Outputs {
            values: vec![(
                "y".into(),
                OutputValue::Tensor {
                    shape: vec![2, 2],
                    data: TensorData::Float32(vec![1.5, f32::NAN, 3.0, 4.0]),
                },
            )],
        };
        let p = &ResponsePlan::predictions();
        assert_eq!(
            text(ResponseFormat::Json, p, &outputs),
            r#"{"predictions":[[1.5,null],[3.0,4.0]]}"#
        );
        assert_eq!(text(ResponseFormat::Csv, p, &outputs), "1.5,\n3.0,4.0\n");
        let column = Outputs {
            values: vec![(
                "y".into(),
                OutputValue::Tensor {
                    shape: vec![2, 1],
                    data: TensorData::String(vec!["a,b".into(), "c".into()]),
                },
            )],
        };
        assert_eq!(
            text(ResponseFormat::Json, p, &column),
            r#"{"predictions":["a,b","c"]}"#
        );
        assert_eq!(text(ResponseFormat::Csv, p, &column), "\"a,b\"\nc\n");
    }
}
