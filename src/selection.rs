//! Feature selection, as lime's `LimeBase.feature_selection`.

use ndarray::{Array2, ArrayView1};

use crate::error::{LimeError, Result};
use crate::linear::binary::{self, BitRows};
use crate::linear::lars::lars_lasso_path_gram;
use crate::linear::ridge::r2_from;
use crate::linear::{Design, LabelMoments, RidgeFit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    None,
    HighestWeights,
    ForwardSelection,
    LassoPath,
    Auto,
}

impl Method {
    pub fn parse(name: &str) -> Result<Method> {
        Ok(match name {
            "none" => Method::None,
            "highest_weights" => Method::HighestWeights,
            "forward_selection" => Method::ForwardSelection,
            "lasso_path" => Method::LassoPath,
            "auto" => Method::Auto,
            other => {
                return Err(LimeError::invalid(
                    "feature_selection",
                    format!(
                        "unknown method {other:?}; expected one of 'auto', 'none', \
                         'forward_selection', 'highest_weights', 'lasso_path'"
                    ),
                ))
            }
        })
    }

    /// What `auto` stands for, as in lime.
    pub fn resolve(self, num_features: usize) -> Method {
        match self {
            Method::Auto if num_features <= 6 => Method::ForwardSelection,
            Method::Auto => Method::HighestWeights,
            m => m,
        }
    }
}

/// Indices of the selected features, in lime's order.
pub fn select(
    design: &Design,
    label: usize,
    instance: ArrayView1<f64>,
    num_features: usize,
    method: Method,
) -> Result<Vec<usize>> {
    let moments = design
        .labels
        .get(label)
        .ok_or_else(|| LimeError::invalid("label", format!("column {label} does not exist")))?;
    if num_features < 1 {
        return Err(LimeError::invalid(
            "num_features",
            "must be at least 1, got 0",
        ));
    }
    let method = method.resolve(num_features);
    debug_assert!(method != Method::Auto, "resolve never returns Auto");
    Ok(match method {
        Method::None => (0..design.d).collect(),
        Method::HighestWeights | Method::Auto => {
            let coef = highest_weights_coef(design, moments)?;
            let weighted: Vec<f64> = coef.iter().zip(instance).map(|(c, x)| c * x).collect();
            rank_by_magnitude(&weighted)
                .into_iter()
                .take(num_features)
                .collect()
        }
        Method::ForwardSelection => forward_selection(design, moments, num_features),
        // The lasso path of the centred weighted data needs only its Gram and
        // cross-moments, which the design already holds.
        Method::LassoPath => {
            let path = lars_lasso_path_gram(design.gram.as_ref(), &moments.xty, design.n)?;
            lasso_pick(&path.coefs, num_features, design.d)
        }
    })
}

/// The ridge (alpha = 0.01) coefficients on every feature that
/// `highest_weights` ranks by.
pub fn highest_weights_coef(design: &Design, label: &LabelMoments) -> Result<Vec<f64>> {
    let all: Vec<usize> = (0..design.d).collect();
    Ok(RidgeFit::fit(design, label, &all, 0.01)?.coef)
}

/// `highest_weights` on 0/1 data from conjugate gradients
/// ([`binary::ridge`]), without the Gram matrix: the selected features, or
/// `None` when the iterations did not converge or the cut between the last
/// feature kept and the first left out is closer than the solution's error
/// bound (the caller then takes the exact path).
pub fn highest_weights_binary(
    bits: &BitRows,
    instance: ArrayView1<f64>,
    weights: &[f64],
    labels: ArrayView1<f64>,
    num_features: usize,
) -> Option<Vec<usize>> {
    if num_features == 0 || num_features >= bits.d {
        return None;
    }
    // The ranking of `coef · instance`, and the gap at the cut. The
    // instance's values are 0 or 1: each weighted value lies within the
    // error bound of its exact value, so a gap wider than twice it is certain.
    let cut = |coef: &[f64]| {
        let weighted: Vec<f64> = coef.iter().zip(instance).map(|(c, x)| c * x).collect();
        let order = rank_by_magnitude(&weighted);
        let gap = weighted[order[num_features - 1]].abs() - weighted[order[num_features]].abs();
        (order, gap)
    };
    let certain = |s: &binary::Solution| cut(&s.coef).1 > 2.0 * s.error;
    // Past ~d/5 iterations the Gram matrix would have been cheaper.
    let solution = binary::ridge(bits, weights, labels, 0.01, (bits.d / 5).max(32), certain)?;
    let (order, gap) = cut(&solution.coef);
    (gap > 2.0 * solution.error).then(|| order[..num_features].to_vec())
}

/// Indices sorted by decreasing |value|, ties in index order (Python's stable
/// `sorted(..., reverse=True)`).
pub fn rank_by_magnitude(values: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()));
    idx
}

/// Greedy forward selection by weighted R² of an unregularised least-squares
/// fit, computed from the Gram matrix by pivoted Gram-Schmidt instead of
/// refitting d·k models. Ties keep the lowest index, as lime's strict `>`.
pub fn forward_selection(design: &Design, label: &LabelMoments, num_features: usize) -> Vec<usize> {
    let d = design.d;
    let steps = num_features.min(d);
    // basis[m][j]: component of feature j along the m-th orthonormalised pick.
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(steps);
    let mut resid_norm: Vec<f64> = (0..d).map(|j| design.gram[(j, j)]).collect();
    let mut resid_corr: Vec<f64> = label.xty.clone();
    let orig_norm = resid_norm.clone();
    let mut used = vec![false; d];
    let mut chosen = Vec::with_capacity(steps);
    let mut rss = label.yty;
    for _ in 0..steps {
        let mut best = None;
        let mut best_score = -1e8;
        for j in 0..d {
            if used[j] {
                continue;
            }
            let drop = gain(resid_corr[j], resid_norm[j], orig_norm[j]);
            let score = r2_from((rss - drop).max(0.0), label.yty);
            if best.is_none() || score > best_score {
                best = Some(j);
                best_score = score;
            }
        }
        let Some(p) = best else { break };
        let drop = gain(resid_corr[p], resid_norm[p], orig_norm[p]);
        rss = (rss - drop).max(0.0);
        used[p] = true;
        chosen.push(p);
        if drop == 0.0 && resid_norm[p] <= orig_norm[p] * DEPENDENT {
            continue; // p adds no direction: nothing to project out
        }
        let norm = resid_norm[p].sqrt();
        let col: Vec<f64> = (0..d)
            .map(|j| {
                let proj: f64 = basis.iter().map(|b| b[j] * b[p]).sum();
                (design.gram[(j, p)] - proj) / norm
            })
            .collect();
        let coef_p = resid_corr[p] / norm;
        for j in 0..d {
            resid_norm[j] -= col[j] * col[j];
            resid_corr[j] -= col[j] * coef_p;
        }
        basis.push(col);
    }
    chosen
}

/// Columns whose residual norm falls below this fraction of their own norm
/// are treated as lying in the span of the picked ones.
const DEPENDENT: f64 = 1e-10;

fn gain(corr: f64, norm: f64, orig: f64) -> f64 {
    if norm <= orig * DEPENDENT || norm <= 0.0 {
        0.0
    } else {
        corr * corr / norm
    }
}

/// The pick rule of lime on a path's coefficients (d × steps).
pub fn lasso_pick(coefs: &Array2<f64>, num_features: usize, d: usize) -> Vec<usize> {
    let steps = coefs.ncols();
    let mut nonzero: Vec<usize> = (0..d).collect();
    for i in (1..steps).rev() {
        nonzero = (0..d).filter(|&j| coefs[(j, i)] != 0.0).collect();
        if nonzero.len() <= num_features {
            break;
        }
    }
    nonzero
}
