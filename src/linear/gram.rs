//! The centred, weighted Gram matrix `Σ wᵢ (xᵢ - m)(xᵢ - m)ᵀ` of a
//! neighbourhood, with `m` the weighted column means, as scikit-learn's
//! `Ridge(fit_intercept=True).fit(X, y, sample_weight=w)` builds it.
//!
//! One Gram serves every model of an explanation: feature selection and the
//! final ridge fit work on sub-blocks of it, and every label reuses it.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;

use crate::error::{ensure_finite, LimeError, Result};

/// Columns per Gram tile. Tiles are fixed, so the result never depends on the
/// number of threads.
const TILE: usize = 96;

#[derive(Debug, Clone)]
pub struct Design {
    pub n: usize,
    pub d: usize,
    pub sum_w: f64,
    /// Weighted column means.
    pub x_mean: Vec<f64>,
    /// `Σ wᵢ (xᵢ - m)(xᵢ - m)ᵀ`, full symmetric d×d.
    pub gram: Mat<f64>,
    /// Row-major `(xᵢⱼ - mⱼ)·√wᵢ`, kept for the lasso path and label moments.
    pub centred: Vec<f64>,
    /// `√wᵢ`.
    pub sqrt_w: Vec<f64>,
}

/// What a label adds to a design: its weighted mean and its moments.
#[derive(Debug, Clone)]
pub struct LabelMoments {
    pub y_mean: f64,
    /// `Σ wᵢ (xᵢ - m)(yᵢ - ȳ)`.
    pub xty: Vec<f64>,
    /// `Σ wᵢ (yᵢ - ȳ)²`.
    pub yty: f64,
    /// `(yᵢ - ȳ)·√wᵢ`.
    pub centred: Vec<f64>,
}

/// Checks sample weights: finite, non-negative, not all zero. Returns their sum.
pub fn check_weights(w: &[f64], n: usize) -> Result<f64> {
    if w.len() != n {
        return Err(LimeError::shape(
            "weights",
            format!("has {} values but the data has {} rows", w.len(), n),
        ));
    }
    ensure_finite("weights", w.iter())?;
    if let Some(i) = w.iter().position(|&v| v < 0.0) {
        return Err(LimeError::invalid(
            "weights",
            format!("must be non-negative (the kernel returned {} at row {i})", w[i]),
        ));
    }
    let sum: f64 = w.iter().sum();
    if sum <= 0.0 {
        return Err(LimeError::invalid(
            "weights",
            "are all zero: no sample is close enough to the instance (increase kernel_width)",
        ));
    }
    Ok(sum)
}

impl Design {
    pub fn new(x: ArrayView2<f64>, w: &[f64]) -> Result<Design> {
        let (n, d) = x.dim();
        if n == 0 || d == 0 {
            return Err(LimeError::shape(
                "neighborhood_data",
                format!("must have at least one row and one column, got shape ({n}, {d})"),
            ));
        }
        ensure_finite("neighborhood_data", x.iter())?;
        let sum_w = check_weights(w, n)?;
        // One row-major pass for the means, one for the centred copy.
        let rows: Vec<&[f64]> = match x.as_slice() {
            Some(flat) => flat.chunks_exact(d).collect(),
            None => return Design::new(x.as_standard_layout().view(), w),
        };
        let mut x_mean = vec![0.0; d];
        for (row, &wi) in rows.iter().zip(w) {
            for (m, &v) in x_mean.iter_mut().zip(row.iter()) {
                *m += wi * v;
            }
        }
        x_mean.iter_mut().for_each(|m| *m /= sum_w);
        let sqrt_w: Vec<f64> = w.iter().map(|v| v.sqrt()).collect();
        let mut centred = vec![0.0; n * d];
        for ((out, row), &s) in centred.chunks_exact_mut(d).zip(&rows).zip(&sqrt_w) {
            for ((o, &v), &m) in out.iter_mut().zip(row.iter()).zip(&x_mean) {
                *o = (v - m) * s;
            }
        }
        let gram = gram_of(MatRef::from_row_major_slice(&centred, n, d));
        Ok(Design { n, d, sum_w, x_mean, gram, centred, sqrt_w })
    }

    /// The centred weighted data as an n × d view.
    pub fn centred_view(&self) -> ndarray::ArrayView2<'_, f64> {
        ndarray::ArrayView2::from_shape((self.n, self.d), &self.centred).expect("n * d elements")
    }

    pub fn label(&self, y: ArrayView1<f64>, w: &[f64]) -> Result<LabelMoments> {
        if y.len() != self.n {
            return Err(LimeError::shape(
                "neighborhood_labels",
                format!("has {} rows but neighborhood_data has {}", y.len(), self.n),
            ));
        }
        ensure_finite("neighborhood_labels", y.iter())?;
        let y_mean = y.iter().zip(w).map(|(&v, &wi)| wi * v).sum::<f64>() / self.sum_w;
        let centred: Vec<f64> = y.iter().zip(&self.sqrt_w).map(|(&v, &s)| (v - y_mean) * s).collect();
        let yty = y.iter().zip(w).map(|(&v, &wi)| wi * (v - y_mean) * (v - y_mean)).sum();
        let mut xty = vec![0.0; self.d];
        for (row, &c) in self.centred.chunks_exact(self.d).zip(&centred) {
            for (acc, &v) in xty.iter_mut().zip(row) {
                *acc += v * c;
            }
        }
        Ok(LabelMoments { y_mean, xty, yty, centred })
    }
}

/// `ZᵀZ` for column-major `z`, tiled over output blocks.
fn gram_of(z: MatRef<'_, f64>) -> Mat<f64> {
    let d = z.ncols();
    let mut g = Mat::<f64>::zeros(d, d);
    if d <= TILE {
        matmul(g.as_mut(), Accum::Replace, z.transpose(), z, 1.0, Par::Seq);
        return g;
    }
    let blocks: Vec<(usize, usize)> = (0..d.div_ceil(TILE))
        .flat_map(|bi| (bi..d.div_ceil(TILE)).map(move |bj| (bi, bj)))
        .collect();
    let tiles: Vec<Mat<f64>> = crate::pool::install(|| {
        blocks
            .par_iter()
            .map(|&(bi, bj)| {
                let (r0, c0) = (bi * TILE, bj * TILE);
                let (rn, cn) = (TILE.min(d - r0), TILE.min(d - c0));
                let mut t = Mat::<f64>::zeros(rn, cn);
                let lhs = z.subcols(r0, rn).transpose();
                matmul(t.as_mut(), Accum::Replace, lhs, z.subcols(c0, cn), 1.0, Par::Seq);
                t
            })
            .collect()
    });
    for (&(bi, bj), t) in blocks.iter().zip(&tiles) {
        let (r0, c0) = (bi * TILE, bj * TILE);
        for c in 0..t.ncols() {
            for r in 0..t.nrows() {
                g[(r0 + r, c0 + c)] = t[(r, c)];
                g[(c0 + c, r0 + r)] = t[(r, c)];
            }
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn gram_matches_direct_sum() {
        for &(n, d) in &[(7, 3), (50, 200)] {
            let x = Array2::from_shape_fn((n, d), |(i, j)| ((i * 31 + j * 17) % 13) as f64 / 7.0 - 0.5);
            let w: Vec<f64> = (0..n).map(|i| 0.1 + (i % 5) as f64).collect();
            let des = Design::new(x.view(), &w).unwrap();
            for a in 0..d {
                for b in 0..d {
                    let direct: f64 =
                        (0..n).map(|i| w[i] * (x[(i, a)] - des.x_mean[a]) * (x[(i, b)] - des.x_mean[b])).sum();
                    assert!((des.gram[(a, b)] - direct).abs() < 1e-9, "{a} {b}");
                }
            }
        }
    }

    #[test]
    fn rejects_bad_weights() {
        let x = Array2::<f64>::ones((3, 2));
        assert!(Design::new(x.view(), &[0.0, 0.0, 0.0]).is_err());
        assert!(Design::new(x.view(), &[1.0, -1.0, 1.0]).is_err());
        assert!(Design::new(x.view(), &[1.0, 1.0]).is_err());
        assert!(Design::new(x.view(), &[1.0, f64::NAN, 1.0]).is_err());
    }
}
