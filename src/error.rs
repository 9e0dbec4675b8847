//! The one error type of the core. Every variant says which argument was wrong
//! and what was expected, so the bindings can pass the message on unchanged.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum LimeError {
    /// An argument has the wrong shape or length.
    #[error("{name}: {message}")]
    Shape { name: &'static str, message: String },
    /// An argument holds NaN or infinity.
    #[error("{name} contains NaN or infinity{detail}")]
    NonFinite { name: &'static str, detail: String },
    /// An argument has a value outside its valid range.
    #[error("{name}: {message}")]
    InvalidValue { name: &'static str, message: String },
    /// The numbers do not admit an answer (e.g. every sample weight is zero).
    #[error("{0}")]
    Numerical(String),
    /// A buffer sized by an argument cannot be allocated (MemoryError in Python).
    #[error("{name}: {message}")]
    Memory { name: &'static str, message: String },
    /// The caller asked the call to stop ([`crate::interrupt`]); the bindings
    /// raise what Python raised (KeyboardInterrupt).
    #[error("interrupted")]
    Interrupted,
}

pub type Result<T> = std::result::Result<T, LimeError>;

impl LimeError {
    pub fn shape(name: &'static str, message: impl Into<String>) -> Self {
        LimeError::Shape {
            name,
            message: message.into(),
        }
    }
    pub fn invalid(name: &'static str, message: impl Into<String>) -> Self {
        LimeError::InvalidValue {
            name,
            message: message.into(),
        }
    }
    pub fn memory(name: &'static str, message: impl Into<String>) -> Self {
        LimeError::Memory {
            name,
            message: message.into(),
        }
    }
}

/// Fails with `NonFinite` when any value is NaN or infinite.
pub fn ensure_finite<'a>(
    name: &'static str,
    values: impl IntoIterator<Item = &'a f64>,
) -> Result<()> {
    match values.into_iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(LimeError::NonFinite {
            name,
            detail: format!(" (first at flat index {i})"),
        }),
    }
}

/// [`ensure_finite`] for a slice, with a branch-free first pass: `v·0` is
/// NaN exactly when `v` is not finite, and eight lanes of such sums cost a
/// fraction of a per-value test. Only a failing slice is scanned again, for
/// the index of its first bad value.
pub fn ensure_finite_slice(name: &'static str, values: &[f64]) -> Result<()> {
    let mut lanes = [0.0f64; 8];
    let chunks = values.chunks_exact(8);
    let tail: f64 = chunks.remainder().iter().map(|v| v * 0.0).sum();
    for c in chunks {
        for (acc, &v) in lanes.iter_mut().zip(c) {
            *acc += v * 0.0;
        }
    }
    if lanes.iter().sum::<f64>() + tail == 0.0 {
        return Ok(());
    }
    ensure_finite(name, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_slices_pass_and_bad_values_are_named() {
        for len in [0, 1, 7, 8, 9, 64, 1001] {
            let mut v: Vec<f64> = (0..len).map(|i| i as f64 * 1e300).collect();
            assert_eq!(ensure_finite_slice("distances", &v), Ok(()));
            for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                if len == 0 {
                    continue;
                }
                let at = len * 2 / 3;
                let keep = v[at];
                v[at] = bad;
                let err = ensure_finite_slice("distances", &v).expect_err("not finite");
                assert_eq!(
                    err.to_string(),
                    format!("distances contains NaN or infinity (first at flat index {at})")
                );
                v[at] = keep;
            }
        }
    }
}
