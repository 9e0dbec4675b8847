//! LARS-lasso regularisation path, equivalent to scikit-learn's
//! `lars_path(X, y, method='lasso')` (Gram=None, alpha_min=0, max_iter=500).
//!
//! The steps, tolerances and bookkeeping follow scikit-learn's solver so that
//! every breakpoint, and which coefficients are exactly zero at it, comes out
//! the same. The one deliberate difference is that the correlations are
//! updated from the Gram matrix `XᵀX` and `Xᵀy` (computed once, O(n·d²))
//! instead of from `X` at every step (O(n·d) per step): the same quantities,
//! equal up to rounding, and far cheaper for lime's tall neighbourhoods.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{matmul as tri_matmul, BlockStructure};
use faer::{Accum, Mat, MatRef, Par};
use ndarray::{Array2, ArrayView1, ArrayView2};

use super::cholesky::{dot, forward_solve, solve as chol_solve};
use crate::error::{ensure_finite, LimeError, Result};

/// scikit-learn's default `max_iter`.
const MAX_ITER: usize = 500;
/// `np.finfo(np.float32).eps`: an alpha at or below it ends the path.
const EQUALITY_TOL: f64 = f32::EPSILON as f64;
/// `np.finfo(np.float32).tiny`, added to denominators against division by 0.
const TINY32: f64 = f32::MIN_POSITIVE as f64;
/// `np.finfo(float).eps`, the floor of a Cholesky pivot.
const EPS: f64 = f64::EPSILON;
/// A Cholesky pivot below this means the candidate lies in the span of the
/// active regressors: it is dropped for good instead of added.
const DEGENERATE_PIVOT: f64 = 1e-7;
/// Scale for `np.around(.., decimals=15)` (float64 precision), which
/// scikit-learn applies to the equiangular correlations.
const ROUND_SCALE: f64 = 1e15;

/// The path: `alphas[k]` and `coefs[:, k]` at each breakpoint k
/// (coefs is n_features × n_breakpoints), and the final active set.
#[derive(Debug, Clone)]
pub struct LarsPath {
    pub alphas: Vec<f64>,
    pub active: Vec<usize>,
    pub coefs: Array2<f64>,
}

/// LARS with the lasso modification on `x` (n × d) and `y` (n).
pub fn lars_lasso_path(x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<LarsPath> {
    let (n, d) = x.dim();
    if n == 0 || d == 0 {
        return Err(LimeError::shape(
            "x",
            format!("must have at least one row and one column, got shape ({n}, {d})"),
        ));
    }
    if y.len() != n {
        return Err(LimeError::shape(
            "y",
            format!("has {} values but x has {n} rows", y.len()),
        ));
    }
    ensure_finite("y", y.iter())?;
    let (gram, xty) = moments(x, y);
    // A NaN or infinity in column j makes (XᵀX)ⱼⱼ non-finite, so scanning
    // all of x (as slow as the Gram itself) is only needed to name it.
    if (0..d).any(|j| !gram[j * d + j].is_finite()) {
        ensure_finite("x", x.iter())?;
    }
    // Finite data can still overflow (scikit-learn would return NaNs).
    if gram.iter().chain(&xty).any(|v| !v.is_finite()) {
        return Err(LimeError::invalid(
            "x",
            "values are too large: XᵀX or Xᵀy overflows",
        ));
    }
    Lars::new(gram, xty, n).run()
}

/// The same path from the sufficient statistics `gram = XᵀX` (symmetric
/// d × d), `xty = Xᵀy` and the number of rows of X (alphas are scaled by
/// it), for callers that already hold them: O(d²) per step, no pass over X.
pub fn lars_lasso_path_gram(
    gram: MatRef<'_, f64>,
    xty: &[f64],
    n_samples: usize,
) -> Result<LarsPath> {
    let d = xty.len();
    if d == 0 || gram.nrows() != d || gram.ncols() != d {
        return Err(LimeError::shape(
            "gram",
            format!(
                "must be d × d with d = len(xty) ≥ 1, got {} × {} and d = {d}",
                gram.nrows(),
                gram.ncols()
            ),
        ));
    }
    if n_samples == 0 {
        return Err(LimeError::invalid("n_samples", "must be at least 1"));
    }
    ensure_finite("gram", (0..d * d).map(|k| &gram[(k % d, k / d)]))?;
    ensure_finite("xty", xty.iter())?;
    let mut g = vec![0.0; d * d];
    for (i, row) in g.chunks_exact_mut(d).enumerate() {
        row.iter_mut()
            .enumerate()
            .for_each(|(j, v)| *v = gram[(i, j)]);
    }
    Lars::new(g, xty.to_vec(), n_samples).run()
}

/// Row-major `XᵀX` and `Xᵀy`.
fn moments(x: ArrayView2<f64>, y: ArrayView1<f64>) -> (Vec<f64>, Vec<f64>) {
    let (n, d) = x.dim();
    // faer wants a contiguous layout; numpy hands us C order, lime's Design F order.
    let owned: Vec<f64>;
    let z = if let Some(s) = x.to_slice() {
        MatRef::from_row_major_slice(s, n, d)
    } else if let Some(s) = x.reversed_axes().to_slice() {
        MatRef::from_column_major_slice(s, n, d)
    } else {
        owned = x.iter().copied().collect();
        MatRef::from_row_major_slice(&owned, n, d)
    };
    let y: Vec<f64> = y.to_vec();
    let yz = MatRef::from_column_major_slice(&y, n, 1);
    // XᵀX is symmetric: compute its lower half only.
    let mut g = Mat::<f64>::zeros(d, d);
    tri_matmul(
        g.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        z.transpose(),
        BlockStructure::Rectangular,
        z,
        BlockStructure::Rectangular,
        1.0,
        Par::Seq,
    );
    let mut xty = Mat::<f64>::zeros(d, 1);
    matmul(
        xty.as_mut(),
        Accum::Replace,
        z.transpose(),
        yz,
        1.0,
        Par::Seq,
    );
    crate::cpu::clear_upper_state();
    let mut gram = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            gram[i * d + j] = g[(i, j)];
            gram[j * d + i] = g[(i, j)];
        }
    }
    (gram, (0..d).map(|j| xty[(j, 0)]).collect())
}

/// Solver state. Features live at "positions": `0..n_active` are the active
/// set in order of entry, the rest are candidates. Like scikit-learn's column
/// swaps, a feature's position changes when it enters or leaves.
struct Lars {
    d: usize,
    n_samples: f64,
    /// `XᵀX` with rows and columns in position order (row-major d × d).
    gram: Vec<f64>,
    /// `Xᵀy` in original feature order.
    xty: Vec<f64>,
    /// Position → original feature index.
    perm: Vec<usize>,
    /// Correlation of each candidate with the residual, by position
    /// (entries of active positions are stale and never read).
    cov: Vec<f64>,
    /// Lower Cholesky factor of the active Gram block, row stride `stride`.
    chol: Vec<f64>,
    stride: usize,
    /// Sign of each active feature's correlation when it entered.
    sign: Vec<f64>,
    n_active: usize,
}

impl Lars {
    fn new(gram: Vec<f64>, xty: Vec<f64>, n_samples: usize) -> Lars {
        let d = xty.len();
        let stride = MAX_ITER.min(d);
        Lars {
            d,
            n_samples: n_samples as f64,
            gram,
            cov: xty.clone(),
            xty,
            perm: (0..d).collect(),
            chol: vec![0.0; stride * stride],
            stride,
            sign: Vec::with_capacity(stride),
            n_active: 0,
        }
    }

    fn run(mut self) -> Result<LarsPath> {
        let d = self.d;
        let mut alphas: Vec<f64> = Vec::new();
        // Breakpoint rows of length d, in original feature order.
        let mut coefs: Vec<f64> = vec![0.0; d];
        let mut n_iter = 0usize;
        let mut drop = false;
        let mut corr = vec![0.0; d];
        loop {
            let na = self.n_active;
            let best = argmax_abs(&self.cov[na..]);
            let (c_idx, c_signed) = best.unwrap_or((0, 0.0));
            let c = c_signed.abs();
            let alpha = c / self.n_samples;
            // A degenerate candidate re-enters this loop without a new breakpoint.
            alphas.truncate(n_iter);
            alphas.push(alpha);
            // With alpha_min = 0 scikit-learn stops here without interpolating.
            if alpha <= EQUALITY_TOL || n_iter >= MAX_ITER || na >= d {
                break;
            }
            if !drop && !self.add(na, na + c_idx, c_signed)? {
                continue;
            }
            let na = self.n_active;
            // The lasso bails out once numerical error makes alpha increase.
            if n_iter > 0 && alphas[n_iter - 1] < alpha {
                break;
            }
            let (ls, aa) = self.equiangular()?;

            // Correlations of the candidates with the equiangular direction.
            let rows = self.gram.chunks_exact(d).skip(na);
            for (cq, row) in corr[na..].iter_mut().zip(rows) {
                *cq = rint(dot(&row[..na], &ls) * ROUND_SCALE) / ROUND_SCALE;
            }
            let g1 = min_pos((na..d).map(|q| (c - self.cov[q]) / (aa - corr[q] + TINY32)));
            let g2 = min_pos((na..d).map(|q| (c + self.cov[q]) / (aa + corr[q] + TINY32)));
            let mut gamma = py_min(py_min(g1, g2), c / aa);

            // Lasso: stop the step where an active coefficient crosses zero.
            let prev = &coefs[n_iter * d..(n_iter + 1) * d];
            let z: Vec<f64> = (0..na)
                .map(|a| -prev[self.perm[a]] / (ls[a] + TINY32))
                .collect();
            let z_pos = min_pos(z.iter().copied());
            // Positions to drop, highest first as scikit-learn's `[::-1]`.
            let mut dropped: Vec<usize> = Vec::new();
            drop = z_pos < gamma;
            if drop {
                dropped = (0..na).rev().filter(|&a| z[a] == z_pos).collect();
                gamma = z_pos;
            }

            n_iter += 1;
            let mut next = vec![0.0; d];
            for (a, l) in ls.iter().enumerate() {
                let j = self.perm[a];
                next[j] = prev[j] + gamma * l;
            }
            coefs.extend_from_slice(&next);
            for (cv, cq) in self.cov[na..].iter_mut().zip(&corr[na..]) {
                *cv -= gamma * cq;
            }
            if drop {
                self.remove(&dropped, &next);
            }
        }
        let steps = alphas.len();
        let coefs = Array2::from_shape_fn((d, steps), |(j, k)| coefs[k * d + j]);
        Ok(LarsPath {
            alphas,
            active: self.perm[..self.n_active].to_vec(),
            coefs,
        })
    }

    /// Brings the candidate at position `pos` into the active set, extending
    /// the Cholesky factor. Returns false when it is degenerate.
    fn add(&mut self, m: usize, pos: usize, c_signed: f64) -> Result<bool> {
        if m >= self.stride {
            return Err(LimeError::Numerical(
                "lasso_path: active set outgrew max_iter".into(),
            ));
        }
        self.swap_positions(m, pos);
        let (d, s) = (self.d, self.stride);
        let c = self.gram[m * d + m];
        // Solve L w = Gram[active, new] for the new row of L.
        let mut w: Vec<f64> = self.gram[m * d..m * d + m].to_vec();
        forward_solve(&self.chol, s, m, &mut w);
        let v = dot(&w, &w);
        let diag = (c - v).abs().sqrt().max(EPS);
        self.chol[m * s..m * s + m].copy_from_slice(&w);
        self.chol[m * s + m] = diag;
        if diag < DEGENERATE_PIVOT {
            // scikit-learn zeroes the candidate's correlation but keeps the
            // column swap, so the two positions trade correlations; kept so
            // that the rest of the path matches.
            self.cov[m] = 0.0;
            self.cov.swap(m, pos);
            return Ok(false);
        }
        self.sign.push(if c_signed > 0.0 {
            1.0
        } else if c_signed < 0.0 {
            -1.0
        } else {
            0.0
        });
        self.n_active += 1;
        Ok(true)
    }

    /// The unit equiangular direction in coefficient space, scaled by `AA`,
    /// and `AA` itself (`1/√(sᵀ G⁻¹ s)`).
    fn equiangular(&self) -> Result<(Vec<f64>, f64)> {
        let (na, s) = (self.n_active, self.stride);
        let mut ls = self.sign.clone();
        chol_solve(&self.chol, s, na, &mut ls);
        if na == 1 && ls[0] == 0.0 {
            // Only when the sign is 0.
            ls[0] = 1.0;
            return Ok((ls, 1.0));
        }
        let mut aa = 1.0 / dot(&ls, &self.sign).sqrt();
        if !aa.is_finite() {
            // Ill-conditioned: regularise the diagonal of L until it is not.
            let mut chol = self.chol.clone();
            let mut i = 0;
            while !aa.is_finite() {
                if i > 1100 {
                    return Err(LimeError::Numerical(
                        "lasso_path: the active regressors are too ill-conditioned".into(),
                    ));
                }
                let bump = 2f64.powi(i) * EPS;
                (0..na).for_each(|k| chol[k * s + k] += bump);
                ls.copy_from_slice(&self.sign);
                chol_solve(&chol, s, na, &mut ls);
                // Python's max(): a NaN sum stays NaN.
                let sum = dot(&ls, &self.sign);
                let tmp = if EPS > sum { EPS } else { sum };
                aa = 1.0 / tmp.sqrt();
                i += 1;
            }
        }
        ls.iter_mut().for_each(|l| *l *= aa);
        Ok((ls, aa))
    }

    /// Drops the active positions `dropped` (highest first) after a sign
    /// change and recomputes their correlation with the residual of `coef`.
    fn remove(&mut self, dropped: &[usize], coef: &[f64]) {
        for &ii in dropped {
            let na = self.n_active;
            chol_delete(&mut self.chol, self.stride, na, ii);
            // Shift the dropped feature to the end of the active block.
            for i in ii..na - 1 {
                self.swap_positions(i, i + 1);
            }
            self.sign.remove(ii);
            self.n_active -= 1;
        }
        let (d, na) = (self.d, self.n_active);
        for p in na..na + dropped.len() {
            let row = &self.gram[p * d..p * d + na];
            let fitted: f64 = row
                .iter()
                .zip(&self.perm[..na])
                .map(|(g, &j)| g * coef[j])
                .sum();
            self.cov[p] = self.xty[self.perm[p]] - fitted;
        }
    }

    fn swap_positions(&mut self, a: usize, b: usize) {
        if a == b {
            return;
        }
        let d = self.d;
        self.perm.swap(a, b);
        self.cov.swap(a, b);
        for k in 0..d {
            self.gram.swap(a * d + k, b * d + k);
        }
        for k in 0..d {
            self.gram.swap(k * d + a, k * d + b);
        }
    }
}

/// Index and value of the first largest |v| (a NaN wins, as `np.argmax`).
fn argmax_abs(v: &[f64]) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    for (i, &x) in v.iter().enumerate() {
        if x.is_nan() {
            return Some((i, x));
        }
        match best {
            Some((_, b)) if x.abs() <= b.abs() => {}
            _ => best = Some((i, x)),
        }
    }
    best
}

/// Round half to even, as `np.rint`. `f64::round_ties_even` is a libm call
/// on baseline x86-64; adding and removing 2⁵² rounds the same way.
fn rint(v: f64) -> f64 {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    if v.abs() < TWO_52 {
        ((v.abs() + TWO_52) - TWO_52).copysign(v)
    } else {
        v
    }
}

/// Smallest strictly positive value below `f64::MAX`, else `f64::MAX`
/// (scikit-learn's `min_pos`).
fn min_pos(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(f64::MAX, |m, v| if 0.0 < v && v < m { v } else { m })
}

/// Python's `min(a, b)`: `b` only if strictly smaller.
fn py_min(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

/// Removes row/column `go_out` from the n × n lower Cholesky factor `l`,
/// restoring triangularity with Givens rotations (scikit-learn's
/// `cholesky_delete`); the factor of the remaining n-1 rows is left in place.
fn chol_delete(l: &mut [f64], s: usize, n: usize, go_out: usize) {
    for i in go_out..n.saturating_sub(1) {
        l.copy_within((i + 1) * s..(i + 1) * s + i + 2, i * s);
    }
    for i in go_out..n.saturating_sub(1) {
        let (a, b) = (l[i * s + i], l[i * s + i + 1]);
        let (mut r, mut c, mut sn) = rotg(a, b);
        // Diagonals cannot be negative.
        if r < 0.0 {
            r = -r;
            c = -c;
            sn = -sn;
        }
        l[i * s + i] = r;
        l[i * s + i + 1] = 0.0;
        for row in i + 1..n - 1 {
            let (x, y) = (l[row * s + i], l[row * s + i + 1]);
            l[row * s + i] = c * x + sn * y;
            l[row * s + i + 1] = c * y - sn * x;
        }
    }
}

/// BLAS `drotg`: (r, c, s) with `[c s; -s c]·[a; b] = [r; 0]`.
fn rotg(a: f64, b: f64) -> (f64, f64, f64) {
    let scale = a.abs() + b.abs();
    if scale == 0.0 {
        return (0.0, 1.0, 0.0);
    }
    let roe = if a.abs() > b.abs() { a } else { b };
    let mut r = scale * ((a / scale).powi(2) + (b / scale).powi(2)).sqrt();
    if roe < 0.0 {
        r = -r;
    }
    (r, a / r, b / r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1};

    fn path(x: Array2<f64>, y: Array1<f64>) -> LarsPath {
        lars_lasso_path(x.view(), y.view()).expect("valid input")
    }

    #[test]
    fn orthogonal_design_soft_thresholds() {
        // XᵀX = 2·I, Xᵀy = (6, -2): features enter by |Xᵀy| and grow linearly.
        let x = array![[1.0, 1.0], [1.0, -1.0]];
        let y = array![2.0, 4.0];
        let p = path(x, y);
        assert_eq!(p.active, vec![0, 1]);
        let want_alphas = [3.0, 1.0, 0.0];
        assert_eq!(p.alphas.len(), 3);
        for (a, w) in p.alphas.iter().zip(want_alphas) {
            assert!((a - w).abs() < 1e-12, "{:?}", p.alphas);
        }
        assert_eq!(p.coefs.column(0).to_vec(), vec![0.0, 0.0]);
        assert!((p.coefs[(0, 1)] - 2.0).abs() < 1e-12 && p.coefs[(1, 1)] == 0.0);
        assert!((p.coefs[(0, 2)] - 3.0).abs() < 1e-12 && (p.coefs[(1, 2)] + 1.0).abs() < 1e-12);
    }

    #[test]
    fn rint_rounds_half_to_even() {
        for v in [
            0.5,
            1.5,
            2.5,
            -0.5,
            -2.5,
            0.3,
            -0.3,
            1e17,
            -7.49,
            4503599627370495.5,
            f64::MAX,
        ] {
            assert_eq!(rint(v).to_bits(), v.round_ties_even().to_bits(), "{v}");
        }
        assert!(rint(f64::NAN).is_nan());
    }

    #[test]
    fn zero_target_gives_empty_path() {
        let x = array![[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]];
        let p = path(x, Array1::zeros(3));
        assert_eq!(p.alphas, vec![0.0]);
        assert!(p.active.is_empty());
        assert_eq!(p.coefs.dim(), (2, 1));
    }

    #[test]
    fn duplicate_column_is_never_active_twice() {
        let x = array![
            [1.0, 1.0, 0.5],
            [2.0, 2.0, -1.0],
            [-3.0, -3.0, 0.25],
            [0.5, 0.5, 2.0]
        ];
        let y = array![1.0, 2.0, -2.0, 1.0];
        let p = path(x, y);
        assert!(p.active.contains(&0) && !p.active.contains(&1));
    }

    #[test]
    fn gram_entry_matches_x_entry() {
        let x = array![
            [1.0, 0.3, -0.5],
            [0.2, 1.0, 0.4],
            [-0.7, 0.1, 1.0],
            [0.3, -0.9, 0.2],
            [0.5, 0.5, 0.5]
        ];
        let y = array![1.0, -0.5, 0.25, 2.0, 0.1];
        let a = path(x.clone(), y.clone());
        let g = x.t().dot(&x);
        let gm = Mat::<f64>::from_fn(3, 3, |i, j| g[(i, j)]);
        let b = lars_lasso_path_gram(gm.as_ref(), &x.t().dot(&y).to_vec(), 5).expect("valid");
        assert_eq!(a.active, b.active);
        assert_eq!(a.alphas.len(), b.alphas.len());
        for (u, v) in a.coefs.iter().zip(b.coefs.iter()) {
            assert!((u - v).abs() < 1e-12);
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let x = array![[1.0, 2.0], [3.0, f64::NAN]];
        assert!(lars_lasso_path(x.view(), array![1.0, 2.0].view()).is_err());
        let x = array![[1.0, 2.0], [3.0, 4.0]];
        assert!(lars_lasso_path(x.view(), array![1.0].view()).is_err());
        assert!(lars_lasso_path(Array2::zeros((0, 2)).view(), Array1::zeros(0).view()).is_err());
        let huge = array![[1e200, 1.0], [1e200, 2.0]];
        assert!(lars_lasso_path(huge.view(), array![1.0, 2.0].view()).is_err());
    }
}
