//! What a model takes and gives: input and output names, element types and shapes.

use serde::Serialize;

/// Element types of tensors berth can feed to and read from a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ElementType {
    /// 32-bit float (`tensor(float)`).
    Float32,
    /// 64-bit float (`tensor(double)`).
    Float64,
    /// 64-bit signed integer.
    Int64,
    /// 32-bit signed integer.
    Int32,
    /// Boolean.
    Bool,
    /// UTF-8 string.
    String,
}

impl ElementType {
    /// ONNX's name for the type, as in `tensor(float)`.
    #[must_use]
    pub fn onnx_name(self) -> &'static str {
        match self {
            Self::Float32 => "float",
            Self::Float64 => "double",
            Self::Int64 => "int64",
            Self::Int32 => "int32",
            Self::Bool => "bool",
            Self::String => "string",
        }
    }

    /// The name berth uses in messages and metadata (`float32`, `int64`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Float32 => "float32",
            Self::Float64 => "float64",
            Self::Int64 => "int64",
            Self::Int32 => "int32",
            Self::Bool => "bool",
            Self::String => "string",
        }
    }

    pub(crate) fn from_ort(ty: ort::value::TensorElementType) -> Option<Self> {
        use ort::value::TensorElementType as T;
        Some(match ty {
            T::Float32 => Self::Float32,
            T::Float64 => Self::Float64,
            T::Int64 => Self::Int64,
            T::Int32 => Self::Int32,
            T::Bool => Self::Bool,
            T::String => Self::String,
            _ => return None,
        })
    }
}

/// One model input: a tensor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputSpec {
    /// The input's name in the graph.
    pub name: String,
    /// The element type the model expects.
    pub element_type: ElementType,
    /// Dimensions; `None` for a dynamic (symbolic) dimension.
    pub shape: Vec<Option<usize>>,
}

impl InputSpec {
    /// The number of values one row (one item of the batch dimension) holds, when every
    /// dimension after the first is fixed: 4 for `[N, 4]`, 1 for `[N]` or `[N, 1]`.
    #[must_use]
    pub fn row_width(&self) -> Option<usize> {
        self.shape
            .iter()
            .skip(1)
            .try_fold(1usize, |acc, dim| dim.map(|d| acc.saturating_mul(d)))
    }

    /// True when the first dimension is dynamic (any batch size is accepted).
    #[must_use]
    pub fn has_dynamic_batch(&self) -> bool {
        matches!(self.shape.first(), Some(None))
    }
}

/// What kind of value an output is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutputKind {
    /// A tensor.
    Tensor {
        /// Element type.
        element_type: ElementType,
        /// Dimensions; `None` for dynamic ones.
        shape: Vec<Option<usize>>,
    },
    /// A sequence of maps, one per row (scikit-learn's ZipMap: class -> probability).
    MapSequence {
        /// Key type (`int64` or `string`).
        key_type: ElementType,
        /// Value type (`float32` in practice).
        value_type: ElementType,
    },
}

/// One model output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutputSpec {
    /// The output's name in the graph.
    pub name: String,
    /// Its type.
    #[serde(flatten)]
    pub kind: OutputKind,
}

/// Everything a client needs to know to call a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelSignature {
    /// The model's name (file name, or the embedded demo's name).
    pub name: String,
    /// SHA-256 of the model's bytes, hex.
    pub sha256: String,
    /// Inputs in graph order.
    pub inputs: Vec<InputSpec>,
    /// Outputs in graph order.
    pub outputs: Vec<OutputSpec>,
}

impl ModelSignature {
    /// The input called `name`.
    #[must_use]
    pub fn input(&self, name: &str) -> Option<&InputSpec> {
        self.inputs.iter().find(|input| input.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(shape: Vec<Option<usize>>) -> InputSpec {
        InputSpec {
            name: "x".into(),
            element_type: ElementType::Float32,
            shape,
        }
    }

    #[test]
    fn row_width_multiplies_fixed_dimensions_after_the_batch() {
        assert_eq!(spec(vec![None, Some(4)]).row_width(), Some(4));
        assert_eq!(spec(vec![None]).row_width(), Some(1));
        assert_eq!(spec(vec![None, Some(2), Some(3)]).row_width(), Some(6));
        assert_eq!(spec(vec![None, None]).row_width(), None);
        assert!(spec(vec![None, Some(4)]).has_dynamic_batch());
        assert!(!spec(vec![Some(2), Some(4)]).has_dynamic_batch());
    }
}
