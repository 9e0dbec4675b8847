//! lime's text neighbourhood: row 0 is the document itself; every other row
//! removes `k` features, `k` uniform in 1..=d, chosen uniformly without
//! replacement. Each row draws from its own stream, so the result does not
//! depend on the number of threads.

use ndarray::{Array2, ArrayView2, Axis};
use rand::RngExt;
use rayon::prelude::*;

use crate::error::{LimeError, Result};
use crate::rng;
use crate::text::index::{RenderScratch, TextIndex};

/// Stream id of text masks under a call's seed.
const TEXT_STREAM: u64 = 0x7E47;
/// Rows per parallel task (fixed: results never depend on the thread count).
const ROWS_PER_TASK: usize = 64;

/// The binary neighbourhood and its cosine distances to row 0, times 100.
#[derive(Debug, Clone)]
pub struct Neighbourhood {
    pub data: Array2<f64>,
    pub distances: Vec<f64>,
}

/// Fills `row` (all zeros on entry) for sample `r`: `k` uniform in 1..=d
/// features removed, chosen by a partial Fisher-Yates shuffle over whichever
/// of the removed or the kept set is smaller. Returns the number kept.
fn draw_row(row: &mut [f64], seed: u64, r: usize, perm: &mut Vec<u32>) -> usize {
    let d = row.len();
    let mut rng = rng::stream(seed, &[TEXT_STREAM, r as u64]);
    let removed = rng.random_range(1..=d);
    let kept = d - removed;
    let (picked, value) = if removed <= kept {
        (removed, 0.0)
    } else {
        (kept, 1.0)
    };
    if value == 0.0 {
        row.fill(1.0);
    }
    perm.clear();
    perm.extend(0..d as u32);
    for i in 0..picked {
        let j = rng.random_range(i..d);
        perm.swap(i, j);
        row[perm[i] as usize] = value;
    }
    kept
}

/// `num_samples` rows over `d` features. Cosine distance of a binary row with
/// `kept` ones to the all-ones row is `1 - sqrt(kept / d)` (1 for an empty row,
/// as scikit-learn).
pub fn neighbourhood(d: usize, num_samples: usize, seed: u64) -> Result<Neighbourhood> {
    if d == 0 {
        return Err(LimeError::invalid(
            "text_instance",
            "has no words to perturb",
        ));
    }
    if num_samples < 1 {
        return Err(LimeError::invalid("num_samples", "must be at least 1"));
    }
    if num_samples
        .checked_mul(d)
        .and_then(|c| c.checked_mul(8))
        .filter(|&b| b <= isize::MAX as usize)
        .is_none()
    {
        return Err(LimeError::invalid(
            "num_samples",
            format!("{num_samples} samples of {d} features do not fit in memory"),
        ));
    }
    let mut data = Array2::<f64>::zeros((num_samples, d));
    let mut distances = vec![0.0; num_samples];
    let flat = data
        .as_slice_mut()
        .ok_or_else(|| LimeError::Numerical("data is not contiguous".into()))?;
    crate::pool::install(|| {
        flat.par_chunks_mut(d * ROWS_PER_TASK)
            .zip(distances.par_chunks_mut(ROWS_PER_TASK))
            .enumerate()
            .for_each(|(c, (rows, dist))| {
                let mut perm = Vec::with_capacity(d);
                for (k, (row, out)) in rows.chunks_mut(d).zip(dist.iter_mut()).enumerate() {
                    let r = c * ROWS_PER_TASK + k;
                    if r == 0 {
                        row.fill(1.0);
                        continue;
                    }
                    let kept = draw_row(row, seed, r, &mut perm);
                    *out = if kept == 0 {
                        100.0
                    } else {
                        100.0 * (1.0 - (kept as f64 / d as f64).sqrt()).clamp(0.0, 2.0)
                    };
                }
            })
    });
    Ok(Neighbourhood { data, distances })
}

/// Perturbed documents, row `i` at `buf[i * stride..i * stride + lens[i]]`.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub buf: Vec<u8>,
    pub stride: usize,
    pub lens: Vec<usize>,
}

impl Rendered {
    pub fn get(&self, i: usize) -> &[u8] {
        &self.buf[i * self.stride..i * self.stride + self.lens[i]]
    }
}

/// The perturbed documents of rows `rows` of `data` (a zero removes the
/// feature), built in parallel.
pub fn render_rows(
    index: &TextIndex,
    data: ArrayView2<f64>,
    rows: std::ops::Range<usize>,
) -> Result<Rendered> {
    if data.ncols() != index.num_features() {
        return Err(LimeError::shape(
            "data",
            format!(
                "has {} columns but the document has {} features",
                data.ncols(),
                index.num_features()
            ),
        ));
    }
    if rows.end > data.nrows() || rows.start > rows.end {
        return Err(LimeError::shape(
            "rows",
            format!("{rows:?} is outside the {} rows of data", data.nrows()),
        ));
    }
    let stride = index.render_capacity();
    let view = data.slice(ndarray::s![rows, ..]);
    let mut buf = vec![0u8; stride * view.nrows()];
    let mut lens = vec![0usize; view.nrows()];
    crate::pool::install(|| {
        buf.par_chunks_mut(stride)
            .zip(lens.par_iter_mut())
            .zip(view.axis_iter(Axis(0)).into_par_iter())
            .with_min_len(8)
            .for_each_init(RenderScratch::default, |scratch, ((out, len), row)| {
                *len = match row.as_slice() {
                    Some(values) => index.render_row(values, out, scratch),
                    None => index.render_row(&row.to_vec(), out, scratch),
                };
            })
    });
    Ok(Rendered { buf, stride, lens })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_remove_between_one_and_all() {
        let nb = neighbourhood(7, 500, 42).unwrap();
        assert!(nb.data.row(0).iter().all(|&v| v == 1.0));
        assert_eq!(nb.distances[0], 0.0);
        let mut seen_all = false;
        for (r, row) in nb.data.rows().into_iter().enumerate().skip(1) {
            let kept = row.iter().filter(|&&v| v == 1.0).count();
            assert!(kept < 7);
            seen_all |= kept == 0;
            let expected = if kept == 0 {
                100.0
            } else {
                100.0 * (1.0 - (kept as f64 / 7.0).sqrt())
            };
            assert!((nb.distances[r] - expected).abs() < 1e-12);
        }
        assert!(seen_all);
    }

    #[test]
    fn same_seed_same_rows_any_threads() {
        let a = neighbourhood(50, 300, 1).unwrap();
        let b = crate::pool::install(|| neighbourhood(50, 300, 1).unwrap());
        assert_eq!(a.data, b.data);
        assert_ne!(a.data, neighbourhood(50, 300, 2).unwrap().data);
    }

    #[test]
    fn rendered_rows_match_inverse_removing() {
        let words: [&[u8]; 6] = [b"a", b"b", b"c", b"a", b"d", b"b"];
        for bow in [true, false] {
            let ix =
                TextIndex::from_tokenizer(b"a b, c a d. b", &words, bow, b"#".to_vec()).unwrap();
            let nb = neighbourhood(ix.num_features(), 40, 3).unwrap();
            let docs = render_rows(&ix, nb.data.view(), 0..40).unwrap();
            for r in 0..40 {
                let doc = docs.get(r);
                let removed: Vec<usize> = (0..ix.num_features())
                    .filter(|&f| nb.data[[r, f]] == 0.0)
                    .collect();
                assert_eq!(doc, &ix.inverse_removing(&removed).unwrap()[..]);
            }
        }
    }

    #[test]
    fn errors() {
        assert!(neighbourhood(0, 10, 0).is_err());
        assert!(neighbourhood(10, usize::MAX / 4, 0).is_err());
        let ix = TextIndex::from_tokenizer(b"a b", &[b"a", b"b"], true, vec![]).unwrap();
        assert!(render_rows(&ix, Array2::<f64>::ones((2, 3)).view(), 0..2).is_err());
        assert!(render_rows(&ix, Array2::<f64>::ones((2, 2)).view(), 0..3).is_err());
    }
}
