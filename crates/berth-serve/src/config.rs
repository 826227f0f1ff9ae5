//! The server's settings: one typed struct, filled from flags and environment variables.
//!
//! Every value is named after its environment variable, so that clap's messages about a bad
//! value (`invalid value '-1' for '--max-records <MAX_RECORDS>'`) name the variable whichever way
//! it was given. Values are validated by the parsers here, before the server binds.

use std::fmt;
use std::time::Duration;

use berth_engine::ElementType;
use clap::{Args, ValueEnum};

use crate::model_name::ModelName;

/// Every default of the settings, named once: clap's defaults and [`ServeConfig::default`] both
/// read these (a test checks that they agree).
pub mod defaults {
    use super::{CsvHeader, GraphOptimization, MissingValues, ResponseOutputs};

    /// `MAX_BODY_BYTES`: 6 MiB, SageMaker's own payload limit.
    pub const MAX_BODY_BYTES: u64 = 6 * 1024 * 1024;
    /// `MAX_RECORDS`.
    pub const MAX_RECORDS: u64 = 5000;
    /// `MAX_QUEUED`.
    pub const MAX_QUEUED: u64 = 64;
    /// `ACQUIRE_TIMEOUT`.
    pub const ACQUIRE_TIMEOUT: &str = "250ms";
    /// `SHUTDOWN_TIMEOUT`.
    pub const SHUTDOWN_TIMEOUT: &str = "30s";
    /// `HEADER_READ_TIMEOUT`: long enough for any real client on a slow network.
    pub const HEADER_READ_TIMEOUT: &str = "10s";
    /// `BODY_READ_TIMEOUT`: a 6 MiB body (the default `MAX_BODY_BYTES`) at 200 KiB/s.
    pub const BODY_READ_TIMEOUT: &str = "30s";
    /// `MAX_CONNECTIONS`, lowered at start-up to what the open-file limit allows.
    pub const MAX_CONNECTIONS: u64 = 1024;
    /// `INFERENCE_WORKERS`.
    pub const INFERENCE_WORKERS: u64 = 1;
    /// `BATCH_MAX_ROWS` when unset: no dynamic batching. Merging clients' rows into one run is
    /// right only for models whose rows are independent, which berth cannot prove in general.
    pub const BATCH_MAX_ROWS: u64 = 1;
    /// `INLINE_MAX_RUN_US`: a request the model's recent runs say takes at most this many
    /// microseconds, that finds no request waiting, runs on the thread that decoded it. A thread
    /// switch each way costs more than that; blocking the HTTP thread for longer would delay
    /// other connections (bench/notes.md has the measurement).
    pub const INLINE_MAX_RUN_US: u64 = 100;
    /// `ORT_INTRA_OP_THREADS`: one thread per session, so sessions run side by side.
    pub const ORT_INTRA_OP_THREADS: u64 = 1;
    /// `ORT_INTER_OP_THREADS`.
    pub const ORT_INTER_OP_THREADS: u64 = 1;
    /// `ORT_GRAPH_OPTIMIZATION`.
    pub const ORT_GRAPH_OPTIMIZATION: GraphOptimization = GraphOptimization::All;
    /// `RESPONSE_OUTPUTS`.
    pub const RESPONSE_OUTPUTS: ResponseOutputs = ResponseOutputs::Predictions;
    /// `CSV_DELIMITER`.
    pub const CSV_DELIMITER: &str = ",";
    /// `CSV_HAS_HEADER`.
    pub const CSV_HAS_HEADER: CsvHeader = CsvHeader::Auto;
    /// `MISSING_VALUES`.
    pub const MISSING_VALUES: MissingValues = MissingValues::Refuse;
    /// `DEFAULT_CONTENT_TYPE`.
    pub const DEFAULT_CONTENT_TYPE: &str = "application/json";
    /// `DEFAULT_ACCEPT`.
    pub const DEFAULT_ACCEPT: &str = "application/json";
    /// `RETURN_PREDICTIONS_ONLY`.
    pub const RETURN_PREDICTIONS_ONLY: &str = "false";
    /// `JSON_OUTPUT_KEY`.
    pub const JSON_OUTPUT_KEY: &str = "predictions";
}

/// Settings of `berth serve` that belong to the HTTP server and the inference pool.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// The model's name in KServe's v2 protocol (`/v2/models/NAME`) [default: the model file's
    /// name without `.onnx`].
    #[arg(long = "model-name", visible_alias = "model_name", env = "MODEL_NAME", value_name = "MODEL_NAME",
          value_parser = ModelName::parse, help_heading = "Model")]
    pub model_name: Option<ModelName>,

    /// Largest request body accepted, in bytes; larger bodies get 413.
    #[arg(long = "max-body-bytes", env = "MAX_BODY_BYTES", value_name = "MAX_BODY_BYTES", default_value_t = defaults::MAX_BODY_BYTES,
          value_parser = clap::value_parser!(u64).range(1..), help_heading = "Limits")]
    pub max_body_bytes: u64,

    /// Most rows one request may carry; more get 413.
    #[arg(long = "max-records", env = "MAX_RECORDS", value_name = "MAX_RECORDS", default_value_t = defaults::MAX_RECORDS,
          value_parser = clap::value_parser!(u64).range(1..), help_heading = "Limits")]
    pub max_records: u64,

    /// Requests that may wait for an inference worker; past that, new ones wait ACQUIRE_TIMEOUT
    /// for a place and then get 503 with Retry-After.
    #[arg(long = "max-queued", env = "MAX_QUEUED", value_name = "MAX_QUEUED", default_value_t = defaults::MAX_QUEUED,
          value_parser = clap::value_parser!(u64).range(1..100_000), help_heading = "Limits")]
    pub max_queued: u64,

    /// How long a request waits for a place in the inference queue (e.g. `250ms`, `2s`, `0.5`
    /// for seconds).
    #[arg(long = "acquire-timeout", env = "ACQUIRE_TIMEOUT", value_name = "ACQUIRE_TIMEOUT", default_value = defaults::ACQUIRE_TIMEOUT,
          value_parser = parse_duration, help_heading = "Limits")]
    pub acquire_timeout: Duration,

    /// How long in-flight requests may take to finish after SIGTERM or SIGINT.
    #[arg(long = "shutdown-timeout", env = "SHUTDOWN_TIMEOUT", value_name = "SHUTDOWN_TIMEOUT", default_value = defaults::SHUTDOWN_TIMEOUT,
          value_parser = parse_duration, help_heading = "Limits")]
    pub shutdown_timeout: Duration,

    /// How long a client may take to send a request's head (request line and headers) before
    /// its connection is closed; it also bounds how long an idle keep-alive connection waits for
    /// its next request.
    #[arg(long = "header-read-timeout", env = "HEADER_READ_TIMEOUT", value_name = "HEADER_READ_TIMEOUT",
          default_value = defaults::HEADER_READ_TIMEOUT, value_parser = parse_timeout, help_heading = "Limits")]
    pub header_read_timeout: Duration,

    /// How long a client may take to send the whole body of a prediction request; a slower one
    /// gets 408.
    #[arg(long = "body-read-timeout", env = "BODY_READ_TIMEOUT", value_name = "BODY_READ_TIMEOUT",
          default_value = defaults::BODY_READ_TIMEOUT, value_parser = parse_timeout, help_heading = "Limits")]
    pub body_read_timeout: Duration,

    /// Most connections open at once; past that, new ones wait in the kernel's accept queue until
    /// one closes. Lowered at start-up to what the open-file limit (`ulimit -n`) allows.
    #[arg(long = "max-connections", env = "MAX_CONNECTIONS", value_name = "MAX_CONNECTIONS",
          default_value_t = defaults::MAX_CONNECTIONS, value_parser = clap::value_parser!(u64).range(1..=1_000_000),
          help_heading = "Limits")]
    pub max_connections: u64,

    /// Inference worker threads, each with its own ONNX Runtime session.
    #[arg(long = "workers", env = "INFERENCE_WORKERS", value_name = "INFERENCE_WORKERS", default_value_t = defaults::INFERENCE_WORKERS,
          value_parser = clap::value_parser!(u64).range(1..=256), help_heading = "Inference")]
    pub inference_workers: u64,

    /// Dynamic batching: requests that arrive together are merged into one ONNX Runtime run of
    /// at most this many rows (no timer: queued ones by a worker, brief ones on the HTTP thread
    /// after one turn of its event loop); 1 (the default) turns
    /// it off. Only for models whose answer for a row does not depend on the other rows: above
    /// 1, the model is probed at load and start-up is refused if a row's answer changes when
    /// other rows share its run.
    #[arg(long = "max-batch-rows", env = "BATCH_MAX_ROWS", value_name = "BATCH_MAX_ROWS",
          default_value_t = defaults::BATCH_MAX_ROWS, value_parser = clap::value_parser!(u64).range(1..=1_000_000),
          help_heading = "Inference")]
    pub batch_max_rows: u64,

    /// A request whose expected run (the model's recent time per input value times its values) is at most
    /// this many microseconds, and that finds the queue empty and a session free, runs at once
    /// on the thread that decoded it instead of being handed to a worker; 0 sends every request
    /// through the queue (for a model whose run time depends on its inputs).
    #[arg(long = "inline-max-run-us", env = "INLINE_MAX_RUN_US", value_name = "INLINE_MAX_RUN_US",
          default_value_t = defaults::INLINE_MAX_RUN_US, value_parser = clap::value_parser!(u64).range(0..=1_000_000),
          help_heading = "Inference")]
    pub inline_max_run_us: u64,

    /// ONNX Runtime threads inside one operator, per worker (0 = one per core).
    #[arg(long = "intra-op-threads", env = "ORT_INTRA_OP_THREADS", value_name = "ORT_INTRA_OP_THREADS", default_value_t = defaults::ORT_INTRA_OP_THREADS,
          value_parser = clap::value_parser!(u64).range(0..=256), help_heading = "Inference")]
    pub ort_intra_op_threads: u64,

    /// ONNX Runtime threads across operators, per worker (0 = ONNX Runtime's default).
    #[arg(long = "inter-op-threads", env = "ORT_INTER_OP_THREADS", value_name = "ORT_INTER_OP_THREADS", default_value_t = defaults::ORT_INTER_OP_THREADS,
          value_parser = clap::value_parser!(u64).range(0..=256), help_heading = "Inference")]
    pub ort_inter_op_threads: u64,

    /// ONNX Runtime graph optimisation level.
    #[arg(long = "graph-optimization", env = "ORT_GRAPH_OPTIMIZATION", value_name = "ORT_GRAPH_OPTIMIZATION", value_enum,
          default_value_t = defaults::ORT_GRAPH_OPTIMIZATION, help_heading = "Inference")]
    pub ort_graph_optimization: GraphOptimization,

    /// What a prediction answer carries: the first output only, or every model output
    /// (e.g. labels and probabilities).
    #[arg(long = "outputs", env = "RESPONSE_OUTPUTS", value_name = "RESPONSE_OUTPUTS", value_enum,
          default_value_t = defaults::RESPONSE_OUTPUTS, help_heading = "Requests and responses")]
    pub response_outputs: ResponseOutputs,

    /// Field delimiter of CSV requests and responses (one ASCII character).
    #[arg(long = "csv-delimiter", env = "CSV_DELIMITER", value_name = "CSV_DELIMITER", default_value = defaults::CSV_DELIMITER,
          value_parser = parse_delimiter, help_heading = "Requests and responses")]
    pub csv_delimiter: u8,

    /// Whether a CSV request starts with a header line; `auto` takes the first line as a header
    /// when none of its fields is a number (and the model's input is numeric).
    #[arg(long = "csv-header", env = "CSV_HAS_HEADER", value_name = "CSV_HAS_HEADER", value_enum,
          default_value_t = defaults::CSV_HAS_HEADER, help_heading = "Requests and responses")]
    pub csv_has_header: CsvHeader,

    /// What a missing value (JSON `null`, an empty CSV field, `nan`) means: `refuse` answers 400
    /// naming the row and column; `nan` feeds it to the model as NaN, for models that handle
    /// missing values (trees, XGBoost, LightGBM). Infinities are refused either way.
    #[arg(long = "missing-values", env = "MISSING_VALUES", value_name = "MISSING_VALUES", value_enum,
          default_value_t = defaults::MISSING_VALUES, help_heading = "Requests and responses")]
    pub missing_values: MissingValues,

    /// The names of the columns of a tabular row, in the model's order (`a,b,c` or a JSON list):
    /// CSV headers, pandas and MLflow bodies and JSON records are then read by name. Without it,
    /// berth knows column names only when every model input takes one value per row (the
    /// input names).
    #[arg(long = "feature-names", env = "FEATURE_NAMES", value_name = "FEATURE_NAMES",
          value_parser = parse_feature_names, help_heading = "Requests and responses")]
    pub feature_names: Option<Vec<String>>,

    /// Content type assumed when a request has no Content-Type header.
    #[arg(long = "default-content-type", env = "DEFAULT_CONTENT_TYPE", value_name = "DEFAULT_CONTENT_TYPE",
          default_value = defaults::DEFAULT_CONTENT_TYPE, value_parser = parse_request_format,
          help_heading = "Requests and responses")]
    pub default_content_type: RequestFormat,

    /// Response format used when a request has no Accept header (or accepts anything).
    #[arg(long = "default-accept", env = "DEFAULT_ACCEPT", value_name = "DEFAULT_ACCEPT", default_value = defaults::DEFAULT_ACCEPT,
          value_parser = parse_response_format, help_heading = "Requests and responses")]
    pub default_accept: ResponseFormat,

    /// Columns of a tabular row that are row IDs, not features: returned with the predictions
    /// (`ids`), never fed to the model. A range `a:b` (half-open, ends optional) or a list `0,2`.
    #[arg(long = "id-columns", env = "TABULAR_ID_COLUMNS", value_name = "TABULAR_ID_COLUMNS",
          value_parser = ColumnSelector::parse, help_heading = "Requests and responses")]
    pub tabular_id_columns: Option<ColumnSelector>,

    /// Columns of a tabular row that are the features (default: every column that is not an ID).
    #[arg(long = "feature-columns", env = "TABULAR_FEATURE_COLUMNS",
          value_name = "TABULAR_FEATURE_COLUMNS", value_parser = ColumnSelector::parse,
          help_heading = "Requests and responses")]
    pub tabular_feature_columns: Option<ColumnSelector>,

    /// The model output whose values are the predictions (default: the first output).
    #[arg(long = "prediction-output", env = "ONNX_OUTPUT_NAME", value_name = "ONNX_OUTPUT_NAME",
          value_parser = parse_non_empty, help_heading = "Requests and responses")]
    pub onnx_output_name: Option<String>,

    /// Answer with chosen outputs under chosen keys, e.g. `{"label":"output_label",
    /// "proba":"output_probability"}` (JSON object: response key -> output name).
    #[arg(long = "output-map", env = "ONNX_OUTPUT_MAP_JSON", value_name = "ONNX_OUTPUT_MAP_JSON",
          value_parser = OutputMapSetting::parse, help_heading = "Requests and responses")]
    pub onnx_output_map_json: Option<OutputMapSetting>,

    /// Answer JSON with the bare list of predictions instead of `{"predictions": [...]}`.
    #[arg(long = "return-predictions-only", env = "RETURN_PREDICTIONS_ONLY",
          value_name = "RETURN_PREDICTIONS_ONLY", default_value = defaults::RETURN_PREDICTIONS_ONLY, action = clap::ArgAction::Set,
          value_parser = clap::builder::BoolishValueParser::new(),
          help_heading = "Requests and responses")]
    pub return_predictions_only: bool,

    /// The key of the predictions in JSON answers.
    #[arg(long = "json-output-key", env = "JSON_OUTPUT_KEY", value_name = "JSON_OUTPUT_KEY",
          default_value = defaults::JSON_OUTPUT_KEY, value_parser = parse_non_empty,
          help_heading = "Requests and responses")]
    pub json_output_key: String,

    /// The element type every model input must have (`float32`, `float64`, `int64`, `int32`,
    /// `bool`, `string`). berth always feeds a model its own declared types, so this only guards
    /// against deploying the wrong model: a mismatch stops the server when the model loads.
    #[arg(long = "input-dtype", env = "TABULAR_DTYPE", value_name = "TABULAR_DTYPE",
          value_parser = parse_element_type, help_heading = "Model expectations")]
    pub tabular_dtype: Option<ElementType>,

    /// Element types expected per input, e.g. `{"a":"float32","b":"int64"}`; checked like
    /// TABULAR_DTYPE.
    #[arg(long = "input-dtypes", env = "ONNX_INPUT_DTYPE_MAP_JSON",
          value_name = "ONNX_INPUT_DTYPE_MAP_JSON", value_parser = parse_dtype_map,
          help_heading = "Model expectations")]
    pub onnx_input_dtype_map_json: Option<Vec<(String, ElementType)>>,

    /// The input the model must have (its name in the graph); checked when the model loads.
    #[arg(long = "input-name", env = "ONNX_INPUT_NAME", value_name = "ONNX_INPUT_NAME",
          value_parser = parse_non_empty, help_heading = "Model expectations")]
    pub onnx_input_name: Option<String>,

    /// Make an INFO span per request (with the W3C `traceparent` of the request as its parent),
    /// for OpenTelemetry export. Set by the binary when OTLP export is on; off, request spans
    /// stay at DEBUG and cost nothing under the default log filter.
    #[arg(skip)]
    pub request_spans: bool,
}

/// Which columns of a tabular row a setting selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnSelector {
    /// `a:b`, half-open, either end optional; clamped to the row's width.
    Range(Option<usize>, Option<usize>),
    /// `0,2,4`: exactly these columns, each of which must exist.
    List(Vec<usize>),
}

impl ColumnSelector {
    /// Parses `a:b`, `:b`, `a:` or `0,2,4`.
    ///
    /// # Errors
    /// What is expected, for clap to print with the variable's name.
    pub fn parse(value: &str) -> Result<Self, String> {
        let expected =
            || "expected a column range a:b (ends optional) or a list such as 0,2,4".to_owned();
        let value = value.trim();
        if let Some((start, end)) = value.split_once(':') {
            let bound = |text: &str| -> Result<Option<usize>, String> {
                let text = text.trim();
                if text.is_empty() {
                    Ok(None)
                } else {
                    text.parse().map(Some).map_err(|_| expected())
                }
            };
            let (start, end) = (bound(start)?, bound(end)?);
            if let (Some(s), Some(e)) = (start, end)
                && s >= e
            {
                return Err(format!("the range {s}:{e} selects no column"));
            }
            return Ok(Self::Range(start, end));
        }
        let list: Vec<usize> = value
            .split(',')
            .map(|part| part.trim().parse().map_err(|_| expected()))
            .collect::<Result<_, _>>()?;
        Ok(Self::List(list))
    }

    /// The selected column indices of a row `width` columns wide.
    fn select(&self, width: usize, setting: &str) -> Result<Vec<usize>, String> {
        match self {
            Self::Range(start, end) => {
                let start = start.unwrap_or(0).min(width);
                let end = end.unwrap_or(width).min(width);
                Ok((start..end.max(start)).collect())
            }
            Self::List(columns) => {
                if let Some(bad) = columns.iter().find(|&&c| c >= width) {
                    return Err(format!(
                        "{setting} selects column {bad}, but the row has {width} columns"
                    ));
                }
                Ok(columns.clone())
            }
        }
    }
}

/// Feature and ID columns of tabular rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ColumnSelection {
    pub(crate) features: Option<ColumnSelector>,
    pub(crate) ids: Option<ColumnSelector>,
}

impl ColumnSelection {
    /// `(feature columns, id columns)` of a row `width` columns wide.
    pub(crate) fn split(&self, width: usize) -> Result<(Vec<usize>, Vec<usize>), String> {
        let ids = match &self.ids {
            Some(selector) => selector.select(width, "TABULAR_ID_COLUMNS")?,
            None => Vec::new(),
        };
        let features = match &self.features {
            Some(selector) => selector.select(width, "TABULAR_FEATURE_COLUMNS")?,
            None => (0..width).filter(|c| !ids.contains(c)).collect(),
        };
        Ok((features, ids))
    }
}

/// `ONNX_OUTPUT_MAP_JSON`: response keys and the outputs they show, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputMapSetting(pub Vec<(String, String)>);

impl OutputMapSetting {
    /// Parses a JSON object of strings.
    ///
    /// # Errors
    /// What is expected, for clap to print with the variable's name.
    pub fn parse(value: &str) -> Result<Self, String> {
        let expected = "expected a JSON object of response keys to output names, e.g. {\"label\":\"output_label\"}";
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(value).map_err(|_| expected.to_owned())?;
        if object.is_empty() {
            return Err(expected.to_owned());
        }
        object
            .into_iter()
            .map(|(key, output)| match output {
                serde_json::Value::String(name) if !key.is_empty() && !name.is_empty() => {
                    Ok((key, name))
                }
                _ => Err(expected.to_owned()),
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

fn parse_element_type(value: &str) -> Result<ElementType, String> {
    Ok(match value.trim().to_ascii_lowercase().as_str() {
        "float32" | "f32" | "float" => ElementType::Float32,
        "float64" | "f64" | "double" => ElementType::Float64,
        "int64" | "i64" => ElementType::Int64,
        "int32" | "i32" => ElementType::Int32,
        "bool" | "boolean" => ElementType::Bool,
        "string" | "str" => ElementType::String,
        _ => return Err("expected float32, float64, int64, int32, bool or string".to_owned()),
    })
}

fn parse_dtype_map(value: &str) -> Result<Vec<(String, ElementType)>, String> {
    let expected =
        "expected a JSON object of input names to element types, e.g. {\"a\":\"float32\"}";
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(value).map_err(|_| expected.to_owned())?;
    if object.is_empty() {
        return Err(expected.to_owned());
    }
    object
        .into_iter()
        .map(|(name, ty)| match ty {
            serde_json::Value::String(ty) => parse_element_type(&ty).map(|t| (name, t)),
            _ => Err(expected.to_owned()),
        })
        .collect()
}

fn parse_non_empty(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        Err("expected a non-empty name".to_owned())
    } else {
        Ok(value.to_owned())
    }
}

impl Default for ServeConfig {
    /// The settings with nothing given: the constants of [`defaults`], parsed as clap parses them.
    fn default() -> Self {
        // The constants are the command line's own defaults, so they parse; a test checks it.
        let parsed = |what: &str, value: Result<Duration, String>| {
            value.unwrap_or_else(|e| panic!("the default of {what} does not parse: {e}"))
        };
        Self {
            model_name: None,
            max_body_bytes: defaults::MAX_BODY_BYTES,
            max_records: defaults::MAX_RECORDS,
            max_queued: defaults::MAX_QUEUED,
            acquire_timeout: parsed("ACQUIRE_TIMEOUT", parse_duration(defaults::ACQUIRE_TIMEOUT)),
            shutdown_timeout: parsed(
                "SHUTDOWN_TIMEOUT",
                parse_duration(defaults::SHUTDOWN_TIMEOUT),
            ),
            header_read_timeout: default_timeout(defaults::HEADER_READ_TIMEOUT),
            body_read_timeout: default_timeout(defaults::BODY_READ_TIMEOUT),
            max_connections: defaults::MAX_CONNECTIONS,
            inference_workers: defaults::INFERENCE_WORKERS,
            batch_max_rows: defaults::BATCH_MAX_ROWS,
            inline_max_run_us: defaults::INLINE_MAX_RUN_US,
            ort_intra_op_threads: defaults::ORT_INTRA_OP_THREADS,
            ort_inter_op_threads: defaults::ORT_INTER_OP_THREADS,
            ort_graph_optimization: defaults::ORT_GRAPH_OPTIMIZATION,
            response_outputs: defaults::RESPONSE_OUTPUTS,
            csv_delimiter: defaults::CSV_DELIMITER.as_bytes()[0],
            csv_has_header: defaults::CSV_HAS_HEADER,
            missing_values: defaults::MISSING_VALUES,
            feature_names: None,
            default_content_type: RequestFormat::from_media_type(defaults::DEFAULT_CONTENT_TYPE)
                .unwrap_or(RequestFormat::Json),
            default_accept: ResponseFormat::from_media_type(defaults::DEFAULT_ACCEPT)
                .unwrap_or(ResponseFormat::Json),
            tabular_id_columns: None,
            tabular_feature_columns: None,
            onnx_output_name: None,
            onnx_output_map_json: None,
            return_predictions_only: defaults::RETURN_PREDICTIONS_ONLY == "true",
            json_output_key: defaults::JSON_OUTPUT_KEY.to_owned(),
            request_spans: false,
            tabular_dtype: None,
            onnx_input_dtype_map_json: None,
            onnx_input_name: None,
        }
    }
}

impl fmt::Display for ServeConfig {
    /// One line of `KEY=value` pairs, for the start-up log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MODEL_NAME={:?} MAX_BODY_BYTES={} MAX_RECORDS={} MAX_QUEUED={} ACQUIRE_TIMEOUT={:?} \
             SHUTDOWN_TIMEOUT={:?} HEADER_READ_TIMEOUT={:?} BODY_READ_TIMEOUT={:?} \
             MAX_CONNECTIONS={} INFERENCE_WORKERS={} BATCH_MAX_ROWS={} INLINE_MAX_RUN_US={} ORT_INTRA_OP_THREADS={} \
             ORT_INTER_OP_THREADS={} ORT_GRAPH_OPTIMIZATION={:?} RESPONSE_OUTPUTS={:?} \
             CSV_DELIMITER={:?} CSV_HAS_HEADER={:?} MISSING_VALUES={:?} FEATURE_NAMES={:?} DEFAULT_CONTENT_TYPE={} DEFAULT_ACCEPT={} \
             TABULAR_ID_COLUMNS={:?} TABULAR_FEATURE_COLUMNS={:?} ONNX_OUTPUT_NAME={:?} \
             ONNX_OUTPUT_MAP_JSON={:?} RETURN_PREDICTIONS_ONLY={} JSON_OUTPUT_KEY={:?} \
             TABULAR_DTYPE={:?} ONNX_INPUT_DTYPE_MAP_JSON={:?} ONNX_INPUT_NAME={:?}",
            self.model_name.as_ref().map(ModelName::as_str),
            self.max_body_bytes,
            self.max_records,
            self.max_queued,
            self.acquire_timeout,
            self.shutdown_timeout,
            self.header_read_timeout,
            self.body_read_timeout,
            self.max_connections,
            self.inference_workers,
            self.batch_max_rows,
            self.inline_max_run_us,
            self.ort_intra_op_threads,
            self.ort_inter_op_threads,
            self.ort_graph_optimization,
            self.response_outputs,
            char::from(self.csv_delimiter),
            self.csv_has_header,
            self.missing_values,
            self.feature_names,
            self.default_content_type.media_type(),
            self.default_accept.media_type(),
            self.tabular_id_columns,
            self.tabular_feature_columns,
            self.onnx_output_name,
            self.onnx_output_map_json.as_ref().map(|m| &m.0),
            self.return_predictions_only,
            self.json_output_key,
            self.tabular_dtype,
            self.onnx_input_dtype_map_json,
            self.onnx_input_name,
        )
    }
}

/// ONNX Runtime graph optimisation levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphOptimization {
    /// No optimisation.
    Disable,
    /// Redundant-node removal and constant folding.
    Basic,
    /// Plus node fusions.
    Extended,
    /// Everything, including layout changes.
    All,
}

impl GraphOptimization {
    /// The engine's numeric level.
    #[must_use]
    pub fn level(self) -> u8 {
        match self {
            Self::Disable => 0,
            Self::Basic => 1,
            Self::Extended => 2,
            Self::All => 3,
        }
    }
}

/// What a prediction answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResponseOutputs {
    /// `{"predictions": [...]}` from the model's first output (labels for a classifier).
    Predictions,
    /// The predictions plus every output by name (`{"predictions": [...], "outputs": {...}}`).
    All,
}

/// Whether CSV requests have a header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CsvHeader {
    /// Detect it: a first line that names the model's columns, or (for numeric models) has no
    /// numeric field, is a header.
    Auto,
    /// The first line is a header: read by name when berth knows the column names, skipped
    /// unchecked otherwise (the client vouches for the column order).
    True,
    /// The first line is data.
    False,
}

/// What a missing value in a request means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MissingValues {
    /// Refuse the request (400), naming the row and column.
    Refuse,
    /// Feed it to the model as NaN (float inputs only).
    Nan,
}

fn parse_feature_names(value: &str) -> Result<Vec<String>, String> {
    let value = value.trim();
    let names: Vec<String> = if value.starts_with('[') {
        serde_json::from_str(value)
            .map_err(|_| "expected a JSON list of strings or comma-separated names".to_owned())?
    } else {
        value.split(',').map(|n| n.trim().to_owned()).collect()
    };
    if names.is_empty() || names.iter().any(String::is_empty) {
        return Err("expected non-empty column names, e.g. sepal_length,sepal_width".to_owned());
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = names.iter().find(|n| !seen.insert(n.as_str())) {
        return Err(format!("the column name {twice:?} is given twice"));
    }
    Ok(names)
}

/// The request body formats berth decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestFormat {
    /// `application/json`.
    Json,
    /// `text/csv`.
    Csv,
    /// `application/jsonlines`.
    JsonLines,
    /// `application/x-npy`: one NumPy array (what SageMaker's Python SDK sends by default).
    Npy,
}

impl RequestFormat {
    /// The format of a media type (parameters and case ignored), or `None` when berth does not
    /// decode it.
    #[must_use]
    pub fn from_media_type(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or("").trim();
        let essence = essence.to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Some(Self::Json),
            "text/csv" | "application/csv" => Some(Self::Csv),
            "application/jsonlines"
            | "application/x-jsonlines"
            | "application/jsonl"
            | "application/x-ndjson"
            | "application/ndjson" => Some(Self::JsonLines),
            "application/x-npy" => Some(Self::Npy),
            other if other.starts_with("application/") && other.ends_with("+json") => {
                Some(Self::Json)
            }
            _ => None,
        }
    }

    /// The canonical media type.
    #[must_use]
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv",
            Self::JsonLines => "application/jsonlines",
            Self::Npy => "application/x-npy",
        }
    }
}

/// The response formats berth encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFormat {
    /// `application/json`.
    Json,
    /// `text/csv`.
    Csv,
    /// `application/jsonlines`.
    JsonLines,
    /// `application/x-npy`: the predictions as one NumPy array.
    Npy,
}

impl ResponseFormat {
    /// The format named by one media range of an Accept header, or `None`.
    /// `*/*` and `application/*` are answered by [`ResponseFormat::Json`] only when
    /// no default is given: see [`crate::negotiate`].
    #[must_use]
    pub fn from_media_type(value: &str) -> Option<Self> {
        RequestFormat::from_media_type(value).map(|f| match f {
            RequestFormat::Json => Self::Json,
            RequestFormat::Csv => Self::Csv,
            RequestFormat::JsonLines => Self::JsonLines,
            RequestFormat::Npy => Self::Npy,
        })
    }

    /// The media type sent in `Content-Type`.
    #[must_use]
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv; charset=utf-8",
            Self::JsonLines => "application/jsonlines",
            Self::Npy => "application/x-npy",
        }
    }
}

fn parse_request_format(value: &str) -> Result<RequestFormat, String> {
    RequestFormat::from_media_type(value).ok_or_else(|| {
        "expected application/json, text/csv, application/jsonlines or application/x-npy".to_owned()
    })
}

fn parse_response_format(value: &str) -> Result<ResponseFormat, String> {
    ResponseFormat::from_media_type(value)
        .ok_or_else(|| "expected application/json, text/csv or application/jsonlines".to_owned())
}

fn parse_delimiter(value: &str) -> Result<u8, String> {
    let value = if value == "\\t" || value.eq_ignore_ascii_case("tab") {
        "\t"
    } else {
        value
    };
    match value.as_bytes() {
        [byte] if byte.is_ascii() && *byte != b'"' && *byte != b'\n' && *byte != b'\r' => Ok(*byte),
        _ => Err("expected one ASCII character other than a quote or a line break".to_owned()),
    }
}

/// Parses `250ms`, `2s`, `1.5s`, `1m` or a bare number of seconds (`0.25`).
///
/// # Errors
/// A message saying what is expected, for clap to print with the variable's name.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    let (number, scale) = if let Some(n) = value.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('m') {
        (n, 60.0)
    } else {
        (value, 1.0)
    };
    let expected = || "expected a duration such as 250ms, 2s, 1m or 0.5 (seconds)".to_owned();
    let number: f64 = number.trim().parse().map_err(|_| expected())?;
    let seconds = number * scale;
    if !seconds.is_finite() || !(0.0..=86_400.0).contains(&seconds) {
        return Err(expected() + ", from 0 to one day");
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// A timeout: a duration as [`parse_duration`] reads it, above zero (a zero timeout would cut
/// every client off).
fn parse_timeout(value: &str) -> Result<Duration, String> {
    match parse_duration(value)? {
        Duration::ZERO => Err("expected a duration above 0, such as 250ms or 10s".to_owned()),
        timeout => Ok(timeout),
    }
}

/// A default timeout named as text, for clap's help, and read here for [`ServeConfig::default`];
/// a unit test keeps every such default valid.
fn default_timeout(text: &str) -> Duration {
    parse_timeout(text).unwrap_or_else(|e| panic!("the default timeout {text:?} is invalid: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_above_zero_and_their_defaults_parse() {
        assert_eq!(parse_timeout("1s"), Ok(Duration::from_secs(1)));
        for bad in ["0", "0s", "0ms", "-1s", "soon"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        for default in [defaults::HEADER_READ_TIMEOUT, defaults::BODY_READ_TIMEOUT] {
            assert!(parse_timeout(default).is_ok(), "{default}");
        }
    }

    #[test]
    fn the_default_config_is_what_clap_makes_with_nothing_set() {
        use clap::FromArgMatches;
        // Without the environment: the caller's own settings must not leak into the defaults.
        let command = ServeConfig::augment_args(clap::Command::new("berth"))
            .mut_args(|arg| arg.env(None::<&'static str>));
        let matches = command.try_get_matches_from(["berth"]).unwrap();
        let parsed = ServeConfig::from_arg_matches(&matches).unwrap();
        assert_eq!(parsed.to_string(), ServeConfig::default().to_string());
    }

    #[test]
    fn durations_take_units_or_seconds_and_refuse_the_rest() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        for bad in ["", "-1", "inf", "NaN", "abc", "1h", "10x"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn column_selectors_parse_select_and_refuse() {
        use ColumnSelector::{List, Range};
        assert_eq!(ColumnSelector::parse("1:4"), Ok(Range(Some(1), Some(4))));
        assert_eq!(ColumnSelector::parse(":2"), Ok(Range(None, Some(2))));
        assert_eq!(ColumnSelector::parse("2:"), Ok(Range(Some(2), None)));
        assert_eq!(ColumnSelector::parse("0, 2,4"), Ok(List(vec![0, 2, 4])));
        for bad in ["", "a", "1:x", "3:1", "1,,2", "-1"] {
            assert!(ColumnSelector::parse(bad).is_err(), "{bad}");
        }
        let selection = ColumnSelection {
            features: None,
            ids: Some(List(vec![0])),
        };
        assert_eq!(selection.split(4), Ok((vec![1, 2, 3], vec![0])));
        let selection = ColumnSelection {
            features: Some(Range(Some(1), None)),
            ids: Some(Range(None, Some(1))),
        };
        assert_eq!(selection.split(3), Ok((vec![1, 2], vec![0])));
        let selection = ColumnSelection {
            features: Some(List(vec![5])),
            ids: None,
        };
        let error = selection.split(3).unwrap_err();
        assert!(
            error.contains("TABULAR_FEATURE_COLUMNS selects column 5, but the row has 3 columns"),
            "{error}"
        );
    }

    #[test]
    fn output_maps_are_objects_of_names() {
        let map =
            OutputMapSetting::parse(r#"{"label":"output_label","proba":"output_probability"}"#)
                .unwrap();
        assert_eq!(map.0[0], ("label".to_owned(), "output_label".to_owned()));
        assert_eq!(map.0[1].0, "proba");
        for bad in ["", "{}", "[]", r#"{"a":1}"#, r#"{"a":""}"#, "not json"] {
            assert!(OutputMapSetting::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn delimiter_is_one_safe_ascii_character() {
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("\\t"), Ok(b'\t'));
        for bad in ["", ",,", "\"", "é"] {
            assert!(parse_delimiter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn media_types_ignore_case_and_parameters() {
        assert_eq!(
            RequestFormat::from_media_type("Application/JSON; charset=utf-8"),
            Some(RequestFormat::Json)
        );
        assert_eq!(
            RequestFormat::from_media_type("application/vnd.berth+json"),
            Some(RequestFormat::Json)
        );
        assert_eq!(
            RequestFormat::from_media_type("text/csv;header=present"),
            Some(RequestFormat::Csv)
        );
        assert_eq!(
            RequestFormat::from_media_type("application/x-ndjson"),
            Some(RequestFormat::JsonLines)
        );
        assert_eq!(
            RequestFormat::from_media_type("application/x-www-form-urlencoded"),
            None
        );
        assert_eq!(RequestFormat::from_media_type("application/xml"), None);
    }
}
