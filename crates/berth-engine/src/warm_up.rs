//! The warm-up inference: one all-zero row through a freshly loaded model.
//!
//! This module owns the one rule that `berth serve` (before it says ready) and `berth package`
//! (before it ships a model) both apply, so that a model that loads but cannot run is found before
//! anyone sends it a request: what the warm-up inputs are ([`ModelSignature::warm_up_inputs`]),
//! which failures of the run are fatal ([`WarmUp::judge`]), and the whole check from a path
//! ([`check_model`]).

use std::path::Path;

use crate::{
    ElementType, EngineError, InputTensor, Model, ModelSignature, ModelSource, Outputs, Result,
    Runtime, SessionOptions, TensorData,
};

impl ModelSignature {
    /// One row of zeros (empty strings, `false`) for every input: dynamic dimensions are 1, and a
    /// scalar input is one value.
    #[must_use]
    pub fn warm_up_inputs(&self) -> Vec<InputTensor> {
        self.inputs
            .iter()
            .map(|input| {
                let shape: Vec<usize> = input.shape.iter().map(|d| d.unwrap_or(1)).collect();
                let shape = if shape.is_empty() { vec![1] } else { shape };
                let count = shape.iter().product();
                let data = match input.element_type {
                    ElementType::Float32 => TensorData::Float32(vec![0.0; count]),
                    ElementType::Float64 => TensorData::Float64(vec![0.0; count]),
                    ElementType::Int64 => TensorData::Int64(vec![0; count]),
                    ElementType::Int32 => TensorData::Int32(vec![0; count]),
                    ElementType::Bool => TensorData::Bool(vec![false; count]),
                    ElementType::String => TensorData::String(vec![String::new(); count]),
                };
                InputTensor {
                    name: input.name.clone(),
                    shape,
                    data,
                }
            })
            .collect()
    }
}

/// How a warm-up inference went, when that does not stop the model from being served.
#[derive(Debug)]
#[must_use]
pub enum WarmUp {
    /// The model answered the warm-up inputs.
    Ran,
    /// The model refused the all-zero inputs as a client error (some models reject zeros, or
    /// an empty string, as they would reject a client's bad row): worth a warning, not fatal,
    /// since real requests may well be answered.
    Refused(EngineError),
}

impl WarmUp {
    /// The rule for a warm-up run's result: answered, refused as a client error (not fatal), or
    /// failed.
    ///
    /// # Errors
    /// The run's error, when it is not a client error ([`EngineError::is_client_error`]): a model
    /// that fails so is not served.
    pub fn judge(run: Result<Outputs>) -> Result<Self> {
        match run {
            Ok(_) => Ok(Self::Ran),
            Err(error) if error.is_client_error() => Ok(Self::Refused(error)),
            Err(error) => Err(error),
        }
    }
}

/// A model that loaded and went through its warm-up inference.
#[derive(Debug)]
pub struct ModelCheck {
    /// What the model takes and gives.
    pub signature: ModelSignature,
    /// How the warm-up went.
    pub warm_up: WarmUp,
}

/// Loads the model at `path` with the default [`SessionOptions`] and runs the warm-up inference,
/// as `berth serve` does before it says ready: the check `berth package` makes before it ships a
/// model.
///
/// # Errors
/// What [`Model::load`] gives for a model that does not load (the diagnosis of a file that is not
/// ONNX included), and the warm-up's error when it is not a client error ([`WarmUp::judge`]).
pub fn check_model(runtime: &Runtime, path: &Path) -> Result<ModelCheck> {
    let source = ModelSource::File(path.to_owned());
    let mut model = Model::load(runtime, &source, &SessionOptions::default())?;
    let inputs = model.signature().warm_up_inputs();
    let warm_up = WarmUp::judge(model.run(&inputs))?;
    Ok(ModelCheck {
        signature: model.signature().clone(),
        warm_up,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InputSpec;

    fn input(name: &str, element_type: ElementType, shape: Vec<Option<usize>>) -> InputSpec {
        InputSpec {
            name: name.to_owned(),
            element_type,
            shape,
        }
    }

    #[test]
    fn warm_up_inputs_are_one_zero_row_per_input() {
        let signature = ModelSignature {
            name: "m.onnx".to_owned(),
            sha256: String::new(),
            inputs: vec![
                input("features", ElementType::Float32, vec![None, Some(4)]),
                input(
                    "image",
                    ElementType::Float64,
                    vec![None, Some(1), Some(2), Some(2)],
                ),
                input("ids", ElementType::Int64, vec![None]),
                input("scalar", ElementType::Int32, vec![]),
                input("flag", ElementType::Bool, vec![Some(2), None]),
                input("colour", ElementType::String, vec![None, Some(1)]),
            ],
            outputs: vec![],
        };
        let inputs = signature.warm_up_inputs();
        let shapes: Vec<(&str, &[usize])> = inputs
            .iter()
            .map(|i| (i.name.as_str(), i.shape.as_slice()))
            .collect();
        assert_eq!(
            shapes,
            [
                ("features", &[1, 4][..]),
                ("image", &[1, 1, 2, 2]),
                ("ids", &[1]),
                ("scalar", &[1]),
                ("flag", &[2, 1]),
                ("colour", &[1, 1]),
            ]
        );
        assert!(matches!(&inputs[0].data, TensorData::Float32(v) if v == &[0.0; 4]));
        assert!(matches!(&inputs[1].data, TensorData::Float64(v) if v == &[0.0; 4]));
        assert!(matches!(&inputs[2].data, TensorData::Int64(v) if v == &[0]));
        assert!(matches!(&inputs[3].data, TensorData::Int32(v) if v == &[0]));
        assert!(matches!(&inputs[4].data, TensorData::Bool(v) if v == &[false, false]));
        assert!(matches!(&inputs[5].data, TensorData::String(v) if v == &[String::new()]));
    }

    #[test]
    fn only_client_errors_of_a_warm_up_are_forgiven() {
        assert!(matches!(
            WarmUp::judge(Ok(Outputs { values: vec![] })),
            Ok(WarmUp::Ran)
        ));
        assert!(matches!(
            WarmUp::judge(Err(EngineError::Rejected("zeros".into()))),
            Ok(WarmUp::Refused(EngineError::Rejected(_)))
        ));
        assert!(matches!(
            WarmUp::judge(Err(EngineError::Inference("Reshape".into()))),
            Err(EngineError::Inference(_))
        ));
    }
}
