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

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::error::{ensure_finite, LimeError, Result};
use crate::rng::{stream, FastStream};
use crate::sampling::columns::{draw_column, to_rows, Out, Target};
use crate::sampling::data::{self, Feature, GroupPass, Layout, MissingPass, Passes, Spec};
use crate::sampling::mixture::{Bin, ColumnDraw};
use crate::sampling::normal::{ndtri, open01};
use crate::sampling::tabular_stats::bin_of;

/// Rows per task (and per random stream).
pub(crate) const ROWS_PER_TASK: usize = 256;
/// Stream ids below the call's seed.
const ROW_STREAM: u64 = 1;
const LHS_STREAM: u64 = 2;
const BIN_STREAM: u64 = 3;

/// How one column is perturbed.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // one per column, built once per explainer
pub enum Column {
    /// A continuous column with the training mean and scale.
    Continuous { mean: f64, scale: f64 },
    /// A column drawn from `values` by frequency.
    Categorical(Categorical),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Categorical {
    values: Vec<f64>,
    frequencies: Vec<f64>,
    /// The instance's value is compared in bin space when set (a discretized
    /// column): `np.searchsorted(edges, x)`.
    edges: Option<Vec<f64>>,
    /// Whether values are bins drawn from (lime's `undiscretize`).
    has_bins: bool,
    /// Draws a value index (and, for bins, a value in the bin).
    table: ColumnDraw,
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
        if frequencies.iter().sum::<f64>() <= 0.0 {
            return Err(LimeError::invalid(
                "feature_frequencies",
                format!("frequencies of feature {column} are all zero"),
            ));
        }
        let table = ColumnDraw::new(&values, frequencies, None)?;
        Ok(Categorical {
            values,
            frequencies: frequencies.to_vec(),
            edges: None,
            has_bins: false,
            table,
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
    pub fn with_bins(mut self, column: usize, bins: &[Bin]) -> Result<Categorical> {
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
        let per_value: Vec<Bin> = self.values.iter().map(|&v| bins[v as usize]).collect();
        self.table = ColumnDraw::new(&self.values, &self.frequencies, Some(&per_value))?;
        self.has_bins = true;
        Ok(self)
    }
}

/// What one column does per drawn row, resolved for one call. `slot`: the
/// scratch column its scaled value goes to; `counts`: whether its squared
/// distance is added as drawn (not when a later pass adds it, or when its
/// value is not an interpretable feature).
enum Plan<'a> {
    Continuous {
        scale: f64,
        centre: f64,
        off: f64,
        s0: f64,
        slot: usize,
        counts: bool,
    },
    Categorical {
        cat: &'a Categorical,
        /// Per value: what `scaled` and `inverse` get.
        outs: Vec<Out>,
        undiscretize: bool,
        slot: usize,
        counts: bool,
    },
    /// `inverse` takes `value` in every row (a column held fixed, or a
    /// group's column, which its group's pass overwrites).
    Held { value: f64 },
}

// One chunk of rows with its own stream, filled column by column into
// the column-major scratch `cols`: a column's tables stay in L1 while its
// draws are made.
#[inline(always)]
fn fill_chunk(
    p: &Prepared,
    chunk: usize,
    cols: &mut Vec<f64>,
    (sc, inv, dist): (&mut [f64], &mut [f64], &mut [f64]),
) {
    let (rows, d, width) = (dist.len(), p.d, p.scaled0.len());
    cols.resize((p.slots + d) * rows, 0.0);
    let (sc_cols, inv_cols) = cols.split_at_mut(p.slots * rows);
    fill_columns(p, chunk, (sc_cols, inv_cols), dist);
    to_rows(sc_cols, rows, width, sc);
    to_rows(inv_cols, rows, d, inv);
    dist.iter_mut().for_each(|v| *v = v.sqrt());
    if chunk == 0 {
        sc[..width].copy_from_slice(&p.scaled0);
        inv[..d].copy_from_slice(&p.instance);
        dist[0] = 0.0;
    }
}

thread_local! {
    /// Column-major scratch of a chunk: draws are made column by column and
    /// placed eight rows at a time; writing them straight into the row-major
    /// buffers (one cache line per value) took twice as long.
    static SCRATCH: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// N(0, 1) as a one-bin mixture (truncated at ±40, where the normal's
/// mass is below what a double holds), drawn like a categorical column.
fn standard_normal() -> Option<&'static ColumnDraw> {
    static NORMAL: std::sync::OnceLock<Option<ColumnDraw>> = std::sync::OnceLock::new();
    NORMAL
        .get_or_init(|| {
            let bin = Bin {
                a: -40.0,
                b: 40.0,
                loc: 0.0,
                scale: 1.0,
            };
            ColumnDraw::new(&[0.0], &[1.0], Some(&[bin])).ok()
        })
        .as_ref()
}

/// Draws a chunk's columns into column-major `sc_cols` and `inv_cols` and
/// adds the squared distances. Row 0 of chunk 0, the instance, is left alone.
#[inline(always)]
fn fill_columns(
    prepared: &Prepared,
    chunk: usize,
    (sc_cols, inv_cols): (&mut [f64], &mut [f64]),
    dist: &mut [f64],
) {
    let (plan, lhs, n) = (&prepared.plan, &prepared.lhs, prepared.n);
    let mut rng = FastStream::new(prepared.seed, &[ROW_STREAM, chunk as u64]);
    let mut words = [0u64; 2 * ROWS_PER_TASK];
    let mut rejects = [0u16; ROWS_PER_TASK];
    let mut pieces = [0u64; ROWS_PER_TASK];
    let mut unused = [0.0; ROWS_PER_TASK];
    let rows = dist.len();
    let first = chunk * ROWS_PER_TASK;
    // the instance (row 0) is not drawn
    let skip = usize::from(first == 0);
    let m = rows - skip;
    dist.iter_mut().for_each(|v| *v = 0.0);
    let dist = &mut dist[skip..];
    for (j, p) in plan.iter().enumerate() {
        let inv = &mut inv_cols[j * rows + skip..(j + 1) * rows];
        match p {
            Plan::Held { value } => inv.fill(*value),
            Plan::Continuous {
                scale,
                centre,
                off,
                s0,
                slot,
                counts,
            } => {
                let sc = &mut sc_cols[slot * rows + skip..(slot + 1) * rows];
                // z first (in `inv`), then what it gives
                match (lhs, standard_normal()) {
                    (Some(cols), _) => inv.copy_from_slice(&cols[j * n + first + skip..][..m]),
                    (None, Some(normal)) => {
                        rng.fill(&mut words[..2 * m]);
                        let place = normal.places()[0];
                        let outs = [Out {
                            hit: 0.0,
                            base: place.base,
                            step: place.step,
                        }];
                        let target = Target {
                            scaled: &mut *sc,
                            inverse: &mut *inv,
                            distances: &mut unused[..m],
                        };
                        let table = normal.proposals();
                        let pending =
                            draw_column(table, &outs, &words, &mut pieces, target, &mut rejects);
                        for &i in &rejects[..pending] {
                            let i = usize::from(i);
                            inv[i] = normal.finish([words[2 * i], words[2 * i + 1]], &mut rng);
                        }
                    }
                    (None, None) => inv
                        .iter_mut()
                        .for_each(|z| *z = StandardNormal.sample(&mut rng)),
                }
                if *counts {
                    for ((s_out, i_out), dr) in sc.iter_mut().zip(inv.iter_mut()).zip(&mut *dist) {
                        let z = *i_out;
                        let s = z + off;
                        *s_out = s;
                        *i_out = z * scale + centre;
                        *dr += (s - s0) * (s - s0);
                    }
                } else {
                    for (s_out, i_out) in sc.iter_mut().zip(inv.iter_mut()) {
                        let z = *i_out;
                        *s_out = z + off;
                        *i_out = z * scale + centre;
                    }
                }
            }
            Plan::Categorical {
                cat,
                outs,
                undiscretize,
                slot,
                counts,
            } => {
                let sc = &mut sc_cols[slot * rows + skip..(slot + 1) * rows];
                // all words first and rejections last: the row
                // loop makes no calls and keeps its state in registers
                rng.fill(&mut words[..2 * m]);
                let target = Target {
                    scaled: sc,
                    inverse: &mut *inv,
                    distances: if *counts {
                        &mut *dist
                    } else {
                        &mut unused[..m]
                    },
                };
                let table = cat.table.proposals();
                let pending = draw_column(table, outs, &words, &mut pieces, target, &mut rejects);
                // (without undiscretizing, a rare proposal's value stands)
                let pending = if *undiscretize { pending } else { 0 };
                for &i in &rejects[..pending] {
                    let i = usize::from(i);
                    let w = [words[2 * i], words[2 * i + 1]];
                    inv[i] = cat.table.finish(w, &mut rng);
                }
            }
        }
        if let Some(Some(pass)) = prepared.passes.as_ref().map(|p| &p.missing[j]) {
            let scratch = (&mut *sc_cols, &mut *inv_cols);
            pass.apply(&mut rng, (rows, skip), scratch, dist, &mut words);
        }
    }
    if let Some(passes) = &prepared.passes {
        let scratch = (sc_cols, inv_cols);
        passes.apply_groups(&mut rng, (rows, skip), scratch, dist, &mut words);
    }
}

/// A neighbourhood ready to be drawn (see [`TabularSampler::prepare`]).
pub struct Prepared<'a> {
    plan: Vec<Plan<'a>>,
    lhs: Option<Vec<f64>>,
    seed: u64,
    n: usize,
    d: usize,
    /// row 0 of `inverse` and of `scaled` (one value per scaled column)
    instance: Vec<f64>,
    scaled0: Vec<f64>,
    /// scratch columns of `scaled` (its width, and one for values no
    /// feature reads when the data options drop some)
    slots: usize,
    passes: Option<Passes<'a>>,
}

impl Prepared<'_> {
    /// Draws chunk `chunk` (rows `chunk · ROWS_PER_TASK ..`) into its slices
    /// of scaled, inverse and distances (see [`chunks`]).
    pub fn fill(&self, chunk: usize, sc: &mut [f64], inv: &mut [f64], dist: &mut [f64]) {
        // the scratch is borrowed outside `widest`: inside it, the closure
        // given to `with_borrow_mut` (not inlined) lost the wide vectors
        SCRATCH.with_borrow_mut(|cols| {
            crate::cpu::widest(
                #[inline(always)]
                || fill_chunk(self, chunk, cols, (sc, inv, dist)),
            )
        })
    }

    /// Columns of `scaled` (d, or the data options' interpretable features).
    pub fn width(&self) -> usize {
        self.scaled0.len()
    }

    /// Draws the whole neighbourhood into row-major `n × width` scaled,
    /// `n × d` inverse and `n` distances, chunks in parallel when large.
    pub fn draw_into(
        &self,
        scaled: &mut [f64],
        inverse: &mut [f64],
        distances: &mut [f64],
    ) -> Result<()> {
        let (n, d, w) = (self.n, self.d, self.width());
        if scaled.len() != n * w || inverse.len() != n * d || distances.len() != n {
            return Err(LimeError::shape(
                "buffers",
                format!("expected {n} × {w} scaled and {n} × {d} inverse values"),
            ));
        }
        let chunks = chunks_of(w, d, scaled, inverse, distances);
        if n * d < 1 << 14 {
            for (c, ((sc, inv), dist)) in chunks.into_iter().enumerate() {
                self.fill(c, sc, inv, dist);
            }
        } else {
            crate::pool::for_each(chunks, |c, ((sc, inv), dist)| self.fill(c, sc, inv, dist));
        }
        Ok(())
    }
}

/// The chunks [`Prepared::fill`] draws: row-major `n × d` scaled and inverse
/// buffers and `n` distances cut into blocks of `ROWS_PER_TASK` rows.
pub type Chunk<'b> = ((&'b mut [f64], &'b mut [f64]), &'b mut [f64]);

pub fn chunks<'b>(
    d: usize,
    scaled: &'b mut [f64],
    inverse: &'b mut [f64],
    distances: &'b mut [f64],
) -> Vec<Chunk<'b>> {
    chunks_of(d, d, scaled, inverse, distances)
}

/// [`chunks`] of a `scaled` buffer `w` columns wide.
fn chunks_of<'b>(
    w: usize,
    d: usize,
    scaled: &'b mut [f64],
    inverse: &'b mut [f64],
    distances: &'b mut [f64],
) -> Vec<Chunk<'b>> {
    scaled
        .chunks_mut(ROWS_PER_TASK * w.max(1))
        .zip(inverse.chunks_mut(ROWS_PER_TASK * d.max(1)))
        .zip(distances.chunks_mut(ROWS_PER_TASK))
        .collect()
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
    /// feature groups and missing values (issue #21; empty: neither)
    layout: Layout,
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
        Ok(TabularSampler {
            columns,
            layout: Layout::default(),
        })
    }

    /// The sampler with feature groups and missing values (see
    /// [`prepare_data`](Self::prepare_data)).
    pub fn with_layout(mut self, layout: Layout) -> TabularSampler {
        self.layout = layout;
        self
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
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
        let (n, d) = (opts.num_samples, self.columns.len());
        let mut nb = Neighbourhood {
            scaled: vec![0.0; n * d],
            inverse: vec![0.0; n * d],
            distances: vec![0.0; n],
        };
        self.sample_into(
            instance,
            opts,
            &mut nb.scaled,
            &mut nb.inverse,
            &mut nb.distances,
        )?;
        Ok(nb)
    }

    /// [`sample`](Self::sample) into caller-provided row-major buffers of
    /// `num_samples × d` (scaled, inverse) and `num_samples` (distances);
    /// every element is overwritten.
    pub fn sample_into(
        &self,
        instance: &[f64],
        opts: Options,
        scaled: &mut [f64],
        inverse: &mut [f64],
        distances: &mut [f64],
    ) -> Result<()> {
        self.prepare(instance, opts)?
            .draw_into(scaled, inverse, distances)
    }

    /// A neighbourhood with the explainer's groups and missing values and
    /// the columns `fixed` held at the instance's values (module
    /// [`data`](crate::sampling::data)): `instance` may hold NaN when the
    /// layout has missing values. The prepared draw writes, per sample, the
    /// interpretable features not held (the spec's order) as `scaled`, the
    /// model's row as `inverse` (NaN where missing) and the euclidean
    /// distance over those features.
    pub fn prepare_data<'a>(
        &'a self,
        instance: &[f64],
        opts: Options,
        fixed: &[usize],
    ) -> Result<(Prepared<'a>, Spec)> {
        let d = self.columns.len();
        let layout = &self.layout;
        if instance.len() == d && instance.iter().any(|x| x.is_nan()) && !layout.allows_missing() {
            return Err(LimeError::invalid(
                "data_row",
                "contains NaN, and the training data has no missing values",
            ));
        }
        let mut held = vec![false; d];
        for &j in fixed {
            *held.get_mut(j).ok_or_else(|| {
                LimeError::invalid("fixed_features", format!("column {j} out of range"))
            })? = true;
        }
        let mut p = self.prepare(&layout.filled(instance), opts)?;
        let spec = layout.spec(instance, &held, &p.scaled0);
        // the features drawn, in order: their scratch columns
        let drawn: Vec<(Feature, f64)> = (0..spec.features.len())
            .filter(|&k| !spec.held[k])
            .map(|k| (spec.features[k], spec.row0[k]))
            .collect();
        let (width, spare) = (drawn.len(), drawn.len());
        let slot_of = |f: Feature| drawn.iter().position(|&(g, _)| g == f);
        let missing_pass = |j: usize| layout.rate(j) > 0.0 || instance[j].is_nan();
        let mut passes = Passes {
            missing: (0..d).map(|_| None).collect(),
            groups: Vec::new(),
        };
        for (k, &(f, _)) in drawn.iter().enumerate() {
            match f {
                Feature::Value(_) => {}
                Feature::Missing(j) => {
                    passes.missing[j] = Some(MissingPass {
                        column: j,
                        threshold: data::threshold(layout.rate(j)),
                        value: slot_of(Feature::Value(j)).map(|s| (s, p.scaled0[j])),
                        indicator: k,
                        instance_missing: instance[j].is_nan(),
                    })
                }
                Feature::Group(g) => {
                    passes
                        .groups
                        .push(GroupPass::new(&layout.groups()[g], instance, k));
                }
            }
        }
        for (j, plan) in p.plan.iter_mut().enumerate() {
            match plan {
                _ if held[j] || layout.group_of(j).is_some() => {
                    *plan = Plan::Held { value: instance[j] }
                }
                Plan::Continuous { slot, counts, .. } | Plan::Categorical { slot, counts, .. } => {
                    *slot = slot_of(Feature::Value(j)).unwrap_or(spare);
                    *counts = *slot != spare && !missing_pass(j);
                }
                Plan::Held { .. } => {}
            }
        }
        p.instance = instance.to_vec();
        p.scaled0 = drawn.iter().map(|&(_, z)| z).collect();
        p.slots = width + 1;
        p.passes = Some(passes);
        Ok((p, spec))
    }

    /// Everything a neighbourhood of `instance` needs before its rows are
    /// drawn (checked arguments, per-column plans); the rows are then drawn
    /// chunk by chunk with [`Prepared::fill`], each chunk from its own stream.
    pub fn prepare<'a>(&'a self, instance: &[f64], opts: Options) -> Result<Prepared<'a>> {
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
        // Row 0 (the instance, scaled) and what each column needs per draw.
        let scaled0: Vec<f64> = self
            .columns
            .iter()
            .zip(instance)
            .map(|(c, &x)| match c {
                Column::Continuous { mean, scale } => (x - mean) / scale,
                Column::Categorical(_) => 1.0,
            })
            .collect();
        let lhs = match opts.draw {
            Draw::Lhs => Some(self.latin_hypercube(n, opts.seed)),
            Draw::Gaussian => None,
        };
        let plan: Vec<Plan> = self
            .columns
            .iter()
            .enumerate()
            .map(|(j, c)| match c {
                Column::Continuous { mean, scale } => {
                    let x = instance[j];
                    let (centre, off) = if opts.around_instance {
                        (x, (x - mean) / scale)
                    } else {
                        (*mean, 0.0)
                    };
                    Plan::Continuous {
                        scale: *scale,
                        centre,
                        off,
                        s0: scaled0[j],
                        slot: j,
                        counts: true,
                    }
                }
                Column::Categorical(cat) => {
                    let undiscretize = opts.undiscretize && cat.has_bins;
                    let outs = cat
                        .values
                        .iter()
                        .zip(cat.table.places())
                        .map(|(&value, place)| Out {
                            hit: if value == first_row[j] { 1.0 } else { 0.0 },
                            base: if undiscretize { place.base } else { value },
                            step: if undiscretize { place.step } else { 0.0 },
                        })
                        .collect();
                    Plan::Categorical {
                        cat,
                        outs,
                        undiscretize,
                        slot: j,
                        counts: true,
                    }
                }
            })
            .collect();
        Ok(Prepared {
            plan,
            lhs,
            seed: opts.seed,
            n,
            d,
            instance: instance.to_vec(),
            scaled0,
            slots: d,
            passes: None,
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

/// Draws from the truncated normal `bins[idx[i]]` for every i (lime's
/// `get_undiscretize_values`), each bin as a one-value mixture.
pub fn sample_bins(bins: &[Bin], idx: &[usize], seed: u64) -> Result<Vec<f64>> {
    if let Some(&bad) = idx.iter().find(|&&i| i >= bins.len()) {
        return Err(LimeError::invalid(
            "values",
            format!(
                "bin index {bad} is out of range: there are {} bins",
                bins.len()
            ),
        ));
    }
    let draws = bins
        .iter()
        .map(|bin| ColumnDraw::new(&[0.0], &[1.0], Some(std::slice::from_ref(bin))))
        .collect::<Result<Vec<ColumnDraw>>>()?;
    let mut out = vec![0.0; idx.len()];
    let fill = |c: usize, o: &mut [f64], ix: &[usize]| {
        let mut rng = stream(seed, &[BIN_STREAM, c as u64]);
        for (v, &i) in o.iter_mut().zip(ix) {
            *v = draws[i].draw(&mut rng).1;
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
pub(crate) mod tests {
    use super::*;

    fn sampler() -> TabularSampler {
        let cat = Categorical::new(1, vec![0.0, 1.0, 2.0], &[0.2, 0.3, 0.5]).unwrap();
        let bins = vec![
            Bin::from_stats(0.0, 1.0, 0.5, 0.3).unwrap(),
            Bin::from_stats(1.0, 4.0, 2.0, 1.0).unwrap(),
        ];
        let disc = Categorical::new(2, vec![0.0, 1.0], &[1.0, 1.0])
            .unwrap()
            .with_edges(vec![1.0])
            .unwrap()
            .with_bins(2, &bins)
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

    pub(crate) fn opts(n: usize, seed: u64) -> Options<'static> {
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
    fn many_valued_columns_follow_their_frequencies() {
        // 40 values: more than the vectorised placement's 16, so the
        // scalar placement runs; beside a 12-valued column that takes the
        // vectorised one
        let (many, few) = (40usize, 12usize);
        let freqs = |k: usize| -> Vec<f64> { (0..k).map(|v| 1.0 + (v % 5) as f64).collect() };
        let column = |j: usize, k: usize| {
            Column::Categorical(
                Categorical::new(j, (0..k).map(|v| v as f64 * 3.0).collect(), &freqs(k)).unwrap(),
            )
        };
        let s = TabularSampler::new(vec![column(0, many), column(1, few)]).unwrap();
        let n = 120_000;
        let x = [21.0, 6.0]; // values 7 and 2
        let nb = s.sample(&x, opts(n, 3)).unwrap();
        for (j, k) in [(0usize, many), (1, few)] {
            let f = freqs(k);
            let total: f64 = f.iter().sum();
            let mut counts = vec![0usize; k];
            for i in 1..n {
                let v = nb.inverse[i * 2 + j];
                counts[(v / 3.0) as usize] += 1;
                assert_eq!(nb.scaled[i * 2 + j], f64::from(u8::from(v == x[j])));
            }
            for (c, fv) in counts.iter().zip(&f) {
                let p = fv / total;
                let sd = (p * (1.0 - p) / n as f64).sqrt();
                assert!(
                    (*c as f64 / (n - 1) as f64 - p).abs() < 5.0 * sd,
                    "column {j}"
                );
            }
        }
    }

    #[test]
    fn continuous_draws_are_standard_normal() {
        let s = TabularSampler::new(vec![Column::Continuous {
            mean: 3.0,
            scale: 2.0,
        }])
        .unwrap();
        let n = 200_000;
        let nb = s.sample(&[1.0], opts(n, 8)).unwrap();
        let mut z: Vec<f64> = nb.scaled[1..].to_vec();
        z.sort_by(|a, b| a.total_cmp(b));
        let m = z.len() as f64;
        let ks = z
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = 0.5 * libm_erfc(-x / std::f64::consts::SQRT_2);
                (f - i as f64 / m).abs().max((f - (i + 1) as f64 / m).abs())
            })
            .fold(0.0, f64::max);
        // the 0.1% critical value is 1.95 / sqrt(n)
        assert!(ks < 1.95 / m.sqrt(), "KS distance {ks}");
        // inverse = z · scale + mean
        for i in 1..n {
            assert!((nb.inverse[i] - (nb.scaled[i] * 2.0 + 3.0)).abs() < 1e-12);
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
            .with_bins(0, &[Bin::from_stats(0.0, 1.0, 0.5, 1.0).unwrap()])
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
        assert!((0..1000).all(|_| c.table.draw(&mut rng) == (1, 2.0)));
    }

    #[test]
    fn sample_bins_scale_and_degenerate() {
        let bins = [
            Bin::from_stats(2.0, 3.0, 2.5, 0.5).unwrap(),
            Bin::from_stats(4.0, 4.0, 3.0, 2.0).unwrap(),
        ];
        let idx: Vec<usize> = (0..10_000).map(|i| i % 2).collect();
        let out = sample_bins(&bins, &idx, 3).unwrap();
        let first: Vec<f64> = out.iter().step_by(2).copied().collect();
        let mean = first.iter().sum::<f64>() / first.len() as f64;
        assert!(first.iter().all(|&x| (2.0..=3.0).contains(&x)));
        assert!((mean - 2.5).abs() < 0.02, "{mean}");
        // lime: min == max yields the standardised bound
        assert!(out.iter().skip(1).step_by(2).all(|&x| x == 0.5));
        assert_eq!(out, sample_bins(&bins, &idx, 3).unwrap());
        assert!(sample_bins(&bins, &[2], 3).is_err());
        assert!(Bin::from_stats(3.0, 2.0, 2.5, 1.0).is_err());
        assert!(Bin::from_stats(1.0, 2.0, 1.5, 0.0).is_err());
        assert!(Bin::from_stats(f64::NAN, 2.0, 1.5, 1.0).is_err());
    }
}
