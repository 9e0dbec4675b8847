//! Bindings of the tabular explainer: training statistics and the
//! neighbourhood sampler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ndarray::{Array2, ArrayView2};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::IntoPyResult;
use crate::error::LimeError;
use crate::sampling::data::{Feature, Group, Layout, Missing};
use crate::sampling::mixture::Bin;
use crate::sampling::tabular::{self, Categorical, Column, Draw, Options};
use crate::sampling::tabular_stats;

type F64Array<'py> = Bound<'py, PyArray1<f64>>;
type Neighbourhood<'py> = (
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    F64Array<'py>,
);

/// Column means, variances and scales (`StandardScaler(with_mean=False)`).
#[pyfunction]
fn tabular_column_moments<'py>(
    py: Python<'py>,
    data: PyReadonlyArray2<'py, f64>,
) -> PyResult<(F64Array<'py>, F64Array<'py>, F64Array<'py>)> {
    let x = data.as_array();
    let m = py.detach(|| tabular_stats::column_moments(x)).py()?;
    Ok((
        m.mean.into_pyarray(py),
        m.var.into_pyarray(py),
        m.scale.into_pyarray(py),
    ))
}

/// `np.percentile(data[:, f], q)` for every f in `features`: (len(features), len(q)).
#[pyfunction]
fn tabular_percentiles<'py>(
    py: Python<'py>,
    data: PyReadonlyArray2<'py, f64>,
    features: Vec<usize>,
    q: Vec<f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let x = data.as_array();
    let (k, m) = (features.len(), q.len());
    let rows = py
        .detach(|| tabular_stats::percentiles(x, &features, &q))
        .py()?;
    let flat: Vec<f64> = rows.into_iter().flatten().collect();
    let arr = Array2::from_shape_vec((k, m), flat)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    Ok(arr.into_pyarray(py))
}

type QuantileTuple<'py> = (F64Array<'py>, F64Array<'py>, BinTuple<'py>);
type MomentsTuple<'py> = (F64Array<'py>, F64Array<'py>, F64Array<'py>);

/// Percentiles `q` of each listed column, their unique values (the bin edges)
/// and the bins' statistics, in one pass: ([(percentiles, edges, bin stats)],
/// (means, variances, scales) of the listed columns).
#[pyfunction]
fn tabular_quantile_bins<'py>(
    py: Python<'py>,
    data: PyReadonlyArray2<'py, f64>,
    features: Vec<usize>,
    q: Vec<f64>,
) -> PyResult<(Vec<QuantileTuple<'py>>, MomentsTuple<'py>)> {
    let x = data.as_array();
    let out = py
        .detach(|| tabular_stats::quantile_bins_with_moments(x, &features, &q))
        .py()?;
    let bins = out
        .bins
        .into_iter()
        .map(|qb| {
            let s = qb.stats;
            let counts: Vec<i64> = s.counts.into_iter().map(|c| c as i64).collect();
            (
                qb.percentiles.into_pyarray(py),
                qb.edges.into_pyarray(py),
                (
                    counts.into_pyarray(py),
                    s.means.into_pyarray(py),
                    s.stds.into_pyarray(py),
                    s.min,
                    s.max,
                ),
            )
        })
        .collect();
    let m = out.moments;
    Ok((
        bins,
        (
            m.mean.into_pyarray(py),
            m.var.into_pyarray(py),
            m.scale.into_pyarray(py),
        ),
    ))
}

type BinTuple<'py> = (
    Bound<'py, PyArray1<i64>>,
    F64Array<'py>,
    F64Array<'py>,
    f64,
    f64,
);

/// Per-bin (counts, means, stds + 1e-11, column min, column max) of each feature.
#[pyfunction]
fn tabular_bin_stats<'py>(
    py: Python<'py>,
    data: PyReadonlyArray2<'py, f64>,
    features: Vec<usize>,
    edges: Vec<Vec<f64>>,
) -> PyResult<Vec<BinTuple<'py>>> {
    let x = data.as_array();
    let stats = py
        .detach(|| tabular_stats::bin_stats(x, &features, &edges))
        .py()?;
    Ok(stats
        .into_iter()
        .map(|s| {
            let counts: Vec<i64> = s.counts.into_iter().map(|c| c as i64).collect();
            (
                counts.into_pyarray(py),
                s.means.into_pyarray(py),
                s.stds.into_pyarray(py),
                s.min,
                s.max,
            )
        })
        .collect())
}

fn bins_of(
    column: usize,
    mins: &[f64],
    maxs: &[f64],
    means: &[f64],
    stds: &[f64],
) -> Result<Vec<Bin>, LimeError> {
    let k = mins.len();
    if maxs.len() != k || means.len() != k || stds.len() != k {
        return Err(LimeError::shape(
            "discretizer",
            format!(
                "feature {column}: mins, maxs, means and stds must have one value per bin, got {}, {}, {}, {}",
                k,
                maxs.len(),
                means.len(),
                stds.len()
            ),
        ));
    }
    (0..k)
        .map(|b| Bin::from_stats(mins[b], maxs[b], means[b], stds[b]))
        .collect()
}

/// Draws from each bin `idx[i]` given per-bin mins, maxs, means and stds
/// (lime's `get_undiscretize_values`).
#[pyfunction]
fn tabular_sample_bins<'py>(
    py: Python<'py>,
    mins: Vec<f64>,
    maxs: Vec<f64>,
    means: Vec<f64>,
    stds: Vec<f64>,
    idx: Vec<usize>,
    seed: u64,
) -> PyResult<F64Array<'py>> {
    let bins = bins_of(0, &mins, &maxs, &means, &stds).py()?;
    let out = py.detach(|| tabular::sample_bins(&bins, &idx, seed)).py()?;
    Ok(out.into_pyarray(py))
}

type BinSpec = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

/// Warm buffers of one sampler. A neighbourhood's arrays are views of pooled
/// buffers; when Python releases an array its buffer comes back here, so the
/// next explanation writes into memory that is already mapped (fresh
/// allocations of this size are page-faulted in on every call otherwise).
#[derive(Default)]
struct Pool {
    buffers: Mutex<Vec<Vec<f64>>>,
}

/// Buffers kept per sampler, and the largest one kept.
const POOL_BUFFERS: usize = 4;
const POOL_MAX_LEN: usize = 4 << 20; // 32 MB of f64

impl Pool {
    fn take(&self, len: usize) -> Vec<f64> {
        let found = {
            let mut bufs = self.buffers.lock().unwrap_or_else(|p| p.into_inner());
            bufs.iter()
                .position(|b| b.len() == len)
                .map(|i| bufs.swap_remove(i))
        };
        found.unwrap_or_else(|| vec![0.0; len])
    }

    fn give(&self, buffer: Vec<f64>) {
        if buffer.len() > POOL_MAX_LEN {
            return;
        }
        let mut bufs = self.buffers.lock().unwrap_or_else(|p| p.into_inner());
        if bufs.len() < POOL_BUFFERS {
            bufs.push(buffer);
        }
    }
}

/// The owner (numpy `base`) of a pooled array's memory.
#[pyclass(frozen, module = "lime_rs._native")]
struct PooledBuffer {
    data: Vec<f64>,
    pool: Arc<Pool>,
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        self.pool.give(std::mem::take(&mut self.data));
    }
}

fn pooled_array<'py>(
    py: Python<'py>,
    data: Vec<f64>,
    shape: (usize, usize),
    pool: &Arc<Pool>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    if data.len() != shape.0 * shape.1 {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "pooled buffer has the wrong size",
        ));
    }
    let owner = Bound::new(
        py,
        PooledBuffer {
            data,
            pool: pool.clone(),
        },
    )?;
    let ptr = owner.get().data.as_ptr();
    // SAFETY: `ptr` points to `shape.0 * shape.1` initialised f64 owned by
    // `owner`, which becomes the array's base and is never reallocated while
    // alive (its Vec is only taken back in Drop).
    let view = unsafe { ArrayView2::from_shape_ptr(shape, ptr) };
    // SAFETY: the array borrows `view`'s memory and keeps `owner`, which
    // holds it, as its base object, so the memory lives as long as the array.
    let array = unsafe { PyArray2::borrow_from_array(&view, owner.into_any()) };
    Ok(array)
}

/// One neighbourhood's sampling options, from `sample`'s / `sample_data`'s arguments.
fn options<'a>(
    num_samples: usize,
    seed: u64,
    sampling_method: &str,
    around_instance: bool,
    undiscretize: bool,
    first_row: Option<&'a [f64]>,
) -> PyResult<Options<'a>> {
    Ok(Options {
        num_samples,
        seed,
        draw: Draw::parse(sampling_method).py()?,
        around_instance,
        undiscretize,
        first_row,
    })
}

/// The perturbation model of one explainer (built once, used per explanation).
#[pyclass(frozen, module = "lime_rs._native")]
pub(super) struct TabularSampler {
    pub(super) inner: tabular::TabularSampler,
    pool: Arc<Pool>,
}

#[pymethods]
impl TabularSampler {
    /// `means`, `scales`: per column; `categorical`: column -> (values,
    /// frequencies); `edges`: column -> bin edges (discretized columns);
    /// `bins`: column -> (mins, maxs, means, stds) per bin (undiscretized
    /// columns); `groups`: (columns, training values) of each feature group;
    /// `missing`: (missing rate, fill value) per column (`sample_data`).
    #[new]
    #[pyo3(signature = (means, scales, categorical, edges, bins, groups=None, missing=None))]
    fn new(
        means: Vec<f64>,
        scales: Vec<f64>,
        categorical: HashMap<usize, (Vec<f64>, Vec<f64>)>,
        edges: HashMap<usize, Vec<f64>>,
        bins: HashMap<usize, BinSpec>,
        groups: Option<Vec<(Vec<usize>, PyReadonlyArray2<'_, f64>)>>,
        missing: Option<(Vec<f64>, Vec<f64>)>,
    ) -> PyResult<Self> {
        let d = means.len();
        let check = |name: &'static str, mut keys: Vec<usize>| -> Result<(), LimeError> {
            keys.sort_unstable();
            match keys.into_iter().find(|&k| k >= d) {
                Some(k) => Err(LimeError::invalid(
                    name,
                    format!("column {k} does not exist: the data has {d} columns"),
                )),
                None => Ok(()),
            }
        };
        if scales.len() != d {
            return Err(LimeError::shape(
                "scales",
                format!("has {} values, expected {d}", scales.len()),
            ))
            .py();
        }
        check(
            "categorical_features",
            categorical.keys().copied().collect(),
        )
        .py()?;
        check("discretizer", edges.keys().copied().collect()).py()?;
        check("discretizer", bins.keys().copied().collect()).py()?;
        let mut columns = Vec::with_capacity(d);
        for j in 0..d {
            let column = match categorical.get(&j) {
                None => Column::Continuous {
                    mean: means[j],
                    scale: scales[j],
                },
                Some((values, freqs)) => {
                    let mut cat = Categorical::new(j, values.clone(), freqs).py()?;
                    if let Some(e) = edges.get(&j) {
                        cat = cat.with_edges(e.clone()).py()?;
                    }
                    if let Some((mins, maxs, mu, sd)) = bins.get(&j) {
                        cat = cat
                            .with_bins(j, &bins_of(j, mins, maxs, mu, sd).py()?)
                            .py()?;
                    }
                    Column::Categorical(cat)
                }
            };
            columns.push(column);
        }
        let groups = groups
            .unwrap_or_default()
            .into_iter()
            .map(|(columns, values)| {
                let values = values.as_array();
                if values.ncols() != columns.len() {
                    return Err(LimeError::shape(
                        "feature_groups",
                        "expected one column of training values per group column",
                    ));
                }
                let values = values.iter().copied().collect();
                Ok(Group { columns, values })
            })
            .collect::<Result<Vec<Group>, LimeError>>()
            .py()?;
        let missing = missing.map(|(rates, fill)| Missing { rates, fill });
        let layout = Layout::new(d, groups, missing).py()?;
        Ok(TabularSampler {
            inner: tabular::TabularSampler::new(columns)
                .py()?
                .with_layout(layout),
            pool: Arc::default(),
        })
    }

    /// Number of columns.
    #[getter]
    fn num_columns(&self) -> usize {
        self.inner.num_columns()
    }

    /// The instance in comparison space (bin indices for discretized columns).
    fn first_row<'py>(
        &self,
        py: Python<'py>,
        instance: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<F64Array<'py>> {
        let x = instance.as_slice()?;
        if x.len() != self.inner.num_columns() {
            return Err(LimeError::shape(
                "data_row",
                format!(
                    "has {} values but the training data has {} columns",
                    x.len(),
                    self.inner.num_columns()
                ),
            ))
            .py();
        }
        Ok(self.inner.first_row(x).into_pyarray(py))
    }

    /// (scaled, inverse, distances) of a neighbourhood of `num_samples` rows.
    #[pyo3(signature = (instance, num_samples, seed, sampling_method="gaussian", around_instance=false, undiscretize=true, first_row=None))]
    #[allow(clippy::too_many_arguments)]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        instance: PyReadonlyArray1<'py, f64>,
        num_samples: usize,
        seed: u64,
        sampling_method: &str,
        around_instance: bool,
        undiscretize: bool,
        first_row: Option<PyReadonlyArray1<'py, f64>>,
    ) -> PyResult<Neighbourhood<'py>> {
        let x = instance.as_slice()?;
        let first = first_row.as_ref().map(|f| f.as_slice()).transpose()?;
        let opts = options(
            num_samples,
            seed,
            sampling_method,
            around_instance,
            undiscretize,
            first,
        )?;
        let d = self.inner.num_columns();
        // two (num_samples, d) arrays and the distances: a size the memory cannot
        // hold is a MemoryError naming num_samples, not an aborted interpreter
        crate::alloc::ensure_room(num_samples, 2 * d + 1, "num_samples").py()?;
        let len = num_samples * d;
        let mut scaled = self.pool.take(len);
        let mut inverse = self.pool.take(len);
        let mut distances = vec![0.0; num_samples];
        let inner = &self.inner;
        py.detach(|| inner.sample_into(x, opts, &mut scaled, &mut inverse, &mut distances))
            .py()?;
        let shape = (num_samples, d);
        Ok((
            pooled_array(py, scaled, shape, &self.pool)?,
            pooled_array(py, inverse, shape, &self.pool)?,
            distances.into_pyarray(py),
        ))
    }

    /// A neighbourhood with the feature groups and missing values the
    /// sampler was built with and the columns `fixed` held at the instance's
    /// values (`sampling::data`; `instance` may hold NaN where the training
    /// data has missing values): (scaled, inverse, distances, features).
    /// `scaled` has one column per interpretable feature not held (in the
    /// order of `features`), distances are euclidean over them; `features`
    /// lists every feature as (kind "col" / "group" / "missing", column or
    /// group index, held, its value for the instance).
    #[pyo3(signature = (instance, num_samples, seed, sampling_method="gaussian", around_instance=false, undiscretize=true, first_row=None, fixed=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn sample_data<'py>(
        &self,
        py: Python<'py>,
        instance: PyReadonlyArray1<'py, f64>,
        num_samples: usize,
        seed: u64,
        sampling_method: &str,
        around_instance: bool,
        undiscretize: bool,
        first_row: Option<PyReadonlyArray1<'py, f64>>,
        fixed: Vec<usize>,
    ) -> PyResult<DataNeighbourhood<'py>> {
        let x = instance.as_slice()?;
        let first = first_row.as_ref().map(|f| f.as_slice()).transpose()?;
        let opts = options(
            num_samples,
            seed,
            sampling_method,
            around_instance,
            undiscretize,
            first,
        )?;
        let d = self.inner.num_columns();
        let (prepared, spec) = self.inner.prepare_data(x, opts, &fixed).py()?;
        let w = prepared.width();
        crate::alloc::ensure_room(num_samples, w + d + 1, "num_samples").py()?;
        let mut scaled = self.pool.take(num_samples * w);
        let mut inverse = self.pool.take(num_samples * d);
        let mut distances = vec![0.0; num_samples];
        py.detach(|| prepared.draw_into(&mut scaled, &mut inverse, &mut distances))
            .py()?;
        let features = (0..spec.features.len())
            .map(|k| {
                let (kind, at) = match spec.features[k] {
                    Feature::Value(j) => ("col", j),
                    Feature::Group(g) => ("group", g),
                    Feature::Missing(j) => ("missing", j),
                };
                (kind, at, spec.held[k], spec.row0[k])
            })
            .collect();
        Ok((
            pooled_array(py, scaled, (num_samples, w), &self.pool)?,
            pooled_array(py, inverse, (num_samples, d), &self.pool)?,
            distances.into_pyarray(py),
            features,
        ))
    }
}

/// (kind, column or group, held, the instance's value) of one feature.
type FeatureTuple = (&'static str, usize, bool, f64);
type DataNeighbourhood<'py> = (
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    F64Array<'py>,
    Vec<FeatureTuple>,
);

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(tabular_column_moments, m)?)?;
    m.add_function(wrap_pyfunction!(tabular_percentiles, m)?)?;
    m.add_function(wrap_pyfunction!(tabular_bin_stats, m)?)?;
    m.add_function(wrap_pyfunction!(tabular_quantile_bins, m)?)?;
    m.add_function(wrap_pyfunction!(tabular_sample_bins, m)?)?;
    m.add_class::<TabularSampler>()?;
    m.add_class::<PooledBuffer>()?;
    Ok(())
}
