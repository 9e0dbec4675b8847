//! Missing values in a tabular neighbourhood (issue #21): each column's
//! missingness drawn at its training rate, and the interpretable values of
//! the single columns, in one pass over the samples.

use crate::error::LimeError;
use crate::rng::FastStream;

/// What [`overlay`] reads: `d` columns; `rates[j]` is column `j`'s chance of
/// being missing in a sample (0 for columns left alone: groups, fixed ones);
/// `instance` is row 0 (NaN where missing); `value_cols` and `missing_cols`
/// the columns whose value and missingness are interpretable features.
pub struct Overlay<'a> {
    pub d: usize,
    pub rates: &'a [f64],
    pub instance: &'a [f64],
    pub value_cols: &'a [usize],
    pub missing_cols: &'a [usize],
    /// first column of the missingness features in `z`
    pub missing_at: usize,
}

/// Sets `inverse[i, j]` (row-major, `n x d`, `i >= 1`) to NaN with
/// probability `rates[j]` (row 0 keeps the instance's state), then writes the
/// rows of `z` (row-major, `n x m`): at column `k < value_cols.len()`,
/// `scaled[i, value_cols[k]]` or 0 where the sample is missing; at column
/// `missing_at + k`, 1 when the sample's missingness of `missing_cols[k]`
/// equals the instance's, else 0. The other columns of `z` are untouched.
pub fn overlay(
    o: &Overlay<'_>,
    inverse: &mut [f64],
    scaled: &[f64],
    z: &mut [f64],
    seed: u64,
) -> Result<(), LimeError> {
    let d = o.d;
    if o.rates.len() != d || o.instance.len() != d {
        return Err(LimeError::shape("rates", "expected one value per column"));
    }
    if d == 0 || !inverse.len().is_multiple_of(d) || scaled.len() != inverse.len() {
        return Err(LimeError::shape("inverse", "expected two n x d arrays"));
    }
    let n = inverse.len() / d;
    let m = z.len().checked_div(n).unwrap_or(0);
    if z.len() != n * m
        || o.value_cols.len() > m
        || o.missing_at + o.missing_cols.len() > m
        || o.value_cols.iter().chain(o.missing_cols).any(|&j| j >= d)
    {
        return Err(LimeError::shape(
            "z",
            "does not fit the interpretable features",
        ));
    }
    let mut rng = FastStream::new(seed, &[0x6d69_7373]);
    // a word below the threshold is a missing value (probability rates[j])
    let thresholds: Vec<u64> = o
        .rates
        .iter()
        .map(|&r| {
            if r > 0.0 {
                (r.min(1.0) * 18_446_744_073_709_551_616.0) as u64
            } else {
                0
            }
        })
        .collect();
    let drawn: Vec<usize> = (0..d).filter(|&j| thresholds[j] > 0).collect();
    let instance_missing: Vec<bool> = o.instance.iter().map(|v| v.is_nan()).collect();
    for i in 0..n {
        let row = &mut inverse[i * d..(i + 1) * d];
        if i == 0 {
            for &j in &drawn {
                if instance_missing[j] {
                    row[j] = f64::NAN;
                }
            }
        } else {
            for &j in &drawn {
                if rng.word() < thresholds[j] {
                    row[j] = f64::NAN;
                }
            }
        }
        let srow = &scaled[i * d..(i + 1) * d];
        let zrow = &mut z[i * m..(i + 1) * m];
        for (k, &j) in o.value_cols.iter().enumerate() {
            zrow[k] = if row[j].is_nan() { 0.0 } else { srow[j] };
        }
        for (k, &j) in o.missing_cols.iter().enumerate() {
            zrow[o.missing_at + k] = f64::from(u8::from(row[j].is_nan() == instance_missing[j]));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_row_zero() {
        let (n, d) = (20_000, 2);
        let mut inverse = vec![1.0; n * d];
        let scaled = vec![2.0; n * d];
        let instance = [f64::NAN, 3.0];
        let mut z = vec![-1.0; n * 3];
        let o = Overlay {
            d,
            rates: &[0.2, 0.5],
            instance: &instance,
            value_cols: &[1],
            missing_cols: &[0, 1],
            missing_at: 1,
        };
        overlay(&o, &mut inverse, &scaled, &mut z, 7).unwrap();
        assert!(inverse[0].is_nan() && inverse[1] == 1.0);
        let share =
            |j: usize| (1..n).filter(|i| inverse[i * d + j].is_nan()).count() as f64 / n as f64;
        assert!((share(0) - 0.2).abs() < 0.02 && (share(1) - 0.5).abs() < 0.02);
        for i in 0..n {
            let missing = inverse[i * d + 1].is_nan();
            assert_eq!(z[i * 3], if missing { 0.0 } else { 2.0 });
            assert_eq!(z[i * 3 + 1], f64::from(u8::from(inverse[i * d].is_nan())));
            assert_eq!(z[i * 3 + 2], f64::from(u8::from(!missing)));
        }
    }

    #[test]
    fn bad_shapes_are_errors() {
        let o = Overlay {
            d: 2,
            rates: &[0.1],
            instance: &[0.0, 0.0],
            value_cols: &[],
            missing_cols: &[],
            missing_at: 0,
        };
        assert!(overlay(&o, &mut [0.0; 4], &[0.0; 4], &mut [], 1).is_err());
    }
}
