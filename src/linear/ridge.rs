//! Ridge regression on a subset of a design's columns, with scikit-learn's
//! `Ridge(alpha, fit_intercept=True)` semantics under sample weights:
//! minimise `Σ wᵢ (yᵢ - b₀ - xᵢ·b)² + alpha·|b|²`.

use faer::linalg::matmul::triangular::{matmul, BlockStructure};
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat, MatRef, Par, Side};
use ndarray::{ArrayView1, ArrayView2};

use super::cholesky;
use super::gram::{Design, LabelMoments};
use super::{meat, small_gram};
use crate::error::{LimeError, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct RidgeFit {
    pub features: Vec<usize>,
    pub coef: Vec<f64>,
    pub intercept: f64,
}

fn check_features(design: &Design, features: &[usize]) -> Result<()> {
    match features.iter().find(|&&f| f >= design.d) {
        Some(f) => Err(LimeError::invalid(
            "features",
            format!("index {f} is out of range for {} columns", design.d),
        )),
        None => Ok(()),
    }
}

/// Columns beyond which a system is factored by faer's blocked Cholesky:
/// the unblocked factor of [`cholesky`] is fastest on the few dozen columns
/// of a local model, but takes seconds at thousands.
const BLOCKED: usize = 512;

/// Solves `(G[S,S] + alpha·I) b = c[S]`.
///
/// Cholesky first; when the system is singular (alpha = 0 with dependent
/// columns) the minimum-norm solution from an eigendecomposition, as
/// scikit-learn falls back to its SVD solver.
pub fn solve(
    design: &Design,
    label: &LabelMoments,
    features: &[usize],
    alpha: f64,
) -> Result<Vec<f64>> {
    check_features(design, features)?;
    if !(alpha.is_finite() && alpha >= 0.0) {
        return Err(LimeError::invalid(
            "alpha",
            format!("must be a non-negative finite number, got {alpha}"),
        ));
    }
    let k = features.len();
    if k == 0 {
        return Ok(Vec::new());
    }
    let a = system(design, features, alpha);
    let mut sol: Vec<f64> = features.iter().map(|&f| label.xty[f]).collect();
    if k > BLOCKED {
        // hundreds of columns and more (a long text): faer's blocked factor
        let m = Mat::<f64>::from_fn(k, k, |r, c| a[r.max(c) * k + r.min(c)]);
        if let Ok(llt) = m.llt(Side::Lower) {
            let mut rhs = Mat::<f64>::from_fn(k, 1, |r, _| sol[r]);
            llt.solve_in_place(rhs.as_mut());
            if (0..k).all(|r| rhs[(r, 0)].is_finite()) {
                return Ok((0..k).map(|r| rhs[(r, 0)]).collect());
            }
        }
    } else if let Some(l) = cholesky::factor(&a, k) {
        cholesky::solve(&l, k, k, &mut sol);
        if sol.iter().all(|v| v.is_finite()) {
            return Ok(sol);
        }
    }
    // Singular: the minimum-norm solution.
    let pinv = pseudo_inverse(&a, k)?;
    Ok((0..k)
        .map(|r| (0..k).map(|c| pinv[(r, c)] * label.xty[features[c]]).sum())
        .collect())
}

/// `G[S,S] + alpha·I`, row-major `k × k`, lower triangle only (the upper
/// stays zero): read from whole columns of the symmetric Gram.
fn system(design: &Design, features: &[usize], alpha: f64) -> Vec<f64> {
    let k = features.len();
    let mut a = vec![0.0; k * k];
    for (r, &fr) in features.iter().enumerate() {
        // Row r of the lower triangle is column fr of the Gram, by symmetry.
        let col = design.gram.col_as_slice(fr);
        for (v, &fc) in a[r * k..=r * k + r].iter_mut().zip(features) {
            *v = col[fc];
        }
        a[r * k + r] += alpha;
    }
    a
}

impl RidgeFit {
    pub fn fit(
        design: &Design,
        label: &LabelMoments,
        features: &[usize],
        alpha: f64,
    ) -> Result<RidgeFit> {
        let coef = solve(design, label, features, alpha)?;
        let intercept = label.y_mean
            - features
                .iter()
                .zip(&coef)
                .map(|(&f, b)| design.x_mean[f] * b)
                .sum::<f64>();
        Ok(RidgeFit {
            features: features.to_vec(),
            coef,
            intercept,
        })
    }

    /// Weighted R² on the neighbourhood (scikit-learn's `score` with
    /// `sample_weight`): `1 - RSS / TSS`, and when TSS is zero, 1 for a
    /// perfect fit and 0 otherwise.
    pub fn score(&self, design: &Design, label: &LabelMoments) -> f64 {
        let (f, b) = (&self.features, &self.coef);
        let mut quad = 0.0;
        for (r, &fr) in f.iter().enumerate() {
            // Row fr of the symmetric Gram, read as its column.
            let col = design.gram.col_as_slice(fr);
            let row: f64 = f.iter().zip(b).map(|(&fc, bc)| col[fc] * bc).sum();
            quad += b[r] * row;
        }
        let cross: f64 = f.iter().zip(b).map(|(&fi, bi)| label.xty[fi] * bi).sum();
        let rss = (label.yty - 2.0 * cross + quad).max(0.0);
        r2_from(rss, label.yty)
    }

    /// The model's prediction at `row` (all of the design's columns).
    pub fn predict(&self, row: ArrayView1<f64>) -> f64 {
        self.intercept
            + self
                .features
                .iter()
                .zip(&self.coef)
                .map(|(&f, b)| row[f] * b)
                .sum::<f64>()
    }
}

/// Rows per group of the narrow meat pass.
const META_SMALL_ROWS: usize = 512;
/// Rows per block of the meat product.
const META_BLOCK_ROWS: usize = 512;
/// Rows per parallel group: fixed by n alone, so partial sums are added in
/// the same order whatever the number of threads.
const META_GROUP_ROWS: usize = 2048;

impl RidgeFit {
    /// Heteroskedasticity-robust (sandwich, HC1) standard errors of the
    /// coefficients, in the order of `self.features`.
    ///
    /// The fit solves `A b = c` with `A = X̃ᵀWX̃ + alpha·I` (X̃ the selected
    /// columns centred on their weighted means). With the neighbourhood drawn
    /// at random, `b` is an M-estimator whose score for row i is
    /// `uᵢ = wᵢ eᵢ x̃ᵢ` (eᵢ the residual), so
    /// `Var(b) ≈ A⁻¹ M A⁻¹`, `M = Σ uᵢuᵢᵀ - s sᵀ/n` (`s = Σ uᵢ = alpha·b`,
    /// the scores centred), scaled by `n / (n - k - 1)` (HC1). No assumption
    /// of a true linear model or of constant noise is made: the local model
    /// is a misspecified approximation, which is what the sandwich allows.
    ///
    /// One pass over the selected columns of `x` and the fitted column `col`
    /// of `labels` (n × L); `A⁻¹` from the Gram block. When
    /// `n <= k + 1` the errors are undefined and NaN is returned.
    pub fn stderr(
        &self,
        design: &Design,
        label: &LabelMoments,
        x: ArrayView2<f64>,
        (labels, col): (ArrayView2<f64>, usize),
        w: &[f64],
        alpha: f64,
    ) -> Result<Vec<f64>> {
        let k = self.features.len();
        let n = x.nrows();
        if col >= labels.ncols() {
            return Err(LimeError::invalid(
                "label",
                format!(
                    "column {col} does not exist: neighborhood_labels has {} columns",
                    labels.ncols()
                ),
            ));
        }
        let y = labels.column(col);
        if y.len() != n || w.len() != n || x.ncols() != design.d || n != design.n {
            return Err(LimeError::shape(
                "neighborhood_data",
                format!(
                    "data {:?}, labels ({}), weights ({}) do not match the design ({} × {})",
                    x.dim(),
                    y.len(),
                    w.len(),
                    design.n,
                    design.d
                ),
            ));
        }
        check_features(design, &self.features)?;
        if k == 0 {
            return Ok(Vec::new());
        }
        if n <= k + 1 {
            return Ok(vec![f64::NAN; k]);
        }
        let a_inv = inverse(&system(design, &self.features, alpha), k)?;
        let (meat_lower, s) = match (small_gram::Kernel::detect(), k < small_gram::MAX_COLUMNS) {
            (Some(kernel), true) => self.meat_small(kernel, design, label, x, (labels, col), w),
            _ => self.meat_general(design, label, x, y, w),
        };
        let mut meat = meat_lower;
        let nf = n as f64;
        for c in 0..k {
            for r in c..k {
                let v = meat[(r, c)] - s[r] * s[c] / nf;
                meat[(r, c)] = v;
                meat[(c, r)] = v;
            }
        }
        let hc1 = nf / (nf - k as f64 - 1.0);
        let p = &meat * &a_inv;
        let out = (0..k)
            .map(|j| {
                let v: f64 = (0..k).map(|q| a_inv[(j, q)] * p[(q, j)]).sum();
                (v.max(0.0) * hc1).sqrt()
            })
            .collect::<Vec<f64>>();
        if out.iter().any(|v| !v.is_finite()) {
            return Err(LimeError::Numerical(
                "the standard errors of the local model overflowed".into(),
            ));
        }
        Ok(out)
    }

    /// `(Σ uᵢuᵢᵀ (lower triangle), Σ uᵢ)` with `uᵢ = wᵢeᵢ(xᵢ - m)` over the
    /// selected columns, through the narrow-design Gram kernel
    /// ([`meat::accumulate_meat`]: residuals and products in one pass over
    /// each block of rows), in fixed row groups run in parallel.
    fn meat_small(
        &self,
        kernel: small_gram::Kernel,
        design: &Design,
        label: &LabelMoments,
        x: ArrayView2<f64>,
        (labels, col): (ArrayView2<f64>, usize),
        w: &[f64],
    ) -> (Mat<f64>, Vec<f64>) {
        let (k, n, d) = (self.features.len(), x.nrows(), x.ncols());
        let Some(flat) = x.as_slice() else {
            return self.meat_general(design, label, x, labels.column(col), w);
        };
        // Labels in another layout: their one column, copied.
        let owned: Vec<f64>;
        let (ys, l, col) = match labels.as_slice() {
            Some(ys) => (ys, labels.ncols(), col),
            None => {
                owned = labels.column(col).to_vec();
                (&owned[..], 1, 0)
            }
        };
        let means: Vec<f64> = self.features.iter().map(|&f| design.x_mean[f]).collect();
        let rows = meat::MeatRows {
            x: flat,
            d,
            features: &self.features,
            means: &means,
            coef: &self.coef,
            y: ys,
            l,
            col,
            y_mean: label.y_mean,
            w,
        };
        // fixed row groups, summed in order: the same bits on any thread count
        let groups = n.div_ceil(META_SMALL_ROWS);
        let mut parts: Vec<Option<(Vec<f64>, Vec<f64>)>> = (0..groups).map(|_| None).collect();
        crate::pool::for_each(parts.iter_mut().collect(), |g, slot| {
            let (start, end) = (g * META_SMALL_ROWS, ((g + 1) * META_SMALL_ROWS).min(n));
            *slot = meat::accumulate_meat(kernel, &rows, start, end);
        });
        if parts.iter().any(Option::is_none) {
            return self.meat_general(design, label, x, labels.column(col), w);
        }
        sum_groups(
            k,
            parts
                .into_iter()
                .flatten()
                .map(|(acc, ps)| (move |r: usize, c: usize| acc[c * k + r], ps)),
        )
    }

    /// [`meat_small`](Self::meat_small) through faer's product, in fixed row
    /// groups run in parallel (wide selections, or CPUs without FMA).
    fn meat_general(
        &self,
        design: &Design,
        label: &LabelMoments,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        w: &[f64],
    ) -> (Mat<f64>, Vec<f64>) {
        let (k, n) = (self.features.len(), x.nrows());
        let groups = n.div_ceil(META_GROUP_ROWS);
        let mut parts: Vec<Option<(Mat<f64>, Vec<f64>)>> = (0..groups).map(|_| None).collect();
        crate::pool::for_each(parts.iter_mut().collect(), |g, slot| {
            let (start, end) = (g * META_GROUP_ROWS, ((g + 1) * META_GROUP_ROWS).min(n));
            *slot = Some(self.meat(design, label, x, y, w, start, end));
        });
        sum_groups(
            k,
            parts
                .into_iter()
                .flatten()
                .map(|(m, ps)| (move |r: usize, c: usize| m[(r, c)], ps)),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn meat(
        &self,
        design: &Design,
        label: &LabelMoments,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        w: &[f64],
        start: usize,
        end: usize,
    ) -> (Mat<f64>, Vec<f64>) {
        let k = self.features.len();
        let means: Vec<f64> = self.features.iter().map(|&f| design.x_mean[f]).collect();
        let mut m = Mat::<f64>::zeros(k, k);
        let mut s = vec![0.0; k];
        let mut u = vec![0.0; META_BLOCK_ROWS * k];
        let mut first = true;
        let mut b0 = start;
        while b0 < end {
            let rows = META_BLOCK_ROWS.min(end - b0);
            for (r, ur) in u[..rows * k].chunks_exact_mut(k).enumerate() {
                let i = b0 + r;
                let row = x.row(i);
                let mut fitted = 0.0;
                for (j, (&f, &mj)) in self.features.iter().zip(&means).enumerate() {
                    let v = row[f] - mj;
                    ur[j] = v;
                    fitted += v * self.coef[j];
                }
                let e = (y[i] - label.y_mean) - fitted;
                let scale = w[i] * e;
                for (v, sj) in ur.iter_mut().zip(s.iter_mut()) {
                    *v *= scale;
                    *sj += *v;
                }
            }
            let ub = MatRef::from_row_major_slice(&u[..rows * k], rows, k);
            matmul(
                m.as_mut(),
                BlockStructure::TriangularLower,
                if first { Accum::Replace } else { Accum::Add },
                ub.transpose(),
                BlockStructure::Rectangular,
                ub,
                BlockStructure::Rectangular,
                1.0,
                Par::Seq,
            );
            first = false;
            b0 += rows;
        }
        crate::cpu::clear_upper_state();
        (m, s)
    }
}

/// The meat's lower triangle and sums over row groups, added in group order
/// (`part(r, c)` reads a group's lower-triangle entry).
fn sum_groups<P: Fn(usize, usize) -> f64>(
    k: usize,
    groups: impl Iterator<Item = (P, Vec<f64>)>,
) -> (Mat<f64>, Vec<f64>) {
    let mut meat = Mat::<f64>::zeros(k, k);
    let mut s = vec![0.0; k];
    for (part, ps) in groups {
        for c in 0..k {
            for r in c..k {
                meat[(r, c)] += part(r, c);
            }
            s[c] += ps[c];
        }
    }
    (meat, s)
}

/// The inverse of a symmetric positive semi-definite matrix: Cholesky, or the
/// pseudo-inverse (eigenvalues below `1e-12 · max` dropped) when singular, as
/// the fit itself falls back to the minimum-norm solution.
fn inverse(a: &[f64], k: usize) -> Result<Mat<f64>> {
    if let Some(l) = cholesky::factor(a, k) {
        let mut inv = Mat::<f64>::zeros(k, k);
        let mut e = vec![0.0; k];
        for c in 0..k {
            e.iter_mut()
                .enumerate()
                .for_each(|(r, v)| *v = f64::from(r == c));
            cholesky::solve(&l, k, k, &mut e);
            inv.col_as_slice_mut(c).copy_from_slice(&e);
        }
        if (0..k).all(|c| inv.col_as_slice(c).iter().all(|v| v.is_finite())) {
            return Ok(inv);
        }
    }
    pseudo_inverse(a, k)
}

/// The pseudo-inverse of the symmetric `k × k` matrix `a` (row-major, only
/// its lower triangle read), eigenvalues below `1e-12 · max` dropped: the
/// minimum-norm answer where Cholesky fails, as scikit-learn falls back to
/// its SVD solver.
fn pseudo_inverse(a: &[f64], k: usize) -> Result<Mat<f64>> {
    let a = Mat::<f64>::from_fn(k, k, |r, c| a[r * k + c]);
    let eig = a.self_adjoint_eigen(Side::Lower).map_err(|_| {
        LimeError::Numerical("the local model's normal equations could not be solved".into())
    })?;
    let (u, s) = (eig.U(), eig.S());
    let lmax = (0..k).map(|i| s[i].abs()).fold(0.0, f64::max);
    let cutoff = lmax * 1e-12;
    Ok(Mat::<f64>::from_fn(k, k, |r, c| {
        (0..k)
            .filter(|&i| s[i] > cutoff && s[i] > 0.0)
            .map(|i| u[(r, i)] * u[(c, i)] / s[i])
            .sum()
    }))
}

/// R² from residual and total sums of squares, with scikit-learn's rule for a
/// zero total.
pub fn r2_from(rss: f64, tss: f64) -> f64 {
    if tss == 0.0 {
        if rss == 0.0 {
            1.0
        } else {
            0.0
        }
    } else {
        1.0 - rss / tss
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2};

    /// The ridge on `feats` of one label `y` and its standard errors.
    fn fit_with_stderr(
        x: &Array2<f64>,
        y: &Array1<f64>,
        w: &[f64],
        feats: &[usize],
        alpha: f64,
    ) -> (RidgeFit, Vec<f64>) {
        let labels = y.view().insert_axis(ndarray::Axis(1));
        let des = Design::new(x.view(), labels, w).unwrap();
        let lab = &des.labels[0];
        let fit = RidgeFit::fit(&des, lab, feats, alpha).unwrap();
        let se = fit
            .stderr(&des, lab, x.view(), (labels, 0), w, alpha)
            .unwrap();
        (fit, se)
    }

    #[test]
    fn exact_linear_data_is_recovered() {
        let n = 40;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| {
            ((i * (j + 3)) % 11) as f64 + (j as f64) * 0.3
        });
        let y: Array1<f64> = x
            .rows()
            .into_iter()
            .map(|r| 2.0 + r[0] - 0.5 * r[2])
            .collect();
        let w: Vec<f64> = (0..n).map(|i| 1.0 + (i % 3) as f64).collect();
        let des = Design::new(x.view(), y.view().insert_axis(ndarray::Axis(1)), &w).unwrap();
        let lab = &des.labels[0];
        let fit = RidgeFit::fit(&des, lab, &[0, 1, 2], 0.0).unwrap();
        assert!(
            (fit.coef[0] - 1.0).abs() < 1e-9
                && fit.coef[1].abs() < 1e-9
                && (fit.coef[2] + 0.5).abs() < 1e-9
        );
        assert!((fit.intercept - 2.0).abs() < 1e-8);
        assert!((fit.score(&des, lab) - 1.0).abs() < 1e-12);
        assert!((fit.predict(x.row(0)) - y[0]).abs() < 1e-9);
    }

    #[test]
    fn singular_system_gives_min_norm_solution() {
        // Two identical columns with alpha = 0: the weight is split evenly.
        let n = 10;
        let x = Array2::from_shape_fn((n, 2), |(i, _)| i as f64);
        let y: Array1<f64> = (0..n).map(|i| 2.0 * i as f64).collect();
        let w = vec![1.0; n];
        let des = Design::new(x.view(), y.view().insert_axis(ndarray::Axis(1)), &w).unwrap();
        let lab = &des.labels[0];
        let fit = RidgeFit::fit(&des, lab, &[0, 1], 0.0).unwrap();
        assert!(
            (fit.coef[0] - 1.0).abs() < 1e-8 && (fit.coef[1] - 1.0).abs() < 1e-8,
            "{:?}",
            fit.coef
        );
    }

    #[test]
    fn constant_labels_score_one() {
        let x = Array2::from_shape_fn((5, 2), |(i, j)| (i + j) as f64);
        let y = Array1::from_elem(5, 1.0);
        let w = vec![0.5; 5];
        let des = Design::new(x.view(), y.view().insert_axis(ndarray::Axis(1)), &w).unwrap();
        let lab = &des.labels[0];
        let fit = RidgeFit::fit(&des, lab, &[0, 1], 1.0).unwrap();
        assert_eq!(fit.score(&des, lab), 1.0);
    }

    /// The sandwich agrees with a direct O(n k²) sum, and with HC1's scale.
    #[test]
    fn stderr_matches_direct_sandwich() {
        let n = 300;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| {
            (((i * 7 + j * 13) % 17) as f64 - 8.0) / 5.0 + (i as f64 * 0.01) * j as f64
        });
        let y: Array1<f64> = x
            .rows()
            .into_iter()
            .enumerate()
            .map(|(i, r)| 0.3 + r[0] - 0.5 * r[1] + ((i * 31 % 7) as f64 - 3.0) * 0.1 * r[0])
            .collect();
        let w: Vec<f64> = (0..n).map(|i| 0.2 + (i % 5) as f64 * 0.3).collect();
        let feats = [2usize, 0];
        let alpha = 1.0;
        let (fit, se) = fit_with_stderr(&x, &y, &w, &feats, alpha);
        // direct: A = X̃ᵀWX̃ + αI; M = Σ (wᵢeᵢ)² x̃ᵢx̃ᵢᵀ - ssᵀ/n
        let sw: f64 = w.iter().sum();
        let mx: Vec<f64> = feats
            .iter()
            .map(|&f| (0..n).map(|i| w[i] * x[(i, f)]).sum::<f64>() / sw)
            .collect();
        let my = (0..n).map(|i| w[i] * y[i]).sum::<f64>() / sw;
        let xt = |i: usize, j: usize| x[(i, feats[j])] - mx[j];
        let mut a = [[0.0; 2]; 2];
        let mut m = [[0.0; 2]; 2];
        let mut s = [0.0; 2];
        for i in 0..n {
            let e = y[i] - my - xt(i, 0) * fit.coef[0] - xt(i, 1) * fit.coef[1];
            for r in 0..2 {
                s[r] += w[i] * e * xt(i, r);
                for c in 0..2 {
                    a[r][c] += w[i] * xt(i, r) * xt(i, c);
                    m[r][c] += (w[i] * e).powi(2) * xt(i, r) * xt(i, c);
                }
            }
        }
        for r in 0..2 {
            a[r][r] += alpha;
            for c in 0..2 {
                m[r][c] -= s[r] * s[c] / n as f64;
            }
        }
        let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
        let ai = [
            [a[1][1] / det, -a[0][1] / det],
            [-a[1][0] / det, a[0][0] / det],
        ];
        let hc1 = n as f64 / (n as f64 - 3.0);
        for j in 0..2 {
            let mut v = 0.0;
            for p in 0..2 {
                for q in 0..2 {
                    v += ai[j][p] * m[p][q] * ai[q][j];
                }
            }
            let want = (v * hc1).sqrt();
            assert!(
                (se[j] - want).abs() < 1e-10 * want.max(1.0),
                "{j}: {} vs {want}",
                se[j]
            );
        }
        // s = Σ uᵢ equals alpha·b at the ridge solution
        assert!((s[0] - alpha * fit.coef[0]).abs() < 1e-8);
    }

    #[test]
    fn stderr_is_nan_without_residual_degrees_of_freedom() {
        let x = Array2::from_shape_fn((3, 2), |(i, j)| (i * (j + 1)) as f64);
        let y = Array1::from_vec(vec![1.0, 2.0, 0.5]);
        let w = vec![1.0; 3];
        let (_, se) = fit_with_stderr(&x, &y, &w, &[0, 1], 1.0);
        assert!(se.iter().all(|v| v.is_nan()));
    }
}
