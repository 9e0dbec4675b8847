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
    let scale = scales(&mean, &var, n);
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

/// Order-preserving map of a (non-NaN) f64 to a u64: comparing keys is
/// comparing values (with -0.0 before 0.0), and it is cheaper.
#[inline]
fn key(x: f64) -> u64 {
    let b = x.to_bits();
    // branch-free: flip every bit of negatives, only the sign bit of positives
    let mask = ((b as i64) >> 63) as u64;
    b ^ (mask | (1 << 63))
}

#[inline]
fn unkey(k: u64) -> f64 {
    let mask = ((k as i64) >> 63) as u64; // all ones for positives
    f64::from_bits(k ^ (!mask | (1 << 63)))
}

/// Puts the order statistics at every index of `targets` (sorted, deduped,
/// relative to `v`) in place, as a sort would.
fn multiselect(v: &mut [u64], targets: &[usize], offset: usize) {
    if targets.is_empty() || v.is_empty() {
        return;
    }
    let mid = targets.len() / 2;
    let k = targets[mid] - offset;
    v.select_nth_unstable(k);
    let (left, right) = v.split_at_mut(k);
    multiselect(left, &targets[..mid], offset);
    multiselect(&mut right[1..], &targets[mid + 1..], offset + k + 1);
}

/// [`multiselect`] where a target right after another (k + 1 after k, as
/// interpolation needs) is found as the minimum of the part after k.
fn select_targets(v: &mut [u64], targets: &[usize]) {
    let anchors: Vec<usize> = targets
        .iter()
        .enumerate()
        .filter(|&(i, &t)| i == 0 || targets[i - 1] + 1 != t)
        .map(|(_, &t)| t)
        .collect();
    multiselect(v, &anchors, 0);
    for (i, &t) in targets.iter().enumerate() {
        if i == 0 || targets[i - 1] + 1 != t {
            continue;
        }
        // everything in (t - 1, next anchor) ranks above t - 1: its minimum is rank t
        let end = anchors.iter().find(|&&a| a > t).copied().unwrap_or(v.len());
        if let Some((pos, _)) = v[t..end].iter().enumerate().min_by_key(|&(_, &k)| k) {
            v.swap(t, t + pos);
        }
    }
}

/// `np.percentile(column, q)` (method 'linear') of one column given as keys,
/// bit for bit.
fn percentiles_of_keys(column: &mut [u64], q: &[f64]) -> Vec<f64> {
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
    select_targets(column, &targets);
    plan.iter()
        .map(|&(i, j, gamma)| {
            let (a, b) = (unkey(column[i]), unkey(column[j]));
            let diff = b - a;
            if gamma >= 0.5 {
                b - diff * (1.0 - gamma)
            } else {
                a + diff * gamma
            }
        })
        .collect()
}

/// `np.percentile(column, q)` (method 'linear') of one column, bit for bit.
pub fn percentiles_of(column: &[f64], q: &[f64]) -> Vec<f64> {
    let mut keys: Vec<u64> = column.iter().map(|&x| key(x)).collect();
    percentiles_of_keys(&mut keys, q)
}

/// The checks shared by the percentile entry points: rows to rank, valid
/// columns and percentiles in [0, 100].
fn check_percentile_args(n: usize, d: usize, features: &[usize], q: &[f64]) -> Result<()> {
    if n == 0 {
        return Err(LimeError::shape(
            "training_data",
            "has no rows: percentiles need at least one",
        ));
    }
    check_features(features, d)?;
    match q.iter().find(|p| !(0.0..=100.0).contains(*p)) {
        Some(bad) => Err(LimeError::invalid(
            "percentiles",
            format!("must be in [0, 100], got {bad}"),
        )),
        None => Ok(()),
    }
}

/// Percentiles `q` (in [0, 100]) of each listed column.
pub fn percentiles(data: ArrayView2<f64>, features: &[usize], q: &[f64]) -> Result<Vec<Vec<f64>>> {
    let (n, d) = data.dim();
    check_percentile_args(n, d, features, q)?;
    let k = features.len();
    if k == 0 {
        return Ok(vec![]);
    }
    // One blocked pass turns the listed columns into column-major keys
    // (gathering a column of row-major data reads a cache line per value).
    let flat = row_major(&data);
    let mut keys = vec![0u64; n * k];
    let nan = std::sync::atomic::AtomicBool::new(false);
    {
        let mut blocks: Vec<Vec<&mut [u64]>> = (0..n.div_ceil(ROWS_PER_TASK))
            .map(|_| Vec::with_capacity(k))
            .collect();
        for col in keys.chunks_mut(n) {
            for (b, part) in col.chunks_mut(ROWS_PER_TASK).enumerate() {
                blocks[b].push(part);
            }
        }
        let fill = |(b, mut cols): (usize, Vec<&mut [u64]>)| {
            let r0 = b * ROWS_PER_TASK;
            let mut bad = false;
            for (r, row) in flat[r0 * d..]
                .chunks_exact(d)
                .take(cols[0].len())
                .enumerate()
            {
                for (col, &f) in cols.iter_mut().zip(features) {
                    let x = row[f];
                    bad |= x.is_nan();
                    col[r] = key(x);
                }
            }
            if bad {
                nan.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        };
        if n * k < 1 << 16 {
            blocks.into_iter().enumerate().for_each(fill);
        } else {
            crate::pool::install(|| blocks.into_par_iter().enumerate().for_each(fill));
        }
    }
    if nan.into_inner() {
        return Err(non_finite_error("training_data", &flat, d));
    }
    let work = |col: &mut [u64]| percentiles_of_keys(col, q);
    Ok(if n * k < 1 << 16 {
        keys.chunks_mut(n).map(work).collect()
    } else {
        crate::pool::install(|| keys.par_chunks_mut(n).map(work).collect())
    })
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

/// Running moments of one bin within one chunk, shifted by the first value
/// seen (so a bin of equal values has exactly zero spread).
#[derive(Debug, Clone, Copy, Default)]
struct Moments {
    n: usize,
    shift: f64,
    s1: f64,
    s2: f64,
}

impl Moments {
    #[inline]
    fn push(&mut self, x: f64) {
        if self.n == 0 {
            self.shift = x;
        }
        let t = x - self.shift;
        self.n += 1;
        self.s1 += t;
        self.s2 += t * t;
    }

    /// (count, mean, sum of squared deviations).
    fn finish(&self) -> (usize, f64, f64) {
        if self.n == 0 {
            return (0, 0.0, 0.0);
        }
        let nf = self.n as f64;
        (
            self.n,
            self.shift + self.s1 / nf,
            (self.s2 - self.s1 * self.s1 / nf).max(0.0),
        )
    }
}

/// Chan et al.'s merge of (count, mean, M2) summaries.
fn merge((na, ma, qa): (usize, f64, f64), (nb, mb, qb): (usize, f64, f64)) -> (usize, f64, f64) {
    if na == 0 {
        return (nb, mb, qb);
    }
    if nb == 0 {
        return (na, ma, qa);
    }
    let n = na + nb;
    let delta = mb - ma;
    let mean = if delta == 0.0 {
        ma
    } else {
        ma + delta * nb as f64 / n as f64
    };
    (
        n,
        mean,
        qa + qb + delta * delta * (na as f64 * nb as f64 / n as f64),
    )
}

/// Per-bin statistics of each listed column, binned by its sorted `edges`,
/// in one pass.
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
    let parts = over_row_chunks(&flat, d, |rows| {
        let mut bins = vec![Moments::default(); total];
        let mut lo = vec![f64::INFINITY; k];
        let mut hi = vec![f64::NEG_INFINITY; k];
        for row in rows.chunks_exact(d) {
            for i in 0..k {
                let x = row[features[i]];
                bins[offsets[i] + bin_of(&edges[i], x)].push(x);
                lo[i] = lo[i].min(x);
                hi[i] = hi[i].max(x);
            }
        }
        (bins, lo, hi)
    });
    let mut summary = vec![(0usize, 0.0, 0.0); total];
    let mut lo = vec![f64::INFINITY; k];
    let mut hi = vec![f64::NEG_INFINITY; k];
    for (bins, l, h) in &parts {
        for (acc, m) in summary.iter_mut().zip(bins) {
            *acc = merge(*acc, m.finish());
        }
        for i in 0..k {
            lo[i] = lo[i].min(l[i]);
            hi[i] = hi[i].max(h[i]);
        }
    }
    if lo.iter().chain(&hi).any(|v| !v.is_finite())
        || summary
            .iter()
            .any(|(_, m, q)| !(m.is_finite() && q.is_finite()))
    {
        return Err(non_finite_error("training_data", &flat, d));
    }
    Ok((0..k)
        .map(|i| {
            let r = offsets[i]..offsets[i + 1];
            BinStats {
                counts: summary[r.clone()].iter().map(|s| s.0).collect(),
                means: summary[r.clone()].iter().map(|s| s.1).collect(),
                stds: summary[r]
                    .iter()
                    .map(|&(c, _, q)| if c == 0 { 0.0 } else { (q / c as f64).sqrt() } + 0.000_000_000_01)
                    .collect(),
                min: lo[i],
                max: hi[i],
            }
        })
        .collect())
}

/// Percentiles of one column and the statistics of the bins they make.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileBins {
    /// `np.percentile(column, q)`, bit for bit.
    pub percentiles: Vec<f64>,
    /// `np.unique(percentiles)`: the bin edges.
    pub edges: Vec<f64>,
    pub stats: BinStats,
}

/// `np.unique` of sorted-or-not percentiles.
fn unique_sorted(v: &[f64]) -> Vec<f64> {
    let mut e = v.to_vec();
    e.sort_by(|a, b| a.total_cmp(b));
    e.dedup_by(|a, b| a == b);
    e
}

/// Percentiles of the listed columns with their bins, and the columns'
/// moments (as [`column_moments`] computes them, the variance up to rounding).
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileOutput {
    pub bins: Vec<QuantileBins>,
    pub moments: ColumnMoments,
}

/// Percentiles `q` of each listed column and the per-bin statistics of the
/// bins they make (lime's quartile and decile discretizers).
pub fn quantile_bins(
    data: ArrayView2<f64>,
    features: &[usize],
    q: &[f64],
) -> Result<Vec<QuantileBins>> {
    Ok(quantile_bins_with_moments(data, features, q)?.bins)
}

/// The column scales `StandardScaler(with_mean=False)` uses (1 for a
/// constant column).
fn scales(mean: &[f64], var: &[f64], n: usize) -> Vec<f64> {
    let nf = n as f64;
    let eps = f64::EPSILON;
    mean.iter()
        .zip(var)
        .map(|(&m, &v)| {
            let bound = nf * eps * v + (nf * m * eps).powi(2);
            if v <= bound {
                1.0
            } else {
                v.sqrt()
            }
        })
        .collect()
}

/// [`quantile_bins`] plus each listed column's mean, variance and scale
/// (as [`column_moments`] computes them): one pass for the moments, one for
/// the percentiles (selection, not a full sort) and one for the bins.
pub fn quantile_bins_with_moments(
    data: ArrayView2<f64>,
    features: &[usize],
    q: &[f64],
) -> Result<QuantileOutput> {
    let (n, d) = data.dim();
    check_percentile_args(n, d, features, q)?;
    if q.is_empty() {
        return Err(LimeError::invalid("percentiles", "need at least one"));
    }
    let moments = column_moments(data)?;
    let pcts = percentiles(data, features, q)?;
    let edges: Vec<Vec<f64>> = pcts.iter().map(|p| unique_sorted(p)).collect();
    let stats = bin_stats(data, features, &edges)?;
    let bins = pcts
        .into_iter()
        .zip(edges)
        .zip(stats)
        .map(|((percentiles, edges), stats)| QuantileBins {
            percentiles,
            edges,
            stats,
        })
        .collect();
    let pick = |v: &[f64]| features.iter().map(|&f| v[f]).collect::<Vec<f64>>();
    Ok(QuantileOutput {
        bins,
        moments: ColumnMoments {
            mean: pick(&moments.mean),
            var: pick(&moments.var),
            scale: pick(&moments.scale),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn percentiles_match_sorted_formula() {
        let v: Vec<f64> = (0..101).map(|i| ((i * 37) % 101) as f64).collect();
        assert_eq!(
            percentiles_of(&v, &[0.0, 25.0, 50.0, 75.0, 100.0]),
            vec![0.0, 25.0, 50.0, 75.0, 100.0]
        );
        // virtual index 0.75 -> 1 + 0.75 * (2 - 1); 2.25 -> 3 + 0.25
        assert_eq!(
            percentiles_of(&[4.0, 1.0, 3.0, 2.0], &[25.0, 75.0]),
            vec![1.75, 3.25]
        );
        assert_eq!(percentiles_of(&[5.0], &[10.0, 90.0]), vec![5.0, 5.0]);
        let w: [f64; 8] = [-3.5, 0.0, -0.0, 2.0, -1e300, 7.0, 7.0, 7.0];
        let mut sorted = w.to_vec();
        sorted.sort_by(|a, b| a.total_cmp(b));
        assert_eq!(percentiles_of(&w, &[0.0])[0], sorted[0]);
        assert_eq!(percentiles_of(&w, &[100.0])[0], sorted[7]);
        for x in [
            0.0,
            -0.0,
            1.5,
            -1.5,
            f64::MIN,
            f64::MAX,
            1e-310,
            -1e-310,
            f64::INFINITY,
        ] {
            assert_eq!(unkey(key(x)).to_bits(), x.to_bits());
        }
        assert!(key(-1.0) < key(-0.5) && key(-0.0) < key(0.0) && key(0.0) < key(1e-310));
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

    /// numpy's 'linear' percentile from a full sort: the reference.
    fn sorted_percentile(column: &[f64], p: f64) -> f64 {
        let mut s = column.to_vec();
        s.sort_by(|a, b| a.total_cmp(b));
        let virt = (s.len() - 1) as f64 * (p / 100.0);
        let (i, gamma) = (virt.floor() as usize, virt - virt.floor());
        let (a, b) = (s[i], s[(i + 1).min(s.len() - 1)]);
        if gamma >= 0.5 {
            b - (b - a) * (1.0 - gamma)
        } else {
            a + (b - a) * gamma
        }
    }

    #[test]
    fn quantile_bins_match_a_sort_and_report_bad_values() {
        use crate::rng::stream;
        use rand::RngExt;
        let mut rng = stream(5, &[]);
        let n = 40_001;
        let x = Array2::from_shape_fn((n, 5), |(_, j)| {
            let u: f64 = rng.random();
            match j {
                0 => u,
                1 => (u * 5.0).floor(), // heavy ties
                2 => (-u.ln()).powi(3), // skewed
                3 => 3.0,               // constant
                _ => (u - 0.5) * 1e-300,
            }
        });
        let f = [4, 0, 1, 2, 3];
        let m = column_moments(x.view()).unwrap();
        for q in [
            &[25.0, 50.0, 75.0][..],
            &[10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0],
        ] {
            let out = quantile_bins_with_moments(x.view(), &f, q).unwrap();
            for (qb, &c) in out.bins.iter().zip(&f) {
                let column: Vec<f64> = x.column(c).to_vec();
                let want: Vec<f64> = q.iter().map(|&p| sorted_percentile(&column, p)).collect();
                assert_eq!(qb.percentiles, want, "column {c}");
                assert_eq!(qb.stats.counts.iter().sum::<usize>(), n);
                let below = column.iter().filter(|&&v| v <= qb.edges[0]).count();
                assert_eq!(qb.stats.counts[0], below, "column {c}");
            }
            let pick = |v: &[f64]| f.iter().map(|&c| v[c]).collect::<Vec<f64>>();
            assert_eq!(out.moments.mean, pick(&m.mean));
            assert_eq!(out.moments.var, pick(&m.var));
        }
        let mut bad = x.clone();
        bad[(30_000, 2)] = f64::NAN;
        let err = quantile_bins_with_moments(bad.view(), &f, &[50.0]).unwrap_err();
        assert!(err.to_string().contains("row 30000, column 2"), "{err}");
        assert!(quantile_bins(x.view(), &f, &[]).is_err());
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
