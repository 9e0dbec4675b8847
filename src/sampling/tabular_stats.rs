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

/// Asks the CPU to start loading `data[at..]` (no effect past the end).
#[inline(always)]
fn prefetch(data: &[f64], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = data.get(at) {
        // SAFETY: SSE is part of x86_64; a prefetch reads nothing.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                x as *const f64 as *const i8,
            )
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (data, at);
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
    // `max` would turn the NaN of an overflowed `inf - inf` into 0: test the sums.
    let var: Vec<f64> = (0..d)
        .map(|j| ((sq[j] - lin[j] * lin[j] / nf) / nf).max(0.0))
        .collect();
    if var.iter().chain(&sq).any(|v| !v.is_finite()) {
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

/// Rows sampled to bracket the order statistics, and the row count below
/// which columns are simply gathered and selected.
const SAMPLE_ROWS: usize = 8192;
const BRACKET_MIN_ROWS: usize = 4 * SAMPLE_ROWS;

/// numpy's 'linear' plan for each percentile: (previous rank, next rank, gamma).
fn linear_plan(n: usize, q: &[f64]) -> Vec<(usize, usize, f64)> {
    let last = n - 1;
    q.iter()
        .map(|&p| {
            let virt = last as f64 * (p / 100.0);
            if virt >= last as f64 {
                (last, last, virt - last as f64)
            } else {
                let prev = virt.floor();
                (prev as usize, prev as usize + 1, virt - prev)
            }
        })
        .collect()
}

fn lerp_plan(plan: &[(usize, usize, f64)], value_at: impl Fn(usize) -> f64) -> Vec<f64> {
    plan.iter()
        .map(|&(i, j, gamma)| {
            let (a, b) = (value_at(i), value_at(j));
            let diff = b - a;
            if gamma >= 0.5 {
                b - diff * (1.0 - gamma)
            } else {
                a + diff * gamma
            }
        })
        .collect()
}

/// `np.unique` of sorted-or-not percentiles.
fn unique_sorted(v: &[f64]) -> Vec<f64> {
    let mut e = v.to_vec();
    e.sort_by(|a, b| a.total_cmp(b));
    e.dedup_by(|a, b| a == b);
    e
}

/// One bracket of key values [lo, hi] holding some target ranks.
#[derive(Debug, Clone)]
struct Bracket {
    lo: u64,
    hi: u64,
    targets: Vec<usize>,
    /// Sample positions of lo and hi (for the regions' shifts).
    lo_pos: usize,
    hi_pos: usize,
}

/// The brackets of one column and what its pass needs.
#[derive(Debug, Clone)]
struct ColumnPlan {
    brackets: Vec<Bracket>,
    /// lo₀, hi₀, lo₁, hi₁, …: a key's position among them is even in a region
    /// (region p/2) and odd inside a bracket (bracket (p-1)/2).
    bounds: Vec<u64>,
    /// A value inside each region (from the sample), subtracted before summing.
    shifts: Vec<f64>,
}

/// Sample positions (lo_i, hi_i as computed, then clamped lo_pos, hi_pos)
/// of the bracket around rank `r` of `n`, from a sample of `m` values.
fn bracket_span(r: usize, n: usize, m: usize) -> (f64, f64, usize, usize) {
    let p = (r as f64 + 0.5) / n as f64;
    let pos = p * m as f64;
    let margin = 5.0 * (m as f64 * p * (1.0 - p)).sqrt() + 4.0;
    let lo_i = (pos - margin).floor();
    let hi_i = (pos + margin).ceil();
    let lo_pos = if lo_i < 0.0 { 0 } else { lo_i as usize };
    let hi_pos = if hi_i >= m as f64 {
        m - 1
    } else {
        hi_i as usize
    };
    (lo_i, hi_i, lo_pos.min(m - 1), hi_pos)
}

/// Brackets around the target ranks of one column from a sample of it in
/// which every position [`bracket_span`] names holds its order statistic.
fn brackets_for(sample: &[u64], n: usize, targets: &[usize]) -> Vec<Bracket> {
    let m = sample.len();
    let mut out: Vec<Bracket> = Vec::new();
    for &r in targets {
        let (lo_i, hi_i, lo_pos, hi_pos) = bracket_span(r, n, m);
        let lo = if lo_i < 0.0 { 0 } else { sample[lo_pos] };
        let hi = if hi_i >= m as f64 {
            u64::MAX
        } else {
            sample[hi_pos]
        };
        match out.last_mut() {
            Some(last) if lo <= last.hi => {
                last.hi = last.hi.max(hi);
                last.hi_pos = last.hi_pos.max(hi_pos);
                last.targets.push(r);
            }
            _ => out.push(Bracket {
                lo,
                hi,
                targets: vec![r],
                lo_pos,
                hi_pos,
            }),
        }
    }
    out
}

/// Selects, in place, the order statistics of `sample` at `positions`
/// (any order, repeats allowed); returns them sorted and deduplicated.
fn select_positions(sample: &mut [u64], mut positions: Vec<usize>) -> Vec<usize> {
    positions.retain(|&p| p < sample.len());
    positions.sort_unstable();
    positions.dedup();
    multiselect(sample, &positions, 0);
    positions
}

/// [`select_positions`] on a sample whose order statistics at `done`
/// (sorted) are already in place: each new position is selected only among
/// the values between its neighbours in `done`.
fn select_more(sample: &mut [u64], done: &[usize], mut positions: Vec<usize>) {
    positions.retain(|&p| p < sample.len());
    positions.sort_unstable();
    positions.dedup();
    let mut rest = &positions[..];
    while let Some(&p) = rest.first() {
        let after = done.partition_point(|&x| x <= p);
        if after > 0 && done[after - 1] == p {
            rest = &rest[1..];
            continue;
        }
        let start = if after == 0 { 0 } else { done[after - 1] + 1 };
        let end = done.get(after).copied().unwrap_or(sample.len());
        let take = rest.partition_point(|&x| x < end);
        let local: Vec<usize> = rest[..take].iter().map(|&x| x - start).collect();
        multiselect(&mut sample[start..end], &local, 0);
        rest = &rest[take..];
    }
}

/// The plan of one column from an unordered sample of it (reordered in
/// place): the same brackets and shifts a sorted sample gives, found by
/// selecting the few order statistics they read instead of sorting.
fn column_plan(sample: &mut [u64], n: usize, targets: &[usize]) -> ColumnPlan {
    let m = sample.len();
    let ends = targets
        .iter()
        .flat_map(|&r| {
            let (_, _, lo, hi) = bracket_span(r, n, m);
            [lo, hi]
        })
        .collect();
    let done = select_positions(sample, ends);
    let brackets = brackets_for(sample, n, targets);
    let bounds = brackets.iter().flat_map(|b| [b.lo, b.hi]).collect();
    let middles: Vec<usize> = (0..=brackets.len())
        .map(|r| {
            let start = if r == 0 { 0 } else { brackets[r - 1].hi_pos };
            let end = if r == brackets.len() {
                m - 1
            } else {
                brackets[r].lo_pos
            };
            (start + end.max(start)) / 2
        })
        .collect();
    select_more(sample, &done, middles.clone());
    let shifts = middles.iter().map(|&p| unkey(sample[p])).collect();
    ColumnPlan {
        brackets,
        bounds,
        shifts,
    }
}

/// Most brackets the pass handles per column (deciles need 9; more
/// percentiles take the plain path).
const MAX_BRACKETS: usize = 9;

/// Positions a value can take among a column's bracket bounds: a value
/// inside bracket b has position 2b + 1, its id is column * SLOTS + 2b + 1.
const SLOTS: usize = 2 * MAX_BRACKETS;

/// Columns handled together by the pass (one AVX-512 vector of f64).
const LANES: usize = 8;

/// Signed order-preserving key of a f64: `key(x) ^ (1 << 63)` read as i64
/// (vector units compare signed 64-bit integers).
#[inline(always)]
fn skey(x: f64) -> i64 {
    let b = x.to_bits() as i64;
    b ^ ((((b >> 63) as u64) >> 1) as i64)
}

#[inline(always)]
fn signed(k: u64) -> i64 {
    (k ^ (1 << 63)) as i64
}

/// The pass's parameters for one group of up to [`LANES`] columns; lanes
/// past the last column, and brackets past a column's own, never match.
struct GroupPlan {
    /// (lo, hi) keys of each bracket slot: lo inclusive, hi exclusive.
    bounds: Vec<([i64; LANES], [i64; LANES])>,
    /// Shift of each region (`bounds.len() + 1` regions).
    shifts: Vec<[f64; LANES]>,
}

impl GroupPlan {
    fn new(plans: &[ColumnPlan]) -> GroupPlan {
        let slots = plans.iter().map(|p| p.brackets.len()).max().unwrap_or(0);
        let mut bounds = vec![([i64::MAX; LANES], [i64::MAX; LANES]); slots];
        let mut shifts = vec![[0.0; LANES]; slots + 1];
        for (l, p) in plans.iter().enumerate() {
            for (b, pair) in p.bounds.chunks_exact(2).enumerate() {
                bounds[b].0[l] = signed(pair[0]);
                bounds[b].1[l] = signed(pair[1]);
            }
            for (r, &s) in p.shifts.iter().enumerate() {
                shifts[r][l] = s;
            }
        }
        GroupPlan { bounds, shifts }
    }
}

/// Count, sum and sum of squares of the shifted values of one region, per lane.
#[derive(Clone, Copy)]
struct RegionSums {
    s1: [f64; LANES],
    s2: [f64; LANES],
    n: [u64; LANES],
}

/// What one chunk of rows adds up for one group of columns.
#[derive(Clone)]
struct GroupSums {
    regions: Vec<RegionSums>,
    lo: [f64; LANES],
    hi: [f64; LANES],
    /// Plain column sums, in row order (as [`column_moments`] adds them).
    sum: [f64; LANES],
    nan: [u64; LANES],
}

impl GroupSums {
    fn new(plan: &GroupPlan) -> GroupSums {
        let regions = plan.shifts.len();
        let zero = RegionSums {
            s1: [0.0; LANES],
            s2: [0.0; LANES],
            n: [0; LANES],
        };
        GroupSums {
            regions: vec![zero; regions],
            lo: [f64::INFINITY; LANES],
            hi: [f64::NEG_INFINITY; LANES],
            sum: [0.0; LANES],
            nan: [0; LANES],
        }
    }
}

/// One chunk of the bracketed pass.
struct ChunkPass {
    groups: Vec<GroupSums>,
    /// Keys inside brackets, grouped by (column, bracket), each group in row
    /// order; group i = `c * SLOTS + 2b + 1` is `inside[offsets[i]..offsets[i + 1]]`.
    inside: Vec<u64>,
    offsets: Vec<usize>,
}

impl ChunkPass {
    fn inside(&self, column: usize, bracket: usize) -> &[u64] {
        let i = column * SLOTS + 2 * bracket + 1;
        &self.inside[self.offsets[i]..self.offsets[i + 1]]
    }
}

/// Adds one group of columns of one row to `acc`; inside values go to `hits`
/// as (column * SLOTS + position, key). Scalar version.
#[inline(always)]
fn add_group(
    x: &[f64; LANES],
    plan: &GroupPlan,
    acc: &mut GroupSums,
    first_col: usize,
    hits: &mut Hits,
) {
    for l in 0..LANES {
        let xl = x[l];
        let s = skey(xl);
        // position among lo₀, hi₀, lo₁, …: even in a region, odd inside a bracket
        let mut pos = 0usize;
        for (lo, hi) in &plan.bounds {
            pos += (s >= lo[l]) as usize + (s > hi[l]) as usize;
        }
        acc.sum[l] += xl;
        acc.lo[l] = if xl < acc.lo[l] { xl } else { acc.lo[l] };
        acc.hi[l] = if xl > acc.hi[l] { xl } else { acc.hi[l] };
        acc.nan[l] |= xl.is_nan() as u64;
        if pos & 1 == 0 {
            let r = pos >> 1;
            if let (Some(sums), Some(shift)) = (acc.regions.get_mut(r), plan.shifts.get(r)) {
                let t = xl - shift[l];
                sums.s1[l] += t;
                sums.s2[l] += t * t;
                sums.n[l] += 1;
            }
        } else {
            hits.push((first_col + l) * SLOTS + pos.min(SLOTS - 1), key(xl));
        }
    }
}

/// Rows per block: a block stays in L1 while each group of columns runs
/// over it, and a region's count in a block fits in 8 bits.
#[cfg(target_arch = "x86_64")]
const BLOCK_ROWS: usize = 128;

/// One group of columns over every row of a block (at most [`BLOCK_ROWS`]
/// rows of `width` values), with AVX-512; `R` is the group's region count
/// (brackets + 1). Each lane does what [`add_group`] does for its column (its
/// sums change only by its own values, in row order), with the sums held in
/// registers across the block and the region counts packed 8 bits per region.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,popcnt")]
#[inline]
fn scan_group_avx512<const R: usize>(
    block: &[f64],
    width: usize,
    g: usize,
    plan: &GroupPlan,
    acc: &mut GroupSums,
    hits: &mut Hits,
    next: &[f64],
) {
    use std::arch::x86_64::*;
    // brackets: the group's regions less one
    let nb = R - 1;
    let lanes = width.saturating_sub(g * LANES).min(LANES);
    let n_rows = block.len() / width.max(1);
    let fits = lanes > 0 && nb <= MAX_BRACKETS && n_rows <= BLOCK_ROWS;
    debug_assert!(fits, "the caller passes a real group and one block");
    if !fits {
        return;
    }
    let mask: __mmask8 = ((1u32 << lanes) - 1) as __mmask8;
    hits.keys.reserve(n_rows * LANES);
    hits.ids.reserve(n_rows * LANES);
    // SAFETY: (all loads and stores) every array read or written as a vector
    // holds exactly LANES (8) 64-bit values; the masked loads of a row of
    // `block` (`width` values) read only its columns g * LANES + [0, lanes);
    // each row stores one vector at the hits' length and advances it by at
    // most LANES, within the n_rows * LANES slots reserved above.
    unsafe {
        let none = [i64::MAX; LANES];
        let mut lo_b = [_mm512_setzero_si512(); R];
        let mut hi_b = [_mm512_setzero_si512(); R];
        for b in 0..nb {
            let (lo, hi) = plan.bounds.get(b).map_or((&none, &none), |(l, h)| (l, h));
            lo_b[b] = _mm512_loadu_epi64(lo.as_ptr());
            hi_b[b] = _mm512_loadu_epi64(hi.as_ptr());
        }
        let zero_shift = [0.0; LANES];
        let mut shift = [_mm512_setzero_pd(); R];
        let mut s1 = [_mm512_setzero_pd(); R];
        let mut s2 = [_mm512_setzero_pd(); R];
        for r in 0..R {
            shift[r] = _mm512_loadu_pd(plan.shifts.get(r).unwrap_or(&zero_shift).as_ptr());
            if let Some(sums) = acc.regions.get(r) {
                s1[r] = _mm512_loadu_pd(sums.s1.as_ptr());
                s2[r] = _mm512_loadu_pd(sums.s2.as_ptr());
            }
        }
        let mut sum = _mm512_loadu_pd(acc.sum.as_ptr());
        let mut lo = _mm512_loadu_pd(acc.lo.as_ptr());
        let mut hi = _mm512_loadu_pd(acc.hi.as_ptr());
        let mut nan: __mmask8 = 0;
        // region r's count of this block in bits 8r.. of `packed` (r < 8) or
        // 8(r - 8).. of `packed_hi`
        let mut packed = _mm512_setzero_si512();
        let mut packed_hi = _mm512_setzero_si512();
        let one = _mm512_set1_epi64(1);
        let sign = _mm512_set1_epi64(i64::MIN);
        let sixty_four = _mm512_set1_epi64(64);
        let base = g * LANES * SLOTS;
        let mut ids = [0i64; LANES];
        for (l, id) in ids.iter_mut().enumerate() {
            *id = (base + l * SLOTS) as i64;
        }
        let ids = _mm512_loadu_epi64(ids.as_ptr());
        let keys_out = hits.keys.as_mut_ptr();
        let ids_out = hits.ids.as_mut_ptr();
        let mut len = hits.keys.len().min(hits.ids.len());
        // the next block's row i is prefetched with this block's row i
        let lines = (width * 8).div_ceil(64);
        let mut ahead = next.chunks_exact(width);
        for row in block.chunks_exact(width) {
            if let Some(upcoming) = ahead.next() {
                let p = upcoming.as_ptr() as *const i8;
                for c in 0..lines {
                    _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(64 * c));
                }
            }
            let xv = _mm512_maskz_loadu_pd(mask, row.as_ptr().add(g * LANES));
            let bits = _mm512_castpd_si512(xv);
            let s = _mm512_xor_si512(bits, _mm512_srli_epi64::<1>(_mm512_srai_epi64::<63>(bits)));
            // position among lo₀, hi₀, lo₁, …: even in a region, odd inside a bracket
            let mut pos = _mm512_setzero_si512();
            for b in 0..nb {
                pos = _mm512_mask_add_epi64(pos, _mm512_cmpge_epi64_mask(s, lo_b[b]), pos, one);
                pos = _mm512_mask_add_epi64(pos, _mm512_cmpgt_epi64_mask(s, hi_b[b]), pos, one);
            }
            sum = _mm512_add_pd(sum, xv);
            // MINPD/MAXPD return the second operand unless the first is smaller
            // (larger): exactly `if x < lo { x } else { lo }`
            lo = _mm512_min_pd(xv, lo);
            hi = _mm512_max_pd(xv, hi);
            nan |= _mm512_cmp_pd_mask::<_CMP_UNORD_Q>(xv, xv);
            for r in 0..R {
                let m = _mm512_cmpeq_epi64_mask(pos, _mm512_set1_epi64(2 * r as i64));
                let t = _mm512_sub_pd(xv, shift[r]);
                s1[r] = _mm512_mask_add_pd(s1[r], m, s1[r], t);
                s2[r] = _mm512_mask_add_pd(s2[r], m, s2[r], _mm512_mul_pd(t, t));
            }
            let odd = _mm512_test_epi64_mask(pos, one);
            let even = !odd;
            // pos = 2r: 1 << 8r (shift counts of 64 and more give 0)
            let bit = _mm512_slli_epi64::<2>(pos);
            packed = _mm512_mask_add_epi64(packed, even, packed, _mm512_sllv_epi64(one, bit));
            if R > 8 {
                let high = _mm512_sllv_epi64(one, _mm512_sub_epi64(bit, sixty_four));
                packed_hi = _mm512_mask_add_epi64(packed_hi, even, packed_hi, high);
            }
            _mm512_storeu_epi64(
                keys_out.add(len) as *mut i64,
                _mm512_maskz_compress_epi64(odd, _mm512_xor_si512(s, sign)),
            );
            _mm512_storeu_epi64(
                ids_out.add(len) as *mut i64,
                _mm512_maskz_compress_epi64(odd, _mm512_add_epi64(ids, pos)),
            );
            len += _popcnt32(odd as i32) as usize;
        }
        hits.keys.set_len(len);
        hits.ids.set_len(len);
        let mut counts = [[0u64; LANES]; 2];
        _mm512_storeu_epi64(counts[0].as_mut_ptr() as *mut i64, packed);
        _mm512_storeu_epi64(counts[1].as_mut_ptr() as *mut i64, packed_hi);
        for r in 0..R {
            if let Some(sums) = acc.regions.get_mut(r) {
                _mm512_storeu_pd(sums.s1.as_mut_ptr(), s1[r]);
                _mm512_storeu_pd(sums.s2.as_mut_ptr(), s2[r]);
                let (word, at) = (r / 8, 8 * (r % 8));
                for (n, &c) in sums.n.iter_mut().zip(&counts[word]) {
                    *n += (c >> at) & 0xff;
                }
            }
        }
        _mm512_storeu_pd(acc.sum.as_mut_ptr(), sum);
        _mm512_storeu_pd(acc.lo.as_mut_ptr(), lo);
        _mm512_storeu_pd(acc.hi.as_mut_ptr(), hi);
        acc.nan[0] |= nan as u64;
    }
}

/// Keys inside brackets with their (column * SLOTS + position) ids,
/// in the order found.
struct Hits {
    ids: Vec<u64>,
    keys: Vec<u64>,
}

impl Hits {
    fn with_capacity(n: usize) -> Hits {
        Hits {
            ids: Vec::with_capacity(n),
            keys: Vec::with_capacity(n),
        }
    }

    #[inline]
    fn push(&mut self, id: usize, key: u64) {
        self.ids.push(id as u64);
        self.keys.push(key);
    }

    /// The keys grouped by id (stably: each group keeps the order found).
    /// Runs `f` with this thread's cleared hit buffers (kept between calls:
    /// fresh buffers of this size cost a page fault per 4 KB every time).
    fn with_scratch<T>(f: impl FnOnce(&mut Hits) -> T) -> T {
        thread_local! {
            static SCRATCH: std::cell::RefCell<Hits> =
                const { std::cell::RefCell::new(Hits { ids: Vec::new(), keys: Vec::new() }) };
        }
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut hits) => {
                hits.ids.clear();
                hits.keys.clear();
                f(&mut hits)
            }
            Err(_) => f(&mut Hits::with_capacity(0)),
        })
    }

    fn to_chunk(&self, groups: Vec<GroupSums>, k: usize) -> ChunkPass {
        let slots = k * SLOTS;
        let mut offsets = vec![0usize; slots + 1];
        for &id in &self.ids {
            if let Some(c) = offsets.get_mut(id as usize + 1) {
                *c += 1;
            }
        }
        for i in 0..slots {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut inside = vec![0u64; offsets[slots]];
        for (&id, &kv) in self.ids.iter().zip(&self.keys) {
            if let Some(at) = fill.get_mut(id as usize) {
                if let Some(slot) = inside.get_mut(*at) {
                    *slot = kv;
                }
                *at += 1;
            }
        }
        ChunkPass {
            groups,
            inside,
            offsets,
        }
    }
}

/// The bracketed pass over one chunk of rows, one row at a time (portable).
fn scan_chunk(
    rows: &[f64],
    d: usize,
    features: &[usize],
    identity: bool,
    plans: &[GroupPlan],
) -> ChunkPass {
    let k = features.len();
    let mut groups: Vec<GroupSums> = plans.iter().map(GroupSums::new).collect();
    let mut xbuf = vec![0.0; plans.len() * LANES];
    Hits::with_scratch(|hits| {
        for row in rows.chunks_exact(d) {
            fill_row(&mut xbuf, row, features, identity);
            for (g, ((plan, acc), x)) in plans
                .iter()
                .zip(groups.iter_mut())
                .zip(xbuf.chunks_exact(LANES))
                .enumerate()
            {
                let x: &[f64; LANES] = match x.try_into() {
                    Ok(x) => x,
                    Err(_) => {
                        debug_assert!(false, "chunks_exact gives whole groups");
                        continue;
                    }
                };
                add_group(x, plan, acc, g * LANES, hits);
            }
        }
        hits.to_chunk(groups, k)
    })
}

/// Copies the listed features of `row` to the start of `out`.
#[inline]
fn fill_row(out: &mut [f64], row: &[f64], features: &[usize], identity: bool) {
    if identity && out.len() >= row.len() {
        out[..row.len()].copy_from_slice(row);
    } else {
        for (o, &f) in out.iter_mut().zip(features) {
            *o = row.get(f).copied().unwrap_or(0.0);
        }
    }
}

/// [`scan_chunk`] with AVX-512: rows copied in blocks, each group of columns
/// run over a block with its sums in registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,popcnt")]
fn scan_chunk_avx512(
    rows: &[f64],
    d: usize,
    features: &[usize],
    identity: bool,
    plans: &[GroupPlan],
) -> ChunkPass {
    let k = features.len();
    // all columns: straight from the rows; else the listed ones copied to a
    // padded block
    let width = if identity { d } else { plans.len() * LANES };
    let mut groups: Vec<GroupSums> = plans.iter().map(GroupSums::new).collect();
    let mut block = vec![0.0; if identity { 0 } else { BLOCK_ROWS * width }];
    Hits::with_scratch(|hits| {
        for (b, part) in rows.chunks(BLOCK_ROWS * d).enumerate() {
            let n_rows = part.len() / d;
            let next = if identity {
                rows.chunks(BLOCK_ROWS * d).nth(b + 1).unwrap_or(&[])
            } else {
                &[]
            };
            let used = if identity {
                part
            } else {
                for (out, row) in block.chunks_exact_mut(width).zip(part.chunks_exact(d)) {
                    fill_row(out, row, features, identity);
                }
                &block[..n_rows * width]
            };
            for (g, (plan, acc)) in plans.iter().zip(groups.iter_mut()).enumerate() {
                let h = &mut *hits;
                // the first group pulls the next block in
                let ahead = if g == 0 { next } else { &[] };
                match plan.bounds.len() {
                    1 => scan_group_avx512::<2>(used, width, g, plan, acc, h, ahead),
                    2 => scan_group_avx512::<3>(used, width, g, plan, acc, h, ahead),
                    3 => scan_group_avx512::<4>(used, width, g, plan, acc, h, ahead),
                    4 => scan_group_avx512::<5>(used, width, g, plan, acc, h, ahead),
                    5 => scan_group_avx512::<6>(used, width, g, plan, acc, h, ahead),
                    6 => scan_group_avx512::<7>(used, width, g, plan, acc, h, ahead),
                    7 => scan_group_avx512::<8>(used, width, g, plan, acc, h, ahead),
                    8 => scan_group_avx512::<9>(used, width, g, plan, acc, h, ahead),
                    _ => scan_group_avx512::<10>(used, width, g, plan, acc, h, ahead),
                }
            }
        }
        hits.to_chunk(groups, k)
    })
}

/// [`scan_chunk`] with AVX-512 when the CPU has it (the same arithmetic:
/// lanes are columns, each summed in row order).
fn scan_chunk_best(
    rows: &[f64],
    d: usize,
    features: &[usize],
    identity: bool,
    plans: &[GroupPlan],
    simd: bool,
) -> ChunkPass {
    #[cfg(not(target_arch = "x86_64"))]
    let _ = simd; // only x86-64 has the vector pass
    #[cfg(target_arch = "x86_64")]
    if simd
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("popcnt")
    {
        // SAFETY: the CPU supports the feature the function is compiled for.
        let out = unsafe { scan_chunk_avx512(rows, d, features, identity, plans) };
        crate::cpu::clear_upper_state();
        return out;
    }
    scan_chunk(rows, d, features, identity, plans)
}

/// Sums of values less a fixed shift.
#[derive(Debug, Clone, Copy, Default)]
struct Shifted {
    n: usize,
    s1: f64,
    s2: f64,
}

impl Shifted {
    /// (count, mean, sum of squared deviations) given the shift.
    fn finish(&self, shift: f64) -> (usize, f64, f64) {
        if self.n == 0 {
            return (0, 0.0, 0.0);
        }
        let nf = self.n as f64;
        (
            self.n,
            shift + self.s1 / nf,
            (self.s2 - self.s1 * self.s1 / nf).max(0.0),
        )
    }
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

/// [`quantile_bins`] plus each listed column's mean, variance and scale, in
/// one pass over the rows: a sample of rows brackets each order statistic,
/// the pass keeps moments of the values between brackets and the values
/// inside them, and the exact order statistics are selected among those.
pub fn quantile_bins_with_moments(
    data: ArrayView2<f64>,
    features: &[usize],
    q: &[f64],
) -> Result<QuantileOutput> {
    quantile_pass(data, features, q, true)
}

/// [`quantile_bins_with_moments`]; `simd` false forces the portable pass.
fn quantile_pass(
    data: ArrayView2<f64>,
    features: &[usize],
    q: &[f64],
    simd: bool,
) -> Result<QuantileOutput> {
    let (n, d) = data.dim();
    check_percentile_args(n, d, features, q)?;
    if q.is_empty() {
        return Err(LimeError::invalid("percentiles", "need at least one"));
    }
    if n < BRACKET_MIN_ROWS {
        return plain_quantile_bins(data, features, q);
    }
    let flat = row_major(&data);
    let plan = linear_plan(n, q);
    let mut targets: Vec<usize> = plan.iter().flat_map(|&(a, b, _)| [a, b]).collect();
    targets.sort_unstable();
    targets.dedup();
    let k = features.len();
    // 1. brackets from a strided sample of rows, LANES columns per task
    let stride = n / SAMPLE_ROWS;
    let mut samples = vec![0u64; SAMPLE_ROWS * k];
    let plans: Vec<ColumnPlan> = crate::pool::install(|| {
        samples
            .par_chunks_mut(SAMPLE_ROWS * LANES)
            .zip(features.par_chunks(LANES))
            .flat_map_iter(|(cols, fs)| {
                for s in 0..SAMPLE_ROWS {
                    prefetch(&flat, (s + 16) * stride * d);
                    let row = &flat[s * stride * d..(s * stride + 1) * d];
                    for (col, &f) in cols.chunks_exact_mut(SAMPLE_ROWS).zip(fs) {
                        col[s] = key(row[f]);
                    }
                }
                cols.chunks_exact_mut(SAMPLE_ROWS)
                    .map(|sample| column_plan(sample, n, &targets))
                    .collect::<Vec<_>>()
            })
            .collect()
    });
    if plans.iter().any(|p| p.brackets.len() > MAX_BRACKETS) {
        return plain_quantile_bins(data, features, q);
    }
    // 2. the pass, LANES columns at a time
    let groups: Vec<GroupPlan> = plans.chunks(LANES).map(GroupPlan::new).collect();
    let identity = features.len() == d && features.iter().enumerate().all(|(i, &f)| i == f);
    let parts = over_row_chunks(&flat, d, |rows| {
        scan_chunk_best(rows, d, features, identity, &groups, simd)
    });
    let lane = |i: usize| (i / LANES, i % LANES);
    if parts
        .iter()
        .any(|p| p.groups.iter().any(|g| g.nan.iter().any(|&b| b != 0)))
    {
        return Err(non_finite_error("training_data", &flat, d));
    }
    // 3. per column: merge chunks, select, bin
    let finish = |i: usize| -> Result<(QuantileBins, f64, f64)> {
        let (g, l) = lane(i);
        let br = &plans[i].brackets;
        let mut regions = vec![(0usize, 0.0, 0.0); br.len() + 1];
        let sizes: Vec<usize> = (0..br.len())
            .map(|b| parts.iter().map(|p| p.inside(i, b).len()).sum())
            .collect();
        let mut inside: Vec<Vec<u64>> = sizes.iter().map(|&s| Vec::with_capacity(s)).collect();
        let (mut lo, mut hi, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
        for p in &parts {
            let c = &p.groups[g];
            for (r, (acc, &shift)) in regions.iter_mut().zip(&plans[i].shifts).enumerate() {
                let m = Shifted {
                    n: c.regions[r].n[l] as usize,
                    s1: c.regions[r].s1[l],
                    s2: c.regions[r].s2[l],
                };
                *acc = merge(*acc, m.finish(shift));
            }
            for (b, acc) in inside.iter_mut().enumerate() {
                acc.extend_from_slice(p.inside(i, b));
            }
            lo = lo.min(c.lo[l]);
            hi = hi.max(c.hi[l]);
            sum += c.sum[l];
        }
        if !(lo.is_finite() && hi.is_finite() && sum.is_finite()) {
            return Err(non_finite_error("training_data", &flat, d));
        }
        // rank of each target within its bracket
        let mut below = 0usize;
        let mut order: Vec<(usize, u64)> = Vec::with_capacity(targets.len());
        for (b, bracket) in br.iter().enumerate() {
            below += regions[b].0;
            let local: Vec<usize> = bracket
                .targets
                .iter()
                .map(|&r| r.wrapping_sub(below))
                .collect();
            if local.iter().any(|&l| l >= inside[b].len()) {
                return fallback(&flat, n, d, features[i], q).map(|qb| (qb, sum, f64::NAN));
            }
            select_targets(&mut inside[b], &local);
            order.extend(
                bracket
                    .targets
                    .iter()
                    .zip(&local)
                    .map(|(&r, &l)| (r, inside[b][l])),
            );
            below += inside[b].len();
        }
        let value_at =
            |r: usize| unkey(order.iter().find(|&&(t, _)| t == r).map_or(0, |&(_, v)| v));
        let percentiles = lerp_plan(&plan, value_at);
        let edges = unique_sorted(&percentiles);
        // bins: regions fall wholly in one bin, values inside brackets are binned one by one
        let mut bins = vec![(0usize, 0.0, 0.0); edges.len() + 1];
        for (r, summary) in regions.iter().enumerate() {
            let bin = if r == 0 {
                0
            } else {
                edges.iter().filter(|&&e| key(e) <= br[r - 1].hi).count()
            };
            bins[bin] = merge(bins[bin], *summary);
        }
        let mut extra = vec![Moments::default(); edges.len() + 1];
        for values in &inside {
            for &kv in values {
                let x = unkey(kv);
                extra[bin_of(&edges, x)].push(x);
            }
        }
        for (b, m) in bins.iter_mut().zip(&extra) {
            *b = merge(*b, m.finish());
        }
        let whole = bins.iter().fold((0usize, 0.0, 0.0), |a, &b| merge(a, b));
        Ok((
            QuantileBins {
                percentiles,
                stats: summarise(&bins, lo, hi),
                edges,
            },
            sum,
            whole.2 / n as f64,
        ))
    };
    let done: Vec<Result<(QuantileBins, f64, f64)>> =
        crate::pool::install(|| (0..k).into_par_iter().map(finish).collect());
    let mut bins = Vec::with_capacity(k);
    let mut mean = Vec::with_capacity(k);
    let mut var = Vec::with_capacity(k);
    for r in done {
        let (qb, sum, v) = r?;
        bins.push(qb);
        mean.push(sum / n as f64);
        var.push(v);
    }
    if var.iter().any(|v| v.is_nan()) {
        // a column took the fallback: its variance the plain way
        let m = column_moments(data)?;
        for (i, &f) in features.iter().enumerate() {
            if var[i].is_nan() {
                var[i] = m.var[f];
            }
        }
    }
    finish_moments(bins, mean, var, n)
}

fn finish_moments(
    bins: Vec<QuantileBins>,
    mean: Vec<f64>,
    var: Vec<f64>,
    n: usize,
) -> Result<QuantileOutput> {
    if var.iter().any(|v| !v.is_finite()) {
        return Err(LimeError::invalid(
            "training_data",
            "values are too large: column variances overflow",
        ));
    }
    let var: Vec<f64> = var.into_iter().map(|v| v.max(0.0)).collect();
    let scale = scales(&mean, &var, n);
    Ok(QuantileOutput {
        bins,
        moments: ColumnMoments { mean, var, scale },
    })
}

/// Percentiles then bin statistics, one after the other.
fn plain_quantile_bins(
    data: ArrayView2<f64>,
    features: &[usize],
    q: &[f64],
) -> Result<QuantileOutput> {
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

fn summarise(bins: &[(usize, f64, f64)], min: f64, max: f64) -> BinStats {
    BinStats {
        counts: bins.iter().map(|b| b.0).collect(),
        means: bins.iter().map(|b| b.1).collect(),
        stds: bins
            .iter()
            .map(|&(c, _, q)| if c == 0 { 0.0 } else { (q / c as f64).sqrt() } + 0.000_000_000_01)
            .collect(),
        min,
        max,
    }
}

/// One column the plain way (a bracket missed its target: never expected).
fn fallback(flat: &[f64], n: usize, d: usize, f: usize, q: &[f64]) -> Result<QuantileBins> {
    let column: Vec<f64> = (0..n).map(|r| flat[r * d + f]).collect();
    let percentiles = percentiles_of(&column, q);
    let edges = unique_sorted(&percentiles);
    let view = ArrayView2::from_shape((n, 1), &column[..])
        .map_err(|e| LimeError::Numerical(e.to_string()))?;
    let stats = bin_stats(view, &[0], std::slice::from_ref(&edges))?.remove(0);
    Ok(QuantileBins {
        percentiles,
        edges,
        stats,
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

    #[test]
    fn quantile_bins_match_the_plain_path() {
        use crate::rng::stream;
        use rand::RngExt;
        let mut rng = stream(5, &[]);
        for &n in &[40_000usize, 70_001] {
            let x = Array2::from_shape_fn((n, 4), |(_, j)| {
                let u: f64 = rng.random();
                match j {
                    0 => u,
                    1 => (u * 5.0).floor(), // heavy ties
                    2 => (-u.ln()).powi(3), // skewed
                    _ => 3.0,               // constant
                }
            });
            let f = [0, 1, 2, 3];
            for q in [
                &[25.0, 50.0, 75.0][..],
                &[10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0],
            ] {
                let fused = quantile_bins(x.view(), &f, q).unwrap();
                let plain = percentiles(x.view(), &f, q).unwrap();
                for (j, qb) in fused.iter().enumerate() {
                    assert_eq!(qb.percentiles, plain[j], "column {j}");
                    let stats = bin_stats(x.view(), &[j], std::slice::from_ref(&qb.edges))
                        .unwrap()
                        .remove(0);
                    assert_eq!(qb.stats.counts, stats.counts, "column {j}");
                    for (a, b) in qb.stats.means.iter().zip(&stats.means) {
                        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} {b}");
                    }
                    for (a, b) in qb.stats.stds.iter().zip(&stats.stds) {
                        assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-6), "{a} {b}");
                    }
                    assert_eq!((qb.stats.min, qb.stats.max), (stats.min, stats.max));
                }
            }
        }
    }

    #[test]
    fn vector_pass_equals_portable_pass_and_moments() {
        #[cfg(target_arch = "x86_64")]
        let vector = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("popcnt");
        #[cfg(not(target_arch = "x86_64"))]
        let vector = false;
        if !vector {
            eprintln!("skipped vector = portable: this CPU cannot run the AVX-512 quantile pass");
        }
        use crate::rng::stream;
        use rand::RngExt;
        let mut rng = stream(9, &[]);
        let x = Array2::from_shape_fn((50_001, 11), |(_, j)| {
            let u: f64 = rng.random();
            match j {
                0 => (u * 3.0).floor() - 1.0,
                1 => {
                    if u < 0.5 {
                        -0.0
                    } else {
                        0.0
                    }
                }
                2 => (u - 0.5) * 1e-300,
                3 => (-u.ln()).powi(4),
                _ => u * j as f64,
            }
        });
        let all: Vec<usize> = (0..11).collect();
        let some = [10, 3, 0, 7];
        for q in [
            &[25.0, 50.0, 75.0][..],
            &[10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0],
        ] {
            for f in [&all[..], &some[..]] {
                let fast = quantile_pass(x.view(), f, q, true).unwrap();
                let slow = quantile_pass(x.view(), f, q, false).unwrap();
                if vector {
                    assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
                }
                let m = column_moments(x.view()).unwrap();
                for (i, &c) in f.iter().enumerate() {
                    assert_eq!(fast.moments.mean[i], m.mean[c]);
                    let (a, b) = (fast.moments.var[i], m.var[c]);
                    assert!((a - b).abs() <= 1e-12 * b.max(1e-300), "{a} {b}");
                    assert_eq!(fast.moments.scale[i] == 1.0, m.scale[c] == 1.0);
                }
            }
        }
        let mut bad = x.clone();
        bad[(40_000, 4)] = f64::INFINITY;
        let err = quantile_bins_with_moments(bad.view(), &all, &[50.0]).unwrap_err();
        assert!(err.to_string().contains("row 40000, column 4"), "{err}");
        bad[(30_000, 2)] = f64::NAN;
        let err = quantile_bins_with_moments(bad.view(), &all, &[50.0]).unwrap_err();
        assert!(err.to_string().contains("row 30000, column 2"), "{err}");
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
