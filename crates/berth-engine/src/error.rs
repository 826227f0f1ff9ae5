//! The engine's one error type.
//!
//! Messages are written for the person who runs the server (start-up errors) or who sends the
//! request (input errors). Variants that come from a client's input say so through
//! [`EngineError::is_client_error`], so that the server can map them to 4xx without parsing text.

use std::path::PathBuf;

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// No ONNX Runtime shared library was found in any of the places searched.
    #[error(
        "ONNX Runtime library not found (looked in: {searched}); run `make onnxruntime` \
         (or `scripts/fetch-onnxruntime.sh`) to fetch it, or set ORT_DYLIB_PATH"
    )]
    LibraryNotFound {
        /// The places searched, in order, for the message.
        searched: String,
    },
    /// A library was found but could not be loaded (wrong file, too old a release, ...).
    #[error("could not load ONNX Runtime from {path}: {reason}")]
    LibraryLoad {
        /// The library file that was tried.
        path: PathBuf,
        /// Why it failed, as the loader reported it.
        reason: String,
    },
    /// The model file could not be read.
    #[error("could not read model {path}: {source}")]
    ModelRead {
        /// The model path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// ONNX Runtime refused the model (not ONNX, unsupported operator, ...).
    #[error("could not load model {name}: {reason}")]
    ModelLoad {
        /// The model's file name (never a full path: messages may reach clients).
        name: String,
        /// ONNX Runtime's reason.
        reason: String,
    },
    /// ONNX Runtime refused the file, and its first bytes say it is another format (a pickle, a
    /// zip archive, ...).
    #[error("model {name} is not an ONNX file: it is {found}; {todo}")]
    NotOnnx {
        /// The model's file name.
        name: String,
        /// What the file is.
        found: String,
        /// What to do instead.
        todo: String,
    },
    /// ONNX Runtime refused the file, which starts like an ONNX model but ends early.
    #[error(
        "model {name} looks like an ONNX model but is truncated or corrupt ({detail}): copy or \
         export it again"
    )]
    Corrupt {
        /// The model's file name.
        name: String,
        /// Where the file ends too early.
        detail: String,
    },
    /// The model needs a newer ONNX Runtime than the one loaded (an opset or IR version).
    #[error(
        "model {name} needs {needs}, but ONNX Runtime {onnxruntime} supports {supports}: \
         re-export the model with a lower target opset (skl2onnx `target_opset`, \
         torch.onnx.export `opset_version`), or load a newer ONNX Runtime"
    )]
    TooNew {
        /// The model's file name.
        name: String,
        /// What the model needs, e.g. `opset 99 of domain ai.onnx`.
        needs: String,
        /// What the loaded ONNX Runtime supports, e.g. `ai.onnx up to opset 26`.
        supports: String,
        /// The loaded ONNX Runtime's version.
        onnxruntime: String,
    },
    /// A tensor of the model keeps its data in a file outside the model's directory (an absolute
    /// path, or one through `..`): a package ships the model's directory only.
    #[error(
        "model {model}: tensor '{tensor}' keeps its data at '{location}', {problem}; berth takes \
         external data only from the model's directory: save the model with its data beside it \
         (onnx.save_model(..., location=\"<file name>\"))"
    )]
    ExternalDataOutside {
        /// The model's file name.
        model: String,
        /// The tensor that names the location.
        tensor: String,
        /// The location, as the model names it.
        location: String,
        /// What is wrong with it, e.g. `an absolute path`.
        problem: String,
    },
    /// A tensor of the model keeps its data in a file that is not beside the model.
    #[error(
        "model {model}: tensor '{tensor}' keeps its data in '{location}', but there is no such \
         file beside the model: copy it into the model's directory"
    )]
    ExternalDataMissing {
        /// The model's file name.
        model: String,
        /// The tensor that names the location.
        tensor: String,
        /// The location, as the model names it.
        location: String,
    },
    /// The model uses a value type that berth cannot feed or return.
    #[error("model {name}: {what}")]
    UnsupportedModel {
        /// The model's file name.
        name: String,
        /// What is unsupported.
        what: String,
    },
    /// Dynamic batching was asked for, but the model's rows cannot safely share a run: its answer
    /// for a row changes with the other rows of the batch, or berth could not check that.
    #[error("dynamic batching refused: {reason}")]
    BatchingRefused {
        /// What the probe found.
        reason: String,
    },
    /// The request's tensors do not fit the model's inputs (a client error).
    #[error("{0}")]
    InvalidInput(String),
    /// ONNX Runtime rejected the inputs at run time (a client error: shapes or values the model
    /// cannot take).
    #[error("the model rejected the input: {0}")]
    Rejected(String),
    /// ONNX Runtime failed while running for a reason that is not the client's input.
    #[error("inference failed: {0}")]
    Inference(String),
    /// Every inference worker is busy and the queue stayed full for the whole acquire timeout.
    #[error("inference queue full: all {capacity} places taken for {waited_ms} ms")]
    Busy {
        /// The queue's capacity.
        capacity: usize,
        /// How long the request waited for a place.
        waited_ms: u64,
    },
    /// The inference pool has stopped (the server is shutting down).
    #[error("the inference pool has stopped")]
    Stopped,
    /// An inference worker panicked while running this request.
    #[error("an inference worker failed unexpectedly")]
    WorkerPanicked,
}

impl EngineError {
    /// True when the error is caused by the request's content rather than by the server.
    #[must_use]
    pub fn is_client_error(&self) -> bool {
        matches!(self, Self::InvalidInput(_) | Self::Rejected(_))
    }
}
