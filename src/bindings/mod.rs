//! The Python module `lime_rs._native`: the only code that knows about Python.
//! Each binding converts arguments, releases the GIL around core work
//! ([`detach`], which keeps Ctrl-C working) and maps `LimeError` to a Python
//! exception.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use crate::error::LimeError;
use crate::interrupt::{self, Poll};

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
        LimeError::Interrupted => pyo3::exceptions::PyKeyboardInterrupt::new_err(()),
    }
}

/// Runs core work with the GIL released, as `py.detach`, while keeping
/// Ctrl-C responsive: every `interrupt::PERIOD` of work the calling thread
/// takes the GIL back for a moment and runs Python's signal handlers
/// (`PyErr_CheckSignals`: on Python's main thread only, elsewhere a no-op).
/// When a handler raises (KeyboardInterrupt), the core stops at its next
/// check and that exception is raised here. The pool's workers never call
/// Python: they only see the core's stop flag.
pub(crate) fn detach<T: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> Result<T, LimeError> + Send,
) -> PyResult<T> {
    let raised: Arc<Mutex<Option<PyErr>>> = Arc::default();
    let slot = raised.clone();
    let poll: Arc<Poll> = Arc::new(move || {
        Python::attach(|py| match py.check_signals() {
            Ok(()) => false,
            Err(err) => {
                *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(err);
                true
            }
        })
    });
    let out = py.detach(|| interrupt::with_poll(poll, work));
    // A handler that raised is raised, even when the work finished meanwhile:
    // the signal was consumed and would otherwise be lost.
    let pending = raised.lock().unwrap_or_else(|p| p.into_inner()).take();
    match pending {
        Some(err) => Err(err),
        None => out.py(),
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
