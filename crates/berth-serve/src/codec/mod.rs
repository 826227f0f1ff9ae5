//! The one owner of request and response rules, for every protocol.
//!
//! The SageMaker-style routes (`/invocations`: JSON, CSV, JSON Lines, `.npy`) and KServe's Open
//! Inference Protocol (`/v2/.../infer`) decode through the same rules, so that a value or a shape
//! one of them refuses is refused by the other:
//!
//! | module | owns |
//! |---|---|
//! | [`scalar`] | one value to one element: types, integers, missing values, infinities |
//! | [`batch`] | typed buffers per model input, filled row by row; each row checked against the input's per-row shape |
//! | [`json`] | JSON and JSON Lines bodies (SageMaker, MLflow and pandas shapes) |
//! | [`csv`] | CSV bodies, headers read by name |
//! | [`npy`] | NumPy `.npy` bodies and answers |
//! | [`fast_json`] | the common JSON request straight into the tensor buffer |
//! | [`fast_csv`] | the common CSV request (plain numbers, no header) straight into the tensor buffer |
//! | [`v2`] | OIP v2 tensors (JSON data and the binary extension) in and out |
//! | [`encode`] | model outputs to JSON, CSV, JSON Lines and `.npy` answers |
//!
//! What a row is: for each model input, the dimensions after the first (the batch dimension) are
//! its per-row shape. A row must have exactly that shape: `[4]` takes a list of 4 values, `[3,
//! 32, 32]` takes nested lists of exactly those lengths (a flat list of 3,072 values could be
//! NCHW or NHWC, so it is refused for it). A flat row (a CSV line, a list of scalars) is split
//! across several inputs in graph order only when every input takes at most a list per row.

mod batch;
mod csv;
pub(crate) mod encode;
pub(crate) mod fast_csv;
pub(crate) mod fast_json;
mod json;
mod npy;
pub(crate) mod scalar;
pub(crate) mod v2;

use berth_engine::{InputSpec, InputTensor};
use serde_json::Value;

use crate::ServeError;
use crate::config::{ColumnSelection, CsvHeader, MissingValues, RequestFormat};

pub(crate) use batch::BatchBuilder;

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
    /// What a missing value means.
    pub(crate) missing: MissingValues,
}

/// A decoded request: one tensor per model input, and the row count.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) tensors: Vec<InputTensor>,
    pub(crate) rows: usize,
    /// The ID columns of each row, when `TABULAR_ID_COLUMNS` is set.
    pub(crate) ids: Option<Vec<Vec<Value>>>,
    /// True when a missing value was fed as NaN (`MISSING_VALUES=nan`).
    pub(crate) has_missing: bool,
}

/// What the codec knows of the model's inputs, fixed when the model loads.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The model's inputs, in graph order.
    pub(crate) specs: Vec<InputSpec>,
    /// The names of the columns of a flat row, in the model's order, when berth knows them.
    columns: Option<Vec<String>>,
    /// Where those names come from, for messages.
    names_from: &'static str,
}

impl Layout {
    /// The layout of a model's inputs; `feature_names` is `FEATURE_NAMES`.
    ///
    /// # Errors
    /// [`ServeError::InvalidSetting`] when `FEATURE_NAMES` does not fit the model.
    pub(crate) fn new(
        specs: &[InputSpec],
        feature_names: Option<&[String]>,
    ) -> Result<Self, ServeError> {
        let mut layout = Self {
            specs: specs.to_vec(),
            columns: None,
            names_from: "",
        };
        if let Some(names) = feature_names {
            let widths = layout
                .fixed_flat_widths()
                .ok_or_else(|| ServeError::InvalidSetting {
                    name: "FEATURE_NAMES",
                    message: "the model's inputs do not take flat rows of a fixed width, so their \
                          values cannot be named column by column"
                        .to_owned(),
                })?;
            let total: usize = widths.iter().sum();
            if names.len() != total {
                return Err(ServeError::InvalidSetting {
                    name: "FEATURE_NAMES",
                    message: format!(
                        "{} names given, but a row of this model has {total} values",
                        names.len()
                    ),
                });
            }
            layout.columns = Some(names.to_vec());
            layout.names_from = "FEATURE_NAMES";
        } else if layout
            .fixed_flat_widths()
            .is_some_and(|w| w.iter().all(|&w| w == 1))
        {
            layout.columns = Some(specs.iter().map(|s| s.name.clone()).collect());
            layout.names_from = "the model's input names";
        }
        Ok(layout)
    }

    /// The number of values each input takes from a flat row, when every input takes a fixed
    /// number of values in at most one list per row.
    fn fixed_flat_widths(&self) -> Option<Vec<usize>> {
        self.specs
            .iter()
            .map(|s| {
                (s.shape.len() <= 2)
                    .then(|| s.row_width())
                    .flatten()
                    .filter(|&w| w > 0)
            })
            .collect()
    }

    /// True when a flat row can feed the model: one input taking a list (or a value) per row,
    /// or several inputs of fixed widths.
    pub(crate) fn takes_flat_rows(&self) -> bool {
        match self.specs.as_slice() {
            [single] => single.shape.len() <= 2,
            _ => self.fixed_flat_widths().is_some(),
        }
    }

    /// The column names, when known.
    pub(crate) fn column_names(&self) -> Option<&[String]> {
        self.columns.as_deref()
    }

    /// The position of a column in a flat row.
    pub(crate) fn column(&self, name: &str) -> Option<usize> {
        self.columns.as_ref()?.iter().position(|c| c == name)
    }

    /// What to do when a body names columns but berth does not know the model's.
    pub(crate) fn names_unknown_hint(&self) -> &'static str {
        "berth does not know this model's column names (its inputs do not take one value each): \
         declare them with FEATURE_NAMES, in the model's order"
    }

    /// A short list of the known names, for messages.
    pub(crate) fn expected_names(&self) -> String {
        match &self.columns {
            Some(names) => format!("{names:?} (from {})", self.names_from),
            None => "unknown".to_owned(),
        }
    }
}

/// Decodes `body` for a model whose inputs are laid out as `layout`.
pub(crate) fn decode(
    format: RequestFormat,
    body: &[u8],
    layout: &Layout,
    options: &DecodeOptions,
) -> Result<Decoded, ServeError> {
    if format != RequestFormat::Npy && body.iter().all(u8::is_ascii_whitespace) {
        return Err(ServeError::EmptyBody);
    }
    if body.is_empty() {
        return Err(ServeError::EmptyBody);
    }
    // The common bodies of a one-input model, straight into its tensor; `None` for the rest.
    let every_column = options.columns == ColumnSelection::default();
    let fast = match (format, layout.specs.as_slice()) {
        (RequestFormat::Json, [spec]) if every_column => {
            fast_json::decode(body, spec, options.max_records)
        }
        (RequestFormat::Csv, [spec]) if every_column && options.csv_header != CsvHeader::True => {
            fast_csv::decode(
                body,
                spec,
                layout.column_names(),
                options.csv_delimiter,
                options.max_records,
            )
        }
        _ => None,
    };
    if let Some((tensor, rows)) = fast {
        return Ok(Decoded {
            tensors: vec![tensor],
            rows,
            ids: None,
            has_missing: false,
        });
    }
    decode_general(format, body, layout, options)
}

/// Every accepted shape, with a precise message for every refusal.
pub(crate) fn decode_general(
    format: RequestFormat,
    body: &[u8],
    layout: &Layout,
    options: &DecodeOptions,
) -> Result<Decoded, ServeError> {
    let mut batch = BatchBuilder::new(layout, options)?;
    match format {
        RequestFormat::Json => json::decode_json(body, &mut batch)?,
        RequestFormat::JsonLines => json::decode_json_lines(body, &mut batch)?,
        RequestFormat::Csv => csv::decode_csv(body, &mut batch, options)?,
        RequestFormat::Npy => npy::decode_npy(body, &mut batch)?,
    }
    batch.finish()
}

pub(crate) use npy::encode_npy;

#[cfg(test)]
mod tests;
