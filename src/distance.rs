//! Distances from every row of a neighbourhood to a reference point, and the
//! kernels that turn them into sample weights.

use ndarray::{ArrayView1, ArrayView2, Zip};

use crate::error::{ensure_finite, LimeError, Result};
use crate::fastexp::exp_nonpositive;

/// Rows per parallel task; fixed so results never depend on the thread count.
const ROWS_PER_TASK: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Euclidean,
    Cosine,
}

impl Metric {
    /// The metrics computed in Rust; any other name is left to scikit-learn.
    pub fn parse(name: &str) -> Option<Metric> {
        match name {
            "euclidean" | "l2" => Some(Metric::Euclidean),
            "cosine" => Some(Metric::Cosine),
            _ => None,
        }
    }
}

fn check(data: &ArrayView2<f64>, point: &ArrayView1<f64>) -> Result<()> {
    if data.ncols() != point.len() {
        return Err(LimeError::shape(
            "point",
            format!(
                "has {} values but the data has {} columns",
                point.len(),
                data.ncols()
            ),
        ));
    }
    ensure_finite("data", data.iter())?;
    ensure_finite("point", point.iter())
}

/// Distance of every row of `data` to `point`.
///
/// Cosine follows scikit-learn: a zero row has similarity 0 (distance 1), and
/// the distance is clipped to [0, 2].
pub fn distances_to(
    data: ArrayView2<f64>,
    point: ArrayView1<f64>,
    metric: Metric,
) -> Result<Vec<f64>> {
    check(&data, &point)?;
    let mut out = vec![0.0; data.nrows()];
    let point_norm = point.dot(&point).sqrt();
    let per_row = |row: ArrayView1<f64>| -> f64 {
        match metric {
            Metric::Euclidean => {
                let mut s = 0.0;
                Zip::from(&row)
                    .and(&point)
                    .for_each(|&a, &b| s += (a - b) * (a - b));
                s.sqrt()
            }
            Metric::Cosine => {
                let (mut dot, mut nn) = (0.0, 0.0);
                Zip::from(&row).and(&point).for_each(|&a, &b| {
                    dot += a * b;
                    nn += a * a;
                });
                let denom = nn.sqrt() * point_norm;
                let sim = if denom > 0.0 { dot / denom } else { 0.0 };
                (1.0 - sim).clamp(0.0, 2.0)
            }
        }
    };
    let work = data.nrows() * data.ncols().max(1);
    if work < 64 * 1024 {
        for (o, row) in out.iter_mut().zip(data.rows()) {
            *o = per_row(row);
        }
    } else {
        use rayon::prelude::*;
        crate::pool::install(|| {
            out.par_chunks_mut(ROWS_PER_TASK)
                .enumerate()
                .for_each(|(c, chunk)| {
                    let start = c * ROWS_PER_TASK;
                    for (k, o) in chunk.iter_mut().enumerate() {
                        *o = per_row(data.row(start + k));
                    }
                })
        });
    }
    Ok(out)
}

/// lime's default kernel: `sqrt(exp(-d² / width²))`.
pub fn exponential_kernel(distances: &[f64], width: f64) -> Result<Vec<f64>> {
    if !(width.is_finite() && width > 0.0) {
        return Err(LimeError::invalid(
            "kernel_width",
            format!("must be a positive finite number, got {width}"),
        ));
    }
    ensure_finite("distances", distances.iter())?;
    // sqrt(exp(x)) = exp(x / 2): no division or square root per weight,
    // and a vectorised exp (lime's weights to a few ulp, about 10x faster);
    // zero where lime's exp(x) underflows to zero
    let half = -0.5 / (width * width);
    let mut out = vec![0.0; distances.len()];
    crate::cpu::widest(
        #[inline(always)]
        || {
            for (o, d) in out.iter_mut().zip(distances) {
                let x = d * d * half;
                *o = if x < -372.5 { 0.0 } else { exp_nonpositive(x) };
            }
        },
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn euclidean_and_cosine() {
        let x = array![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [2.0, 0.0]];
        let p = array![1.0, 0.0];
        let e = distances_to(x.view(), p.view(), Metric::Euclidean).unwrap();
        assert_eq!(e, vec![0.0, 2f64.sqrt(), 1.0, 1.0]);
        let c = distances_to(x.view(), p.view(), Metric::Cosine).unwrap();
        assert!(
            (c[0]).abs() < 1e-15 && (c[1] - 1.0).abs() < 1e-15 && c[2] == 1.0 && c[3].abs() < 1e-15
        );
    }

    #[test]
    fn rejects_bad_input() {
        let x = array![[1.0, f64::NAN]];
        assert!(distances_to(x.view(), array![1.0, 0.0].view(), Metric::Euclidean).is_err());
        assert!(distances_to(x.view(), array![1.0].view(), Metric::Euclidean).is_err());
        assert!(exponential_kernel(&[1.0], 0.0).is_err());
        assert!(exponential_kernel(&[f64::INFINITY], 1.0).is_err());
    }

    #[test]
    fn kernel_matches_formula() {
        let d: Vec<f64> = (0..4000).map(|i| i as f64 * 0.013).collect();
        for width in [0.3, 2.0, 5.5] {
            let k = exponential_kernel(&d, width).unwrap();
            for (d, v) in d.iter().zip(k) {
                let lime = (-(d * d) / (width * width)).exp().sqrt();
                // both round x = d²/w² first, and exp scales that by x;
                // beyond x = 708 lime's exp(-x) is subnormal (few bits)
                let x = d * d / (width * width);
                if x < 708.0 {
                    assert!((v - lime).abs() <= 8.0 * f64::EPSILON * (1.0 + x) * lime);
                } else {
                    assert!(v < 1e-150 && lime < 1e-150);
                }
            }
        }
        // zero where lime's exp underflows, as lime's weights are
        let far = exponential_kernel(&[30.0, 27.0], 1.0).unwrap();
        assert_eq!(far[0], 0.0);
        assert!(far[1] > 0.0);
    }
}
