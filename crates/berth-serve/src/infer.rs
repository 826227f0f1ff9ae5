//! One inference, for every protocol: run the decoded tensors on the inference pool, record the
//! metrics, and refuse outputs berth cannot stand behind.
//!
//! A NaN or infinite float in any output (probabilities, scores, regression values) means the
//! answer is not a number the model computed from sound inputs; a label computed alongside it is
//! no better. Such a request is refused with 422, naming the output and the row, and saying
//! whether the row carried a missing value the model evidently does not handle.

use berth_engine::{InputTensor, OutputValue, Outputs, TensorData};

use crate::state::LoadedModel;
use crate::{AppState, ServeError};

/// Runs `tensors` (a batch of `rows` rows) on the model and checks its outputs.
pub(crate) async fn infer(
    state: &AppState,
    model: &LoadedModel,
    tensors: Vec<InputTensor>,
    rows: usize,
    has_missing: bool,
) -> Result<Outputs, ServeError> {
    let started = std::time::Instant::now();
    let outputs = model.pool.run(tensors).await?;
    state
        .app()
        .metrics
        .inference(started.elapsed().as_secs_f64(), rows);
    check_finite(&outputs, rows, has_missing)?;
    Ok(outputs)
}

/// The first non-finite float of an output, as (row, when the output is per row).
fn first_non_finite(value: &OutputValue, rows: usize) -> Option<Option<usize>> {
    let position = |data: &TensorData| match data {
        TensorData::Float32(v) => v.iter().position(|x| !x.is_finite()),
        TensorData::Float64(v) => v.iter().position(|x| !x.is_finite()),
        _ => None,
    };
    match value {
        OutputValue::Tensor { shape, data } => {
            let index = position(data)?;
            let width: usize = shape.iter().skip(1).product();
            Some((shape.first() == Some(&rows) && width > 0).then(|| index / width + 1))
        }
        OutputValue::Maps(maps) => {
            let row = maps.iter().position(|m| position(&m.values).is_some())?;
            Some((maps.len() == rows).then_some(row + 1))
        }
    }
}

pub(crate) fn check_finite(
    outputs: &Outputs,
    rows: usize,
    has_missing: bool,
) -> Result<(), ServeError> {
    for (name, value) in &outputs.values {
        if let Some(row) = first_non_finite(value, rows) {
            return Err(ServeError::NonFiniteOutput {
                output: name.clone(),
                row,
                from_missing: has_missing,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_in_any_output_is_refused_with_its_row() {
        let outputs = Outputs {
            values: vec![
                (
                    "label".into(),
                    OutputValue::Tensor {
                        shape: vec![3],
                        data: TensorData::Int64(vec![0, 0, 1]),
                    },
                ),
                (
                    "probabilities".into(),
                    OutputValue::Tensor {
                        shape: vec![3, 2],
                        data: TensorData::Float32(vec![0.5, 0.5, f32::NAN, f32::NAN, 0.1, 0.9]),
                    },
                ),
            ],
        };
        let error = check_finite(&outputs, 3, true).unwrap_err();
        assert_eq!(error.status(), 422);
        let message = error.to_string();
        assert!(
            message.contains("'probabilities'") && message.contains("row 2"),
            "{message}"
        );
        assert!(message.contains("missing value"), "{message}");
        let fine = Outputs {
            values: vec![outputs.values[0].clone()],
        };
        assert!(check_finite(&fine, 3, true).is_ok());
    }
}
