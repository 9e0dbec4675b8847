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
use crate::sampling::tabular::ROWS_PER_TASK;

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
    /// a 32-bit draw below it is a missing value (probability: the column's rate)
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

/// What a call draws besides the columns: each column's missingness (right
/// after the column, while it is in cache), then the groups.
pub(crate) struct Passes<'a> {
    /// per column: its missingness, if drawn
    pub missing: Vec<Option<MissingPass>>,
    pub groups: Vec<GroupPass<'a>>,
}

/// `rate` as a threshold on uniform 32-bit draws.
pub(crate) fn threshold(rate: f64) -> u64 {
    (rate.clamp(0.0, 1.0) * 4_294_967_296.0) as u64
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

impl MissingPass {
    /// Draws the missingness of one chunk's column into its column-major
    /// scratch: rows `skip..` of `sc_cols` (interpretable columns, `rows`
    /// each) and `inv_cols` (data columns), adding the squared distances of
    /// the value and missingness features to `dist` (rows `skip..`).
    /// `words` is scratch of at least `rows` words.
    #[inline(always)] // inside the sampler's widest-vector context
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
        // one 32-bit draw per row: the low halves of the words, then the high
        let mut halves = [0u32; ROWS_PER_TASK];
        let (t, halves) = (self.threshold, &mut halves[..m]);
        if t > 0 {
            let half = m.div_ceil(2);
            let words = &mut words[..half];
            rng.fill(words);
            let (low, high) = halves.split_at_mut(half);
            low.iter_mut()
                .zip(&*words)
                .for_each(|(h, &w)| *h = w as u32);
            high.iter_mut()
                .zip(&*words)
                .for_each(|(h, &w)| *h = (w >> 32) as u32);
        }
        // the indicator is 1 when the sample's state is the instance's
        let (if_missing, if_present) = if self.instance_missing {
            (1.0, 0.0)
        } else {
            (0.0, 1.0)
        };
        let inv = &mut inv_cols[col(self.column)];
        // the value's slot comes before the indicator's (the spec's order)
        let (values, indicators) = sc_cols.split_at_mut(self.indicator * rows);
        let ind = &mut indicators[skip..rows];
        let (sc, s0) = match self.value {
            Some((slot, s0)) => (&mut values[col(slot)], s0),
            None => (&mut [][..], 0.0),
        };
        if sc.is_empty() {
            for (((v, z), d), &h) in inv.iter_mut().zip(ind).zip(&mut *dist).zip(&*halves) {
                let miss = u64::from(h) < t; // never when t == 0
                *v = if miss { f64::NAN } else { *v };
                let same = if miss { if_missing } else { if_present };
                *z = same;
                *d += 1.0 - same;
            }
            return;
        }
        let rows_of = inv
            .iter_mut()
            .zip(ind)
            .zip(sc)
            .zip(&mut *dist)
            .zip(&*halves);
        for ((((v, z), x), d), &h) in rows_of {
            let miss = u64::from(h) < t;
            *v = if miss { f64::NAN } else { *v };
            let same = if miss { if_missing } else { if_present };
            *z = same;
            // the value is 0 where missing
            let value = if miss { 0.0 } else { *x };
            *x = value;
            *d += (1.0 - same) + (value - s0) * (value - s0);
        }
    }
}

impl Passes<'_> {
    /// Draws the groups into one chunk's scratch (as [`MissingPass::apply`]).
    #[inline(always)]
    pub fn apply_groups(
        &self,
        rng: &mut FastStream,
        (rows, skip): (usize, usize),
        (sc_cols, inv_cols): (&mut [f64], &mut [f64]),
        dist: &mut [f64],
        words: &mut [u64],
    ) {
        let m = rows - skip;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::tabular::tests::opts;
    use crate::sampling::tabular::{Categorical, Column, TabularSampler};

    /// Columns: 0, 1 continuous, 2 categorical, 3 and 4 a group (values of
    /// three training rows, one with a missing value); 1 and 2 missing at
    /// rates 0.3 and 0.5.
    fn sampler() -> TabularSampler {
        let cont = |mean| Column::Continuous { mean, scale: 2.0 };
        let cat = Categorical::new(2, vec![0.0, 1.0], &[1.0, 1.0]).unwrap();
        let columns = vec![
            cont(1.0),
            cont(-1.0),
            Column::Categorical(cat),
            cont(0.0),
            cont(0.0),
        ];
        let group = Group {
            columns: vec![3, 4],
            values: vec![0.0, 1.0, 1.0, 0.0, f64::NAN, 1.0],
        };
        let missing = Missing {
            rates: vec![0.0, 0.3, 0.5, 0.0, 0.0],
            fill: vec![0.0, 5.0, 1.0, 0.0, 0.0],
        };
        let layout = Layout::new(5, vec![group], Some(missing)).unwrap();
        TabularSampler::new(columns).unwrap().with_layout(layout)
    }

    fn draw(
        s: &TabularSampler,
        x: &[f64],
        fixed: &[usize],
        n: usize,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>, Spec) {
        let (p, spec) = s.prepare_data(x, opts(n, 9), fixed).unwrap();
        let w = p.width();
        let (mut sc, mut inv, mut dist) = (vec![0.0; n * w], vec![0.0; n * 5], vec![0.0; n]);
        p.draw_into(&mut sc, &mut inv, &mut dist).unwrap();
        (sc, inv, dist, spec)
    }

    #[test]
    fn features_draws_and_distances() {
        let s = sampler();
        let x = [3.0, f64::NAN, 1.0, 1.0, 0.0];
        let n = 20_000;
        let (sc, inv, dist, spec) = draw(&s, &x, &[0], n);
        use Feature::*;
        assert_eq!(
            spec.features,
            vec![Value(0), Value(2), Group(0), Missing(1), Missing(2)]
        );
        assert_eq!(spec.held, vec![true, false, false, false, false]);
        assert_eq!(spec.row0, vec![1.0, 1.0, 1.0, 1.0, 1.0]);
        let w = 4; // the features not held
        assert_eq!(&sc[..w], &[1.0; 4]);
        assert!(inv[0] == 3.0 && inv[1].is_nan() && inv[2..5] == [1.0, 1.0, 0.0]);
        let (mut missing, mut kept) = ([0usize; 2], 0usize);
        for i in 1..n {
            let (z, v) = (&sc[i * w..(i + 1) * w], &inv[i * 5..(i + 1) * 5]);
            assert_eq!(v[0], 3.0); // held
                                   // the group: the instance's values or one training row's, and its feature
            let pair = [v[3], v[4]];
            let same = pair == [1.0, 0.0];
            assert!(same || pair == [0.0, 1.0] || (pair[0].is_nan() && pair[1] == 1.0));
            assert_eq!(z[1], f64::from(u8::from(same)));
            kept += usize::from(same);
            // missingness: feature 1 when the state is the instance's
            assert_eq!(z[2], f64::from(u8::from(v[1].is_nan())));
            assert_eq!(z[3], f64::from(u8::from(!v[2].is_nan())));
            if v[2].is_nan() {
                assert_eq!(z[0], 0.0);
            } else {
                assert_eq!(z[0], f64::from(u8::from(v[2] == 1.0)));
            }
            missing[0] += usize::from(v[1].is_nan());
            missing[1] += usize::from(v[2].is_nan());
            let euclid: f64 = z.iter().map(|&a| (a - 1.0) * (a - 1.0)).sum::<f64>().sqrt();
            assert!((euclid - dist[i]).abs() < 1e-12);
        }
        let share = |c: usize| c as f64 / (n - 1) as f64;
        assert!((share(missing[0]) - 0.3).abs() < 0.02);
        assert!((share(missing[1]) - 0.5).abs() < 0.02);
        // kept with probability 1/2, plus the training row equal to the instance's
        assert!((share(kept) - 0.5 - 0.5 / 3.0).abs() < 0.02);
    }

    #[test]
    fn reproducible_and_without_layout_only_holds() {
        let s = sampler();
        let x = [3.0, 2.0, 0.0, 1.0, 0.0];
        assert_eq!(draw(&s, &x, &[], 600).0, draw(&s, &x, &[], 600).0);
        let plain = TabularSampler::new(vec![
            Column::Continuous {
                mean: 0.0,
                scale: 1.0,
            };
            3
        ])
        .unwrap();
        let (p, spec) = plain
            .prepare_data(&[1.0, 2.0, 3.0], opts(300, 1), &[1])
            .unwrap();
        assert_eq!(spec.held, vec![false, true, false]);
        assert_eq!(p.width(), 2);
        assert!(plain
            .prepare_data(&[f64::NAN, 2.0, 3.0], opts(3, 1), &[])
            .is_err());
        assert!(plain
            .prepare_data(&[1.0, 2.0, 3.0], opts(3, 1), &[3])
            .is_err());
    }

    #[test]
    fn bad_layouts_are_errors() {
        let g = |columns: Vec<usize>, values: Vec<f64>| Group { columns, values };
        assert!(Layout::new(3, vec![g(vec![], vec![1.0])], None).is_err());
        assert!(Layout::new(3, vec![g(vec![0, 5], vec![1.0, 2.0])], None).is_err());
        assert!(Layout::new(
            3,
            vec![g(vec![0, 1], vec![1.0, 2.0]), g(vec![1], vec![1.0])],
            None
        )
        .is_err());
        assert!(Layout::new(3, vec![g(vec![0, 1], vec![1.0])], None).is_err());
        let m = |rates: Vec<f64>| {
            Some(Missing {
                rates,
                fill: vec![0.0; 3],
            })
        };
        assert!(Layout::new(3, vec![], m(vec![0.1, 2.0, 0.0])).is_err());
        assert!(Layout::new(3, vec![], m(vec![0.1])).is_err());
        assert!(Layout::new(3, vec![], m(vec![0.1, 0.0, 0.0])).is_ok());
    }
}
