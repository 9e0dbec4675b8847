//! Tabular data as it really is (issue #21): feature groups, missing values
//! and features held fixed, drawn by the tabular sampler in the same pass as
//! the other columns (see [`TabularSampler::prepare_data`]).
//!
//! * a column held fixed keeps the instance's value in every sample;
//! * a group keeps the instance's values (probability 1/2) or takes together
//!   the values of one random training row;
//! * a single column with missing training values is missing (NaN in
//!   `inverse`) at its training rate.
//!
//! The local model is fitted on one column per interpretable feature
//! ([`Feature`]): a single column's scaled value (0 where the sample is
//! missing), a group (1 when all its columns equal the instance's), a
//! column's missingness (1 when the sample is missing exactly when the
//! instance is). Features held fixed are listed in the [`Spec`] but not drawn
//! into the model's columns.
//!
//! [`TabularSampler::prepare_data`]: crate::sampling::tabular::TabularSampler::prepare_data

use crate::error::{LimeError, Result};
use crate::rng::FastStream;

/// Columns perturbed as one unit, with their training values (row-major:
/// one row of `columns.len()` values per training row, NaN allowed).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub columns: Vec<usize>,
    pub values: Vec<f64>,
}

/// Each column's missing rate in the training data, and the value the
/// sampler draws around where the instance is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Missing {
    pub rates: Vec<f64>,
    pub fill: Vec<f64>,
}

/// An explainer's groups and missing values (empty: neither).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layout {
    groups: Vec<Group>,
    missing: Option<Missing>,
    /// column -> its group
    group_of: Vec<Option<usize>>,
}

/// One interpretable feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    /// a single column's value (present in the instance)
    Value(usize),
    /// a group, by index
    Group(usize),
    /// a single column's missingness
    Missing(usize),
}

/// One row's interpretable features, in order: the present single columns
/// (column order), the groups, then the missingness of each single column
/// that has missing training values or is missing in the row. `held[k]`:
/// feature `k` is held fixed (not in the model's columns); `row0[k]`: its
/// interpretable value for the instance (a value's scaled value, else 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub features: Vec<Feature>,
    pub held: Vec<bool>,
    pub row0: Vec<f64>,
}

impl Layout {
    /// Checks the groups (columns below `d`, none in two groups, none empty,
    /// whole training rows) and the missing rates (in [0, 1]) and fill values.
    pub fn new(d: usize, groups: Vec<Group>, missing: Option<Missing>) -> Result<Layout> {
        let mut group_of = vec![None; d];
        for (g, group) in groups.iter().enumerate() {
            let k = group.columns.len();
            if k == 0 || group.values.is_empty() || group.values.len() % k != 0 {
                return Err(LimeError::shape(
                    "feature_groups",
                    format!("group {g}: expected columns and whole training rows of values"),
                ));
            }
            for &c in &group.columns {
                match group_of.get_mut(c) {
                    Some(slot @ None) => *slot = Some(g),
                    _ => {
                        return Err(LimeError::invalid(
                            "feature_groups",
                            format!("group {g}: column {c} is out of range or in two groups"),
                        ))
                    }
                }
            }
        }
        if let Some(m) = &missing {
            if m.rates.len() != d || m.fill.len() != d {
                return Err(LimeError::shape(
                    "missing",
                    format!("expected {d} rates and fill values"),
                ));
            }
            if m.rates.iter().any(|r| !(0.0..=1.0).contains(r)) {
                return Err(LimeError::invalid("missing", "rates must be in [0, 1]"));
            }
            crate::error::ensure_finite("missing", m.fill.iter())?;
        }
        Ok(Layout {
            groups,
            missing,
            group_of,
        })
    }

    /// Whether rows may hold missing values (NaN).
    pub fn allows_missing(&self) -> bool {
        self.missing.is_some()
    }

    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    pub fn group_of(&self, column: usize) -> Option<usize> {
        self.group_of.get(column).copied().flatten()
    }

    /// Column `j`'s missing rate (0 without missing values).
    pub fn rate(&self, j: usize) -> f64 {
        self.missing.as_ref().map_or(0.0, |m| m.rates[j])
    }

    /// `instance` with each missing value replaced by its column's fill value.
    pub fn filled(&self, instance: &[f64]) -> Vec<f64> {
        match &self.missing {
            Some(m) => instance
                .iter()
                .zip(&m.fill)
                .map(|(&x, &f)| if x.is_nan() { f } else { x })
                .collect(),
            None => instance.to_vec(),
        }
    }

    /// The interpretable features of `instance` (NaN where missing) with the
    /// columns `fixed` held; `scaled0`: the instance's scaled columns.
    pub fn spec(&self, instance: &[f64], fixed: &[bool], scaled0: &[f64]) -> Spec {
        let d = instance.len();
        let single = |j: &usize| self.group_of(*j).is_none();
        let mut features = Vec::new();
        let mut held = Vec::new();
        let mut row0 = Vec::new();
        for j in (0..d).filter(single).filter(|&j| !instance[j].is_nan()) {
            features.push(Feature::Value(j));
            held.push(fixed[j]);
            row0.push(scaled0[j]);
        }
        for (g, group) in self.groups.iter().enumerate() {
            features.push(Feature::Group(g));
            held.push(fixed[group.columns[0]]);
        }
        for j in (0..d)
            .filter(single)
            .filter(|&j| self.rate(j) > 0.0 || instance[j].is_nan())
        {
            features.push(Feature::Missing(j));
            held.push(fixed[j]);
        }
        row0.resize(features.len(), 1.0);
        Spec {
            features,
            held,
            row0,
        }
    }
}

/// A column's missingness drawn into a chunk (see [`Passes::apply`]).
pub(crate) struct MissingPass {
    pub column: usize,
    /// a word below it is a missing value (probability: the column's rate)
    pub threshold: u64,
    /// the slot of the column's value feature (absent when the instance is missing)
    pub value: Option<(usize, f64)>,
    /// the slot of the missingness feature
    pub indicator: usize,
    pub instance_missing: bool,
}

/// A group drawn into a chunk.
pub(crate) struct GroupPass<'a> {
    pub group: &'a Group,
    pub instance: Vec<f64>,
    /// whether each training row's values equal the instance's (NaN == NaN)
    pub equal: Vec<bool>,
    pub slot: usize,
}

/// What a call draws after the columns: missingness, then groups.
pub(crate) struct Passes<'a> {
    pub missing: Vec<MissingPass>,
    pub groups: Vec<GroupPass<'a>>,
}

/// `rate` as a threshold on uniform 64-bit words.
pub(crate) fn threshold(rate: f64) -> u64 {
    if rate > 0.0 {
        (rate.min(1.0) * 18_446_744_073_709_551_616.0) as u64
    } else {
        0
    }
}

impl<'a> GroupPass<'a> {
    pub fn new(group: &'a Group, instance: &[f64], slot: usize) -> GroupPass<'a> {
        let own: Vec<f64> = group.columns.iter().map(|&c| instance[c]).collect();
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        let equal = group
            .values
            .chunks_exact(own.len())
            .map(|row| row.iter().zip(&own).all(|(&a, &b)| same(a, b)))
            .collect();
        GroupPass {
            group,
            instance: own,
            equal,
            slot,
        }
    }
}

impl Passes<'_> {
    /// Draws the passes into one chunk's column-major scratch: rows `skip..`
    /// of `sc_cols` (interpretable columns, `rows` each) and `inv_cols`
    /// (data columns), adding each feature's squared distance to `dist`
    /// (rows `skip..`). `words` is scratch of at least `rows` words.
    pub fn apply(
        &self,
        rng: &mut FastStream,
        (rows, skip): (usize, usize),
        (sc_cols, inv_cols): (&mut [f64], &mut [f64]),
        dist: &mut [f64],
        words: &mut [u64],
    ) {
        let m = rows - skip;
        let col = |slot: usize| slot * rows + skip..(slot + 1) * rows;
        for p in &self.missing {
            let words = &mut words[..m];
            if p.threshold > 0 {
                rng.fill(words);
            } else {
                words.fill(u64::MAX);
            }
            let inv = &mut inv_cols[col(p.column)];
            let miss_same = f64::from(u8::from(p.instance_missing));
            for (i, &w) in words.iter().enumerate() {
                let miss = w < p.threshold;
                if miss {
                    inv[i] = f64::NAN;
                }
                // 1 when the sample's state is the instance's
                let same = if miss { miss_same } else { 1.0 - miss_same };
                sc_cols[p.indicator * rows + skip + i] = same;
                dist[i] += 1.0 - same;
            }
            if let Some((slot, s0)) = p.value {
                let sc = &mut sc_cols[col(slot)];
                for ((z, &w), d) in sc.iter_mut().zip(words.iter()).zip(dist.iter_mut()) {
                    if w < p.threshold {
                        *z = 0.0;
                    }
                    *d += (*z - s0) * (*z - s0);
                }
            }
        }
        for p in &self.groups {
            let words = &mut words[..m];
            rng.fill(words);
            let k = p.group.columns.len();
            let n_train = (p.group.values.len() / k) as u128;
            for (i, &w) in words.iter().enumerate() {
                // the top bit keeps the instance's values, the rest picks a row
                let keep = w >> 63 == 1;
                let r = ((u128::from(w << 1) * n_train) >> 64) as usize;
                let (values, same) = if keep {
                    (p.instance.as_slice(), true)
                } else {
                    (&p.group.values[r * k..(r + 1) * k], p.equal[r])
                };
                for (&c, &v) in p.group.columns.iter().zip(values) {
                    inv_cols[c * rows + skip + i] = v;
                }
                let same = f64::from(u8::from(same));
                sc_cols[p.slot * rows + skip + i] = same;
                dist[i] += 1.0 - same;
            }
        }
    }
}
