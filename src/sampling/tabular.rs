//! The neighbourhood of a tabular instance, as lime's
//! `LimeTabularExplainer.__data_inverse` builds it, in one pass:
//!
//! * continuous columns: `z ~ N(0, 1)` (or a Latin hypercube mapped to
//!   N(0, 1)), `inverse = z · scale + centre` (centre: the training mean or the
//!   instance), `scaled = (inverse − mean) / scale`;
//! * categorical columns (every column when a discretizer is used): a value
//!   drawn by training frequency, `scaled = 1` when it equals the instance's
//!   value (or bin), else 0; a discretized column's `inverse` is then drawn
//!   from the bin's truncated normal (lime's `undiscretize`);
//! * row 0 is the instance itself;
//! * the euclidean distance of every scaled row to scaled row 0.
//!
//! Rows are drawn in fixed chunks, each from its own stream, so results never
//! depend on the number of threads.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::error::{ensure_finite, LimeError, Result};
use crate::rng::stream;
use crate::sampling::normal::{ndtri, open01, TruncNormal};
use crate::sampling::tabular_stats::bin_of;

/// Rows per task (and per random stream).
const ROWS_PER_TASK: usize = 256;
/// Stream ids below the call's seed.
const ROW_STREAM: u64 = 1;
const LHS_STREAM: u64 = 2;
const BIN_STREAM: u64 = 3;

/// How one column is perturbed.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// A continuous column with the training mean and scale.
    Continuous { mean: f64, scale: f64 },
    /// A column drawn from `values` by frequency.
    Categorical(Categorical),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Categorical {
    values: Vec<f64>,
    /// Cumulative probabilities; the last positive one is +∞.
    cum: Vec<f64>,
    /// The instance's value is compared in bin space when set (a discretized
    /// column): `np.searchsorted(edges, x)`.
    edges: Option<Vec<f64>>,
    /// One truncated normal per value (a bin index) when the column is
    /// undiscretized.
    bins: Option<Vec<TruncNormal>>,
}

impl Categorical {
    /// `values` drawn with probabilities proportional to `frequencies`.
    pub fn new(column: usize, values: Vec<f64>, frequencies: &[f64]) -> Result<Categorical> {
        if values.is_empty() || values.len() != frequencies.len() {
            return Err(LimeError::shape(
                "feature_values",
                format!(
                    "feature {column} has {} values and {} frequencies (expected the same, non-zero number)",
                    values.len(),
                    frequencies.len()
                ),
            ));
        }
        ensure_finite("feature_values", values.iter())?;
        ensure_finite("feature_frequencies", frequencies.iter())?;
        if frequencies.iter().any(|&f| f < 0.0) {
            return Err(LimeError::invalid(
                "feature_frequencies",
                format!("frequencies of feature {column} must be non-negative"),
            ));
        }
        let total: f64 = frequencies.iter().sum();
        if total <= 0.0 {
            return Err(LimeError::invalid(
                "feature_frequencies",
                format!("frequencies of feature {column} are all zero"),
            ));
        }
        let mut acc = 0.0;
        let mut cum: Vec<f64> = frequencies
            .iter()
            .map(|f| {
                acc += f / total;
                acc
            })
            .collect();
        let last = frequencies.iter().rposition(|&f| f > 0.0).unwrap_or(0);
        cum[last..].iter_mut().for_each(|c| *c = f64::INFINITY);
        Ok(Categorical {
            values,
            cum,
            edges: None,
            bins: None,
        })
    }

    /// Compares the instance in bin space, binned by sorted `edges`.
    pub fn with_edges(mut self, edges: Vec<f64>) -> Result<Categorical> {
        if edges.iter().any(|e| e.is_nan()) || edges.windows(2).any(|w| w[0] > w[1]) {
            return Err(LimeError::invalid(
                "discretizer",
                "bin edges must be sorted numbers",
            ));
        }
        self.edges = Some(edges);
        Ok(self)
    }

    /// Undiscretizes drawn bins: value `v` (a bin index) becomes a draw from
    /// `bins[v]`.
    pub fn with_bins(mut self, column: usize, bins: Vec<TruncNormal>) -> Result<Categorical> {
        if let Some(v) = self
            .values
            .iter()
            .find(|&&v| !(v >= 0.0 && v.fract() == 0.0 && (v as usize) < bins.len()))
        {
            return Err(LimeError::invalid(
                "feature_values",
                format!(
                    "feature {column} has value {v}, which is not one of its {} bin indices",
                    bins.len()
                ),
            ));
        }
        self.bins = Some(self.values.iter().map(|&v| bins[v as usize]).collect());
        Ok(self)
    }

    #[inline]
    fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let u: f64 = rng.random();
        self.cum
            .partition_point(|&c| c <= u)
            .min(self.cum.len() - 1)
    }
}

/// Continuous draws: independent N(0, 1), or a Latin hypercube mapped to N(0, 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Draw {
    Gaussian,
    Lhs,
}

impl Draw {
    pub fn parse(name: &str) -> Result<Draw> {
        match name {
            "gaussian" => Ok(Draw::Gaussian),
            "lhs" => Ok(Draw::Lhs),
            other => Err(LimeError::invalid(
                "sampling_method",
                format!("unknown method {other:?}; expected 'gaussian' or 'lhs'"),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    pub num_samples: usize,
    pub seed: u64,
    pub draw: Draw,
    /// Continuous columns are centred on the instance instead of the mean.
    pub around_instance: bool,
    /// Draw discretized columns' values from their bins (lime's `undiscretize`);
    /// otherwise `inverse` keeps the bin indices.
    pub undiscretize: bool,
    /// The instance in the space categorical values are compared in (lime's
    /// `first_row`); computed from the columns' edges when absent.
    pub first_row: Option<&'a [f64]>,
}

/// A neighbourhood: row-major `num_samples × d` arrays and distances.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbourhood {
    pub scaled: Vec<f64>,
    pub inverse: Vec<f64>,
    pub distances: Vec<f64>,
}

/// The perturbation model of one explainer.
#[derive(Debug, Clone, PartialEq)]
pub struct TabularSampler {
    columns: Vec<Column>,
}

impl TabularSampler {
    pub fn new(columns: Vec<Column>) -> Result<TabularSampler> {
        if columns.is_empty() {
            return Err(LimeError::shape("training_data", "has no columns"));
        }
        for (j, c) in columns.iter().enumerate() {
            if let Column::Continuous { mean, scale } = c {
                if !(mean.is_finite() && scale.is_finite() && *scale > 0.0) {
                    return Err(LimeError::invalid(
                        "scaler",
                        format!("column {j}: mean must be finite and scale positive, got {mean} and {scale}"),
                    ));
                }
            }
        }
        Ok(TabularSampler { columns })
    }

    pub fn num_columns(&self) -> usize {
        self.columns.len()
    }

    /// The instance in comparison space (bins for discretized columns).
    pub fn first_row(&self, instance: &[f64]) -> Vec<f64> {
        self.columns
            .iter()
            .zip(instance)
            .map(|(c, &x)| match c {
                Column::Categorical(Categorical { edges: Some(e), .. }) => bin_of(e, x) as f64,
                _ => x,
            })
            .collect()
    }

    pub fn sample(&self, instance: &[f64], opts: Options) -> Result<Neighbourhood> {
        let d = self.columns.len();
        let n = opts.num_samples;
        if instance.len() != d {
            return Err(LimeError::shape(
                "data_row",
                format!(
                    "has {} values but the training data has {d} columns",
                    instance.len()
                ),
            ));
        }
        ensure_finite("data_row", instance.iter())?;
        if n < 1 {
            return Err(LimeError::invalid("num_samples", "must be at least 1"));
        }
        let first_row = match opts.first_row {
            Some(f) if f.len() != d => {
                return Err(LimeError::shape(
                    "first_row",
                    format!("has {} values, expected {d}", f.len()),
                ))
            }
            Some(f) => f.to_vec(),
            None => self.first_row(instance),
        };
        // Row 0 and the per-column offsets of continuous columns.
        let scaled0: Vec<f64> = self
            .columns
            .iter()
            .zip(instance)
            .map(|(c, &x)| match c {
                Column::Continuous { mean, scale } => (x - mean) / scale,
                Column::Categorical(_) => 1.0,
            })
            .collect();
        let centre: Vec<(f64, f64, f64)> = self
            .columns
            .iter()
            .zip(instance)
            .map(|(c, &x)| match c {
                Column::Continuous { mean, scale } if opts.around_instance => {
                    (*scale, x, (x - mean) / scale)
                }
                Column::Continuous { mean, scale } => (*scale, *mean, 0.0),
                Column::Categorical(_) => (1.0, 0.0, 0.0),
            })
            .collect();
        let lhs = match opts.draw {
            Draw::Lhs => Some(self.latin_hypercube(n, opts.seed)),
            Draw::Gaussian => None,
        };
        let mut scaled = vec![0.0; n * d];
        let mut inverse = vec![0.0; n * d];
        let mut distances = vec![0.0; n];
        let fill = |chunk: usize, sc: &mut [f64], inv: &mut [f64], dist: &mut [f64]| {
            let mut rng = stream(opts.seed, &[ROW_STREAM, chunk as u64]);
            for (r, ((srow, irow), dst)) in sc
                .chunks_exact_mut(d)
                .zip(inv.chunks_exact_mut(d))
                .zip(dist.iter_mut())
                .enumerate()
            {
                let row = chunk * ROWS_PER_TASK + r;
                if row == 0 {
                    srow.copy_from_slice(&scaled0);
                    irow.copy_from_slice(instance);
                    *dst = 0.0;
                    continue;
                }
                let mut acc = 0.0;
                for j in 0..d {
                    let (s, v) = match &self.columns[j] {
                        Column::Continuous { .. } => {
                            let z = match &lhs {
                                Some(cols) => cols[j * n + row],
                                None => StandardNormal.sample(&mut rng),
                            };
                            let (scale, centre, off) = centre[j];
                            (z + off, z * scale + centre)
                        }
                        Column::Categorical(cat) => {
                            let k = cat.draw(&mut rng);
                            let value = cat.values[k];
                            let s = if value == first_row[j] { 1.0 } else { 0.0 };
                            let v = match &cat.bins {
                                Some(bins) if opts.undiscretize => bins[k].sample(&mut rng),
                                _ => value,
                            };
                            (s, v)
                        }
                    };
                    srow[j] = s;
                    irow[j] = v;
                    let t = s - scaled0[j];
                    acc += t * t;
                }
                *dst = acc.sqrt();
            }
        };
        let block = ROWS_PER_TASK * d;
        if n * d < 1 << 14 {
            for (c, ((sc, inv), dist)) in scaled
                .chunks_mut(block)
                .zip(inverse.chunks_mut(block))
                .zip(distances.chunks_mut(ROWS_PER_TASK))
                .enumerate()
            {
                fill(c, sc, inv, dist);
            }
        } else {
            crate::pool::install(|| {
                scaled
                    .par_chunks_mut(block)
                    .zip(inverse.par_chunks_mut(block))
                    .zip(distances.par_chunks_mut(ROWS_PER_TASK))
                    .enumerate()
                    .for_each(|(c, ((sc, inv), dist))| fill(c, sc, inv, dist))
            });
        }
        Ok(Neighbourhood {
            scaled,
            inverse,
            distances,
        })
    }

    /// Column-major N(0, 1) values of a Latin hypercube (pyDOE2's `lhs`
    /// without criterion: a random stratum per row, jittered uniformly), for
    /// the continuous columns (other columns stay empty).
    fn latin_hypercube(&self, n: usize, seed: u64) -> Vec<f64> {
        let d = self.columns.len();
        let mut out = vec![0.0; n * d];
        let inv_n = 1.0 / n as f64;
        let fill = |j: usize, col: &mut [f64]| {
            if !matches!(self.columns[j], Column::Continuous { .. }) {
                return;
            }
            let mut rng = stream(seed, &[LHS_STREAM, j as u64]);
            let mut perm: Vec<u32> = (0..n as u32).collect();
            for i in (1..n).rev() {
                let k = rng.random_range(0..=i);
                perm.swap(i, k);
            }
            for (o, &p) in col.iter_mut().zip(&perm) {
                *o = ndtri((p as f64 + open01(&mut rng)) * inv_n);
            }
        };
        if n * d < 1 << 14 {
            out.chunks_mut(n).enumerate().for_each(|(j, c)| fill(j, c));
        } else {
            crate::pool::install(|| {
                out.par_chunks_mut(n)
                    .enumerate()
                    .for_each(|(j, c)| fill(j, c))
            });
        }
        out
    }
}

/// Draws `bins[idx[i]]` for every i (lime's `get_undiscretize_values`).
pub fn sample_bins(bins: &[TruncNormal], idx: &[usize], seed: u64) -> Result<Vec<f64>> {
    if let Some(&bad) = idx.iter().find(|&&i| i >= bins.len()) {
        return Err(LimeError::invalid(
            "values",
            format!(
                "bin index {bad} is out of range: there are {} bins",
                bins.len()
            ),
        ));
    }
    let mut out = vec![0.0; idx.len()];
    let fill = |c: usize, o: &mut [f64], ix: &[usize]| {
        let mut rng = stream(seed, &[BIN_STREAM, c as u64]);
        for (v, &i) in o.iter_mut().zip(ix) {
            *v = bins[i].sample(&mut rng);
        }
    };
    const CHUNK: usize = 4096;
    if idx.len() <= CHUNK {
        fill(0, &mut out, idx);
    } else {
        crate::pool::install(|| {
            out.par_chunks_mut(CHUNK)
                .zip(idx.par_chunks(CHUNK))
                .enumerate()
                .for_each(|(c, (o, ix))| fill(c, o, ix))
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampler() -> TabularSampler {
        let cat = Categorical::new(1, vec![0.0, 1.0, 2.0], &[0.2, 0.3, 0.5]).unwrap();
        let bins = vec![
            TruncNormal::from_bin(0.0, 1.0, 0.5, 0.3).unwrap(),
            TruncNormal::from_bin(1.0, 4.0, 2.0, 1.0).unwrap(),
        ];
        let disc = Categorical::new(2, vec![0.0, 1.0], &[1.0, 1.0])
            .unwrap()
            .with_edges(vec![1.0])
            .unwrap()
            .with_bins(2, bins)
            .unwrap();
        TabularSampler::new(vec![
            Column::Continuous {
                mean: 10.0,
                scale: 2.0,
            },
            Column::Categorical(cat),
            Column::Categorical(disc),
        ])
        .unwrap()
    }

    fn opts(n: usize, seed: u64) -> Options<'static> {
        Options {
            num_samples: n,
            seed,
            draw: Draw::Gaussian,
            around_instance: false,
            undiscretize: true,
            first_row: None,
        }
    }

    #[test]
    fn row_zero_is_the_instance_and_columns_behave() {
        let s = sampler();
        let x = [12.0, 2.0, 0.5];
        let nb = s.sample(&x, opts(20_000, 5)).unwrap();
        assert_eq!(&nb.inverse[..3], &x);
        assert_eq!(&nb.scaled[..3], &[1.0, 1.0, 1.0]);
        assert_eq!(nb.distances[0], 0.0);
        let n = 20_000;
        let col = |a: &Vec<f64>, j: usize| -> Vec<f64> { (1..n).map(|i| a[i * 3 + j]).collect() };
        let z = col(&nb.scaled, 0);
        let mean = z.iter().sum::<f64>() / z.len() as f64;
        assert!(mean.abs() < 0.03, "{mean}");
        let v = col(&nb.inverse, 0);
        assert!((v.iter().sum::<f64>() / v.len() as f64 - 10.0).abs() < 0.06);
        let c = col(&nb.inverse, 1);
        let frac2 = c.iter().filter(|&&v| v == 2.0).count() as f64 / c.len() as f64;
        assert!((frac2 - 0.5).abs() < 0.02, "{frac2}");
        // binary encoding: 1 exactly when the draw equals the instance's value
        for i in 1..n {
            assert_eq!(
                nb.scaled[i * 3 + 1],
                (nb.inverse[i * 3 + 1] == 2.0) as u8 as f64
            );
            let v = nb.inverse[i * 3 + 2];
            // instance 0.5 is in bin 0 = [0, 1]
            assert_eq!(nb.scaled[i * 3 + 2] == 1.0, (0.0..=1.0).contains(&v));
            assert!((0.0..=4.0).contains(&v));
            let d: f64 = (0..3)
                .map(|j| (nb.scaled[i * 3 + j] - nb.scaled[j]).powi(2))
                .sum::<f64>()
                .sqrt();
            assert!((d - nb.distances[i]).abs() < 1e-12);
        }
    }

    #[test]
    fn reproducible_and_seed_dependent() {
        let s = sampler();
        let x = [9.0, 0.0, 3.0];
        let a = s.sample(&x, opts(3000, 1)).unwrap();
        let b = s.sample(&x, opts(3000, 1)).unwrap();
        let c = s.sample(&x, opts(3000, 2)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.inverse, c.inverse);
        let mut o = opts(3000, 1);
        o.draw = Draw::Lhs;
        let l = s.sample(&x, o).unwrap();
        // every stratum of the hypercube holds exactly one row
        let mut strata: Vec<usize> = (0..3000)
            .map(|i| {
                let z = l.scaled[i * 3];
                let p = 0.5 * libm_erfc(-z / std::f64::consts::SQRT_2);
                (p * 3000.0).floor() as usize
            })
            .collect();
        strata.remove(0);
        strata.sort_unstable();
        strata.dedup();
        assert!(strata.len() >= 2990, "{}", strata.len());
    }

    /// erfc for the test only (Numerical Recipes' erfcc, ~1e-7).
    fn libm_erfc(x: f64) -> f64 {
        let z = x.abs();
        let t = 1.0 / (1.0 + 0.5 * z);
        let r = t
            * (-z * z - 1.265_512_23
                + t * (1.000_023_68
                    + t * (0.374_091_96
                        + t * (0.096_784_18
                            + t * (-0.186_288_06
                                + t * (0.278_868_07
                                    + t * (-1.135_203_98
                                        + t * (1.488_515_87
                                            + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
                .exp();
        if x >= 0.0 {
            r
        } else {
            2.0 - r
        }
    }

    #[test]
    fn rejects_bad_input() {
        let s = sampler();
        assert!(s.sample(&[1.0, 2.0], opts(10, 1)).is_err());
        assert!(s.sample(&[1.0, f64::NAN, 0.0], opts(10, 1)).is_err());
        assert!(Categorical::new(0, vec![1.0], &[0.0]).is_err());
        assert!(Categorical::new(0, vec![1.0, 2.0], &[1.0]).is_err());
        let c = Categorical::new(0, vec![0.0, 5.0], &[1.0, 1.0]).unwrap();
        assert!(c
            .with_bins(0, vec![TruncNormal::from_bin(0.0, 1.0, 0.5, 1.0).unwrap()])
            .is_err());
        assert!(TabularSampler::new(vec![Column::Continuous {
            mean: 0.0,
            scale: 0.0
        }])
        .is_err());
    }

    #[test]
    fn zero_frequency_values_are_never_drawn() {
        let c = Categorical::new(0, vec![1.0, 2.0, 3.0], &[0.0, 1.0, 0.0]).unwrap();
        let mut rng = stream(1, &[]);
        assert!((0..1000).all(|_| c.draw(&mut rng) == 1));
    }
}
