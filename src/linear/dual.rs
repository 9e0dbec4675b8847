//! Weighted ridge with an intercept solved in the sample space, for designs
//! with more columns than rows (a long text with `bow=False`): the n × n
//! system `(Z Zᵀ + alpha·I) a = t`, `b = Zᵀ a`, where `Z` holds the centred
//! rows scaled by `√wᵢ` and `t` the centred labels likewise. It is the same
//! minimiser as the d × d normal equations of [`super::ridge`]
//! (`Σ wᵢ (yᵢ - b₀ - xᵢ·b)² + alpha·|b|²`), without the d × d matrix.

use faer::linalg::matmul::triangular::{matmul, BlockStructure};
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat, MatRef, Par, Side};
use ndarray::{ArrayView1, ArrayView2};

use super::gram::check_weights;
use crate::error::{ensure_finite, LimeError, Result};

/// The ridge coefficients (`alpha > 0`) of every column of `x` (n × d) for
/// the labels `y`, weighted by `w`, from the n × n dual system.
pub fn ridge_coef(
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    w: &[f64],
    alpha: f64,
) -> Result<Vec<f64>> {
    let (n, d) = x.dim();
    if y.len() != n {
        return Err(LimeError::shape(
            "neighborhood_labels",
            format!("has {} rows but neighborhood_data has {n}", y.len()),
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
    let mut y_mean = 0.0;
    for (i, row) in x.rows().into_iter().enumerate() {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += w[i] * v;
        }
        y_mean += w[i] * y[i];
    }
    mean.iter_mut().for_each(|m| *m /= sum_w);
    y_mean /= sum_w;
    let root: Vec<f64> = w.iter().map(|v| v.sqrt()).collect();
    let mut z = crate::alloc::try_zeroed(n, d, "neighborhood_data")?;
    for (i, row) in x.rows().into_iter().enumerate() {
        let out = &mut z[i * d..(i + 1) * d];
        for ((o, v), m) in out.iter_mut().zip(row).zip(&mean) {
            *o = (v - m) * root[i];
        }
    }
    let zm = MatRef::from_row_major_slice(&z, n, d);
    let mut k = Mat::<f64>::zeros(n, n);
    matmul(
        k.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        zm,
        BlockStructure::Rectangular,
        zm.transpose(),
        BlockStructure::Rectangular,
        1.0,
        Par::Seq,
    );
    for i in 0..n {
        k[(i, i)] += alpha;
    }
    let Ok(llt) = k.llt(Side::Lower) else {
        return Err(culprit(x, y));
    };
    let mut a = Mat::<f64>::from_fn(n, 1, |i, _| (y[i] - y_mean) * root[i]);
    llt.solve_in_place(a.as_mut());
    let mut coef = vec![0.0; d];
    for i in 0..n {
        let ai = a[(i, 0)];
        for (c, v) in coef.iter_mut().zip(&z[i * d..(i + 1) * d]) {
            *c += ai * v;
        }
    }
    if !coef.iter().all(|c| c.is_finite()) {
        return Err(culprit(x, y));
    }
    Ok(coef)
}

/// Why the system had no finite solution: NaN or infinity in the data or the
/// labels (named, as the Gram path names them), else an overflow.
fn culprit(x: ArrayView2<f64>, y: ArrayView1<f64>) -> LimeError {
    ensure_finite("neighborhood_data", x.iter())
        .and_then(|_| ensure_finite("neighborhood_labels", y.iter()))
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
        for (n, d) in [(7, 30), (20, 21), (40, 200)] {
            let x = Array2::from_shape_fn((n, d), |(i, j)| {
                ((i * 7 + j * 13 + i * j) % 3 == 0) as u8 as f64
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
        }
    }
}
