//! Bindings of the batch engine: the local models of many rows in one call,
//! fitted in parallel with the GIL released.

use numpy::{
    IntoPyArray, PyReadonlyArray1, PyReadonlyArray2, PyReadwriteArray1, PyReadwriteArray2,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::tabular::TabularSampler;
use super::{detach, IntoPyResult};
use crate::batch::{explain_many_with_stderr, sample_tabular_many, Task};
use crate::local_model::Settings;
use crate::sampling::tabular::{Draw, Options};
use crate::selection::Method;

/// For each row i: `explain_with_data(data[i], labels[i], weights[i], which[i], ...)`,
/// all rows in one native call (parallel over rows). Returns one list of model
/// tuples per row.
#[pyfunction]
#[pyo3(signature = (data, labels, weights, which, num_features, method, alpha=1.0, return_stderr=false))]
#[allow(clippy::too_many_arguments)]
fn explain_with_data_many<'py>(
    py: Python<'py>,
    data: Vec<PyReadonlyArray2<'py, f64>>,
    labels: Vec<PyReadonlyArray2<'py, f64>>,
    weights: Vec<PyReadonlyArray1<'py, f64>>,
    which: Vec<Vec<usize>>,
    num_features: usize,
    method: &str,
    alpha: f64,
    return_stderr: bool,
) -> PyResult<Vec<Vec<Bound<'py, PyTuple>>>> {
    let method = Method::parse(method).py()?;
    let m = data.len();
    if labels.len() != m || weights.len() != m || which.len() != m {
        return Err(PyValueError::new_err(format!(
            "explain_with_data_many: data, labels, weights and which must have one entry per \
             row, got {}, {}, {} and {}",
            m,
            labels.len(),
            weights.len(),
            which.len()
        )));
    }
    let mut tasks = Vec::with_capacity(m);
    for i in 0..m {
        tasks.push(Task {
            data: data[i].as_array(),
            labels: labels[i].as_array(),
            weights: weights[i].as_slice()?,
            which: &which[i],
        });
    }
    let settings = Settings {
        num_features,
        method,
        alpha,
    };
    let models = detach(py, || {
        explain_many_with_stderr(&tasks, settings, return_stderr)
    })?;
    models
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|m| {
                    let feats: Vec<i64> = m.features.into_iter().map(|f| f as i64).collect();
                    let (feats, weights) = (feats.into_pyarray(py), m.weights.into_pyarray(py));
                    if return_stderr {
                        let se = m.stderr.into_pyarray(py);
                        (m.intercept, feats, weights, m.score, m.local_pred, se).into_pyobject(py)
                    } else {
                        (m.intercept, feats, weights, m.score, m.local_pred).into_pyobject(py)
                    }
                })
                .collect()
        })
        .collect()
}

/// The neighbourhoods of the rows of `rows` (k × d), row i with `seeds[i]`,
/// written into `scaled`, `inverse` (k·num_samples × d) and `distances`
/// (k·num_samples): exactly what `sampler.sample(rows[i], num_samples,
/// seeds[i], ...)` returns, rows in parallel.
#[pyfunction]
#[pyo3(signature = (sampler, rows, seeds, num_samples, sampling_method, around_instance, undiscretize, scaled, inverse, distances))]
#[allow(clippy::too_many_arguments)]
fn tabular_sample_many<'py>(
    py: Python<'py>,
    sampler: &Bound<'py, TabularSampler>,
    rows: PyReadonlyArray2<'py, f64>,
    seeds: Vec<u64>,
    num_samples: usize,
    sampling_method: &str,
    around_instance: bool,
    undiscretize: bool,
    mut scaled: PyReadwriteArray2<'py, f64>,
    mut inverse: PyReadwriteArray2<'py, f64>,
    mut distances: PyReadwriteArray1<'py, f64>,
) -> PyResult<()> {
    let draw = Draw::parse(sampling_method).py()?;
    let opts = Options {
        num_samples,
        seed: 0,
        draw,
        around_instance,
        undiscretize,
        first_row: None,
    };
    let inner = &sampler.get().inner;
    let x = rows.as_array();
    let (s, v, dist) = (
        scaled.as_slice_mut()?,
        inverse.as_slice_mut()?,
        distances.as_slice_mut()?,
    );
    detach(py, || {
        sample_tabular_many(inner, x, &seeds, opts, s, v, dist)
    })
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(explain_with_data_many, m)?)?;
    m.add_function(wrap_pyfunction!(tabular_sample_many, m)?)?;
    Ok(())
}
