//! Bindings of the local-model engine, distances and kernel.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::{detach, IntoPyResult};
use crate::distance::{distances_to, exponential_kernel, Metric};
use crate::error::ensure_finite_slice;
use crate::linear::lars::lars_lasso_path;
use crate::linear::{Design, RidgeFit};
use crate::local_model::{self, Settings};
use crate::selection::Method;

/// (alphas, active, coefs) of a LARS path.
type LarsTuple<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray2<f64>>,
);

fn to_i64(v: Vec<usize>) -> Vec<i64> {
    v.into_iter().map(|x| x as i64).collect()
}

/// One local model per label index in `which`: (intercept, features, weights, score, local_pred),
/// plus the weights' sandwich (HC1) standard errors as a 6th element when `return_stderr`.
/// `distances`, when given, are only checked to be finite (the weights came from them).
#[pyfunction]
#[pyo3(signature = (data, labels, weights, which, num_features, method, alpha=1.0, return_stderr=false, distances=None))]
#[allow(clippy::too_many_arguments)]
fn explain_with_data<'py>(
    py: Python<'py>,
    data: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray2<'py, f64>,
    weights: PyReadonlyArray1<'py, f64>,
    which: Vec<usize>,
    num_features: usize,
    method: &str,
    alpha: f64,
    return_stderr: bool,
    distances: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Vec<Bound<'py, PyTuple>>> {
    let method = Method::parse(method).py()?;
    let (x, y, w) = (data.as_array(), labels.as_array(), weights.as_slice()?);
    let distances = distances.as_ref().map(|d| d.as_slice()).transpose()?;
    let settings = Settings {
        num_features,
        method,
        alpha,
    };
    let models = detach(py, || {
        if let Some(d) = distances {
            ensure_finite_slice("distances", d)?;
        }
        local_model::explain_with_stderr(x, y, w, &which, settings, return_stderr)
    })?;
    models
        .into_iter()
        .map(|m| {
            let (features, weights) = (
                to_i64(m.features).into_pyarray(py),
                m.weights.into_pyarray(py),
            );
            if return_stderr {
                let se = m.stderr.into_pyarray(py);
                (m.intercept, features, weights, m.score, m.local_pred, se).into_pyobject(py)
            } else {
                (m.intercept, features, weights, m.score, m.local_pred).into_pyobject(py)
            }
        })
        .collect()
}

/// The features a method selects (for a user-supplied regressor).
#[pyfunction]
fn select_features<'py>(
    py: Python<'py>,
    data: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray1<'py, f64>,
    weights: PyReadonlyArray1<'py, f64>,
    num_features: usize,
    method: &str,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let method = Method::parse(method).py()?;
    let (x, y, w) = (data.as_array(), labels.as_array(), weights.as_slice()?);
    let f = detach(py, || {
        local_model::select_features(x, y, w, num_features, method)
    })?;
    Ok(to_i64(f).into_pyarray(py))
}

/// Weighted ridge on every column: (coef, intercept).
#[pyfunction]
fn ridge<'py>(
    py: Python<'py>,
    data: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray1<'py, f64>,
    weights: PyReadonlyArray1<'py, f64>,
    alpha: f64,
) -> PyResult<(Bound<'py, PyArray1<f64>>, f64)> {
    let (x, y, w) = (data.as_array(), labels.as_array(), weights.as_slice()?);
    let fit = py
        .detach(|| {
            let design = Design::new(x, y.insert_axis(ndarray::Axis(1)), w)?;
            let all: Vec<usize> = (0..design.d).collect();
            RidgeFit::fit(&design, &design.labels[0], &all, alpha)
        })
        .py()?;
    Ok((fit.coef.into_pyarray(py), fit.intercept))
}

/// LARS-lasso path: (alphas, active, coefs).
#[pyfunction]
fn lars_path<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
) -> PyResult<LarsTuple<'py>> {
    let (xa, ya) = (x.as_array(), y.as_array());
    let path = py.detach(|| lars_lasso_path(xa, ya)).py()?;
    Ok((
        path.alphas.into_pyarray(py),
        to_i64(path.active).into_pyarray(py),
        path.coefs.into_pyarray(py),
    ))
}

/// Distances of every row of `data` to `point` ('euclidean' or 'cosine').
#[pyfunction]
fn distances<'py>(
    py: Python<'py>,
    data: PyReadonlyArray2<'py, f64>,
    point: PyReadonlyArray1<'py, f64>,
    metric: &str,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let metric = Metric::parse(metric).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!(
            "distance_metric: {metric:?} is not computed natively; expected 'euclidean' or 'cosine'"
        ))
    })?;
    let (x, p) = (data.as_array(), point.as_array());
    let d = py.detach(|| distances_to(x, p, metric)).py()?;
    Ok(d.into_pyarray(py))
}

/// lime's default kernel `sqrt(exp(-d**2 / width**2))`.
#[pyfunction]
fn kernel<'py>(
    py: Python<'py>,
    distances: PyReadonlyArray1<'py, f64>,
    width: f64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let d = distances.as_slice()?;
    let w = py.detach(|| exponential_kernel(d, width)).py()?;
    Ok(w.into_pyarray(py))
}

/// Threads of the native pool (`LIME_RS_NUM_THREADS`).
#[pyfunction]
fn num_threads() -> usize {
    crate::pool::num_threads()
}

/// Wakes the pool's threads ahead of a native call that follows some
/// Python work (`crate::pool::prewake`).
#[pyfunction]
fn prewake() {
    crate::pool::prewake()
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(explain_with_data, m)?)?;
    m.add_function(wrap_pyfunction!(select_features, m)?)?;
    m.add_function(wrap_pyfunction!(ridge, m)?)?;
    m.add_function(wrap_pyfunction!(lars_path, m)?)?;
    m.add_function(wrap_pyfunction!(distances, m)?)?;
    m.add_function(wrap_pyfunction!(kernel, m)?)?;
    m.add_function(wrap_pyfunction!(num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(prewake, m)?)?;
    Ok(())
}
