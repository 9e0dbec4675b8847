//! The centred, weighted Gram matrix `Σ wᵢ (xᵢ - m)(xᵢ - m)ᵀ` of a
//! neighbourhood, with `m` the weighted column means, as scikit-learn's
//! `Ridge(fit_intercept=True).fit(X, y, sample_weight=w)` builds it.
//!
//! The labels ride along as extra columns, so one product gives the Gram, the
//! label cross-moments and the label variances of every label at once. One
//! design then serves every model of an explanation: feature selection and the
//! final ridge work on sub-blocks of it.
//!
//! Rows are shifted by row 0 (the instance) before the product, and the
//! centring is applied afterwards: `G = A - s sᵀ / Σw` with `A = Σ wᵢ zᵢ zᵢᵀ`,
//! `s = Σ wᵢ zᵢ`, `zᵢ = xᵢ - x₀`. Neighbourhoods lie around the instance, so the
//! shift keeps the cancellation small while needing no pass to find the means.

use faer::linalg::matmul::triangular::{matmul, BlockStructure};
use faer::{Accum, Mat, MatRef, Par};
use ndarray::ArrayView2;

use super::small_gram::{self, Kernel, Rows, Scratch};
use crate::error::{ensure_finite, LimeError, Result};

/// Rows per block: enough depth for the product to be compute-bound, small
/// enough for the block of shifted, weighted rows to stay in cache.
const BLOCK_ROWS: usize = 256;
/// Row 0 (the instance) of the data and of the labels in `cols`: the
/// shift every row is taken relative to, so sums stay well conditioned.
fn row_zero(x: ArrayView2<f64>, y: ArrayView2<f64>, cols: &[usize]) -> Vec<f64> {
    x.row(0)
        .iter()
        .copied()
        .chain(cols.iter().map(|&c| y[(0, c)]))
        .collect()
}

/// Number of row groups summed in parallel: a function of the shape alone,
/// so the sums are added in the same order on 1 or 16 threads. Groups of at
/// least 1024 rows: each costs a setup and a merge, and at 5000 rows on two
/// threads four groups beat eight by ~5%. At most eight; wide designs use
/// fewer, since each group holds a (d + L)² partial Gram.
fn row_groups(n: usize, p: usize) -> usize {
    let cap = if p >= 256 { 4 } else { 8 };
    (n / 1024).clamp(1, cap)
}

#[derive(Debug, Clone)]
pub struct Design {
    pub n: usize,
    pub d: usize,
    pub sum_w: f64,
    /// Weighted column means.
    pub x_mean: Vec<f64>,
    /// `Σ wᵢ (xᵢ - m)(xᵢ - m)ᵀ`, full symmetric d×d.
    pub gram: Mat<f64>,
    /// One entry per label column.
    pub labels: Vec<LabelMoments>,
}

/// What a label adds to a design: its weighted mean and its moments.
#[derive(Debug, Clone)]
pub struct LabelMoments {
    pub y_mean: f64,
    /// `Σ wᵢ (xᵢ - m)(yᵢ - ȳ)`.
    pub xty: Vec<f64>,
    /// `Σ wᵢ (yᵢ - ȳ)²`.
    pub yty: f64,
}

/// Checks sample weights: finite, non-negative, not all zero. Returns their sum.
pub fn check_weights(w: &[f64], n: usize) -> Result<f64> {
    if w.len() != n {
        return Err(LimeError::shape(
            "weights",
            format!("has {} values but the data has {} rows", w.len(), n),
        ));
    }
    // One branch-free pass in the common case (eight lanes, summed in a
    // fixed order): a finite sum of finite, non-negative weights.
    let mut lanes = [0.0f64; 8];
    let mut valid = true;
    let chunks = w.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for (acc, &v) in lanes.iter_mut().zip(c) {
            *acc += v;
            valid &= (0.0..=f64::MAX).contains(&v);
        }
    }
    for (acc, &v) in lanes.iter_mut().zip(tail) {
        *acc += v;
        valid &= (0.0..=f64::MAX).contains(&v);
    }
    let sum = lanes.iter().sum::<f64>();
    if valid && sum.is_finite() && sum > 0.0 {
        return Ok(sum);
    }
    ensure_finite("weights", w.iter())?;
    if let Some(i) = w.iter().position(|&v| v < 0.0) {
        return Err(LimeError::invalid(
            "weights",
            format!(
                "must be non-negative (the kernel returned {} at row {i})",
                w[i]
            ),
        ));
    }
    if sum <= 0.0 {
        return Err(LimeError::invalid(
            "weights",
            "are all zero: no sample is close enough to the instance (increase kernel_width)",
        ));
    }
    Ok(sum)
}

/// Partial sums of one group of rows: `A` (lower triangle), column-major
/// with stride `stride`.
#[derive(Default)]
struct Partial {
    a: Vec<f64>,
    stride: usize,
}

impl Design {
    /// The design of `x` (n × d) with every label column of `y` (n × L).
    pub fn new(x: ArrayView2<f64>, y: ArrayView2<f64>, w: &[f64]) -> Result<Design> {
        let all: Vec<usize> = (0..y.ncols()).collect();
        Design::with_labels(x, y, w, &all)
    }

    /// The design of `x` (n × d) with the label columns `cols` of `y`
    /// (n × L): `labels[k]` describes column `cols[k]`.
    pub fn with_labels(
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
        w: &[f64],
        cols: &[usize],
    ) -> Result<Design> {
        let (n, d) = x.dim();
        if n == 0 || d == 0 {
            return Err(LimeError::shape(
                "neighborhood_data",
                format!("must have at least one row and one column, got shape ({n}, {d})"),
            ));
        }
        if y.nrows() != n {
            return Err(LimeError::shape(
                "neighborhood_labels",
                format!("has {} rows but neighborhood_data has {n}", y.nrows()),
            ));
        }
        if let Some(&bad) = cols.iter().find(|&&c| c >= y.ncols()) {
            return Err(LimeError::invalid(
                "label",
                format!(
                    "column {bad} does not exist: neighborhood_labels has {} columns",
                    y.ncols()
                ),
            ));
        }
        let sum_w = check_weights(w, n)?;
        let l = cols.len();
        let p = d + l;
        // The (p + 1)² sums of every row group and the d × d Gram: refuse what
        // cannot be allocated (a long text without bag of words) up front.
        crate::alloc::ensure_room(
            (p + 1).saturating_mul(p + 1),
            row_groups(n, p) + 1,
            "neighborhood_data",
        )
        .map_err(|_| {
            LimeError::memory(
                "neighborhood_data",
                format!(
                    "{d} features need a {d} x {d} matrix ({} bytes) for this feature \
                     selection; use feature_selection='highest_weights' (or 'auto' with \
                     num_features > 6), which needs none, or fewer features",
                    (d as u128) * (d as u128) * 8
                ),
            )
        })?;
        let shift = row_zero(x.view(), y.view(), cols);
        // Row-major slices (a copy only when the caller passed a strided view).
        let (x, y) = (x.as_standard_layout(), y.as_standard_layout());
        let (xs, ys) = (contiguous(&x)?, contiguous(&y)?);
        let rows = Rows {
            x: xs,
            d,
            y: ys,
            l: y.ncols(),
            cols,
            w,
            shift: &shift,
        };
        let groups = row_groups(n, p);
        let size = n.div_ceil(groups);
        let group = |g: usize| (g * size, ((g + 1) * size).min(n));
        let kernel = Kernel::detect().filter(|_| p < small_gram::MAX_COLUMNS);
        let work = |scratch: &mut Scratch, (start, end): (usize, usize)| {
            // a stopped call skips its remaining groups (checked below)
            match crate::interrupt::check() {
                Ok(()) => accumulate(&rows, kernel, start, end, scratch),
                Err(_) => Partial::default(),
            }
        };
        let partials: Vec<Partial> = if groups == 1 || crate::pool::num_threads() == 1 {
            let mut scratch = Scratch::default();
            (0..groups).map(|g| work(&mut scratch, group(g))).collect()
        } else {
            let mut slots: Vec<Option<Partial>> = (0..groups).map(|_| None).collect();
            let fill = |g: usize, slot: &mut Option<Partial>| {
                *slot = Some(work(&mut Scratch::default(), group(g)));
            };
            // wide Gram matrices take seconds: keep Ctrl-C responsive there
            if p >= small_gram::MAX_COLUMNS {
                crate::pool::for_each_long(slots.iter_mut().collect(), fill);
            } else {
                crate::pool::for_each(slots.iter_mut().collect(), fill);
            }
            slots.into_iter().flatten().collect()
        };
        crate::interrupt::check()?;
        let mut parts = partials.into_iter();
        let Partial { a: mut acc, stride } = parts
            .next()
            .ok_or_else(|| LimeError::Numerical("no rows".into()))?;
        for part in parts {
            for c in 0..=p {
                let (dst, src) = (&mut acc[c * stride..], &part.a[c * stride..]);
                for r in c..=p {
                    dst[r] += src[r];
                }
            }
        }
        let a = |r: usize, c: usize| acc[r.min(c) * stride + r.max(c)];
        let s: Vec<f64> = (0..p).map(|j| a(p, j)).collect();
        // Any NaN or infinity in x or y reaches `s`; name the culprit.
        if !s.iter().all(|v| v.is_finite()) {
            ensure_finite("neighborhood_data", x.iter())?;
            ensure_finite(
                "neighborhood_labels",
                cols.iter().flat_map(|&c| y.column(c)),
            )?;
            return Err(LimeError::Numerical(
                "the neighbourhood's weighted sums overflowed".into(),
            ));
        }
        let centred = |r: usize, c: usize| a(r, c) - s[r] * s[c] / sum_w;
        let gram = Mat::<f64>::from_fn(d, d, centred);
        let x_mean = (0..d).map(|j| shift[j] + s[j] / sum_w).collect();
        let labels = (0..l)
            .map(|k| LabelMoments {
                y_mean: shift[d + k] + s[d + k] / sum_w,
                xty: (0..d).map(|j| centred(d + k, j)).collect(),
                yty: centred(d + k, d + k).max(0.0),
            })
            .collect();
        Ok(Design {
            n,
            d,
            sum_w,
            x_mean,
            gram,
            labels,
        })
    }
}

/// `A = Σ wᵢ zᵢ zᵢᵀ` (lower triangle) over rows `start..end`, with
/// `zᵢ = [xᵢ - x₀, yᵢ - y₀, 1]`: the trailing 1 makes the product also yield
/// `s = Σ wᵢ zᵢ` (its last row) and `Σ wᵢ` (its corner). Narrow designs use
/// the register-blocked kernel of [`small_gram`], wide ones faer's product.
fn accumulate(
    rows: &Rows<'_>,
    kernel: Option<Kernel>,
    start: usize,
    end: usize,
    scratch: &mut Scratch,
) -> Partial {
    let q = rows.q();
    if let Some(a) = kernel.and_then(|k| small_gram::accumulate(k, rows, start, end, scratch)) {
        return Partial {
            a,
            stride: small_gram::stride(q),
        };
    }
    let mut a = Mat::<f64>::zeros(q, q);
    let mut z = vec![0.0; BLOCK_ROWS * q];
    let mut first = true;
    let mut b0 = start;
    let (d, l) = (rows.d, rows.l);
    while b0 < end {
        if crate::interrupt::check().is_err() {
            break; // the caller's check after the groups fails
        }
        let nb = BLOCK_ROWS.min(end - b0);
        simd::fill(
            &mut z[..nb * q],
            &rows.x[b0 * d..(b0 + nb) * d],
            &rows.y[b0 * l..(b0 + nb) * l],
            &rows.w[b0..b0 + nb],
            rows.shift,
            rows.cols,
            d,
            l,
        );
        let zb = MatRef::from_row_major_slice(&z[..nb * q], nb, q);
        let accum = if first { Accum::Replace } else { Accum::Add };
        matmul(
            a.as_mut(),
            BlockStructure::TriangularLower,
            accum,
            zb.transpose(),
            BlockStructure::Rectangular,
            zb,
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
        first = false;
        b0 += nb;
    }
    crate::cpu::clear_upper_state();
    let mut out = vec![0.0; q * q];
    for c in 0..q {
        for r in c..q {
            out[c * q + r] = a[(r, c)];
        }
    }
    Partial { a: out, stride: q }
}

/// Fills a block of `z` rows `[(xᵢ - x₀)·√wᵢ, (yᵢ - y₀)·√wᵢ, √wᵢ]`, compiled
/// for the widest vector unit found at run time (subtract then multiply,
/// never fused: the bits do not depend on the CPU).
mod simd {
    /// `cols` picks the label columns of `y` (rows of `l`).
    type Args<'a> = (&'a [f64], &'a [usize], usize, usize);

    #[inline(always)]
    fn generic(z: &mut [f64], x: &[f64], y: &[f64], w: &[f64], (shift, cols, d, l): Args<'_>) {
        let q = shift.len() + 1;
        let u = cols.len();
        let (sx, sy) = shift.split_at(d);
        let rows = z.chunks_exact_mut(q).zip(x.chunks_exact(d.max(1))).zip(w);
        for (k, ((zr, xr), &wi)) in rows.enumerate() {
            let sw = wi.sqrt();
            let (zx, rest) = zr.split_at_mut(d);
            let (zy, one) = rest.split_at_mut(u);
            for ((o, &v), &c) in zx.iter_mut().zip(xr).zip(sx) {
                *o = (v - c) * sw;
            }
            let yr = &y[k * l..(k + 1) * l];
            for ((o, &col), &c) in zy.iter_mut().zip(cols).zip(sy) {
                *o = (yr[col] - c) * sw;
            }
            one[0] = sw;
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn avx2(z: &mut [f64], x: &[f64], y: &[f64], w: &[f64], args: Args<'_>) {
        generic(z, x, y, w, args)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn avx512(z: &mut [f64], x: &[f64], y: &[f64], w: &[f64], args: Args<'_>) {
        generic(z, x, y, w, args)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn fill(
        z: &mut [f64],
        x: &[f64],
        y: &[f64],
        w: &[f64],
        shift: &[f64],
        cols: &[usize],
        d: usize,
        l: usize,
    ) {
        let args = (shift, cols, d, l);
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU supports the feature the function is compiled for.
                return unsafe { avx512(z, x, y, w, args) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: as above.
                return unsafe { avx2(z, x, y, w, args) };
            }
        }
        generic(z, x, y, w, args)
    }
}

/// The row-major elements of a standard-layout array.
fn contiguous<'a>(a: &'a ndarray::CowArray<'_, f64, ndarray::Ix2>) -> Result<&'a [f64]> {
    a.as_slice()
        .ok_or_else(|| LimeError::Numerical("internal: array not in standard layout".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, Axis};

    fn direct(x: &Array2<f64>, w: &[f64], a: usize, b: usize, ma: f64, mb: f64) -> f64 {
        (0..x.nrows())
            .map(|i| w[i] * (x[(i, a)] - ma) * (x[(i, b)] - mb))
            .sum()
    }

    #[test]
    fn gram_matches_direct_sum() {
        for &(n, d) in &[(7, 3), (50, 200), (5000, 4)] {
            let x =
                Array2::from_shape_fn((n, d), |(i, j)| ((i * 31 + j * 17) % 13) as f64 / 7.0 - 0.5);
            let y = x.sum_axis(Axis(1)).insert_axis(Axis(1));
            let w: Vec<f64> = (0..n).map(|i| 0.1 + (i % 5) as f64).collect();
            let des = Design::new(x.view(), y.view(), &w).unwrap();
            let sw: f64 = w.iter().sum();
            for a in 0..d {
                let ma = (0..n).map(|i| w[i] * x[(i, a)]).sum::<f64>() / sw;
                assert!((des.x_mean[a] - ma).abs() < 1e-12);
                for b in 0..d {
                    let mb = des.x_mean[b];
                    assert!(
                        (des.gram[(a, b)] - direct(&x, &w, a, b, ma, mb)).abs() < 1e-8,
                        "{a} {b}"
                    );
                }
            }
            let lab = &des.labels[0];
            let ym = (0..n).map(|i| w[i] * y[(i, 0)]).sum::<f64>() / sw;
            assert!((lab.y_mean - ym).abs() < 1e-10);
            let yty: f64 = (0..n).map(|i| w[i] * (y[(i, 0)] - ym).powi(2)).sum();
            assert!((lab.yty - yty).abs() < 1e-8 * yty.max(1.0));
        }
    }

    #[test]
    fn small_kernel_agrees_with_general_product() {
        let (n, d, l) = (1500, 30, 3);
        let x = Array2::from_shape_fn((n, d), |(i, j)| {
            ((i * 7919 + j * 104729) % 997) as f64 / 97.0
        });
        let y = Array2::from_shape_fn((n, l), |(i, j)| ((i * 31 + j) % 17) as f64 / 3.0);
        let w: Vec<f64> = (0..n).map(|i| 0.01 + (i % 11) as f64 / 10.0).collect();
        let (xs, ys) = (x.as_slice().unwrap(), y.as_slice().unwrap());
        let cols = [2, 0];
        let shift = row_zero(x.view(), y.view(), &cols);
        let rows = Rows {
            x: xs,
            d,
            y: ys,
            l,
            cols: &cols,
            w: &w,
            shift: &shift,
        };
        let general = accumulate(&rows, None, 100, n, &mut Scratch::default());
        for kernel in [Kernel::Avx512, Kernel::Avx2, Kernel::Portable] {
            if !kernel.runs_here() {
                eprintln!("skipped: this CPU cannot run the {kernel:?} kernel");
                continue;
            }
            let small = accumulate(&rows, Some(kernel), 100, n, &mut Scratch::default());
            let q = rows.q();
            for c in 0..q {
                for r in c..q {
                    let (a, b) = (
                        small.a[c * small.stride + r],
                        general.a[c * general.stride + r],
                    );
                    assert!(
                        (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                        "{kernel:?} {r} {c}: {a} {b}"
                    );
                }
            }
        }
        // The design keeps only the asked-for labels, in the order asked.
        let des = Design::with_labels(x.view(), y.view(), &w, &cols).unwrap();
        let all = Design::new(x.view(), y.view(), &w).unwrap();
        assert_eq!(des.labels.len(), 2);
        for (k, &c) in cols.iter().enumerate() {
            let (a, b) = (&des.labels[k], &all.labels[c]);
            assert!((a.y_mean - b.y_mean).abs() < 1e-12 && (a.yty - b.yty).abs() < 1e-9 * b.yty);
            for j in 0..d {
                assert!((a.xty[j] - b.xty[j]).abs() < 1e-9 * b.xty[j].abs().max(1.0));
            }
        }
        assert!(Design::with_labels(x.view(), y.view(), &w, &[3]).is_err());
    }

    #[test]
    fn rejects_bad_input() {
        let x = Array2::<f64>::ones((3, 2));
        let y = Array2::<f64>::ones((3, 1));
        assert!(Design::new(x.view(), y.view(), &[0.0, 0.0, 0.0]).is_err());
        assert!(Design::new(x.view(), y.view(), &[1.0, -1.0, 1.0]).is_err());
        assert!(Design::new(x.view(), y.view(), &[1.0, 1.0]).is_err());
        assert!(Design::new(x.view(), y.view(), &[1.0, f64::NAN, 1.0]).is_err());
        let mut bad = x.clone();
        bad[(2, 1)] = f64::NAN;
        let err = Design::new(bad.view(), y.view(), &[1.0, 0.0, 1.0]).unwrap_err();
        assert!(err.to_string().contains("neighborhood_data"), "{err}");
        let mut bad_y = y.clone();
        bad_y[(1, 0)] = f64::INFINITY;
        let err = Design::new(x.view(), bad_y.view(), &[1.0, 1.0, 1.0]).unwrap_err();
        assert!(err.to_string().contains("neighborhood_labels"), "{err}");
    }
}
