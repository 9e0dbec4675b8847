//! Many explanations in one call: the local models of several rows, fitted in
//! parallel over rows.
//!
//! Each row's work is exactly `local_model::explain` on that row's
//! neighbourhood, so a row's models do not depend on which other rows share
//! the call, on their order or on the number of threads: the batch API and
//! successive single-row calls give identical results.

use ndarray::ArrayView2;

use crate::error::{LimeError, Result};
use crate::local_model::{self, LocalModel, Settings};
use crate::sampling::tabular::{chunks, Options, TabularSampler};

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
    explain_many_with_stderr(tasks, settings, false)
}

/// [`explain_many`], with each model's sandwich standard errors when `stderr`
/// (`local_model::explain_with_stderr`).
pub fn explain_many_with_stderr(
    tasks: &[Task<'_>],
    settings: Settings,
    stderr: bool,
) -> Result<Vec<Vec<LocalModel>>> {
    let one = |t: &Task<'_>| {
        crate::interrupt::check()?;
        local_model::explain_with_stderr(t.data, t.labels, t.weights, t.which, settings, stderr)
    };
    // A few rows (a chunk of the batch API holds ~3) would leave threads idle
    // when spread one per thread: each row then uses every thread instead.
    let results: Vec<Result<Vec<LocalModel>>> = if tasks.len() < 2 * crate::pool::num_threads() {
        tasks.iter().map(one).collect()
    } else {
        let mut out: Vec<Option<Result<Vec<LocalModel>>>> = tasks.iter().map(|_| None).collect();
        crate::pool::for_each_long(out.iter_mut().collect(), |i, slot| {
            *slot = Some(one(&tasks[i]))
        });
        out.into_iter().flatten().collect()
    };
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.map_err(|e| in_row(i, e)))
        .collect()
}

/// The neighbourhoods of many rows (`rows`: k × d) into row-major buffers of
/// `k · num_samples` samples: row `i`'s samples are rows
/// `i·num_samples .. (i+1)·num_samples` of `scaled` / `inverse` and the same
/// range of `distances`. Row `i` is sampled exactly as
/// `TabularSampler::sample_into` with `seeds[i]` (the single-row call), rows in
/// parallel.
pub fn sample_tabular_many(
    sampler: &TabularSampler,
    rows: ArrayView2<f64>,
    seeds: &[u64],
    opts: Options<'_>,
    scaled: &mut [f64],
    inverse: &mut [f64],
    distances: &mut [f64],
) -> Result<()> {
    let (k, d, n) = (rows.nrows(), sampler.num_columns(), opts.num_samples);
    if rows.ncols() != d {
        return Err(LimeError::shape(
            "data",
            format!(
                "rows have {} values but the training data has {d} columns",
                rows.ncols()
            ),
        ));
    }
    if seeds.len() != k {
        return Err(LimeError::shape(
            "seeds",
            format!("has {} seeds for {k} rows", seeds.len()),
        ));
    }
    if n == 0 || opts.first_row.is_some() {
        return Err(LimeError::invalid(
            "num_samples",
            "must be at least 1 (and first_row is per row: not supported here)",
        ));
    }
    let block = n
        .checked_mul(d)
        .ok_or_else(|| LimeError::invalid("num_samples", "too large for the number of columns"))?;
    let total = block
        .checked_mul(k)
        .ok_or_else(|| LimeError::invalid("num_samples", "too large for the number of rows"))?;
    if scaled.len() != total || inverse.len() != total || distances.len() != n * k {
        return Err(LimeError::shape(
            "buffers",
            format!("expected {k} × {n} samples of {d} values"),
        ));
    }
    if k == 0 {
        return Ok(());
    }
    // every (row, chunk) pair is one task: rows and their chunks in parallel
    let prepared = (0..k)
        .map(|i| {
            let o = Options {
                seed: seeds[i],
                ..opts
            };
            let row = rows.row(i);
            match row.as_slice() {
                Some(r) => sampler.prepare(r, o),
                None => sampler.prepare(&row.to_vec(), o),
            }
            .map_err(|e| in_row(i, e))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut tasks = Vec::new();
    let per_row = scaled
        .chunks_mut(block)
        .zip(inverse.chunks_mut(block))
        .zip(distances.chunks_mut(n));
    for (i, ((s, v), dist)) in per_row.enumerate() {
        for (c, chunk) in chunks(d, s, v, dist).into_iter().enumerate() {
            tasks.push((i, c, chunk));
        }
    }
    crate::pool::for_each_long(tasks, |_, (i, c, ((sc, inv), dist))| {
        // once stopped, the remaining chunks are skipped and the check below fails
        if crate::interrupt::check().is_ok() {
            prepared[i].fill(c, sc, inv, dist)
        }
    });
    crate::interrupt::check()
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
        LimeError::Memory { name, message } => LimeError::Memory {
            name,
            message: format!("{message} (row {row} of the batch)"),
        },
        LimeError::Interrupted => LimeError::Interrupted,
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
    fn many_rows_sample_as_single_rows() {
        use crate::sampling::tabular::{Column, Draw};
        let sampler = TabularSampler::new(vec![
            Column::Continuous {
                mean: 1.0,
                scale: 2.0,
            },
            Column::Continuous {
                mean: -1.0,
                scale: 0.5,
            },
        ])
        .unwrap();
        let rows = ndarray::array![[0.5, 1.0], [2.0, -3.0], [0.0, 0.0]];
        let seeds = [5u64, 6, 7];
        let opts = Options {
            num_samples: 40,
            seed: 0,
            draw: Draw::Gaussian,
            around_instance: false,
            undiscretize: true,
            first_row: None,
        };
        let (mut s, mut v, mut dist) = (vec![0.0; 240], vec![0.0; 240], vec![0.0; 120]);
        sample_tabular_many(
            &sampler,
            rows.view(),
            &seeds,
            opts,
            &mut s,
            &mut v,
            &mut dist,
        )
        .unwrap();
        for i in 0..3 {
            let row: Vec<f64> = rows.row(i).to_vec();
            let one = sampler
                .sample(
                    &row,
                    Options {
                        seed: seeds[i],
                        ..opts
                    },
                )
                .unwrap();
            assert_eq!(one.scaled, s[i * 80..(i + 1) * 80]);
            assert_eq!(one.inverse, v[i * 80..(i + 1) * 80]);
            assert_eq!(one.distances, dist[i * 40..(i + 1) * 40]);
        }
        let bad = ndarray::array![[0.5, 1.0], [f64::NAN, 0.0]];
        let err = sample_tabular_many(
            &sampler,
            bad.view(),
            &seeds[..2],
            opts,
            &mut s[..160],
            &mut v[..160],
            &mut dist[..80],
        )
        .unwrap_err();
        assert!(err.to_string().contains("row 1 of the batch"), "{err}");
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
