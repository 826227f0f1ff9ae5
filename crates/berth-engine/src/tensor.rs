//! Typed values crossing the engine's border: input tensors in, outputs out.

use crate::signature::ElementType;

/// The elements of a tensor, flat, in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// `float32` elements.
    Float32(Vec<f32>),
    /// `float64` elements.
    Float64(Vec<f64>),
    /// `int64` elements.
    Int64(Vec<i64>),
    /// `int32` elements.
    Int32(Vec<i32>),
    /// `bool` elements.
    Bool(Vec<bool>),
    /// `string` elements.
    String(Vec<String>),
}

impl TensorData {
    /// An empty buffer of the given element type with room for `capacity` elements.
    #[must_use]
    pub fn with_capacity(element_type: ElementType, capacity: usize) -> Self {
        match element_type {
            ElementType::Float32 => Self::Float32(Vec::with_capacity(capacity)),
            ElementType::Float64 => Self::Float64(Vec::with_capacity(capacity)),
            ElementType::Int64 => Self::Int64(Vec::with_capacity(capacity)),
            ElementType::Int32 => Self::Int32(Vec::with_capacity(capacity)),
            ElementType::Bool => Self::Bool(Vec::with_capacity(capacity)),
            ElementType::String => Self::String(Vec::with_capacity(capacity)),
        }
    }

    /// The element type.
    #[must_use]
    pub fn element_type(&self) -> ElementType {
        match self {
            Self::Float32(_) => ElementType::Float32,
            Self::Float64(_) => ElementType::Float64,
            Self::Int64(_) => ElementType::Int64,
            Self::Int32(_) => ElementType::Int32,
            Self::Bool(_) => ElementType::Bool,
            Self::String(_) => ElementType::String,
        }
    }

    /// The number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::Float32(v) => v.len(),
            Self::Float64(v) => v.len(),
            Self::Int64(v) => v.len(),
            Self::Int32(v) => v.len(),
            Self::Bool(v) => v.len(),
            Self::String(v) => v.len(),
        }
    }

    /// True when there are no elements.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One named input tensor of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct InputTensor {
    /// The model input it feeds.
    pub name: String,
    /// Its dimensions; the first is the batch size.
    pub shape: Vec<usize>,
    /// Its elements.
    pub data: TensorData,
}

/// The keys of the maps in a map-sequence output.
#[derive(Debug, Clone, PartialEq)]
pub enum MapKeys {
    /// Integer keys (class indices).
    Int64(Vec<i64>),
    /// String keys (class names).
    String(Vec<String>),
}

/// One map of a map-sequence output (one row of ZipMap: class -> probability).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputMap {
    /// The keys, in the order ONNX Runtime returned them.
    pub keys: MapKeys,
    /// The values, one per key.
    pub values: TensorData,
}

/// One output of a run.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputValue {
    /// A tensor with its shape.
    Tensor {
        /// Dimensions.
        shape: Vec<usize>,
        /// Elements, row-major.
        data: TensorData,
    },
    /// A sequence of maps, one per row.
    Maps(Vec<OutputMap>),
}

/// The outputs of one run, in the model's output order.
#[derive(Debug, Clone, PartialEq)]
pub struct Outputs {
    /// `(name, value)` pairs in graph order.
    pub values: Vec<(String, OutputValue)>,
}

impl Outputs {
    /// The output called `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&OutputValue> {
        self.values
            .iter()
            .find_map(|(n, value)| (n == name).then_some(value))
    }
}
