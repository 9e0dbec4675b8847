//! One local surrogate model per label, as lime's
//! `LimeBase.explain_instance_with_data`: select features, fit a weighted
//! ridge on them, report its R² on the neighbourhood and its prediction at the
//! instance (row 0).

use ndarray::{ArrayView1, ArrayView2};

use crate::error::{LimeError, Result};
use crate::linear::{Design, RidgeFit};
use crate::selection::{rank_by_magnitude, select, Method};

#[derive(Debug, Clone, PartialEq)]
pub struct LocalModel {
    pub intercept: f64,
    /// Selected features sorted by decreasing |weight| (stable).
    pub features: Vec<usize>,
    pub weights: Vec<f64>,
    pub score: f64,
    pub local_pred: f64,
    /// Sandwich (HC1) standard errors of `weights`, same order; empty unless
    /// asked for (`explain_with_stderr`).
    pub stderr: Vec<f64>,
}

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub num_features: usize,
    pub method: Method,
    /// Ridge penalty of the final model (lime: 1.0).
    pub alpha: f64,
}

/// Fits one local model per label column of `labels` (n × L) listed in
/// `which`, sharing one Gram matrix.
pub fn explain(
    data: ArrayView2<f64>,
    labels: ArrayView2<f64>,
    weights: &[f64],
    which: &[usize],
    settings: Settings,
) -> Result<Vec<LocalModel>> {
    explain_with_stderr(data, labels, weights, which, settings, false)
}

/// [`explain`], and when `stderr` is true each model's sandwich standard
/// errors ([`RidgeFit::stderr`]): one more pass over the selected columns.
pub fn explain_with_stderr(
    data: ArrayView2<f64>,
    labels: ArrayView2<f64>,
    weights: &[f64],
    which: &[usize],
    settings: Settings,
    stderr: bool,
) -> Result<Vec<LocalModel>> {
    if labels.nrows() != data.nrows() {
        return Err(LimeError::shape(
            "neighborhood_labels",
            format!(
                "has {} rows but neighborhood_data has {}",
                labels.nrows(),
                data.nrows()
            ),
        ));
    }
    if let Some(&bad) = which.iter().find(|&&l| l >= labels.ncols()) {
        return Err(LimeError::invalid(
            "label",
            format!(
                "column {bad} does not exist: neighborhood_labels has {} columns (0..{})",
                labels.ncols(),
                labels.ncols().saturating_sub(1)
            ),
        ));
    }
    // The calling thread may come with a dirty upper vector state (numpy's
    // BLAS leaves one): every baseline SSE instruction of this call and of
    // the caller's Python code after it would pay for it, and with the pool
    // doing the heavy work nothing else on this thread clears it.
    crate::cpu::clear_upper_state();
    // Only the labels asked for enter the design (sorted, without repeats).
    let mut cols = which.to_vec();
    cols.sort_unstable();
    cols.dedup();
    let design = Design::with_labels(data, labels, weights, &cols)?;
    let models = which
        .iter()
        .map(|&l| {
            let k = cols.binary_search(&l).map_err(|_| {
                LimeError::Numerical(format!("internal: label {l} missing from the design"))
            })?;
            let features = select(
                &design,
                k,
                data.row(0),
                settings.num_features,
                settings.method,
            )?;
            let label = &design.labels[k];
            let fit = RidgeFit::fit(&design, label, &features, settings.alpha)?;
            let se = if stderr {
                fit.stderr(&design, label, data, (labels, l), weights, settings.alpha)?
            } else {
                Vec::new()
            };
            Ok(finish(&design, label, fit, data.row(0), se))
        })
        .collect();
    crate::cpu::clear_upper_state();
    models
}

fn finish(
    design: &Design,
    label: &crate::linear::LabelMoments,
    fit: RidgeFit,
    instance: ArrayView1<f64>,
    stderr: Vec<f64>,
) -> LocalModel {
    let score = fit.score(design, label);
    let local_pred = fit.predict(instance);
    let order = rank_by_magnitude(&fit.coef);
    LocalModel {
        intercept: fit.intercept,
        features: order.iter().map(|&i| fit.features[i]).collect(),
        weights: order.iter().map(|&i| fit.coef[i]).collect(),
        score,
        local_pred,
        stderr: if stderr.is_empty() {
            stderr
        } else {
            order.iter().map(|&i| stderr[i]).collect()
        },
    }
}

/// Only the feature selection (for a user-supplied regressor fitted in Python).
pub fn select_features(
    data: ArrayView2<f64>,
    labels: ArrayView1<f64>,
    weights: &[f64],
    num_features: usize,
    method: Method,
) -> Result<Vec<usize>> {
    crate::cpu::clear_upper_state();
    let labels = labels.insert_axis(ndarray::Axis(1));
    let design = Design::new(data, labels, weights)?;
    let selected = select(&design, 0, data.row(0), num_features, method);
    crate::cpu::clear_upper_state();
    selected
}

#[cfg(test)]
mod timing {
    use super::*;
    use ndarray::Array2;

    /// `cargo test --profile dev-release --no-default-features engine_timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn engine_timing() {
        let (n, d) = (5000, 30);
        let (x, y, w) = crate::linear::timing::problem(n, d);
        let best = crate::linear::timing::best;
        let design = best(&|| {
            std::hint::black_box(Design::with_labels(x.view(), y.view(), &w, &[1]).expect("ok"));
        });
        for method in [
            Method::None,
            Method::HighestWeights,
            Method::LassoPath,
            Method::ForwardSelection,
        ] {
            let settings = Settings {
                num_features: if method == Method::ForwardSelection {
                    6
                } else {
                    10
                },
                method,
                alpha: 1.0,
            };
            let t = best(&|| {
                std::hint::black_box(explain(x.view(), y.view(), &w, &[1], settings).expect("ok"));
            });
            let t_se = best(&|| {
                std::hint::black_box(
                    explain_with_stderr(x.view(), y.view(), &w, &[1], settings, true).expect("ok"),
                );
            });
            println!(
                "{method:?}: explain {:.1} us (with stderr {:.1} us), of which design {:.1} us ({} threads)",
                t * 1e6,
                t_se * 1e6,
                design * 1e6,
                crate::pool::num_threads()
            );
        }
        // The tabular explainer with a quartile discretizer: 0/1 columns
        // (1 = the instance's bin, P ~ 0.25; row 0 all ones), weights
        // kernel(sqrt(#differences)), two labels of which one is explained,
        // auto -> highest_weights (10 features), with standard errors.
        let mut bits = crate::linear::timing::noise();
        let xb = Array2::from_shape_fn(
            (n, d),
            |(i, _)| {
                if i == 0 || bits() < -0.25 {
                    1.0
                } else {
                    0.0
                }
            },
        );
        let width = 0.75 * (d as f64).sqrt();
        let wb: Vec<f64> = xb
            .rows()
            .into_iter()
            .map(|r| {
                let k = r.iter().filter(|&&v| v == 0.0).count() as f64;
                (-k / (width * width)).exp().sqrt()
            })
            .collect();
        let yb = Array2::from_shape_fn((n, 2), |(i, j)| {
            let p = 1.0 / (1.0 + (-(xb.row(i).sum() - 7.5) * 0.3 + bits()).exp());
            if j == 0 {
                1.0 - p
            } else {
                p
            }
        });
        let settings = Settings {
            num_features: 10,
            method: Method::Auto,
            alpha: 1.0,
        };
        let design = best(&|| {
            std::hint::black_box(Design::with_labels(xb.view(), yb.view(), &wb, &[1]).expect("ok"));
        });
        let t = best(&|| {
            std::hint::black_box(explain(xb.view(), yb.view(), &wb, &[1], settings).expect("ok"));
        });
        let t_se = best(&|| {
            std::hint::black_box(
                explain_with_stderr(xb.view(), yb.view(), &wb, &[1], settings, true).expect("ok"),
            );
        });
        println!(
            "Quartile (binary, auto nf=10): explain {:.1} us (with stderr {:.1} us), of which design {:.1} us",
            t * 1e6,
            t_se * 1e6,
            design * 1e6,
        );
    }
}
