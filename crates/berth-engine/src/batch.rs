//! Merging the requests waiting in the queue into one ONNX Runtime run, and splitting the
//! outputs back.
//!
//! Only requests whose tensors agree on everything but the batch size are merged, and only for
//! models whose inputs and outputs all have a dynamic first (batch) dimension, so that row `i` of
//! every output belongs to row `i` of the merged inputs. That says where each row's answer is, not
//! that the answer is the row's own: a model may compute across the batch (subtract the batch
//! mean, ...). Whether the pool merges at all is therefore decided elsewhere: only when asked for
//! (`PoolOptions::max_batch_rows` above 1) and only after the model passed the probe of
//! [`crate::probe`].

use crate::signature::{ModelSignature, OutputKind};
use crate::tensor::{InputTensor, OutputValue, Outputs, TensorData};

/// True when rows of different requests can share one run of this model.
pub(crate) fn model_allows_merging(signature: &ModelSignature) -> bool {
    signature.inputs.iter().all(|i| i.has_dynamic_batch())
        && signature.outputs.iter().all(|o| match &o.kind {
            OutputKind::Tensor { shape, .. } => matches!(shape.first(), Some(None)),
            OutputKind::MapSequence { .. } => true,
        })
}

/// The batch size of a request (its first input's first dimension).
pub(crate) fn rows(inputs: &[InputTensor]) -> usize {
    inputs
        .first()
        .and_then(|t| t.shape.first())
        .copied()
        .unwrap_or(0)
}

/// True when `b` can be appended to `a`: same inputs in the same order, same element types,
/// same dimensions after the first.
pub(crate) fn compatible(a: &[InputTensor], b: &[InputTensor]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.name == y.name
                && x.data.element_type() == y.data.element_type()
                && x.shape.len() == y.shape.len()
                && x.shape.get(1..) == y.shape.get(1..)
        })
}

fn append(into: &mut TensorData, from: &TensorData) {
    match (into, from) {
        (TensorData::Float32(a), TensorData::Float32(b)) => a.extend_from_slice(b),
        (TensorData::Float64(a), TensorData::Float64(b)) => a.extend_from_slice(b),
        (TensorData::Int64(a), TensorData::Int64(b)) => a.extend_from_slice(b),
        (TensorData::Int32(a), TensorData::Int32(b)) => a.extend_from_slice(b),
        (TensorData::Bool(a), TensorData::Bool(b)) => a.extend_from_slice(b),
        (TensorData::String(a), TensorData::String(b)) => a.extend_from_slice(b),
        // `compatible` checked the element types: nothing else reaches here.
        _ => {}
    }
}

/// The inputs of several compatible requests, concatenated along the batch dimension.
pub(crate) fn merge(requests: &[&[InputTensor]]) -> Vec<InputTensor> {
    let Some(first) = requests.first() else {
        return Vec::new();
    };
    first
        .iter()
        .enumerate()
        .map(|(index, template)| {
            let total_rows: usize = requests.iter().map(|r| r[index].shape[0]).sum();
            let elements: usize = requests.iter().map(|r| r[index].data.len()).sum();
            let mut data = TensorData::with_capacity(template.data.element_type(), elements);
            for request in requests {
                append(&mut data, &request[index].data);
            }
            let mut shape = template.shape.clone();
            shape[0] = total_rows;
            InputTensor {
                name: template.name.clone(),
                shape,
                data,
            }
        })
        .collect()
}

pub(crate) fn slice(data: &TensorData, start: usize, end: usize) -> TensorData {
    match data {
        TensorData::Float32(v) => TensorData::Float32(v[start..end].to_vec()),
        TensorData::Float64(v) => TensorData::Float64(v[start..end].to_vec()),
        TensorData::Int64(v) => TensorData::Int64(v[start..end].to_vec()),
        TensorData::Int32(v) => TensorData::Int32(v[start..end].to_vec()),
        TensorData::Bool(v) => TensorData::Bool(v[start..end].to_vec()),
        TensorData::String(v) => TensorData::String(v[start..end].to_vec()),
    }
}

/// The outputs of a merged run, cut back into one `Outputs` per request of `row_counts` rows.
/// `None` when an output is not aligned with the merged batch (the caller then runs the
/// requests one by one).
pub(crate) fn split(outputs: Outputs, row_counts: &[usize]) -> Option<Vec<Outputs>> {
    let total: usize = row_counts.iter().sum();
    let mut parts: Vec<Outputs> = row_counts
        .iter()
        .map(|_| Outputs { values: Vec::new() })
        .collect();
    for (name, value) in outputs.values {
        match value {
            OutputValue::Tensor { shape, data } => {
                if shape.first() != Some(&total) {
                    return None;
                }
                let width: usize = shape[1..].iter().product();
                let mut start = 0;
                for (part, &rows) in parts.iter_mut().zip(row_counts) {
                    let mut part_shape = shape.clone();
                    part_shape[0] = rows;
                    let end = start + rows * width;
                    part.values.push((
                        name.clone(),
                        OutputValue::Tensor {
                            shape: part_shape,
                            data: slice(&data, start, end),
                        },
                    ));
                    start = end;
                }
            }
            OutputValue::Maps(maps) => {
                if maps.len() != total {
                    return None;
                }
                let mut maps = maps.into_iter();
                for (part, &rows) in parts.iter_mut().zip(row_counts) {
                    part.values.push((
                        name.clone(),
                        OutputValue::Maps(maps.by_ref().take(rows).collect()),
                    ));
                }
            }
        }
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{MapKeys, OutputMap};

    fn input(rows: usize, values: Vec<f32>) -> Vec<InputTensor> {
        vec![InputTensor {
            name: "x".into(),
            shape: vec![rows, 2],
            data: TensorData::Float32(values),
        }]
    }

    #[test]
    fn merge_then_split_gives_each_request_its_rows() {
        let a = input(1, vec![1.0, 2.0]);
        let b = input(2, vec![3.0, 4.0, 5.0, 6.0]);
        assert!(compatible(&a, &b));
        let merged = merge(&[&a, &b]);
        assert_eq!(merged[0].shape, vec![3, 2]);
        assert_eq!(
            merged[0].data,
            TensorData::Float32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        );
        let map = |k: i64| OutputMap {
            keys: MapKeys::Int64(vec![k]),
            values: TensorData::Float32(vec![0.5]),
        };
        let outputs = Outputs {
            values: vec![
                (
                    "label".into(),
                    OutputValue::Tensor {
                        shape: vec![3],
                        data: TensorData::Int64(vec![7, 8, 9]),
                    },
                ),
                (
                    "proba".into(),
                    OutputValue::Maps(vec![map(1), map(2), map(3)]),
                ),
            ],
        };
        let parts = split(outputs, &[1, 2]).unwrap();
        assert_eq!(
            parts[0].get("label"),
            Some(&OutputValue::Tensor {
                shape: vec![1],
                data: TensorData::Int64(vec![7])
            })
        );
        assert_eq!(
            parts[1].get("label"),
            Some(&OutputValue::Tensor {
                shape: vec![2],
                data: TensorData::Int64(vec![8, 9])
            })
        );
        assert_eq!(
            parts[1].get("proba"),
            Some(&OutputValue::Maps(vec![map(2), map(3)]))
        );
    }

    #[test]
    fn different_widths_or_types_do_not_merge() {
        let a = input(1, vec![1.0, 2.0]);
        let mut b = input(1, vec![1.0, 2.0, 3.0]);
        b[0].shape = vec![1, 3];
        assert!(!compatible(&a, &b));
        let mut c = input(1, vec![]);
        c[0].data = TensorData::Int64(vec![1, 2]);
        assert!(!compatible(&a, &c));
    }

    #[test]
    fn unaligned_outputs_refuse_to_split() {
        let outputs = Outputs {
            values: vec![(
                "total".into(),
                OutputValue::Tensor {
                    shape: vec![1],
                    data: TensorData::Float32(vec![1.0]),
                },
            )],
        };
        assert!(split(outputs, &[1, 2]).is_none());
    }
}
