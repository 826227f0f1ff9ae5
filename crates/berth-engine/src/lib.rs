//! berth's inference engine: ONNX Runtime through the `ort` crate, loaded at run time.
//!
//! This crate owns everything between "a path to a model" and "the model's outputs for a batch":
//!
//! - [`library`]: finding `libonnxruntime.so` (pinned release, lookup order, one clear error);
//! - [`Runtime`]: the loaded library and its ONNX Runtime environment;
//! - [`Model`] and [`ModelSignature`]: a loaded session and the description of its inputs and
//!   outputs (names, element types, shapes, sha256 of the file), and why a model would not load
//!   (another format, a truncated file, an opset too new for the loaded ONNX Runtime);
//! - [`model_files`]: which files make up a model (the `.onnx` file and the external-data files
//!   its tensors name), for shipping it;
//! - the warm-up inference ([`check_model`], [`ModelSignature::warm_up_inputs`], [`WarmUp`]): the
//!   one all-zero run that both serving and packaging make before they trust a model;
//! - [`InputTensor`], [`TensorData`] and [`OutputValue`]: typed batches in and out, including
//!   `seq(map(...))` outputs such as scikit-learn's ZipMap;
//! - [`InferencePool`]: dedicated inference threads behind a bounded queue, so that inference never
//!   runs on an async executor and overload turns into [`EngineError::Busy`] instead of a pile-up;
//!   dynamic batching (merging queued requests into one run) only when asked for and only for a
//!   model that passes a probe showing its answer for a row does not change with the other rows
//!   (`batch`, `probe`), and a report of every run's row count ([`RunObserver`]).
//!
//! It knows nothing of HTTP, JSON or CSV: decoding requests into tensors and encoding outputs is
//! the server's job (`berth-serve`).

mod batch;
mod diagnose;
mod error;
pub mod library;
mod model;
mod model_files;
mod pool;
mod probe;
mod runtime;
mod signature;
mod tensor;
mod warm_up;

pub use error::EngineError;
pub use model::{Model, ModelSource, SessionOptions};
pub use model_files::{ModelFiles, model_files};
pub use pool::{InferencePool, PoolOptions, RunObserver};
pub use runtime::Runtime;
pub use signature::{ElementType, InputSpec, ModelSignature, OutputKind, OutputSpec};
pub use tensor::{InputTensor, MapKeys, OutputMap, OutputValue, Outputs, TensorData};
pub use warm_up::{ModelCheck, WarmUp, check_model};

/// Result type of this crate.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
