//! Weighted ridge with an intercept solved in the sample space, for designs
//! with more columns than rows (a long text with `bow=False`): the n × n
//! system `(Z Zᵀ + alpha·I) a = t`, `b = Zᵀ a`, where `Z` holds the centred
//! rows scaled by `√wᵢ` and `t` the centred labels likewise. It is the same
//! minimiser as the d × d normal equations of [`super::ridge`]
//! (`Σ wᵢ (yᵢ - b₀ - xᵢ·b)² + alpha·|b|²`), without the d × d matrix.
//!
//! On 0/1 data (text masks) `Z` is never formed: `Z Zᵀ` follows from the
//! integer counts `X Xᵀ` (popcounts of packed rows) and the means, and
//! `Zᵀ a` from sums of packed rows. The n × n matrix is the one large buffer;
//! it is factored in place, in column blocks, checking for an interrupt
//! between blocks.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::{cholesky_in_place, cholesky_in_place_scratch};
use faer::linalg::matmul::triangular::{matmul, BlockStructure};
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use ndarray::{ArrayView1, ArrayView2};

use super::binary::{common, BitRows};
use super::gram::check_weights;
use crate::error::{ensure_finite, LimeError, Result};

/// Columns of the n × n matrix per task (filling) and per step (factoring).
const BLOCK: usize = 128;

/// The ridge coefficients (`alpha > 0`) of every column of `x` (n × d) for
/// the labels `y`, weighted by `w`, from the n × n dual system.
pub fn ridge_coef(
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    w: &[f64],
    alpha: f64,
) -> Result<Vec<f64>> {
    let mut coefs = ridge_coefs(x, y.insert_axis(ndarray::Axis(1)), &[0], w, alpha)?;
    coefs
        .pop()
        .ok_or_else(|| LimeError::Numerical("internal: no coefficients".into()))
}

/// [`ridge_coef`] for the label columns `which` of `labels` (n × L): one
/// n × n system, factored once.
pub fn ridge_coefs(
    x: ArrayView2<f64>,
    labels: ArrayView2<f64>,
    which: &[usize],
    w: &[f64],
    alpha: f64,
) -> Result<Vec<Vec<f64>>> {
    let (n, d) = x.dim();
    if labels.nrows() != n {
        return Err(LimeError::shape(
            "neighborhood_labels",
            format!("has {} rows but neighborhood_data has {n}", labels.nrows()),
        ));
    }
    if let Some(&bad) = which.iter().find(|&&l| l >= labels.ncols()) {
        return Err(LimeError::invalid(
            "label",
            format!(
                "column {bad} does not exist: neighborhood_labels has {} columns",
                labels.ncols()
            ),
        ));
    }
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(LimeError::invalid(
            "alpha",
            format!("must be a positive finite number, got {alpha}"),
        ));
    }
    let sum_w = check_weights(w, n)?;
    let mut mean = vec![0.0; d];
    for (i, row) in x.rows().into_iter().enumerate() {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += w[i] * v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= sum_w);
    let root: Vec<f64> = w.iter().map(|v| v.sqrt()).collect();
    crate::interrupt::check()?;
    // The lower triangle of Z Zᵀ + alpha·I, column-major.
    let mut k = crate::alloc::try_zeroed(n, n, "num_samples")?;
    let bits = BitRows::pack(x);
    let z = match &bits {
        Some(bits) => {
            binary_kernel(bits, &mean, &root, &mut k)?;
            None
        }
        None => Some(dense_kernel(x, &mean, &root, &mut k)?),
    };
    for i in 0..n {
        k[i * n + i] += alpha;
    }
    let mut km = MatMut::from_column_major_slice_mut(&mut k, n, n);
    let culprit = || {
        let y = which.iter().flat_map(|&l| labels.column(l));
        culprit(x, y)
    };
    factor(km.as_mut()).map_err(|e| e.unwrap_or_else(culprit))?;
    // one right-hand side per label: its centred values scaled by √w
    let y_means: Vec<f64> = which
        .iter()
        .map(|&l| {
            w.iter()
                .zip(labels.column(l))
                .map(|(a, b)| a * b)
                .sum::<f64>()
                / sum_w
        })
        .collect();
    let mut a = Mat::<f64>::from_fn(n, which.len(), |i, c| {
        (labels[(i, which[c])] - y_means[c]) * root[i]
    });
    let l = km.as_ref();
    solve_lower_triangular_in_place(l, a.as_mut(), Par::Seq);
    solve_upper_triangular_in_place(l.transpose(), a.as_mut(), Par::Seq);
    drop(k);
    let coefs = (0..which.len())
        .map(|c| {
            let scaled: Vec<f64> = (0..n).map(|i| a[(i, c)] * root[i]).collect();
            match (&bits, &z) {
                (Some(bits), _) => {
                    // Zᵀ a = Xᵀ (√w ∘ a) - mean · Σ √wᵢ aᵢ
                    let total: f64 = scaled.iter().sum();
                    let sums = bits.combine(&scaled, None);
                    sums.iter().zip(&mean).map(|(s, m)| s - m * total).collect()
                }
                (None, Some(z)) => {
                    let mut coef = vec![0.0; d];
                    for i in 0..n {
                        let ai = a[(i, c)];
                        for (c, v) in coef.iter_mut().zip(&z[i * d..(i + 1) * d]) {
                            *c += ai * v;
                        }
                    }
                    coef
                }
                (None, None) => Vec::new(),
            }
        })
        .collect::<Vec<Vec<f64>>>();
    if coefs
        .iter()
        .any(|c| c.len() != d || !c.iter().all(|v| v.is_finite()))
    {
        return Err(culprit());
    }
    Ok(coefs)
}

/// `Z Zᵀ` of 0/1 rows into the lower triangle of `k` (n × n, column-major):
/// `√wᵢ√wⱼ (xᵢ·xⱼ - xᵢ·m - xⱼ·m + m·m)`, with `xᵢ·xⱼ` an exact count.
/// Column blocks in parallel, each checking for an interrupt.
fn binary_kernel(bits: &BitRows, mean: &[f64], root: &[f64], k: &mut [f64]) -> Result<()> {
    let n = bits.n;
    let g = bits.row_sums(mean);
    let c: f64 = mean.iter().map(|m| m * m).sum();
    let (words, per_row) = bits.to_words();
    let blocks: Vec<(usize, &mut [f64])> = k.chunks_mut(BLOCK * n).enumerate().collect();
    crate::pool::for_each_long(blocks, |_, (b, cols)| {
        if crate::interrupt::check().is_err() {
            return; // the check after the loop fails
        }
        for (jj, col) in cols.chunks_mut(n).enumerate() {
            let j = b * BLOCK + jj;
            let out = &mut col[j..];
            common(&words, per_row, j, j..n, out);
            for (i, v) in (j..n).zip(out.iter_mut()) {
                *v = root[i] * root[j] * ((*v - g[i]) - (g[j] - c));
            }
        }
    });
    crate::interrupt::check()
}

/// `Z Zᵀ` of any rows into the lower triangle of `k`; returns `Z` (n × d,
/// row-major) for the coefficients.
fn dense_kernel(x: ArrayView2<f64>, mean: &[f64], root: &[f64], k: &mut [f64]) -> Result<Vec<f64>> {
    let (n, d) = x.dim();
    let mut z = crate::alloc::try_zeroed(n, d, "neighborhood_data")?;
    for (i, row) in x.rows().into_iter().enumerate() {
        let out = &mut z[i * d..(i + 1) * d];
        for ((o, v), m) in out.iter_mut().zip(row).zip(mean) {
            *o = (v - m) * root[i];
        }
    }
    let zm = MatRef::from_row_major_slice(&z, n, d);
    // in row blocks, each checking for an interrupt
    for start in (0..n).step_by(BLOCK) {
        crate::interrupt::check()?;
        let end = (start + BLOCK).min(n);
        let km = MatMut::from_column_major_slice_mut(k, n, n);
        let block = km.submatrix_mut(start, 0, end - start, end);
        matmul(
            block,
            BlockStructure::Rectangular,
            Accum::Replace,
            zm.subrows(start, end - start),
            BlockStructure::Rectangular,
            zm.subrows(0, end).transpose(),
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
    }
    Ok(z)
}

/// The lower Cholesky factor of `a` in place (right-looking, `BLOCK`
/// columns a step, checking for an interrupt between steps). `Err(None)`
/// when `a` is not numerically positive definite.
fn factor(mut a: MatMut<f64>) -> std::result::Result<(), Option<LimeError>> {
    let n = a.nrows();
    let mut buf = MemBuffer::new(cholesky_in_place_scratch::<f64>(
        BLOCK,
        Par::Seq,
        Default::default(),
    ));
    let mut start = 0;
    while start < n {
        crate::interrupt::check().map_err(Some)?;
        let b = BLOCK.min(n - start);
        let rest = n - start - b;
        let (_, _, _, diag_and_below) = a.rb_mut().split_at_mut(start, start);
        let (mut a11, _, a21, a22) = diag_and_below.split_at_mut(b, b);
        cholesky_in_place(
            a11.rb_mut(),
            Default::default(),
            Par::Seq,
            MemStack::new(&mut buf),
            Default::default(),
        )
        .map_err(|_| None)?;
        if rest > 0 {
            let mut a21 = a21;
            // A21 ← A21 L11⁻ᵀ, i.e. L11 A21ᵀ = A21ᵀ
            solve_lower_triangular_in_place(a11.rb(), a21.rb_mut().transpose_mut(), Par::Seq);
            // A22 ← A22 - A21 A21ᵀ (lower triangle)
            matmul(
                a22,
                BlockStructure::TriangularLower,
                Accum::Add,
                a21.rb(),
                BlockStructure::Rectangular,
                a21.rb().transpose(),
                BlockStructure::Rectangular,
                -1.0,
                Par::Seq,
            );
        }
        start += b;
    }
    Ok(())
}

/// Why the system had no finite solution: NaN or infinity in the data or the
/// labels (named, as the Gram path names them), else an overflow.
fn culprit<'a>(x: ArrayView2<f64>, y: impl IntoIterator<Item = &'a f64>) -> LimeError {
    ensure_finite("neighborhood_data", x.iter())
        .and_then(|_| ensure_finite("neighborhood_labels", y))
        .err()
        .unwrap_or_else(|| {
            LimeError::Numerical("the neighbourhood's weighted sums overflowed".into())
        })
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear::{Design, RidgeFit};
    use ndarray::{Array1, Array2};

    #[test]
    fn dual_equals_the_normal_equations() {
        // 0/1 masks, wider than tall, and some zero weights
        // 0/1 data take the popcount kernel, other data the dense one
        for (n, d, binary) in [
            (7, 30, true),
            (20, 21, true),
            (40, 200, true),
            (40, 200, false),
        ] {
            let x = Array2::from_shape_fn((n, d), |(i, j)| {
                let v = ((i * 7 + j * 13 + i * j) % 3 == 0) as u8 as f64;
                if binary {
                    v
                } else {
                    v * (1.0 + (j % 5) as f64 * 0.25)
                }
            });
            let y = Array1::from_shape_fn(n, |i| (i as f64 * 0.37).sin());
            let w: Vec<f64> = (0..n)
                .map(|i| {
                    if i % 5 == 3 {
                        0.0
                    } else {
                        0.2 + (i % 4) as f64 * 0.3
                    }
                })
                .collect();
            let yy = y.clone().insert_axis(ndarray::Axis(1));
            let design = Design::new(x.view(), yy.view(), &w).unwrap();
            let all: Vec<usize> = (0..d).collect();
            let primal = RidgeFit::fit(&design, &design.labels[0], &all, 0.01)
                .unwrap()
                .coef;
            let dual = ridge_coef(x.view(), y.view(), &w, 0.01).unwrap();
            for (p, q) in primal.iter().zip(&dual) {
                assert!(
                    (p - q).abs() < 1e-8 * (1.0 + p.abs()),
                    "{n}x{d}: {p} vs {q}"
                );
            }
            // several labels share one factor
            let y2 = y.mapv(|v| v * v - 0.3);
            let both = ndarray::stack![ndarray::Axis(1), y, y2];
            let coefs = ridge_coefs(x.view(), both.view(), &[1, 0], &w, 0.01).unwrap();
            let second = ridge_coef(x.view(), y2.view(), &w, 0.01).unwrap();
            let close = |a: &[f64], b: &[f64]| {
                a.iter()
                    .zip(b)
                    .all(|(p, q)| (p - q).abs() <= 1e-10 * (1.0 + p.abs()))
            };
            assert!(close(&coefs[1], &dual) && close(&coefs[0], &second));
        }
    }
}
