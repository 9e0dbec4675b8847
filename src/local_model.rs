//! One local surrogate model per label, as lime's
//! `LimeBase.explain_instance_with_data`: select features, fit a weighted
//! ridge on them, report its R² on the neighbourhood and its prediction at the
//! instance (row 0).

use ndarray::{ArrayView1, ArrayView2, Axis};

use crate::error::{LimeError, Result};
use crate::linear::binary::BitRows;
use crate::linear::dual;
use crate::linear::gram::check_weights;
use crate::linear::{Design, RidgeFit};
use crate::selection::{highest_weights_binary, rank_by_magnitude, select, Method};

/// Columns from which `highest_weights` on 0/1 data ranks by conjugate
/// gradients instead of from the Gram matrix: below it the Gram matrix is
/// about as cheap as the iterations.
const WIDE: usize = 256;

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
    if let Some(selected) = sample_space_selection(data, labels, weights, which, settings)? {
        // Each label's model is then the plain ridge on its own features.
        let plain = Settings {
            method: Method::None,
            ..settings
        };
        return which
            .iter()
            .zip(selected)
            .map(|(&l, features)| {
                crate::interrupt::check()?;
                let sub = data.select(Axis(1), &features);
                let mut models =
                    explain_with_stderr(sub.view(), labels, weights, &[l], plain, stderr)?;
                let mut model = models
                    .pop()
                    .ok_or_else(|| LimeError::Numerical("internal: no model".into()))?;
                model.features = model.features.iter().map(|&i| features[i]).collect();
                Ok(model)
            })
            .collect();
    }
    // Only the labels asked for enter the design (sorted, without repeats).
    let mut cols = which.to_vec();
    cols.sort_unstable();
    cols.dedup();
    let design = Design::with_labels(data, labels, weights, &cols)?;
    let models = which
        .iter()
        .map(|&l| {
            crate::interrupt::check()?;
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

/// The features `highest_weights` selects for each label of `which`, when
/// the data are wide and 0/1 and every ranking is certain without the Gram
/// matrix ([`highest_weights_binary`]); `None` sends the caller down the
/// exact path.
fn wide_selection(
    data: ArrayView2<f64>,
    labels: ArrayView2<f64>,
    weights: &[f64],
    which: &[usize],
    settings: Settings,
) -> Result<Option<Vec<Vec<usize>>>> {
    let nf = settings.num_features;
    let (n, d) = data.dim();
    if settings.method.resolve(nf) != Method::HighestWeights || d < WIDE || nf >= d || n == 0 {
        return Ok(None);
    }
    check_weights(weights, n)?;
    let Some(bits) = BitRows::pack(data) else {
        return Ok(None);
    };
    Ok(which
        .iter()
        .map(|&l| highest_weights_binary(&bits, data.row(0), weights, labels.column(l), nf))
        .collect())
}

/// `highest_weights` without the d × d Gram matrix when the data are wide:
/// with fewer features than samples by conjugate gradients on 0/1 data when
/// every ranking is certain ([`wide_selection`]), else from the ridge solved
/// in the sample space ([`dual::ridge_coef`], n × n).
fn sample_space_selection(
    data: ArrayView2<f64>,
    labels: ArrayView2<f64>,
    weights: &[f64],
    which: &[usize],
    settings: Settings,
) -> Result<Option<Vec<Vec<usize>>>> {
    let nf = settings.num_features;
    let (n, d) = data.dim();
    // With at least as many features as samples, conjugate gradients rarely
    // certify a ranking within d/5 iterations (the system is ill-conditioned
    // there) and the n × n dual system is the cheaper exact path: at
    // 1000 × 5000, 2000 × 8000 and 5000 × 5000 document masks CG needed
    // ~1000 iterations or failed, 10-20x the dual's time (2 cores, 2026-12-06).
    if d < n {
        return wide_selection(data, labels, weights, which, settings);
    }
    if settings.method.resolve(nf) != Method::HighestWeights || d < WIDE || nf >= d {
        return Ok(None);
    }
    let instance = data.row(0);
    let coefs = dual::ridge_coefs(data, labels, which, weights, 0.01)?;
    Ok(Some(
        coefs
            .iter()
            .map(|coef| {
                let weighted: Vec<f64> = coef.iter().zip(instance).map(|(c, x)| c * x).collect();
                rank_by_magnitude(&weighted).into_iter().take(nf).collect()
            })
            .collect(),
    ))
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
    let labels = labels.insert_axis(Axis(1));
    let settings = Settings {
        num_features,
        method,
        alpha: 1.0,
    };
    if let Some(mut selected) = sample_space_selection(data, labels, weights, &[0], settings)? {
        return selected
            .pop()
            .ok_or_else(|| LimeError::Numerical("internal: no selection".into()));
    }
    let design = Design::new(data, labels, weights)?;
    let selected = select(&design, 0, data.row(0), num_features, method);
    crate::cpu::clear_upper_state();
    selected
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear::binary::tests::document;

    fn settings(num_features: usize) -> Settings {
        Settings {
            num_features,
            method: Method::HighestWeights,
            alpha: 1.0,
        }
    }

    #[test]
    fn wide_binary_data_are_ranked_without_the_gram_as_with_it() {
        let (x, y, w) = document(1500, 600);
        let y = y.insert_axis(Axis(1));
        let design = Design::new(x.view(), y.view(), &w).expect("ok");
        for nf in [1, 10, 100] {
            let wide = wide_selection(x.view(), y.view(), &w, &[0], settings(nf))
                .expect("ok")
                .expect("certified");
            let exact = select(&design, 0, x.row(0), nf, Method::HighestWeights).expect("ok");
            assert_eq!(wide, vec![exact], "nf={nf}");
            let fast = explain(x.view(), y.view(), &w, &[0], settings(nf)).expect("ok");
            let plain = Settings {
                method: Method::None,
                ..settings(nf)
            };
            let sub = x.select(Axis(1), &wide[0]);
            let slow = explain(sub.view(), y.view(), &w, &[0], plain).expect("ok");
            assert_eq!(fast[0].weights, slow[0].weights);
        }
    }

    #[test]
    fn uncertain_or_unsuited_rankings_take_the_exact_path() {
        let (mut x, y, w) = document(2000, 600);
        let y = y.insert_axis(Axis(1));
        // Zeros in the instance tie their features at 0: a cut among them is uncertain.
        x.row_mut(0).slice_mut(ndarray::s![100..]).fill(0.0);
        let wide = |x: &ndarray::Array2<f64>, s| wide_selection(x.view(), y.view(), &w, &[0], s);
        assert!(wide(&x, settings(50)).expect("ok").is_some());
        assert!(wide(&x, settings(150)).expect("ok").is_none());
        // Narrow, not 0/1, not highest_weights, or every feature asked for.
        let narrow = x.slice(ndarray::s![.., ..255]).to_owned();
        assert!(wide(&narrow, settings(10)).expect("ok").is_none());
        let mut dense = x.clone();
        dense[(9, 9)] = 0.5;
        assert!(wide(&dense, settings(10)).expect("ok").is_none());
        let lasso = Settings {
            method: Method::LassoPath,
            ..settings(10)
        };
        assert!(wide(&x, lasso).expect("ok").is_none());
        assert!(wide(&x, settings(600)).expect("ok").is_none());
        // Bad weights are reported as on the exact path.
        let zero = vec![0.0; 2000];
        assert!(wide_selection(x.view(), y.view(), &zero, &[0], settings(10)).is_err());
    }
}

#[cfg(test)]
mod interrupt_tests {
    use super::*;
    use crate::batch::{explain_many, Task};
    use crate::error::LimeError;
    use crate::interrupt::{with_poll, Poll, PERIOD};
    use crate::linear::binary::tests::document;
    use std::sync::Arc;

    fn settings() -> Settings {
        Settings {
            num_features: 10,
            method: Method::HighestWeights,
            alpha: 1.0,
        }
    }

    #[test]
    fn a_stop_request_ends_the_fit_with_interrupted_and_nothing_lingers() {
        // wide (dual path), narrow (Gram path), and a batch (pool workers)
        for (n, d) in [(300, 400), (400, 40)] {
            let (x, y, w) = document(n, d);
            let y = y.insert_axis(Axis(1));
            let stop: Arc<Poll> = Arc::new(|| true);
            let got = with_poll(stop, || {
                std::thread::sleep(PERIOD); // the first check then polls
                explain(x.view(), y.view(), &w, &[0], settings())
            });
            assert_eq!(got, Err(LimeError::Interrupted), "{n}x{d}");
            let which = [0usize];
            let task = Task {
                data: x.view(),
                labels: y.view(),
                weights: &w,
                which: &which,
            };
            let stop: Arc<Poll> = Arc::new(|| true);
            let got = with_poll(stop, || {
                std::thread::sleep(PERIOD);
                explain_many(&[task; 8], settings())
            });
            assert_eq!(got, Err(LimeError::Interrupted), "batch {n}x{d}");
            // a poll that never stops changes nothing; afterwards the same call works
            let go: Arc<Poll> = Arc::new(|| false);
            let kept = with_poll(go, || explain(x.view(), y.view(), &w, &[0], settings()));
            let plain = explain(x.view(), y.view(), &w, &[0], settings());
            assert!(plain.is_ok());
            assert_eq!(kept, plain);
        }
    }
}
