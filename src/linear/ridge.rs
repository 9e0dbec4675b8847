//! Ridge regression on a subset of a design's columns, with scikit-learn's
//! `Ridge(alpha, fit_intercept=True)` semantics under sample weights:
//! minimise `Σ wᵢ (yᵢ - b₀ - xᵢ·b)² + alpha·|b|²`.

use faer::{Mat, Par, Side};
use faer::linalg::solvers::Solve;
use ndarray::ArrayView1;

use super::gram::{Design, LabelMoments};
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

/// Solves `(G[S,S] + alpha·I) b = c[S]`.
///
/// Cholesky first; when the system is singular (alpha = 0 with dependent
/// columns) the minimum-norm solution from an eigendecomposition, as
/// scikit-learn falls back to its SVD solver.
pub fn solve(design: &Design, label: &LabelMoments, features: &[usize], alpha: f64) -> Result<Vec<f64>> {
    check_features(design, features)?;
    if !(alpha.is_finite() && alpha >= 0.0) {
        return Err(LimeError::invalid("alpha", format!("must be a non-negative finite number, got {alpha}")));
    }
    let k = features.len();
    if k == 0 {
        return Ok(Vec::new());
    }
    let a = Mat::<f64>::from_fn(k, k, |r, c| {
        design.gram[(features[r], features[c])] + if r == c { alpha } else { 0.0 }
    });
    let rhs = Mat::<f64>::from_fn(k, 1, |r, _| label.xty[features[r]]);
    if let Ok(llt) = a.llt(Side::Lower) {
        let x = llt.solve(&rhs);
        let sol: Vec<f64> = (0..k).map(|r| x[(r, 0)]).collect();
        if sol.iter().all(|v| v.is_finite()) {
            return Ok(sol);
        }
    }
    min_norm_solve(a, rhs)
}

fn min_norm_solve(a: Mat<f64>, rhs: Mat<f64>) -> Result<Vec<f64>> {
    let k = a.nrows();
    let eig = a
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| LimeError::Numerical("the local model's normal equations could not be solved".into()))?;
    let (u, s) = (eig.U(), eig.S());
    let lmax = (0..k).map(|i| s[i].abs()).fold(0.0, f64::max);
    let cutoff = lmax * 1e-12;
    let mut sol = vec![0.0; k];
    for i in 0..k {
        if s[i] > cutoff && s[i] > 0.0 {
            let proj: f64 = (0..k).map(|r| u[(r, i)] * rhs[(r, 0)]).sum::<f64>() / s[i];
            for (r, v) in sol.iter_mut().enumerate() {
                *v += u[(r, i)] * proj;
            }
        }
    }
    let _ = Par::Seq;
    Ok(sol)
}

impl RidgeFit {
    pub fn fit(design: &Design, label: &LabelMoments, features: &[usize], alpha: f64) -> Result<RidgeFit> {
        let coef = solve(design, label, features, alpha)?;
        let intercept = label.y_mean - features.iter().zip(&coef).map(|(&f, b)| design.x_mean[f] * b).sum::<f64>();
        Ok(RidgeFit { features: features.to_vec(), coef, intercept })
    }

    /// Weighted R² on the neighbourhood (scikit-learn's `score` with
    /// `sample_weight`): `1 - RSS / TSS`, and when TSS is zero, 1 for a
    /// perfect fit and 0 otherwise.
    pub fn score(&self, design: &Design, label: &LabelMoments) -> f64 {
        let (f, b) = (&self.features, &self.coef);
        let mut quad = 0.0;
        for (r, &fr) in f.iter().enumerate() {
            let row: f64 = f.iter().enumerate().map(|(c, &fc)| design.gram[(fr, fc)] * b[c]).sum();
            quad += b[r] * row;
        }
        let cross: f64 = f.iter().zip(b).map(|(&fi, bi)| label.xty[fi] * bi).sum();
        let rss = (label.yty - 2.0 * cross + quad).max(0.0);
        r2_from(rss, label.yty)
    }

    /// The model's prediction at `row` (all of the design's columns).
    pub fn predict(&self, row: ArrayView1<f64>) -> f64 {
        self.intercept + self.features.iter().zip(&self.coef).map(|(&f, b)| row[f] * b).sum::<f64>()
    }
}

/// R² from residual and total sums of squares, with scikit-learn's rule for a
/// zero total.
pub fn r2_from(rss: f64, tss: f64) -> f64 {
    if tss == 0.0 {
        if rss == 0.0 { 1.0 } else { 0.0 }
    } else {
        1.0 - rss / tss
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2};

    #[test]
    fn exact_linear_data_is_recovered() {
        let n = 40;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| ((i * (j + 3)) % 11) as f64 + (j as f64) * 0.3);
        let y: Array1<f64> = x.rows().into_iter().map(|r| 2.0 + r[0] - 0.5 * r[2]).collect();
        let w: Vec<f64> = (0..n).map(|i| 1.0 + (i % 3) as f64).collect();
        let des = Design::new(x.view(), &w).unwrap();
        let lab = des.label(y.view(), &w).unwrap();
        let fit = RidgeFit::fit(&des, &lab, &[0, 1, 2], 0.0).unwrap();
        assert!((fit.coef[0] - 1.0).abs() < 1e-9 && fit.coef[1].abs() < 1e-9 && (fit.coef[2] + 0.5).abs() < 1e-9);
        assert!((fit.intercept - 2.0).abs() < 1e-8);
        assert!((fit.score(&des, &lab) - 1.0).abs() < 1e-12);
        assert!((fit.predict(x.row(0)) - y[0]).abs() < 1e-9);
    }

    #[test]
    fn singular_system_gives_min_norm_solution() {
        // Two identical columns with alpha = 0: the weight is split evenly.
        let n = 10;
        let x = Array2::from_shape_fn((n, 2), |(i, _)| i as f64);
        let y: Array1<f64> = (0..n).map(|i| 2.0 * i as f64).collect();
        let w = vec![1.0; n];
        let des = Design::new(x.view(), &w).unwrap();
        let lab = des.label(y.view(), &w).unwrap();
        let fit = RidgeFit::fit(&des, &lab, &[0, 1], 0.0).unwrap();
        assert!((fit.coef[0] - 1.0).abs() < 1e-8 && (fit.coef[1] - 1.0).abs() < 1e-8, "{:?}", fit.coef);
    }

    #[test]
    fn constant_labels_score_one() {
        let x = Array2::from_shape_fn((5, 2), |(i, j)| (i + j) as f64);
        let y = Array1::from_elem(5, 1.0);
        let w = vec![0.5; 5];
        let des = Design::new(x.view(), &w).unwrap();
        let lab = des.label(y.view(), &w).unwrap();
        let fit = RidgeFit::fit(&des, &lab, &[0, 1], 1.0).unwrap();
        assert_eq!(fit.score(&des, &lab), 1.0);
    }
}
