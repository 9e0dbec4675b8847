//! LARS-lasso regularisation path, equivalent to scikit-learn's
//! `lars_path(X, y, method='lasso')` (Gram=None, alpha_min=0, max_iter=500).

use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::error::{LimeError, Result};

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
    let _ = (x, y);
    Err(LimeError::Numerical("lasso_path is not available yet".into()))
}
