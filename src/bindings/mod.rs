//! The Python module `lime_rs._native`: the only code that knows about Python.
//! Each binding converts arguments, releases the GIL around core work and maps
//! `LimeError` to a Python exception.

use pyo3::prelude::*;

use crate::error::LimeError;

mod base;
mod batch;
mod image;
mod submodular;
mod tabular;
mod text;

// One Python class per variant, each a subclass of `lime_rs.exceptions.LimeError`
// and so of `ValueError`.
pyo3::import_exception!(lime_rs.exceptions, ShapeError);
pyo3::import_exception!(lime_rs.exceptions, NonFiniteError);
pyo3::import_exception!(lime_rs.exceptions, InvalidValueError);
pyo3::import_exception!(lime_rs.exceptions, NumericalError);

pub(crate) fn to_py(err: LimeError) -> PyErr {
    let message = err.to_string();
    match err {
        LimeError::Shape { .. } => ShapeError::new_err(message),
        LimeError::NonFinite { .. } => NonFiniteError::new_err(message),
        LimeError::InvalidValue { .. } => InvalidValueError::new_err(message),
        LimeError::Numerical(_) => NumericalError::new_err(message),
        LimeError::Memory { .. } => pyo3::exceptions::PyMemoryError::new_err(message),
    }
}

pub(crate) trait IntoPyResult<T> {
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, LimeError> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    base::register(m)?;
    batch::register(m)?;
    tabular::register(m)?;
    text::register(m)?;
    image::register(m)?;
    submodular::register(m)?;
    Ok(())
}
