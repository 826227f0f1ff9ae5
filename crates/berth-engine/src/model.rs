//! One loaded model: an ONNX Runtime session, its signature, and running a batch through it.

use std::io::Cursor;
use std::path::PathBuf;

use ort::session::{Session, SessionInputValue, builder::GraphOptimizationLevel};
use ort::value::{DynMapValueType, DynValue, Tensor, TensorRef, ValueType};
use sha2::{Digest, Sha256};

use crate::signature::{ElementType, InputSpec, ModelSignature, OutputKind, OutputSpec};
use crate::tensor::{InputTensor, MapKeys, OutputMap, OutputValue, Outputs, TensorData};
use crate::{EngineError, Result, Runtime, diagnose};

/// Where a model's bytes come from.
#[derive(Debug, Clone)]
pub enum ModelSource {
    /// A file on disk.
    File(PathBuf),
    /// Bytes compiled into the binary (the demo model).
    Embedded {
        /// A name for logs and metadata.
        name: &'static str,
        /// The ONNX bytes.
        bytes: &'static [u8],
    },
}

impl ModelSource {
    /// The name shown in logs, metadata and errors: a file name, never a full path.
    #[must_use]
    pub fn display_name(&self) -> String {
        match self {
            Self::File(path) => path
                .file_name()
                .map_or_else(|| "model".to_owned(), |n| n.to_string_lossy().into_owned()),
            Self::Embedded { name, .. } => (*name).to_owned(),
        }
    }

    /// SHA-256 of the model file (hex), read in pieces: a model is never held in memory twice.
    fn sha256(&self) -> Result<String> {
        match self {
            Self::File(path) => {
                let read_error = |source| EngineError::ModelRead {
                    path: path.clone(),
                    source,
                };
                let mut file = std::fs::File::open(path).map_err(read_error)?;
                let mut hasher = Sha256::new();
                std::io::copy(&mut file, &mut hasher).map_err(read_error)?;
                Ok(hex(&hasher.finalize()))
            }
            Self::Embedded { bytes, .. } => Ok(hex(&Sha256::digest(bytes))),
        }
    }
}

/// ONNX Runtime session settings chosen for small models served one request at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOptions {
    /// Threads inside one operator (0 = ONNX Runtime's default, one per core).
    pub intra_op_threads: usize,
    /// Threads across operators (0 = ONNX Runtime's default).
    pub inter_op_threads: usize,
    /// Graph optimisation level: 0 disable, 1 basic, 2 extended, 3 all.
    pub optimization_level: u8,
}

impl Default for SessionOptions {
    fn default() -> Self {
        // One thread per session: the pool runs sessions side by side, and spinning worker threads
        // of a larger intra-op pool would eat the cores the HTTP side needs.
        Self {
            intra_op_threads: 1,
            inter_op_threads: 1,
            optimization_level: 3,
        }
    }
}

/// A loaded model, ready to run batches on the calling thread.
#[derive(Debug)]
pub struct Model {
    session: Session,
    signature: ModelSignature,
}

impl Model {
    /// Reads and loads a model, and describes its inputs and outputs.
    ///
    /// # Errors
    /// [`EngineError::ModelRead`], [`EngineError::ModelLoad`], or
    /// [`EngineError::UnsupportedModel`] when an input or output has a type berth cannot handle.
    pub fn load(runtime: &Runtime, source: &ModelSource, options: &SessionOptions) -> Result<Self> {
        let name = source.display_name();
        let load_error = |e: &dyn std::fmt::Display| EngineError::ModelLoad {
            name: name.clone(),
            reason: e.to_string(),
        };
        let level = match options.optimization_level {
            0 => GraphOptimizationLevel::Disable,
            1 => GraphOptimizationLevel::Level1,
            2 => GraphOptimizationLevel::Level2,
            _ => GraphOptimizationLevel::All,
        };
        let mut builder = Session::builder(runtime.environment())
            .map_err(|e| load_error(&e))?
            .with_optimization_level(level)
            .map_err(|e| load_error(&e))?
            .with_intra_threads(options.intra_op_threads)
            .map_err(|e| load_error(&e))?
            .with_inter_threads(options.inter_op_threads)
            .map_err(|e| load_error(&e))?
            .with_intra_op_spinning(false)
            .map_err(|e| load_error(&e))?
            .with_inter_op_spinning(false)
            .map_err(|e| load_error(&e))?;
        // The file is hashed on another thread while ONNX Runtime loads it: for a large model
        // the two reads take about as long as each other, and the second comes from the page
        // cache. From the path, not from bytes: ONNX Runtime resolves external data (weights
        // saved beside the model) relative to the model file, and with bytes it has no file.
        let (sha256, committed) = std::thread::scope(|scope| {
            let hashing = scope.spawn(|| source.sha256());
            let committed = match source {
                ModelSource::File(path) => builder.commit_from_file(path),
                ModelSource::Embedded { bytes, .. } => builder.commit_from_memory(bytes),
            };
            let sha256 = hashing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (sha256, committed)
        });
        let sha256 = sha256?;
        let session = committed.map_err(|e| {
            let reason = e.message();
            match source {
                ModelSource::File(path) => {
                    let file = std::fs::File::open(path).ok();
                    diagnose::refusal(&name, file, reason, runtime.version())
                }
                ModelSource::Embedded { bytes, .. } => {
                    diagnose::refusal(&name, Some(Cursor::new(bytes)), reason, runtime.version())
                }
            }
        })?;
        let signature = describe(&session, name, sha256)?;
        Ok(Self { session, signature })
    }

    /// What the model takes and gives.
    #[must_use]
    pub fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    /// Runs one batch. Every model input must be given once, with the model's element type and
    /// a shape that fits the model's fixed dimensions.
    ///
    /// # Errors
    /// [`EngineError::InvalidInput`] when the tensors do not fit the signature,
    /// [`EngineError::Rejected`] when ONNX Runtime refuses them, [`EngineError::Inference`] for
    /// other run-time failures.
    pub fn run(&mut self, inputs: &[InputTensor]) -> Result<Outputs> {
        check_inputs(&self.signature.inputs, inputs)?;
        let mut feeds: Vec<(String, SessionInputValue<'_>)> = Vec::with_capacity(inputs.len());
        for input in inputs {
            feeds.push((input.name.clone(), to_ort_value(input)?));
        }
        let outputs = self.session.run(feeds).map_err(|e| {
            if e.code() == ort::ErrorCode::InvalidArgument {
                tracing::debug!(error = %e, "ONNX Runtime rejected the input");
                EngineError::Rejected(
                    "ONNX Runtime refused the tensors (a shape or value the model cannot take)"
                        .into(),
                )
            } else {
                // ONNX Runtime ends its messages with a line feed; errors are one line.
                EngineError::Inference(e.message().trim_end().to_owned())
            }
        })?;
        let mut values = Vec::with_capacity(self.signature.outputs.len());
        for spec in &self.signature.outputs {
            let value = outputs.get(&spec.name).ok_or_else(|| {
                EngineError::Inference(format!("output {} missing from the run", spec.name))
            })?;
            values.push((spec.name.clone(), read_output(spec, value)?));
        }
        Ok(Outputs { values })
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn dims(shape: &[i64]) -> Vec<Option<usize>> {
    shape
        .iter()
        .map(|&d| usize::try_from(d).ok().filter(|_| d >= 0))
        .collect()
}

fn describe(session: &Session, name: String, sha256: String) -> Result<ModelSignature> {
    let unsupported = |what: String| EngineError::UnsupportedModel {
        name: name.clone(),
        what,
    };
    let mut inputs = Vec::new();
    for outlet in session.inputs() {
        match outlet.dtype() {
            ValueType::Tensor { ty, shape, .. } => {
                let element_type = ElementType::from_ort(*ty).ok_or_else(|| {
                    unsupported(format!(
                        "input {} has element type {ty:?}, which berth cannot feed",
                        outlet.name()
                    ))
                })?;
                inputs.push(InputSpec {
                    name: outlet.name().to_owned(),
                    element_type,
                    shape: dims(shape),
                });
            }
            other => {
                return Err(unsupported(format!(
                    "input {} is a {other:?}; berth feeds tensors only",
                    outlet.name()
                )));
            }
        }
    }
    let mut outputs = Vec::new();
    for outlet in session.outputs() {
        let kind = match outlet.dtype() {
            ValueType::Tensor { ty, shape, .. } => OutputKind::Tensor {
                element_type: ElementType::from_ort(*ty).ok_or_else(|| {
                    unsupported(format!(
                        "output {} has element type {ty:?}, which berth cannot return",
                        outlet.name()
                    ))
                })?,
                shape: dims(shape),
            },
            ValueType::Sequence(inner) => match inner.as_ref() {
                ValueType::Map { key, value } => {
                    let key_type = ElementType::from_ort(*key)
                        .filter(|k| matches!(k, ElementType::Int64 | ElementType::String));
                    let value_type = ElementType::from_ort(*value)
                        .filter(|v| matches!(v, ElementType::Float32 | ElementType::Float64));
                    match (key_type, value_type) {
                        (Some(key_type), Some(value_type)) => OutputKind::MapSequence {
                            key_type,
                            value_type,
                        },
                        _ => {
                            return Err(unsupported(format!(
                                "output {} maps {key:?} to {value:?}; berth returns maps of \
                                 int64 or string to float",
                                outlet.name()
                            )));
                        }
                    }
                }
                other => {
                    return Err(unsupported(format!(
                        "output {} is a sequence of {other:?}; berth returns sequences of maps only",
                        outlet.name()
                    )));
                }
            },
            other => {
                return Err(unsupported(format!(
                    "output {} is a {other:?}, which berth cannot return",
                    outlet.name()
                )));
            }
        };
        outputs.push(OutputSpec {
            name: outlet.name().to_owned(),
            kind,
        });
    }
    Ok(ModelSignature {
        name,
        sha256,
        inputs,
        outputs,
    })
}

fn check_inputs(specs: &[InputSpec], inputs: &[InputTensor]) -> Result<()> {
    for spec in specs {
        let count = inputs.iter().filter(|i| i.name == spec.name).count();
        if count != 1 {
            return Err(EngineError::InvalidInput(if count == 0 {
                format!("missing input '{}'", spec.name)
            } else {
                format!("input '{}' given {count} times", spec.name)
            }));
        }
    }
    for input in inputs {
        let spec = specs
            .iter()
            .find(|s| s.name == input.name)
            .ok_or_else(|| EngineError::InvalidInput(format!("unknown input '{}'", input.name)))?;
        if input.data.element_type() != spec.element_type {
            return Err(EngineError::InvalidInput(format!(
                "input '{}' expects {} values, got {}",
                spec.name,
                spec.element_type.name(),
                input.data.element_type().name()
            )));
        }
        if input.shape.len() != spec.shape.len() {
            return Err(EngineError::InvalidInput(format!(
                "input '{}' expects {} dimensions, got {}",
                spec.name,
                spec.shape.len(),
                input.shape.len()
            )));
        }
        for (axis, (&got, expected)) in input.shape.iter().zip(&spec.shape).enumerate() {
            if let Some(expected) = expected
                && got != *expected
            {
                return Err(EngineError::InvalidInput(format!(
                    "input '{}' expects size {expected} on axis {axis}, got {got}",
                    spec.name
                )));
            }
        }
        let elements = input
            .shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d));
        if elements != Some(input.data.len()) {
            return Err(EngineError::InvalidInput(format!(
                "input '{}' has {} values for shape {:?}",
                spec.name,
                input.data.len(),
                input.shape
            )));
        }
        if input.shape.first() == Some(&0) {
            return Err(EngineError::InvalidInput(format!(
                "input '{}' has no rows",
                spec.name
            )));
        }
    }
    Ok(())
}

/// An input as ONNX Runtime takes it. Numeric and boolean buffers are borrowed, not copied:
/// the decoded request is the tensor ONNX Runtime reads. Strings must be converted.
fn to_ort_value(input: &InputTensor) -> Result<SessionInputValue<'_>> {
    let shape = input.shape.clone();
    let made = match &input.data {
        TensorData::Float32(v) => {
            TensorRef::from_array_view((shape, v.as_slice())).map(|t| t.into_dyn().into())
        }
        TensorData::Float64(v) => {
            TensorRef::from_array_view((shape, v.as_slice())).map(|t| t.into_dyn().into())
        }
        TensorData::Int64(v) => {
            TensorRef::from_array_view((shape, v.as_slice())).map(|t| t.into_dyn().into())
        }
        TensorData::Int32(v) => {
            TensorRef::from_array_view((shape, v.as_slice())).map(|t| t.into_dyn().into())
        }
        TensorData::Bool(v) => {
            TensorRef::from_array_view((shape, v.as_slice())).map(|t| t.into_dyn().into())
        }
        TensorData::String(v) => {
            Tensor::from_string_array((shape, v.as_slice())).map(|t| t.into_dyn().into())
        }
    };
    made.map_err(|e| EngineError::InvalidInput(format!("input '{}': {}", input.name, e.message())))
}

fn shape_of(shape: &ort::value::Shape) -> Vec<usize> {
    shape
        .iter()
        .map(|&d| usize::try_from(d).unwrap_or(0))
        .collect()
}

fn read_output(spec: &OutputSpec, value: &DynValue) -> Result<OutputValue> {
    let failed = |e: ort::Error| {
        EngineError::Inference(format!("reading output {}: {}", spec.name, e.message()))
    };
    match &spec.kind {
        OutputKind::Tensor { element_type, .. } => {
            macro_rules! extract {
                ($t:ty, $variant:ident) => {{
                    let (shape, data) = value.try_extract_tensor::<$t>().map_err(failed)?;
                    (shape_of(shape), TensorData::$variant(data.to_vec()))
                }};
            }
            let (shape, data) = match element_type {
                ElementType::Float32 => extract!(f32, Float32),
                ElementType::Float64 => extract!(f64, Float64),
                ElementType::Int64 => extract!(i64, Int64),
                ElementType::Int32 => extract!(i32, Int32),
                ElementType::Bool => extract!(bool, Bool),
                ElementType::String => {
                    let (shape, data) = value.try_extract_strings().map_err(failed)?;
                    (shape_of(shape), TensorData::String(data))
                }
            };
            Ok(OutputValue::Tensor { shape, data })
        }
        OutputKind::MapSequence {
            key_type,
            value_type,
        } => {
            let maps = value
                .try_extract_sequence::<DynMapValueType>()
                .map_err(failed)?;
            let mut rows = Vec::with_capacity(maps.len());
            for map in &maps {
                macro_rules! pairs {
                    ($k:ty, $v:ty) => {{
                        let pairs = map.try_extract_key_values::<$k, $v>().map_err(failed)?;
                        pairs.into_iter().unzip::<_, _, Vec<$k>, Vec<$v>>()
                    }};
                }
                let row = match (key_type, value_type) {
                    (ElementType::String, ElementType::Float64) => {
                        let (k, v) = pairs!(String, f64);
                        OutputMap {
                            keys: MapKeys::String(k),
                            values: TensorData::Float64(v),
                        }
                    }
                    (ElementType::String, _) => {
                        let (k, v) = pairs!(String, f32);
                        OutputMap {
                            keys: MapKeys::String(k),
                            values: TensorData::Float32(v),
                        }
                    }
                    (_, ElementType::Float64) => {
                        let (k, v) = pairs!(i64, f64);
                        OutputMap {
                            keys: MapKeys::Int64(k),
                            values: TensorData::Float64(v),
                        }
                    }
                    _ => {
                        let (k, v) = pairs!(i64, f32);
                        OutputMap {
                            keys: MapKeys::Int64(k),
                            values: TensorData::Float32(v),
                        }
                    }
                };
                rows.push(row);
            }
            Ok(OutputValue::Maps(rows))
        }
    }
}
