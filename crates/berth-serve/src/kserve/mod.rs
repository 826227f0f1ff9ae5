//! KServe's Open Inference Protocol (v2) over REST, on the same port as the SageMaker routes.
//!
//! | route | answer |
//! |---|---|
//! | `GET /v2` | server metadata |
//! | `GET /v2/health/live` | 200 while the process runs |
//! | `GET /v2/health/ready` | 200, or 503 while the model loads and once shutdown begins |
//! | `GET /v2/models/{name}[/versions/{v}]` | model metadata: inputs and outputs with datatypes and shapes |
//! | `GET /v2/models/{name}[/versions/{v}]/ready` | 200, or 503 as `/v2/health/ready` |
//! | `POST /v2/models/{name}[/versions/{v}]/infer` | inference |
//! | `POST /v2/repository/index` | the model repository's index: the one model served, with its state |
//!
//! The model's name is `MODEL_NAME`, else its file name without `.onnx` ([`crate::ModelName`]);
//! its only version is `1`. Tensors travel as JSON (`data`, flat or nested, row-major) or with
//! the binary tensor extension (`Inference-Header-Content-Length`, `binary_data_size`,
//! `binary_data`), which is what `tritonclient` uses by default. Map outputs (scikit-learn's
//! ZipMap) have no v2 datatype: they are returned as `BYTES`, one JSON object per row. Errors
//! follow the protocol: `{"error": "message"}`.

mod repository;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use berth_engine::{InputTensor, ModelSignature, OutputKind};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::body::read_body;
use crate::codec::v2::{datatype, json_data, output_tensor, write_binary};
use crate::codec::{scalar, v2};
use crate::config::MissingValues;
use crate::infer::infer as run_model;
use crate::{AppState, ServeError};

pub(crate) use repository::index as repository_index;

/// The header that splits a binary-extension body into its JSON part and its tensor bytes.
const HEADER_LENGTH: &str = "inference-header-content-length";

/// An error in the protocol's shape.
pub(crate) struct V2Error(ServeError);

impl From<ServeError> for V2Error {
    fn from(error: ServeError) -> Self {
        Self(error)
    }
}

impl IntoResponse for V2Error {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let message = self.0.to_string();
        self.0.log();
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            json!({ "error": message }).to_string(),
        )
            .into_response()
    }
}

pub(crate) type V2Result = Result<Response, V2Error>;

fn json_ok(value: &Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

pub(crate) async fn server_metadata() -> Response {
    json_ok(&json!({
        "name": "berth",
        "version": env!("CARGO_PKG_VERSION"),
        "extensions": ["binary_tensor_data"],
    }))
}

pub(crate) async fn live() -> Response {
    json_ok(&json!({"live": true}))
}

pub(crate) async fn ready(State(state): State<AppState>) -> V2Result {
    state.check_ready()?;
    Ok(json_ok(&json!({"ready": true})))
}

/// Whether `name` (and `version`) is the model served; the protocol's error if not.
fn check_name(state: &AppState, name: &str, version: Option<&str>) -> Result<(), ServeError> {
    let served = state.model_name().ok_or(ServeError::NotReady)?;
    if served != name {
        return Err(ServeError::UnknownModel {
            asked: name.to_owned(),
            served: served.to_owned(),
        });
    }
    if let Some(version) = version
        && version != "1"
    {
        return Err(ServeError::NotFound(format!(
            "version '{version}' of model '{name}' (its only version is 1)"
        )));
    }
    Ok(())
}

/// The loaded model called `name` (and version `version`), or the protocol's error.
fn find<'s>(
    state: &'s AppState,
    name: &str,
    version: Option<&str>,
) -> Result<&'s ModelSignature, V2Error> {
    check_name(state, name, version)?;
    Ok(state.signature().ok_or(ServeError::NotReady)?)
}

fn dims(shape: &[Option<usize>]) -> Vec<i64> {
    shape
        .iter()
        .map(|d| d.and_then(|d| i64::try_from(d).ok()).unwrap_or(-1))
        .collect()
}

fn metadata(name: &str, signature: &ModelSignature) -> Value {
    let inputs: Vec<Value> = signature
        .inputs
        .iter()
        .map(|i| json!({"name": i.name, "datatype": datatype(i.element_type), "shape": dims(&i.shape)}))
        .collect();
    let outputs: Vec<Value> = signature
        .outputs
        .iter()
        .map(|o| match &o.kind {
            OutputKind::Tensor {
                element_type,
                shape,
            } => {
                json!({"name": o.name, "datatype": datatype(*element_type), "shape": dims(shape)})
            }
            OutputKind::MapSequence { .. } => {
                json!({"name": o.name, "datatype": "BYTES", "shape": [-1]})
            }
        })
        .collect();
    json!({
        "name": name,
        "versions": ["1"],
        "platform": "onnxruntime_onnx",
        "inputs": inputs,
        "outputs": outputs,
    })
}

pub(crate) async fn model_metadata(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> V2Result {
    Ok(json_ok(&metadata(&name, find(&state, &name, None)?)))
}

pub(crate) async fn model_metadata_versioned(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
) -> V2Result {
    Ok(json_ok(&metadata(
        &name,
        find(&state, &name, Some(&version))?,
    )))
}

pub(crate) async fn model_ready(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> V2Result {
    model_readiness(&state, &name, None)
}

pub(crate) async fn model_ready_versioned(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
) -> V2Result {
    model_readiness(&state, &name, Some(&version))
}

/// The model's readiness: the server's, for the model served; 404 for any other.
fn model_readiness(state: &AppState, name: &str, version: Option<&str>) -> V2Result {
    check_name(state, name, version)?;
    state.check_ready()?;
    Ok(json_ok(&json!({"name": name, "ready": true})))
}

#[derive(Debug, Deserialize)]
struct InferRequest {
    #[serde(default)]
    id: Option<String>,
    inputs: Vec<RequestInput>,
    #[serde(default)]
    outputs: Option<Vec<RequestOutput>>,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
struct RequestInput {
    name: String,
    shape: Vec<i64>,
    datatype: String,
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
struct RequestOutput {
    name: String,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
}

pub(crate) async fn infer(
    state: State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> V2Result {
    run_infer(state, name, None, headers, body).await
}

pub(crate) async fn infer_versioned(
    state: State<AppState>,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> V2Result {
    run_infer(state, name, Some(version), headers, body).await
}

async fn run_infer(
    State(state): State<AppState>,
    name: String,
    version: Option<String>,
    headers: HeaderMap,
    body: Body,
) -> V2Result {
    let signature = find(&state, &name, version.as_deref())?;
    let model = state.app().model.get().ok_or(ServeError::NotReady)?;
    let config = &state.app().config;
    let bytes = read_body(body, &headers, config).await?;
    if bytes.is_empty() {
        return Err(ServeError::EmptyBody.into());
    }
    let (json_part, binary) = split_body(&headers, &bytes)?;
    let request: InferRequest =
        serde_json::from_slice(json_part).map_err(|e| ServeError::MalformedJson(e.to_string()))?;
    let tensors = input_tensors(signature, &request, binary, config.missing_values)?;
    let rows = tensors
        .first()
        .and_then(|t| t.shape.first())
        .copied()
        .unwrap_or(0);
    if rows as u64 > config.max_records {
        return Err(ServeError::TooManyRecords {
            limit: config.max_records,
        }
        .into());
    }
    let has_missing = tensors.iter().any(|t| scalar::has_nan(&t.data));
    let outputs = run_model(&state, model, tensors, rows, has_missing).await?;

    let binary_default = request
        .parameters
        .as_ref()
        .and_then(|p| p.get("binary_data_output"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let selected: Vec<(&str, bool)> = match &request.outputs {
        Some(requested) if !requested.is_empty() => {
            let mut selected = Vec::with_capacity(requested.len());
            for output in requested {
                if outputs.get(&output.name).is_none() {
                    return Err(ServeError::InvalidInput(format!(
                        "unknown output '{}'; the model's outputs are {:?}",
                        output.name,
                        outputs
                            .values
                            .iter()
                            .map(|(n, _)| n.as_str())
                            .collect::<Vec<_>>()
                    ))
                    .into());
                }
                let binary = output
                    .parameters
                    .as_ref()
                    .and_then(|p| p.get("binary_data"))
                    .and_then(Value::as_bool)
                    .unwrap_or(binary_default);
                selected.push((output.name.as_str(), binary));
            }
            selected
        }
        _ => outputs
            .values
            .iter()
            .map(|(n, _)| (n.as_str(), binary_default))
            .collect(),
    };

    let mut described = Vec::with_capacity(selected.len());
    let mut tail: Vec<u8> = Vec::new();
    for (output_name, binary) in selected {
        let Some(value) = outputs.get(output_name) else {
            continue;
        };
        let (datatype, shape, data) = output_tensor(value);
        let mut entry = json!({"name": output_name, "datatype": datatype, "shape": shape});
        if binary {
            let start = tail.len();
            write_binary(&data, &mut tail);
            entry["parameters"] = json!({"binary_data_size": tail.len() - start});
        } else {
            entry["data"] = json_data(&data);
        }
        described.push(entry);
    }
    let mut answer = json!({
        "model_name": name,
        "model_version": "1",
        "outputs": described,
    });
    if let Some(id) = request.id {
        answer["id"] = Value::String(id);
    }
    let header_json = answer.to_string();
    if tail.is_empty() {
        return Ok(json_ok(&answer));
    }
    let length = header_json.len();
    let mut body = header_json.into_bytes();
    body.extend_from_slice(&tail);
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(HEADER_LENGTH, HeaderValue::from(length));
    Ok(response)
}

/// The JSON part and the binary part of a request body.
fn split_body<'b>(
    headers: &HeaderMap,
    bytes: &'b Bytes,
) -> Result<(&'b [u8], &'b [u8]), ServeError> {
    let Some(value) = headers.get(HEADER_LENGTH) else {
        return Ok((bytes, &[]));
    };
    let length = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n <= bytes.len())
        .ok_or_else(|| {
            ServeError::InvalidInput(format!(
                "Inference-Header-Content-Length must be a number of bytes no larger than the body ({})",
                bytes.len()
            ))
        })?;
    Ok(bytes.split_at(length))
}

fn input_tensors(
    signature: &ModelSignature,
    request: &InferRequest,
    mut binary: &[u8],
    missing: MissingValues,
) -> Result<Vec<InputTensor>, ServeError> {
    let mut tensors = Vec::with_capacity(request.inputs.len());
    for input in &request.inputs {
        let spec = signature.input(&input.name).ok_or_else(|| {
            ServeError::InvalidInput(format!(
                "unknown input '{}'; the model's inputs are {:?}",
                input.name,
                signature
                    .inputs
                    .iter()
                    .map(|i| i.name.as_str())
                    .collect::<Vec<_>>()
            ))
        })?;
        let expected = datatype(spec.element_type);
        if !input.datatype.eq_ignore_ascii_case(expected) {
            return Err(ServeError::InvalidInput(format!(
                "input '{}' expects datatype {expected}, got {}",
                input.name, input.datatype
            )));
        }
        let shape: Vec<usize> = input
            .shape
            .iter()
            .map(|&d| usize::try_from(d))
            .collect::<Result<_, _>>()
            .map_err(|_| {
                ServeError::InvalidInput(format!("input '{}': negative dimension", input.name))
            })?;
        let count = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .filter(|&n| n <= 1 << 28)
            .ok_or_else(|| {
                ServeError::InvalidInput(format!("input '{}': shape too large", input.name))
            })?;
        let binary_size = input
            .parameters
            .as_ref()
            .and_then(|p| p.get("binary_data_size"))
            .and_then(Value::as_u64);
        let data = if let Some(size) = binary_size {
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            if size > binary.len() {
                return Err(ServeError::InvalidInput(format!(
                    "input '{}': binary_data_size {size} is past the end of the body",
                    input.name
                )));
            }
            let (chunk, rest) = binary.split_at(size);
            binary = rest;
            v2::read_binary_checked(spec, chunk, missing)?
        } else {
            let data = input.data.as_ref().ok_or_else(|| {
                ServeError::InvalidInput(format!("input '{}' has no data", input.name))
            })?;
            v2::read_json(spec, &shape, data, missing)?
        };
        if data.len() != count {
            return Err(ServeError::InvalidInput(format!(
                "input '{}' has {} values for shape {:?}",
                input.name,
                data.len(),
                input.shape
            )));
        }
        tensors.push(InputTensor {
            name: input.name.clone(),
            shape,
            data,
        });
    }
    Ok(tensors)
}
