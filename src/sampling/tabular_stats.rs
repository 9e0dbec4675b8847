//! Training-data statistics of the tabular explainer, each in one or two
//! passes over the row-major data: column means and scales (scikit-learn's
//! `StandardScaler(with_mean=False)`), percentiles (numpy's `percentile`,
//! method 'linear', bit for bit) and per-bin counts, means and standard
//! deviations of the discretizers.

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::error::{LimeError, Result};

/// Rows per parallel task; fixed so results never depend on the thread count.
const ROWS_PER_TASK: usize = 4096;

/// Runs `f` over fixed chunks of rows (in parallel when the data is large)
/// and returns the per-chunk results in chunk order.
fn over_row_chunks<T: Send>(
    flat: &[f64],
    d: usize,
    f: impl Fn(&[f64]) -> T + Sync + Send,
) -> Vec<T> {
    let chunk = ROWS_PER_TASK * d.max(1);
    if flat.len() <= chunk {
        return vec![f(flat)];
    }
    crate::pool::install(|| flat.par_chunks(chunk).map(&f).collect())
}

/// The row-major contents of `data` (borrowed when already standard layout).
fn row_major<'a>(data: &'a ArrayView2<'a, f64>) -> std::borrow::Cow<'a, [f64]> {
    match data.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(data.iter().cloned().collect()),
    }
}

fn non_finite_error(name: &'static str, flat: &[f64], d: usize) -> LimeError {
    match flat.iter().position(|v| !v.is_finite()) {
        Some(i) => LimeError::NonFinite {
            name,
            detail: format!(" (first at row {}, column {})", i / d.max(1), i % d.max(1)),
        },
        None => LimeError::invalid(
            name,
            "values are too large: column sums overflow to infinity",
        ),
    }
}

/// Column means, variances and scales as `StandardScaler(with_mean=False)`
/// computes them (scale 1 for constant columns).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMoments {
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
    pub scale: Vec<f64>,
}

/// Means and variances of every column; fails on NaN or infinity.
pub fn column_moments(data: ArrayView2<f64>) -> Result<ColumnMoments> {
    let (n, d) = data.dim();
    if n == 0 || d == 0 {
        return Err(LimeError::shape(
            "training_data",
            format!("must have at least one row and one column, got shape ({n}, {d})"),
        ));
    }
    let flat = row_major(&data);
    let sums = over_row_chunks(&flat, d, |rows| {
        let mut s = vec![0.0; d];
        for row in rows.chunks_exact(d) {
            for (acc, &v) in s.iter_mut().zip(row) {
                *acc += v;
            }
        }
        s
    });
    let mut mean = vec![0.0; d];
    for s in &sums {
        for (m, v) in mean.iter_mut().zip(s) {
            *m += v;
        }
    }
    if mean.iter().any(|m| !m.is_finite()) {
        return Err(non_finite_error("training_data", &flat, d));
    }
    let nf = n as f64;
    mean.iter_mut().for_each(|m| *m /= nf);
    let parts = over_row_chunks(&flat, d, |rows| {
        let mut sq = vec![0.0; d];
        let mut lin = vec![0.0; d];
        for row in rows.chunks_exact(d) {
            for j in 0..d {
                let t = row[j] - mean[j];
                lin[j] += t;
                sq[j] += t * t;
            }
        }
        (sq, lin)
    });
    let mut sq = vec![0.0; d];
    let mut lin = vec![0.0; d];
    for (s, l) in &parts {
        for j in 0..d {
            sq[j] += s[j];
            lin[j] += l[j];
        }
    }
    let var: Vec<f64> = (0..d)
        .map(|j| ((sq[j] - lin[j] * lin[j] / nf) / nf).max(0.0))
        .collect();
    if var.iter().any(|v| !v.is_finite()) {
        return Err(LimeError::invalid(
            "training_data",
            "values are too large: column variances overflow",
        ));
    }
    let eps = f64::EPSILON;
    let scale = (0..d)
        .map(|j| {
            let bound = nf * eps * var[j] + (nf * mean[j] * eps).powi(2);
            if var[j] <= bound {
                1.0
            } else {
                var[j].sqrt()
            }
        })
        .collect();
    Ok(ColumnMoments { mean, var, scale })
}

fn check_features(features: &[usize], d: usize) -> Result<()> {
    match features.iter().find(|&&f| f >= d) {
        Some(&f) => Err(LimeError::invalid(
            "features",
            format!("column {f} does not exist: the data has {d} columns"),
        )),
        None => Ok(()),
    }
}

/// Puts the order statistics at every index of `targets` (sorted, deduped,
/// relative to `v`) in place, as a sort would.
fn multiselect(v: &mut [f64], targets: &[usize], offset: usize) {
    if targets.is_empty() || v.is_empty() {
        return;
    }
    let mid = targets.len() / 2;
    let k = targets[mid] - offset;
    v.select_nth_unstable_by(k, |a, b| a.total_cmp(b));
    let (left, right) = v.split_at_mut(k);
    multiselect(left, &targets[..mid], offset);
    multiselect(&mut right[1..], &targets[mid + 1..], offset + k + 1);
}

/// `np.percentile(column, q)` (method 'linear') of one column, bit for bit.
pub fn percentiles_of(column: &mut [f64], q: &[f64]) -> Vec<f64> {
    let n = column.len();
    let last = n - 1;
    let plan: Vec<(usize, usize, f64)> = q
        .iter()
        .map(|&p| {
            let virt = last as f64 * (p / 100.0);
            if virt >= last as f64 {
                (last, last, virt - last as f64)
            } else if virt < 0.0 {
                (0, 0, virt)
            } else {
                let prev = virt.floor();
                (prev as usize, prev as usize + 1, virt - prev)
            }
        })
        .collect();
    let mut targets: Vec<usize> = plan.iter().flat_map(|&(a, b, _)| [a, b]).collect();
    targets.sort_unstable();
    targets.dedup();
    multiselect(column, &targets, 0);
    plan.iter()
        .map(|&(i, j, gamma)| {
            let (a, b) = (column[i], column[j]);
            let diff = b - a;
            if gamma >= 0.5 {
                b - diff * (1.0 - gamma)
            } else {
                a + diff * gamma
            }
        })
        .collect()
}

/// Percentiles `q` (in [0, 100]) of each listed column.
pub fn percentiles(data: ArrayView2<f64>, features: &[usize], q: &[f64]) -> Result<Vec<Vec<f64>>> {
    let (n, d) = data.dim();
    if n == 0 {
        return Err(LimeError::shape(
            "training_data",
            "has no rows: percentiles need at least one",
        ));
    }
    check_features(features, d)?;
    if let Some(bad) = q.iter().find(|p| !(0.0..=100.0).contains(*p)) {
        return Err(LimeError::invalid(
            "percentiles",
            format!("must be in [0, 100], got {bad}"),
        ));
    }
    let work = |&f: &usize| -> Result<Vec<f64>> {
        let mut col: Vec<f64> = data.column(f).iter().cloned().collect();
        if col.iter().any(|v| v.is_nan()) {
            return Err(LimeError::NonFinite {
                name: "training_data",
                detail: format!(" (column {f})"),
            });
        }
        Ok(percentiles_of(&mut col, q))
    };
    if n * features.len() < 1 << 16 {
        features.iter().map(work).collect()
    } else {
        crate::pool::install(|| features.par_iter().map(work).collect())
    }
}

/// What a discretizer keeps about the bins of one column.
#[derive(Debug, Clone, PartialEq)]
pub struct BinStats {
    /// Training rows per bin (`edges.len() + 1` bins).
    pub counts: Vec<usize>,
    /// Mean of each bin (0 for an empty bin), as lime.
    pub means: Vec<f64>,
    /// Standard deviation of each bin (0 for an empty bin) plus 1e-11, as lime.
    pub stds: Vec<f64>,
    /// Smallest and largest value of the column.
    pub min: f64,
    pub max: f64,
}

/// `np.searchsorted(edges, x)` (side 'left'): how many edges are below `x`.
#[inline]
pub fn bin_of(edges: &[f64], x: f64) -> usize {
    if edges.len() <= 16 {
        edges.iter().map(|&e| (e < x) as usize).sum()
    } else {
        edges.partition_point(|&e| e < x)
    }
}

/// Per-bin statistics of each listed column, binned by its sorted `edges`.
pub fn bin_stats(
    data: ArrayView2<f64>,
    features: &[usize],
    edges: &[Vec<f64>],
) -> Result<Vec<BinStats>> {
    let (n, d) = data.dim();
    if n == 0 {
        return Err(LimeError::shape("training_data", "has no rows"));
    }
    check_features(features, d)?;
    if edges.len() != features.len() {
        return Err(LimeError::shape(
            "bins",
            format!("{} edge lists for {} features", edges.len(), features.len()),
        ));
    }
    for (f, e) in features.iter().zip(edges) {
        if e.iter().any(|v| v.is_nan()) || e.windows(2).any(|w| w[0] > w[1]) {
            return Err(LimeError::invalid(
                "bins",
                format!("bins of feature {f} must be sorted numbers"),
            ));
        }
    }
    let flat = row_major(&data);
    let offsets: Vec<usize> = std::iter::once(0)
        .chain(edges.iter().scan(0, |acc, e| {
            *acc += e.len() + 1;
            Some(*acc)
        }))
        .collect();
    let total = offsets[features.len()];
    let k = features.len();
    // Pass 1: counts, sums, min and max.
    let parts = over_row_chunks(&flat, d, |rows| {
        let mut counts = vec![0usize; total];
        let mut sums = vec![0.0; total];
        let mut lo = vec![f64::INFINITY; k];
        let mut hi = vec![f64::NEG_INFINITY; k];
        for row in rows.chunks_exact(d) {
            for (i, (&f, e)) in features.iter().zip(edges).enumerate() {
                let x = row[f];
                let b = offsets[i] + bin_of(e, x);
                counts[b] += 1;
                sums[b] += x;
                lo[i] = lo[i].min(x);
                hi[i] = hi[i].max(x);
            }
        }
        (counts, sums, lo, hi)
    });
    let mut counts = vec![0usize; total];
    let mut means = vec![0.0; total];
    let mut lo = vec![f64::INFINITY; k];
    let mut hi = vec![f64::NEG_INFINITY; k];
    for (c, s, l, h) in &parts {
        for b in 0..total {
            counts[b] += c[b];
            means[b] += s[b];
        }
        for i in 0..k {
            lo[i] = lo[i].min(l[i]);
            hi[i] = hi[i].max(h[i]);
        }
    }
    if lo.iter().chain(&hi).chain(&means).any(|v| !v.is_finite()) {
        return Err(non_finite_error("training_data", &flat, d));
    }
    for b in 0..total {
        means[b] = if counts[b] == 0 {
            0.0
        } else {
            means[b] / counts[b] as f64
        };
    }
    // Pass 2: squared deviations from the bin means.
    let parts = over_row_chunks(&flat, d, |rows| {
        let mut ss = vec![0.0; total];
        for row in rows.chunks_exact(d) {
            for (i, (&f, e)) in features.iter().zip(edges).enumerate() {
                let x = row[f];
                let b = offsets[i] + bin_of(e, x);
                let t = x - means[b];
                ss[b] += t * t;
            }
        }
        ss
    });
    let mut ss = vec![0.0; total];
    for p in &parts {
        for b in 0..total {
            ss[b] += p[b];
        }
    }
    Ok((0..k)
        .map(|i| {
            let r = offsets[i]..offsets[i + 1];
            BinStats {
                counts: counts[r.clone()].to_vec(),
                means: means[r.clone()].to_vec(),
                stds: r
                    .map(|b| {
                        let s = if counts[b] == 0 {
                            0.0
                        } else {
                            (ss[b] / counts[b] as f64).sqrt()
                        };
                        s + 0.000_000_000_01
                    })
                    .collect(),
                min: lo[i],
                max: hi[i],
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn percentiles_match_sorted_formula() {
        let mut v: Vec<f64> = (0..101).map(|i| ((i * 37) % 101) as f64).collect();
        assert_eq!(
            percentiles_of(&mut v, &[0.0, 25.0, 50.0, 75.0, 100.0]),
            vec![0.0, 25.0, 50.0, 75.0, 100.0]
        );
        let mut w = vec![4.0, 1.0, 3.0, 2.0];
        // virtual index 0.75 -> 1 + 0.75 * (2 - 1); 2.25 -> 3 + 0.25
        assert_eq!(percentiles_of(&mut w, &[25.0, 75.0]), vec![1.75, 3.25]);
        let mut one = vec![5.0];
        assert_eq!(percentiles_of(&mut one, &[10.0, 90.0]), vec![5.0, 5.0]);
    }

    #[test]
    fn moments_and_constant_columns() {
        let x = Array2::from_shape_fn((10_000, 3), |(i, j)| {
            if j == 1 {
                7.0
            } else {
                (i % 10) as f64 + j as f64
            }
        });
        let m = column_moments(x.view()).unwrap();
        assert!((m.mean[0] - 4.5).abs() < 1e-12 && (m.var[0] - 8.25).abs() < 1e-9);
        assert_eq!(m.scale[1], 1.0);
        assert!((m.scale[2] - 8.25f64.sqrt()).abs() < 1e-9);
        let mut bad = x.clone();
        bad[(5000, 2)] = f64::NAN;
        let err = column_moments(bad.view()).unwrap_err();
        assert!(err.to_string().contains("row 5000, column 2"), "{err}");
    }

    #[test]
    fn bins_count_and_average() {
        let x = Array2::from_shape_fn((9000, 2), |(i, j)| (i % 9) as f64 * (j + 1) as f64);
        let s = bin_stats(x.view(), &[0, 1], &[vec![2.0, 5.0], vec![4.0]]).unwrap();
        assert_eq!(s[0].counts, vec![3000, 3000, 3000]);
        assert!((s[0].means[1] - 4.0).abs() < 1e-12);
        assert!((s[0].stds[1] - (2.0f64 / 3.0).sqrt() - 1e-11).abs() < 1e-12);
        assert_eq!((s[1].min, s[1].max), (0.0, 16.0));
        assert_eq!(s[1].counts, vec![3000, 6000]);
        assert!(bin_stats(x.view(), &[2], &[vec![1.0]]).is_err());
    }
}
