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
}

pub type Result<T> = std::result::Result<T, LimeError>;

impl LimeError {
    pub fn shape(name: &'static str, message: impl Into<String>) -> Self {
        LimeError::Shape { name, message: message.into() }
    }
    pub fn invalid(name: &'static str, message: impl Into<String>) -> Self {
        LimeError::InvalidValue { name, message: message.into() }
    }
}

/// Fails with `NonFinite` when any value is NaN or infinite.
pub fn ensure_finite<'a>(name: &'static str, values: impl IntoIterator<Item = &'a f64>) -> Result<()> {
    match values.into_iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(LimeError::NonFinite { name, detail: format!(" (first at flat index {i})") }),
    }
}
