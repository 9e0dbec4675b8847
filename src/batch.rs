//! Many explanations in one call: the local models of several rows, fitted in
//! parallel over rows.
//!
//! Each row's work is exactly `local_model::explain` on that row's
//! neighbourhood, so a row's models do not depend on which other rows share
//! the call, on their order or on the number of threads: the batch API and
//! successive single-row calls give identical results.

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::error::{LimeError, Result};
use crate::local_model::{self, LocalModel, Settings};

/// One row's neighbourhood: scaled samples (row 0 is the instance), the
/// model's outputs, the sample weights and the label columns to explain.
#[derive(Debug, Clone, Copy)]
pub struct Task<'a> {
    pub data: ArrayView2<'a, f64>,
    pub labels: ArrayView2<'a, f64>,
    pub weights: &'a [f64],
    pub which: &'a [usize],
}

/// The local models of every task, in order. Rows run in parallel in the
/// crate's pool; when several rows fail, the error of the first failing row
/// (in row order) is returned, naming the row.
pub fn explain_many(tasks: &[Task<'_>], settings: Settings) -> Result<Vec<Vec<LocalModel>>> {
    let results: Vec<Result<Vec<LocalModel>>> = crate::pool::install(|| {
        tasks
            .par_iter()
            .with_max_len(1)
            .map(|t| local_model::explain(t.data, t.labels, t.weights, t.which, settings))
            .collect()
    });
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.map_err(|e| in_row(i, e)))
        .collect()
}

fn in_row(row: usize, err: LimeError) -> LimeError {
    match err {
        LimeError::Shape { name, message } => LimeError::Shape {
            name,
            message: format!("{message} (row {row} of the batch)"),
        },
        LimeError::InvalidValue { name, message } => LimeError::InvalidValue {
            name,
            message: format!("{message} (row {row} of the batch)"),
        },
        LimeError::NonFinite { name, detail } => LimeError::NonFinite {
            name,
            detail: format!("{detail} (row {row} of the batch)"),
        },
        LimeError::Numerical(m) => LimeError::Numerical(format!("{m} (row {row} of the batch)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selection::Method;
    use ndarray::Array2;

    fn neighbourhood(seed: u64, n: usize, d: usize) -> (Array2<f64>, Array2<f64>, Vec<f64>) {
        let mut s = seed;
        let mut next = || {
            s = crate::rng::mix64(s);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let x = Array2::from_shape_fn((n, d), |_| next());
        let y = Array2::from_shape_fn((n, 2), |(i, j)| {
            x[[i, 0]] * (j as f64 + 1.0) - x[[i, 1 % d]] + 0.1 * next()
        });
        let w: Vec<f64> = (0..n).map(|_| 0.1 + next()).collect();
        (x, y, w)
    }

    #[test]
    fn batch_equals_one_by_one_on_any_pool() {
        let settings = Settings {
            num_features: 3,
            method: Method::HighestWeights,
            alpha: 1.0,
        };
        let rows: Vec<_> = (0..7).map(|i| neighbourhood(i, 300, 5)).collect();
        let which = [0usize, 1];
        let tasks: Vec<Task> = rows
            .iter()
            .map(|(x, y, w)| Task {
                data: x.view(),
                labels: y.view(),
                weights: w,
                which: &which,
            })
            .collect();
        let batch = explain_many(&tasks, settings).unwrap();
        for (t, got) in tasks.iter().zip(&batch) {
            let one = local_model::explain(t.data, t.labels, t.weights, t.which, settings).unwrap();
            assert_eq!(&one, got);
        }
        // Another order of the same rows gives the same models per row.
        let reversed: Vec<Task> = tasks.iter().rev().copied().collect();
        let mut again = explain_many(&reversed, settings).unwrap();
        again.reverse();
        assert_eq!(again, batch);
        assert!(explain_many(&[], settings).unwrap().is_empty());
    }

    #[test]
    fn first_failing_row_is_named() {
        let settings = Settings {
            num_features: 2,
            method: Method::None,
            alpha: 1.0,
        };
        let (x, y, w) = neighbourhood(1, 50, 3);
        let zero = vec![0.0; 50];
        let which = [0usize];
        let ok = Task {
            data: x.view(),
            labels: y.view(),
            weights: &w,
            which: &which,
        };
        let bad = Task {
            weights: &zero,
            ..ok
        };
        let err = explain_many(&[ok, bad, bad], settings).unwrap_err();
        assert!(err.to_string().contains("row 1 of the batch"), "{err}");
    }
}
