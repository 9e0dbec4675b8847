//! Binding of SP-LIME's greedy pick.

use numpy::PyReadonlyArray2;
use pyo3::prelude::*;

use super::IntoPyResult;
use crate::submodular::greedy_pick;

/// Indices of the picked explanations, in pick order.
#[pyfunction]
fn submodular_pick(py: Python<'_>, w: PyReadonlyArray2<'_, f64>, k: usize) -> PyResult<Vec<usize>> {
    let w = w.as_array();
    py.detach(|| greedy_pick(w, k)).py()
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(submodular_pick, m)?)
}
