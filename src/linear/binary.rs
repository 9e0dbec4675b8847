//! Ridge regression on 0/1 data by conjugate gradients, without the Gram
//! matrix.
//!
//! `highest_weights` ranks every feature by a ridge fit on all of them. The
//! neighbourhoods of long documents, images and discretized tables are 0/1
//! and wide, and their d×d Gram matrix costs n·d²/2 multiply-adds (2.5·10⁹ at
//! 5000 × 1000). Conjugate gradients need only products with the data, which
//! on bits packed eight columns to a byte are masked adds: about n·d/4 vector
//! operations an iteration, and a few dozen iterations suffice.
//!
//! The solution comes with a bound on its error, so the caller can tell
//! whether a ranking drawn from it is certain, and take the exact path if not.

use ndarray::{ArrayView1, ArrayView2};
use std::sync::atomic::{AtomicBool, Ordering};

use super::cholesky::dot;

/// Row groups whose sums are added in a fixed order: results do not depend
/// on the number of threads.
const GROUPS: usize = 8;

/// 0/1 rows packed eight columns to a byte (bit k of byte j is column 8j + k).
#[derive(Debug)]
pub struct BitRows {
    pub n: usize,
    pub d: usize,
    /// Bytes per row: a whole number of 64-column words.
    stride: usize,
    bits: Vec<u8>,
}

impl BitRows {
    /// The packed rows of `x`, or `None` when a value is not exactly 0 or 1
    /// (NaN included). Stops at the first row that is not.
    pub fn pack(x: ArrayView2<f64>) -> Option<BitRows> {
        let (n, d) = x.dim();
        if n == 0 || d == 0 {
            return None;
        }
        let stride = d.div_ceil(64) * 8;
        let x = x.as_standard_layout();
        let xs = x.as_slice()?;
        // A row 0 that is not 0/1 (dense data) costs one row, not a pass.
        let mut first = vec![0u8; stride];
        if !pack_rows(&xs[..d], &mut first, d, stride) {
            return None;
        }
        let mut bits = vec![0u8; n * stride];
        let per = n.div_ceil(GROUPS);
        let binary = AtomicBool::new(true);
        let items: Vec<_> = xs
            .chunks(per * d)
            .zip(bits.chunks_mut(per * stride))
            .collect();
        crate::pool::for_each(items, |_, (x, b)| {
            if binary.load(Ordering::Relaxed) && !pack_rows(x, b, d, stride) {
                binary.store(false, Ordering::Relaxed);
            }
        });
        binary
            .into_inner()
            .then_some(BitRows { n, d, stride, bits })
    }

    /// `Σᵢ cᵢ xᵢ` with `cᵢ = coef[i]`, or `cᵢ = coef[i] · (xᵢ · p)` when `p`
    /// is given: `Xᵀc` or `Xᵀ diag(coef) X p`.
    pub fn combine(&self, coef: &[f64], p: Option<&[f64]>) -> Vec<f64> {
        let width = self.stride * 8;
        let padded = p.map(|p| {
            let mut v = vec![0.0; width];
            v[..self.d].copy_from_slice(&p[..self.d]);
            v
        });
        let per = self.n.div_ceil(GROUPS);
        let mut parts: Vec<Vec<f64>> = (0..self.n.div_ceil(per))
            .map(|_| vec![0.0; width])
            .collect();
        let items: Vec<_> = parts
            .iter_mut()
            .zip(self.bits.chunks(per * self.stride).zip(coef.chunks(per)))
            .collect();
        crate::pool::for_each(items, |_, (out, (bits, coef))| {
            combine_rows(bits, self.stride, coef, padded.as_deref(), out)
        });
        let mut parts = parts.into_iter();
        let mut total = parts.next().unwrap_or_default();
        for part in parts {
            for (t, v) in total.iter_mut().zip(&part) {
                *t += v;
            }
        }
        total.truncate(self.d);
        total
    }
}

impl BitRows {
    /// Row `i` as 64-column words.
    #[inline(always)]
    fn words(&self, i: usize) -> impl Iterator<Item = u64> + '_ {
        self.bits[i * self.stride..(i + 1) * self.stride]
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    /// `X v`: the sum of `v` over the columns set in each row.
    pub fn row_sums(&self, v: &[f64]) -> Vec<f64> {
        (0..self.n)
            .map(|i| {
                let mut s = 0.0;
                for (k, mut word) in self.words(i).enumerate() {
                    while word != 0 {
                        s += v[64 * k + word.trailing_zeros() as usize];
                        word &= word - 1;
                    }
                }
                s
            })
            .collect()
    }

    /// The rows as 64-column words (`stride / 8` a row), for [`common`].
    pub fn to_words(&self) -> (Vec<u64>, usize) {
        let per_row = self.stride / 8;
        let words = (0..self.n).flat_map(|i| self.words(i)).collect();
        (words, per_row)
    }
}

/// For every row `i` in `rows`, the number of columns set in both row `i`
/// and row `j` of `words` ([`BitRows::to_words`], `per_row` words a row):
/// entries of the integer Gram matrix `X Xᵀ`, into `out`.
pub fn common(
    words: &[u64],
    per_row: usize,
    j: usize,
    rows: std::ops::Range<usize>,
    out: &mut [f64],
) {
    let row_j = &words[j * per_row..(j + 1) * per_row];
    let rest = &words[rows.start * per_row..rows.end * per_row];
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU supports the feature the function is compiled for.
        return unsafe { common_popcnt(row_j, rest, out) };
    }
    common_portable(row_j, rest, out)
}

#[inline(always)]
fn common_portable(row_j: &[u64], rows: &[u64], out: &mut [f64]) {
    for (o, row) in out.iter_mut().zip(rows.chunks_exact(row_j.len())) {
        let c: u32 = row
            .iter()
            .zip(row_j)
            .map(|(a, b)| (a & b).count_ones())
            .sum();
        *o = f64::from(c);
    }
}

/// [`common_portable`] with the popcnt instruction (not in the baseline
/// x86-64 target).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn common_popcnt(row_j: &[u64], rows: &[u64], out: &mut [f64]) {
    common_portable(row_j, rows, out)
}

/// Packs rows of `x` (row-major, `d` columns) into `bits` (`stride` bytes a
/// row); false when a value is not 0 or 1.
fn pack_rows(x: &[f64], bits: &mut [u8], d: usize, stride: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU supports the feature the function is compiled for.
        return unsafe { pack_rows_avx512(x, bits, d, stride) };
    }
    pack_rows_portable(x, bits, d, stride)
}

fn pack_rows_portable(x: &[f64], bits: &mut [u8], d: usize, stride: usize) -> bool {
    for (row, out) in x.chunks_exact(d).zip(bits.chunks_exact_mut(stride)) {
        let mut binary = true;
        for (chunk, byte) in row.chunks(8).zip(out.iter_mut()) {
            let mut b = 0u8;
            for (k, &v) in chunk.iter().enumerate() {
                b |= u8::from(v == 1.0) << k;
                binary &= v == 0.0 || v == 1.0;
            }
            *byte = b;
        }
        if !binary {
            return false;
        }
    }
    true
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn pack_rows_avx512(x: &[f64], bits: &mut [u8], d: usize, stride: usize) -> bool {
    use std::arch::x86_64::*;
    // SAFETY: the caller checked AVX-512F; every load stays inside its row (the
    // per-load notes below say why).
    unsafe {
        let (zero, one) = (_mm512_setzero_pd(), _mm512_set1_pd(1.0));
        let whole = d / 8;
        let tail: __mmask8 = (1u8 << (d % 8)).wrapping_sub(1);
        for (row, out) in x.chunks_exact(d).zip(bits.chunks_exact_mut(stride)) {
            let mut stray: __mmask8 = 0;
            for (j, byte) in out.iter_mut().enumerate().take(whole) {
                // SAFETY: `8j + 8 <= d`, inside the row.
                let v = _mm512_loadu_pd(row.as_ptr().add(8 * j));
                let ones = _mm512_cmpeq_pd_mask(v, one);
                stray |= !(ones | _mm512_cmpeq_pd_mask(v, zero));
                *byte = ones;
            }
            if tail != 0 {
                // SAFETY: the masked load reads only the `d % 8` lanes in the row.
                let v = _mm512_maskz_loadu_pd(tail, row.as_ptr().add(8 * whole));
                let ones = _mm512_cmpeq_pd_mask(v, one);
                stray |= !(ones | _mm512_cmpeq_pd_mask(v, zero)) & tail;
                out[whole] = ones & tail;
            }
            if stray != 0 {
                return false;
            }
        }
        true
    }
}

/// Adds `cᵢ xᵢ` into `out` for each packed row (see [`BitRows::combine`]).
/// The vector and portable paths give the same bits: each row's product
/// sums eight accumulators of eight lanes in a fixed order, and each output
/// adds its rows in row order.
fn combine_rows(bits: &[u8], stride: usize, coef: &[f64], p: Option<&[f64]>, out: &mut [f64]) {
    assert!(
        out.len() >= 8 * stride
            && p.is_none_or(|p| p.len() >= 8 * stride)
            && stride.is_multiple_of(8)
            && bits.len() == stride * coef.len()
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
    {
        // SAFETY: the CPU supports the features the function is compiled
        // for, and the lengths were checked above.
        return unsafe { combine_rows_avx512(bits, stride, coef, p, out) };
    }
    combine_rows_portable(bits, stride, coef, p, out)
}

/// Eight accumulators of eight lanes, summed in a fixed order.
fn reduce(acc: [[f64; 8]; 8]) -> f64 {
    let l: [f64; 8] = std::array::from_fn(|k| {
        ((acc[0][k] + acc[1][k]) + (acc[2][k] + acc[3][k]))
            + ((acc[4][k] + acc[5][k]) + (acc[6][k] + acc[7][k]))
    });
    ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
}

fn set(byte: u8, k: usize) -> bool {
    (byte >> k) & 1 == 1
}

fn combine_rows_portable(
    bits: &[u8],
    stride: usize,
    coef: &[f64],
    p: Option<&[f64]>,
    out: &mut [f64],
) {
    for (row, &c) in bits.chunks_exact(stride).zip(coef) {
        let c = match p {
            Some(p) => {
                let mut acc = [[0.0f64; 8]; 8];
                for (j, &byte) in row.iter().enumerate() {
                    for k in (0..8).filter(|&k| set(byte, k)) {
                        acc[j % 8][k] += p[8 * j + k];
                    }
                }
                c * reduce(acc)
            }
            None => c,
        };
        for (j, &byte) in row.iter().enumerate() {
            for k in (0..8).filter(|&k| set(byte, k)) {
                out[8 * j + k] += c;
            }
        }
    }
}

/// [`combine_rows_portable`] on AVX-512: the row products first, then the
/// output 64 columns at a time, held in registers across the rows.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn combine_rows_avx512(
    bits: &[u8],
    stride: usize,
    coef: &[f64],
    p: Option<&[f64]>,
    out: &mut [f64],
) {
    use std::arch::x86_64::*;
    // SAFETY: the caller checked AVX-512F/DQ and the lengths; the per-access
    // notes below give each bound.
    unsafe {
        let rows = coef.len();
        let b = bits.as_ptr();
        let scaled: Vec<f64> = match p {
            Some(p) => (0..rows)
                .map(|i| {
                    let row = b.add(i * stride);
                    let mut acc = [_mm512_setzero_pd(); 8];
                    for j in (0..stride).step_by(8) {
                        for (u, a) in acc.iter_mut().enumerate() {
                            // SAFETY: `j + u < stride` and `8(j + u) + 8 <= p.len()`
                            // (checked by the caller).
                            let v = _mm512_loadu_pd(p.as_ptr().add(8 * (j + u)));
                            *a = _mm512_mask_add_pd(*a, *row.add(j + u), *a, v);
                        }
                    }
                    // The order of `reduce`, in registers.
                    let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
                    let sum = _mm512_add_pd(
                        _mm512_add_pd(_mm512_add_pd(a0, a1), _mm512_add_pd(a2, a3)),
                        _mm512_add_pd(_mm512_add_pd(a4, a5), _mm512_add_pd(a6, a7)),
                    );
                    let half = _mm256_add_pd(
                        _mm512_castpd512_pd256(sum),
                        _mm512_extractf64x4_pd::<1>(sum),
                    );
                    let quarter = _mm_add_pd(
                        _mm256_castpd256_pd128(half),
                        _mm256_extractf128_pd::<1>(half),
                    );
                    let total =
                        _mm_cvtsd_f64(quarter) + _mm_cvtsd_f64(_mm_unpackhi_pd(quarter, quarter));
                    coef[i] * total
                })
                .collect(),
            None => coef.to_vec(),
        };
        let o = out.as_mut_ptr();
        for j in (0..stride).step_by(8) {
            let mut acc = [_mm512_setzero_pd(); 8];
            for (u, a) in acc.iter_mut().enumerate() {
                // SAFETY: `8(j + u) + 8 <= 8·stride <= out.len()`.
                *a = _mm512_loadu_pd(o.add(8 * (j + u)));
            }
            for (i, &c) in scaled.iter().enumerate() {
                let c = _mm512_set1_pd(c);
                let row = b.add(i * stride + j);
                for (u, a) in acc.iter_mut().enumerate() {
                    // SAFETY: `i·stride + j + u < bits.len()`.
                    *a = _mm512_mask_add_pd(*a, *row.add(u), *a, c);
                }
            }
            for (u, a) in acc.iter().enumerate() {
                _mm512_storeu_pd(o.add(8 * (j + u)), *a);
            }
        }
    }
}

/// A ridge solution and a bound on its error.
#[derive(Debug, Clone)]
pub struct Solution {
    pub coef: Vec<f64>,
    /// Bounds `max_j |coef_j - exact_j|` (it bounds the 2-norm of the error).
    pub error: f64,
    pub iterations: usize,
}

/// Relative residuals at which the solution is offered to the caller's
/// test, in turn: most rankings are certain at the first.
const CHECKPOINTS: [f64; 3] = [1e-10, 1e-12, 1e-14];

/// The coefficients of scikit-learn's `Ridge(alpha, fit_intercept=True)`
/// fitted to the rows of `bits` and the labels `y` under weights `w`
/// (checked by the caller: non-negative, not all zero), by Jacobi-
/// preconditioned conjugate gradients on `(Xcᵀ W Xc + alpha·I) b = Xcᵀ W (y - ȳ)`
/// with `Xc` the data less its weighted column means.
///
/// At each of the [`CHECKPOINTS`] the solution and its error bound go to
/// `enough`; the first it accepts, or the one at the last checkpoint, is
/// returned. `None` when the iterations reach no checkpoint within
/// `max_iter` (or `alpha` is not positive, or the labels are not finite).
pub fn ridge(
    bits: &BitRows,
    w: &[f64],
    y: ArrayView1<f64>,
    alpha: f64,
    max_iter: usize,
    enough: impl Fn(&Solution) -> bool,
) -> Option<Solution> {
    if alpha.is_nan() || alpha <= 0.0 || w.len() != bits.n || y.len() != bits.n {
        return None;
    }
    let sum_w: f64 = w.iter().sum();
    let mean: Vec<f64> = bits.combine(w, None).iter().map(|s| s / sum_w).collect();
    let y_mean = w.iter().zip(y).map(|(a, b)| a * b).sum::<f64>() / sum_w;
    let t: Vec<f64> = w.iter().zip(y).map(|(a, b)| a * (b - y_mean)).collect();
    let t_sum: f64 = t.iter().sum();
    let b: Vec<f64> = bits
        .combine(&t, None)
        .iter()
        .zip(&mean)
        .map(|(v, m)| v - m * t_sum)
        .collect();
    // The diagonal of the centred Gram of 0/1 columns: Σw·m(1 - m).
    let diag: Vec<f64> = mean.iter().map(|m| sum_w * m * (1.0 - m) + alpha).collect();
    // `Xcᵀ W Xc p = Xᵀ W X p - Σw (m·p) m`, since `Σ wᵢ xᵢ = Σw · m`.
    let apply = |p: &[f64]| -> Vec<f64> {
        let mp = dot(&mean, p);
        let xwx = bits.combine(w, Some(p));
        xwx.iter()
            .zip(&mean)
            .zip(p)
            .map(|((v, m), pj)| v - sum_w * mp * m + alpha * pj)
            .collect()
    };
    let norm = |v: &[f64]| dot(v, v).sqrt();
    let b_norm = norm(&b);
    let d = bits.d;
    let mut x = vec![0.0; d];
    let mut r = b.clone();
    let mut p: Vec<f64> = r.iter().zip(&diag).map(|(a, b)| a / b).collect();
    let mut rz = dot(&r, &p);
    // The residual recomputed (the recursive one drifts); the smallest
    // eigenvalue of the system is at least alpha, so |error| <= |residual| / alpha.
    // The allowance covers the rounding of the residual itself.
    let trace: f64 = diag.iter().sum();
    let bound = |x: &[f64]| {
        let residual: Vec<f64> = b.iter().zip(apply(x)).map(|(b, h)| b - h).collect();
        let rounding = 64.0 * f64::EPSILON * (trace * norm(x) + b_norm);
        (norm(&residual) + rounding) / alpha
    };
    let mut iterations = 0;
    for (k, tolerance) in CHECKPOINTS.into_iter().enumerate() {
        // A NaN residual keeps iterating, and then gives up.
        while norm(&r).is_nan() || norm(&r) > tolerance * b_norm {
            // a stopped call gives up here; the caller's next check fails
            if iterations == max_iter || crate::interrupt::check().is_err() {
                return None;
            }
            iterations += 1;
            let q = apply(&p);
            let pq = dot(&p, &q);
            // NaN labels, or a breakdown.
            if pq.is_nan() || pq <= 0.0 {
                return None;
            }
            let a = rz / pq;
            for ((xj, rj), (pj, qj)) in x.iter_mut().zip(&mut r).zip(p.iter().zip(&q)) {
                *xj += a * pj;
                *rj -= a * qj;
            }
            let z: Vec<f64> = r.iter().zip(&diag).map(|(a, b)| a / b).collect();
            let rz_next = dot(&r, &z);
            let beta = rz_next / rz;
            for (pj, zj) in p.iter_mut().zip(&z) {
                *pj = zj + beta * *pj;
            }
            rz = rz_next;
        }
        let error = bound(&x);
        if !error.is_finite() {
            return None;
        }
        let solution = Solution {
            coef: x.clone(),
            error,
            iterations,
        };
        if k + 1 == CHECKPOINTS.len() || enough(&solution) {
            return Some(solution);
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::linear::{Design, RidgeFit};
    use ndarray::{Array1, Array2};

    /// 0/1 rows as lime's text explainer draws them (row 0 all ones, each
    /// other row keeps a random share of the columns), labels, weights.
    pub(crate) fn document(n: usize, d: usize) -> (Array2<f64>, Array1<f64>, Vec<f64>) {
        let mut next = crate::linear::test_data::noise();
        let mut keep = vec![1.0; n];
        for k in keep.iter_mut().skip(1) {
            *k = next() + 0.5;
        }
        let x = Array2::from_shape_fn((n, d), |(i, _)| f64::from(next() + 0.5 < keep[i]));
        let beta: Vec<f64> = (0..d).map(|_| next()).collect();
        let y = Array1::from_shape_fn(n, |i| {
            let s: f64 = x.row(i).iter().zip(&beta).map(|(a, b)| a * b).sum();
            1.0 / (1.0 + (-0.3 * s).exp()) + 0.01 * next()
        });
        let w = (0..n)
            .map(|i| (-(1.0 - x.row(i).sum() / d as f64) * 4.0).exp())
            .collect();
        (x, y, w)
    }

    #[test]
    fn packs_zero_one_rows_and_refuses_anything_else() {
        for d in [1, 7, 8, 63, 64, 65, 300] {
            let x = Array2::from_shape_fn((5, d), |(i, j)| f64::from((i * 7 + j * 3) % 5 < 2));
            let bits = BitRows::pack(x.view()).expect("0/1 data packs");
            // The vector and the portable packing agree.
            let xs = x.as_slice().expect("standard layout");
            let mut portable = vec![0u8; bits.bits.len()];
            assert!(pack_rows_portable(xs, &mut portable, d, bits.stride));
            assert_eq!(portable, bits.bits, "d={d}");
            let ones = bits.combine(&[1.0; 5], None);
            for (j, one) in ones.iter().enumerate() {
                assert_eq!(*one, x.column(j).sum(), "d={d} column {j}");
            }
            for bad in [0.5, f64::NAN, -1.0, f64::INFINITY] {
                for row in [0, 4] {
                    let mut y = x.clone();
                    y[(row, d - 1)] = bad;
                    assert!(
                        BitRows::pack(y.view()).is_none(),
                        "d={d} {bad} in row {row}"
                    );
                    let ys = y.as_slice().expect("standard layout");
                    assert!(!pack_rows_portable(ys, &mut portable, d, bits.stride));
                }
            }
        }
        // -0.0 is a zero; a strided view packs as well.
        let mut x = Array2::from_elem((3, 70), 1.0);
        x[(1, 2)] = -0.0;
        assert!(BitRows::pack(x.view()).is_some());
        assert!(BitRows::pack(x.t()).is_some());
    }

    #[test]
    fn combine_matches_direct_sums_and_the_paths_agree() {
        let (x, _, w) = document(203, 131);
        let bits = BitRows::pack(x.view()).expect("0/1");
        let p: Vec<f64> = (0..131).map(|j| (j as f64 * 0.37).sin()).collect();
        let got = bits.combine(&w, Some(&p));
        for (j, g) in got.iter().enumerate() {
            let direct: f64 = (0..203)
                .map(|i| w[i] * x.row(i).dot(&Array1::from(p.clone())) * x[(i, j)])
                .sum();
            assert!((g - direct).abs() <= 1e-12 * direct.abs().max(1.0), "{j}");
        }
        // The vector path (when the CPU has it) and the portable one agree bit for bit.
        let width = bits.stride * 8;
        let mut padded = p.clone();
        padded.resize(width, 0.0);
        let mut portable = vec![0.0; width];
        combine_rows_portable(&bits.bits, bits.stride, &w, Some(&padded), &mut portable);
        let mut dispatched = vec![0.0; width];
        combine_rows(&bits.bits, bits.stride, &w, Some(&padded), &mut dispatched);
        assert_eq!(portable, dispatched);
    }

    #[test]
    fn ridge_matches_the_gram_solution_within_its_bound() {
        for (n, d) in [(400, 300), (2000, 500)] {
            let (x, y, w) = document(n, d);
            let bits = BitRows::pack(x.view()).expect("0/1");
            let sol = ridge(&bits, &w, y.view(), 0.01, 500, |_| true).expect("converges");
            let y2 = y.clone().insert_axis(ndarray::Axis(1));
            let design = Design::new(x.view(), y2.view(), &w).expect("ok");
            let all: Vec<usize> = (0..d).collect();
            let exact = RidgeFit::fit(&design, &design.labels[0], &all, 0.01).expect("ok");
            let err = sol
                .coef
                .iter()
                .zip(&exact.coef)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(
                err <= sol.error,
                "{n}x{d}: error {err} above the bound {}",
                sol.error
            );
            assert!(sol.error < 1e-5, "{n}x{d}: bound {}", sol.error);
        }
    }

    #[test]
    fn ridge_iterates_on_until_the_caller_is_satisfied() {
        let (x, y, w) = document(1500, 300);
        let bits = BitRows::pack(x.view()).expect("0/1");
        let first = ridge(&bits, &w, y.view(), 0.01, 500, |_| true).expect("converges");
        let last = ridge(&bits, &w, y.view(), 0.01, 500, |_| false).expect("converges");
        assert!(last.iterations > first.iterations, "{last:?}");
        assert!(
            last.error < first.error / 10.0,
            "{} vs {}",
            last.error,
            first.error
        );
        let asked = std::cell::Cell::new(0);
        ridge(&bits, &w, y.view(), 0.01, 500, |_| {
            asked.set(asked.get() + 1);
            false
        });
        assert_eq!(
            asked.get(),
            CHECKPOINTS.len() - 1,
            "the last checkpoint is not asked"
        );
    }

    #[test]
    fn ridge_gives_up_rather_than_guess() {
        let (x, y, w) = document(300, 260);
        let bits = BitRows::pack(x.view()).expect("0/1");
        assert!(
            ridge(&bits, &w, y.view(), 0.01, 2, |_| true).is_none(),
            "two iterations are not enough"
        );
        let mut bad = y.clone();
        bad[7] = f64::NAN;
        assert!(ridge(&bits, &w, bad.view(), 0.01, 500, |_| true).is_none());
        assert!(ridge(&bits, &w, y.view(), 0.0, 500, |_| true).is_none());
    }
}
