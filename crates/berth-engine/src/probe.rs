//! The check a model must pass before the pool merges requests: its answer for a row must not
//! change with the other rows of the batch.
//!
//! berth cannot prove that of a graph in general (a model may subtract the batch mean, normalise
//! with batch statistics, attend over the batch axis, ...), so merging is opt-in, and when it is
//! asked for, this probe runs once at load, before the server reports ready: a few distinct rows,
//! each alone, then all of them in one run. Every output of every row must agree between the two
//! within [`PROBE_TOLERANCE`], relative to the larger of the two values and to the output's
//! largest magnitude in the probe (row-independent models may still differ in the last bits
//! between batch sizes, as BLAS kernels change). Integers, booleans, strings and map keys must be
//! equal. A model that fails, or that refuses the probe rows, is refused with
//! [`EngineError::BatchingRefused`]: never merged on a guess.
//!
//! The probe rows are small deterministic values per element type (floats on a quarter grid
//! between -1 and 1.5, integers 0 to 3, alternating booleans, the strings "0" to "3"), valid for
//! most models; the probe is a guard against models that compute across the batch, not a proof
//! that a model never does.

use crate::batch;
use crate::signature::{ElementType, ModelSignature};
use crate::tensor::{InputTensor, OutputValue, Outputs, TensorData};
use crate::{EngineError, Model, Result};

/// Rows of the probe (fewer when the merge limit is lower).
const PROBE_ROWS: usize = 8;

/// How far a row's answer may move between alone and merged, relative to the larger of the two
/// values and to the output's largest magnitude in the probe.
const PROBE_TOLERANCE: f64 = 1e-5;

/// Runs the probe on `model` for merged runs of up to `max_batch_rows` rows.
///
/// # Errors
/// [`EngineError::BatchingRefused`] when an answer changes with the other rows, when the model
/// refuses the probe rows as a client error, or when its outputs are not one per row; other
/// errors of [`Model::run`] as they are.
pub(crate) fn check_row_independence(model: &mut Model, max_batch_rows: usize) -> Result<()> {
    let rows = PROBE_ROWS.min(max_batch_rows).max(2);
    let merged_inputs = probe_inputs(model.signature(), rows);
    let refused = |error: EngineError| {
        if error.is_client_error() {
            EngineError::BatchingRefused {
                reason: format!(
                    "the model refused berth's probe rows ({error}), so berth cannot check that \
                     its answers for a row do not change with the other rows of a batch"
                ),
            }
        } else {
            error
        }
    };
    let merged = model.run(&merged_inputs).map_err(refused)?;
    let merged =
        batch::split(merged, &vec![1; rows]).ok_or_else(|| EngineError::BatchingRefused {
            reason: format!(
                "the model's outputs do not have one row per input row (a run of {rows} rows), so \
             the rows of merged requests cannot be told apart"
            ),
        })?;
    let mut alone = Vec::with_capacity(rows);
    for row in 0..rows {
        let inputs: Vec<InputTensor> = merged_inputs.iter().map(|t| row_of(t, row)).collect();
        alone.push(model.run(&inputs).map_err(refused)?);
    }
    for (row, (alone_outputs, merged_outputs)) in alone.iter().zip(&merged).enumerate() {
        for (name, alone_value) in &alone_outputs.values {
            let scale = scale(&alone, name).max(scale(&merged, name));
            let difference = match merged_outputs.get(name) {
                Some(merged_value) => value_difference(alone_value, merged_value, scale),
                None => Some(("an answer".to_owned(), "none".to_owned())),
            };
            if let Some((alone_shown, merged_shown)) = difference {
                return Err(EngineError::BatchingRefused {
                    reason: format!(
                        "the model's answers for a row change with the other rows of its batch \
                         (output '{name}', probe row {row}: {alone_shown} alone, {merged_shown} \
                         in one run of {rows} rows)"
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Row `row` of a probe input, as a batch of one.
fn row_of(tensor: &InputTensor, row: usize) -> InputTensor {
    let width: usize = tensor.shape.iter().skip(1).product();
    let mut shape = tensor.shape.clone();
    shape[0] = 1;
    InputTensor {
        name: tensor.name.clone(),
        shape,
        data: batch::slice(&tensor.data, row * width, (row + 1) * width),
    }
}

/// The largest finite magnitude of output `name`'s floating-point values over `runs`.
fn scale(runs: &[Outputs], name: &str) -> f64 {
    let mut largest = 0.0_f64;
    let mut take = |data: &TensorData| match data {
        TensorData::Float32(v) => v
            .iter()
            .map(|x| f64::from(*x).abs())
            .filter(|x| x.is_finite())
            .for_each(|x| largest = largest.max(x)),
        TensorData::Float64(v) => v
            .iter()
            .map(|x| x.abs())
            .filter(|x| x.is_finite())
            .for_each(|x| largest = largest.max(x)),
        _ => {}
    };
    for outputs in runs {
        match outputs.get(name) {
            Some(OutputValue::Tensor { data, .. }) => take(data),
            Some(OutputValue::Maps(maps)) => maps.iter().for_each(|m| take(&m.values)),
            None => {}
        }
    }
    largest
}

/// True when two floating-point answers agree within the probe's tolerance.
fn close(alone: f64, merged: f64, scale: f64) -> bool {
    alone == merged
        || (alone.is_nan() && merged.is_nan())
        || (alone - merged).abs() <= PROBE_TOLERANCE * alone.abs().max(merged.abs()).max(scale)
}

/// The first disagreement between a row's answer alone and in the merged run, as text.
fn value_difference(
    alone: &OutputValue,
    merged: &OutputValue,
    scale: f64,
) -> Option<(String, String)> {
    match (alone, merged) {
        (
            OutputValue::Tensor {
                shape: alone_shape,
                data: alone_data,
            },
            OutputValue::Tensor {
                shape: merged_shape,
                data: merged_data,
            },
        ) => {
            if alone_shape == merged_shape {
                data_difference(alone_data, merged_data, scale)
            } else {
                Some((
                    format!("shape {alone_shape:?}"),
                    format!("shape {merged_shape:?}"),
                ))
            }
        }
        (OutputValue::Maps(alone_maps), OutputValue::Maps(merged_maps)) => {
            if alone_maps.len() != merged_maps.len() {
                return Some((
                    format!("{} maps", alone_maps.len()),
                    format!("{} maps", merged_maps.len()),
                ));
            }
            alone_maps.iter().zip(merged_maps).find_map(|(a, m)| {
                if a.keys == m.keys {
                    data_difference(&a.values, &m.values, scale)
                } else {
                    Some((format!("keys {:?}", a.keys), format!("keys {:?}", m.keys)))
                }
            })
        }
        _ => Some(("one kind of value".to_owned(), "another".to_owned())),
    }
}

fn data_difference(
    alone: &TensorData,
    merged: &TensorData,
    scale: f64,
) -> Option<(String, String)> {
    if alone.len() != merged.len() {
        return Some((
            format!("{} values", alone.len()),
            format!("{} values", merged.len()),
        ));
    }
    fn first<T: PartialEq + std::fmt::Debug>(a: &[T], b: &[T]) -> Option<(String, String)> {
        a.iter()
            .zip(b)
            .find(|(x, y)| x != y)
            .map(|(x, y)| (format!("{x:?}"), format!("{y:?}")))
    }
    match (alone, merged) {
        (TensorData::Float32(a), TensorData::Float32(b)) => a
            .iter()
            .zip(b)
            .find(|(x, y)| !close(f64::from(**x), f64::from(**y), scale))
            .map(|(x, y)| (x.to_string(), y.to_string())),
        (TensorData::Float64(a), TensorData::Float64(b)) => a
            .iter()
            .zip(b)
            .find(|(x, y)| !close(**x, **y, scale))
            .map(|(x, y)| (x.to_string(), y.to_string())),
        (TensorData::Int64(a), TensorData::Int64(b)) => first(a, b),
        (TensorData::Int32(a), TensorData::Int32(b)) => first(a, b),
        (TensorData::Bool(a), TensorData::Bool(b)) => first(a, b),
        (TensorData::String(a), TensorData::String(b)) => first(a, b),
        (a, b) => Some((
            a.element_type().name().to_owned(),
            b.element_type().name().to_owned(),
        )),
    }
}

/// `rows` distinct rows for every input of the model.
pub(crate) fn probe_inputs(signature: &ModelSignature, rows: usize) -> Vec<InputTensor> {
    signature
        .inputs
        .iter()
        .map(|input| {
            // Dimensions after the batch that the model leaves open get 1, as in a warm-up.
            let width: usize = input.shape.iter().skip(1).map(|d| d.unwrap_or(1)).product();
            let mut shape = vec![rows];
            shape.extend(input.shape.iter().skip(1).map(|d| d.unwrap_or(1)));
            let count = rows * width;
            // Element `j` of row `r` takes step (3r + j) mod 4 or mod 11: rows differ from
            // each other and from the all-zero warm-up row.
            let step = |i: usize, modulus: usize| (3 * (i / width) + i % width) % modulus;
            let data = match input.element_type {
                ElementType::Float32 => TensorData::Float32(
                    (0..count)
                        .map(|i| f32::from(u8::try_from(step(i, 11)).unwrap_or(0)) * 0.25 - 1.0)
                        .collect(),
                ),
                ElementType::Float64 => TensorData::Float64(
                    (0..count)
                        .map(|i| f64::from(u8::try_from(step(i, 11)).unwrap_or(0)) * 0.25 - 1.0)
                        .collect(),
                ),
                ElementType::Int64 => TensorData::Int64(
                    (0..count)
                        .map(|i| i64::try_from(step(i, 4)).unwrap_or(0))
                        .collect(),
                ),
                ElementType::Int32 => TensorData::Int32(
                    (0..count)
                        .map(|i| i32::try_from(step(i, 4)).unwrap_or(0))
                        .collect(),
                ),
                ElementType::Bool => {
                    TensorData::Bool((0..count).map(|i| step(i, 2) == 1).collect())
                }
                ElementType::String => {
                    TensorData::String((0..count).map(|i| step(i, 4).to_string()).collect())
                }
            };
            InputTensor {
                name: input.name.clone(),
                shape,
                data,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::InputSpec;
    use crate::tensor::{MapKeys, OutputMap};

    fn signature(inputs: Vec<(ElementType, Vec<Option<usize>>)>) -> ModelSignature {
        ModelSignature {
            name: "m".into(),
            sha256: String::new(),
            inputs: inputs
                .into_iter()
                .enumerate()
                .map(|(i, (element_type, shape))| InputSpec {
                    name: format!("in{i}"),
                    element_type,
                    shape,
                })
                .collect(),
            outputs: Vec::new(),
        }
    }

    #[test]
    fn probe_rows_fit_the_inputs_and_differ_from_each_other() {
        let signature = signature(vec![
            (ElementType::Float32, vec![None, Some(4)]),
            (ElementType::Int64, vec![None, Some(1)]),
            (ElementType::String, vec![None, None]),
            (ElementType::Bool, vec![None]),
            (ElementType::Float64, vec![None, Some(2), Some(3)]),
        ]);
        let inputs = probe_inputs(&signature, 8);
        assert_eq!(inputs[0].shape, vec![8, 4]);
        assert_eq!(inputs[2].shape, vec![8, 1]);
        assert_eq!(inputs[3].shape, vec![8]);
        assert_eq!(inputs[4].shape, vec![8, 2, 3]);
        for input in &inputs {
            assert_eq!(input.data.len(), input.shape.iter().product::<usize>());
            let rows: Vec<InputTensor> = (0..8).map(|r| row_of(input, r)).collect();
            assert_eq!(rows[0].shape[0], 1);
            assert!(
                rows.iter().any(|r| r.data != rows[0].data),
                "{}: every row the same",
                input.name
            );
        }
        let TensorData::Float32(floats) = &inputs[0].data else {
            panic!("float32")
        };
        // Eight distinct float rows.
        let mut firsts: Vec<u32> = floats.chunks(4).map(|r| r[0].to_bits()).collect();
        firsts.sort_unstable();
        firsts.dedup();
        assert_eq!(firsts.len(), 8);
    }

    #[test]
    fn last_bit_differences_pass_and_real_ones_do_not() {
        let tensor = |values: Vec<f32>| OutputValue::Tensor {
            shape: vec![1, values.len()],
            data: TensorData::Float32(values),
        };
        let alone = tensor(vec![0.981_572_9, 1.478e-8, 0.0, f32::NAN]);
        let nearly = tensor(vec![0.981_573, 1.479e-8, 1e-7, f32::NAN]);
        assert_eq!(value_difference(&alone, &nearly, 1.0), None);
        let moved = tensor(vec![0.981_572_9, 1.478e-8, 0.01, f32::NAN]);
        assert_eq!(
            value_difference(&alone, &moved, 1.0),
            Some(("0".to_owned(), "0.01".to_owned()))
        );
        // x - batch mean: 0 alone, the offset merged; the output's scale is the offset itself.
        assert!(value_difference(&tensor(vec![0.0]), &tensor(vec![-0.375]), 0.375).is_some());
        let labels = |v: Vec<i64>| OutputValue::Tensor {
            shape: vec![1],
            data: TensorData::Int64(v),
        };
        assert_eq!(
            value_difference(&labels(vec![2]), &labels(vec![2]), 0.0),
            None
        );
        assert!(value_difference(&labels(vec![2]), &labels(vec![1]), 0.0).is_some());
        let map = |keys: Vec<i64>, p: f32| {
            OutputValue::Maps(vec![OutputMap {
                keys: MapKeys::Int64(keys),
                values: TensorData::Float32(vec![p, 1.0 - p]),
            }])
        };
        assert_eq!(
            value_difference(&map(vec![0, 1], 0.25), &map(vec![0, 1], 0.25), 1.0),
            None
        );
        assert!(value_difference(&map(vec![0, 1], 0.25), &map(vec![1, 0], 0.25), 1.0).is_some());
        assert!(value_difference(&map(vec![0, 1], 0.25), &map(vec![0, 1], 0.5), 1.0).is_some());
    }
}
