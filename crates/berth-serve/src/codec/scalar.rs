//! Scalar rules: one request value (a JSON scalar, a CSV field, a number from a binary tensor)
//! to one element of a model input, for every protocol.
//!
//! - Numbers feed float inputs; a float32 input takes the nearest float32, and a value beyond
//!   float32's range is refused rather than turned into infinity.
//! - Integers feed integer inputs; `3.0` is the integer 3 (it is exact), `3.5` is refused.
//! - Booleans feed bool inputs (`true`/`false`, and `0`/`1`).
//! - Strings feed string inputs only.
//! - A missing value (JSON `null`, an empty CSV field, `nan`) is refused unless
//!   `MISSING_VALUES=nan` says the model handles missing values, and then it becomes NaN (float
//!   inputs only: integers, booleans and strings have no missing value).
//! - Infinities are always refused: no model input is trained on them.

use berth_engine::TensorData;
use serde_json::Value;

use crate::config::MissingValues;

/// Why a value cannot feed an input. The caller adds where (row, column, input).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ScalarError {
    /// The value has the wrong kind for the input (`expected` says which).
    Kind { expected: &'static str, got: String },
    /// A missing value while `MISSING_VALUES=refuse`.
    Missing { got: String },
    /// A missing value for an input that has none (integers, booleans, strings).
    MissingNotFloat,
    /// Infinity, or a number beyond the input's range.
    NotFinite { got: String },
}

impl ScalarError {
    /// The message, for an input of type `type_name`.
    pub(crate) fn message(&self, type_name: &str) -> String {
        match self {
            Self::Kind { expected, got } => format!("expects {expected}, got {got}"),
            Self::Missing { got } => format!(
                "{got} is a missing value; berth refuses missing values unless the model handles \
                 them (trees, XGBoost, LightGBM): then set MISSING_VALUES=nan to feed them as NaN"
            ),
            Self::MissingNotFloat => {
                format!("a missing value cannot feed a {type_name} input")
            }
            Self::NotFinite { got } => format!(
                "{got} is not a finite {type_name} value (berth refuses infinities and numbers \
                 beyond the input's range)"
            ),
        }
    }
}

/// Describes a JSON value for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Appends a float to a float buffer, applying the missing-value and range rules. `shown` is the
/// value as the client wrote it, for messages.
pub(crate) fn push_float(
    data: &mut TensorData,
    value: f64,
    missing: MissingValues,
    shown: impl FnOnce() -> String,
) -> Result<(), ScalarError> {
    if value.is_nan() {
        if missing == MissingValues::Refuse {
            return Err(ScalarError::Missing { got: shown() });
        }
    } else if value.is_infinite() {
        return Err(ScalarError::NotFinite { got: shown() });
    }
    match data {
        TensorData::Float32(v) => {
            #[allow(clippy::cast_possible_truncation)] // float32 inputs take the nearest float32
            let narrow = value as f32;
            if narrow.is_infinite() {
                return Err(ScalarError::NotFinite { got: shown() });
            }
            v.push(narrow);
        }
        TensorData::Float64(v) => v.push(value),
        TensorData::Int64(v) => v.push(integral(value).ok_or_else(|| ScalarError::Kind {
            expected: "an integer",
            got: shown(),
        })?),
        TensorData::Int32(v) => v.push(
            integral(value)
                .and_then(|i| i32::try_from(i).ok())
                .ok_or_else(|| ScalarError::Kind {
                    expected: "a 32-bit integer",
                    got: shown(),
                })?,
        ),
        TensorData::Bool(v) => v.push(match value {
            0.0 => false,
            1.0 => true,
            _ => {
                return Err(ScalarError::Kind {
                    expected: "a boolean",
                    got: shown(),
                });
            }
        }),
        TensorData::String(_) => {
            return Err(ScalarError::Kind {
                expected: "a string",
                got: "a number".to_owned(),
            });
        }
    }
    Ok(())
}

/// Largest integer magnitude a float holds exactly (2^53).
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

/// The integer a float holds exactly, if any.
fn integral(value: f64) -> Option<i64> {
    #[allow(clippy::cast_possible_truncation)] // checked: integral and within 2^53
    (value.is_finite() && value.fract() == 0.0 && value.abs() <= EXACT_INTEGER_LIMIT)
        .then_some(value as i64)
}

/// Appends one JSON scalar.
pub(crate) fn push_json(
    data: &mut TensorData,
    value: &Value,
    missing: MissingValues,
) -> Result<(), ScalarError> {
    let wrong = |expected: &'static str| ScalarError::Kind {
        expected,
        got: kind(value).to_owned(),
    };
    match (data, value) {
        (data @ (TensorData::Float32(_) | TensorData::Float64(_)), Value::Null) => {
            push_float(data, f64::NAN, missing, || "null".to_owned())
        }
        (TensorData::Float32(_) | TensorData::Float64(_), Value::String(s))
            if is_missing_text(s) =>
        {
            Err(ScalarError::Kind {
                expected: "a number",
                got: format!("the string {s:?} (send null for a missing value)"),
            })
        }
        (data @ (TensorData::Float32(_) | TensorData::Float64(_)), Value::Number(n)) => {
            let x = n.as_f64().ok_or_else(|| wrong("a number"))?;
            push_float(data, x, missing, || n.to_string())
        }
        (TensorData::Float32(_) | TensorData::Float64(_), _) => Err(wrong("a number")),
        (TensorData::Int64(_) | TensorData::Int32(_) | TensorData::Bool(_), Value::Null)
        | (TensorData::String(_), Value::Null) => Err(ScalarError::MissingNotFloat),
        (TensorData::Int64(v), Value::Number(n)) => {
            let integer = n.as_i64().or_else(|| n.as_f64().and_then(integral));
            v.push(integer.ok_or_else(|| ScalarError::Kind {
                expected: "an integer",
                got: n.to_string(),
            })?);
            Ok(())
        }
        (TensorData::Int32(v), Value::Number(n)) => {
            let integer = n.as_i64().or_else(|| n.as_f64().and_then(integral));
            v.push(integer.and_then(|i| i32::try_from(i).ok()).ok_or_else(|| {
                ScalarError::Kind {
                    expected: "a 32-bit integer",
                    got: n.to_string(),
                }
            })?);
            Ok(())
        }
        (TensorData::Int64(_), _) => Err(wrong("an integer")),
        (TensorData::Int32(_), _) => Err(wrong("a 32-bit integer")),
        (TensorData::Bool(v), Value::Bool(b)) => {
            v.push(*b);
            Ok(())
        }
        (TensorData::Bool(v), Value::Number(n)) if n.as_u64().is_some_and(|i| i <= 1) => {
            v.push(n.as_u64() == Some(1));
            Ok(())
        }
        (TensorData::Bool(_), _) => Err(wrong("a boolean")),
        (TensorData::String(v), Value::String(s)) => {
            v.push(s.clone());
            Ok(())
        }
        (TensorData::String(_), _) => Err(wrong("a string")),
    }
}

/// Text that means "no value" in the tools our users export from (pandas writes NaN as an empty
/// field by default, `nan` with `na_rep`).
fn is_missing_text(text: &str) -> bool {
    text.is_empty() || text.eq_ignore_ascii_case("nan")
}

/// Appends one text field (CSV).
pub(crate) fn push_text(
    data: &mut TensorData,
    field: &str,
    missing: MissingValues,
) -> Result<(), ScalarError> {
    let shown = || {
        if field.is_empty() {
            "an empty field".to_owned()
        } else {
            format!("{field:?}")
        }
    };
    match data {
        TensorData::Float32(_) | TensorData::Float64(_) => {
            if is_missing_text(field) {
                return push_float(data, f64::NAN, missing, shown);
            }
            let x: f64 = field.parse().map_err(|_| ScalarError::Kind {
                expected: "a number",
                got: shown(),
            })?;
            push_float(data, x, missing, shown)
        }
        TensorData::Int64(_) | TensorData::Int32(_) | TensorData::Bool(_) if field.is_empty() => {
            Err(ScalarError::MissingNotFloat)
        }
        TensorData::Int64(v) => {
            v.push(field.parse().map_err(|_| ScalarError::Kind {
                expected: "an integer",
                got: shown(),
            })?);
            Ok(())
        }
        TensorData::Int32(v) => {
            v.push(field.parse().map_err(|_| ScalarError::Kind {
                expected: "a 32-bit integer",
                got: shown(),
            })?);
            Ok(())
        }
        TensorData::Bool(v) => {
            v.push(match field.to_ascii_lowercase().as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => {
                    return Err(ScalarError::Kind {
                        expected: "a boolean",
                        got: shown(),
                    });
                }
            });
            Ok(())
        }
        TensorData::String(v) => {
            v.push(field.to_owned());
            Ok(())
        }
    }
}

/// Checks the floats of a binary tensor (KServe's binary extension, `.npy` bodies) against the
/// missing-value and range rules; returns the index of the first refused element with why.
pub(crate) fn check_floats(
    data: &TensorData,
    missing: MissingValues,
) -> Result<(), (usize, ScalarError)> {
    let check = |index: usize, x: f64| {
        let mut scratch = TensorData::Float64(Vec::new());
        push_float(&mut scratch, x, missing, || x.to_string()).map_err(|e| (index, e))
    };
    match data {
        TensorData::Float32(v) => v
            .iter()
            .enumerate()
            .filter(|(_, x)| !x.is_finite())
            .try_for_each(|(i, x)| check(i, f64::from(*x))),
        TensorData::Float64(v) => v
            .iter()
            .enumerate()
            .filter(|(_, x)| !x.is_finite())
            .try_for_each(|(i, x)| check(i, *x)),
        _ => Ok(()),
    }
}

/// True when a float buffer holds a NaN (a missing value that was let in).
pub(crate) fn has_nan(data: &TensorData) -> bool {
    match data {
        TensorData::Float32(v) => v.iter().any(|x| x.is_nan()),
        TensorData::Float64(v) => v.iter().any(|x| x.is_nan()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_engine::ElementType;
    use serde_json::json;

    fn one(ty: ElementType, value: &Value, missing: MissingValues) -> Result<TensorData, String> {
        let mut data = TensorData::with_capacity(ty, 1);
        push_json(&mut data, value, missing).map_err(|e| e.message(ty.name()))?;
        Ok(data)
    }

    fn text(ty: ElementType, field: &str, missing: MissingValues) -> Result<TensorData, String> {
        let mut data = TensorData::with_capacity(ty, 1);
        push_text(&mut data, field, missing).map_err(|e| e.message(ty.name()))?;
        Ok(data)
    }

    #[test]
    fn missing_values_are_refused_unless_allowed_and_then_nan() {
        use ElementType::{Float32, Float64, Int64, String};
        for missing in [MissingValues::Refuse, MissingValues::Nan] {
            let refused = missing == MissingValues::Refuse;
            for (ty, result) in [
                (Float32, one(Float32, &Value::Null, missing)),
                (Float64, one(Float64, &Value::Null, missing)),
                (Float32, text(Float32, "", missing)),
                (Float32, text(Float32, "nan", missing)),
                (Float64, text(Float64, "NaN", missing)),
            ] {
                match result {
                    Err(message) => {
                        assert!(refused, "{ty:?}: {message}");
                        assert!(message.contains("MISSING_VALUES=nan"), "{message}");
                    }
                    Ok(data) => {
                        assert!(!refused);
                        assert!(has_nan(&data), "{data:?}");
                    }
                }
            }
            // Integers and strings have no missing value, whatever the setting.
            assert!(one(Int64, &Value::Null, missing).is_err());
            assert!(text(Int64, "", missing).is_err());
            assert!(one(String, &Value::Null, missing).is_err());
        }
    }

    #[test]
    fn infinities_and_overflow_are_refused_in_every_form() {
        use ElementType::{Float32, Float64};
        for missing in [MissingValues::Refuse, MissingValues::Nan] {
            for result in [
                one(Float32, &json!(1e39), missing),
                text(Float32, "1e39", missing),
                text(Float32, "1e309", missing),
                text(Float64, "1e309", missing),
                text(Float64, "inf", missing),
                text(Float64, "-Infinity", missing),
            ] {
                let message = result.unwrap_err();
                assert!(message.contains("not a finite"), "{message}");
            }
        }
        // float64 inputs keep what float32 cannot hold.
        assert_eq!(
            one(Float64, &json!(1e39), MissingValues::Refuse).unwrap(),
            TensorData::Float64(vec![1e39])
        );
        assert!(
            check_floats(
                &TensorData::Float32(vec![1.0, f32::NAN]),
                MissingValues::Refuse
            )
            .is_err()
        );
        assert!(
            check_floats(
                &TensorData::Float32(vec![1.0, f32::NAN]),
                MissingValues::Nan
            )
            .is_ok()
        );
        assert!(
            check_floats(
                &TensorData::Float64(vec![f64::INFINITY]),
                MissingValues::Nan
            )
            .is_err()
        );
    }

    #[test]
    fn integers_booleans_and_strings() {
        use ElementType::{Bool, Int32, Int64, String};
        let m = MissingValues::Refuse;
        assert_eq!(one(Int64, &json!(3.0), m), Ok(TensorData::Int64(vec![3])));
        assert_eq!(one(Int64, &json!(-7), m), Ok(TensorData::Int64(vec![-7])));
        assert!(
            one(Int64, &json!(3.5), m)
                .unwrap_err()
                .contains("an integer")
        );
        assert!(one(Int64, &json!(1e300), m).is_err());
        assert!(
            one(Int32, &json!(3_000_000_000_i64), m)
                .unwrap_err()
                .contains("32-bit")
        );
        assert_eq!(one(Bool, &json!(1), m), Ok(TensorData::Bool(vec![true])));
        assert!(one(Bool, &json!(2), m).is_err());
        assert!(one(String, &json!(1), m).unwrap_err().contains("a string"));
        assert_eq!(text(Int64, "42", m), Ok(TensorData::Int64(vec![42])));
        assert_eq!(text(Bool, "TRUE", m), Ok(TensorData::Bool(vec![true])));
        assert!(one(ElementType::Float32, &json!("nan"), m).is_err());
    }
}
