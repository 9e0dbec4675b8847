//! SP-LIME's greedy pick (Ribeiro et al. 2016, Algorithm 2): choose explanations
//! that together cover the globally important features.

use ndarray::ArrayView2;

use crate::error::{ensure_finite, LimeError, Result};

/// Global importance of each feature: `sqrt(Σᵢ |Wᵢⱼ|)`.
pub fn importance(w: ArrayView2<f64>) -> Vec<f64> {
    (0..w.ncols())
        .map(|j| w.column(j).iter().map(|v| v.abs()).sum::<f64>().sqrt())
        .collect()
}

/// Greedy maximisation of the coverage `c(V) = Σⱼ Iⱼ·[∃ i∈V: Wᵢⱼ ≠ 0]` over
/// `k` picks of rows of `w` (explanations × features), as lime: candidates in
/// increasing index order, ties to the later candidate (lime's `>=`).
pub fn greedy_pick(w: ArrayView2<f64>, k: usize) -> Result<Vec<usize>> {
    ensure_finite("W", w.iter())?;
    let (n, d) = w.dim();
    if k > n {
        return Err(LimeError::invalid(
            "num_exps_desired",
            format!("{k} is more than the {n} explanations"),
        ));
    }
    let imp = importance(w);
    let mut covered = vec![false; d];
    let mut remaining: Vec<usize> = (0..n).collect();
    let mut picked = Vec::with_capacity(k);
    for _ in 0..k {
        let mut best = 0.0;
        let mut best_at = None;
        for (slot, &i) in remaining.iter().enumerate() {
            let row = w.row(i);
            let value: f64 = (0..d)
                .filter(|&j| covered[j] || row[j] != 0.0)
                .map(|j| imp[j])
                .sum();
            if value >= best {
                best = value;
                best_at = Some(slot);
            }
        }
        let Some(slot) = best_at else { break };
        let i = remaining.remove(slot);
        for (c, &v) in covered.iter_mut().zip(w.row(i)) {
            *c |= v != 0.0;
        }
        picked.push(i);
    }
    Ok(picked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn picks_complementary_rows() {
        // Row 0 and 1 cover the same feature; row 2 covers the other one.
        let w = array![[1.0, 0.0], [2.0, 0.0], [0.0, 0.5]];
        assert_eq!(greedy_pick(w.view(), 2).unwrap(), vec![1, 2]);
    }

    #[test]
    fn ties_go_to_the_later_row_and_zero_rows_are_still_picked() {
        let w = array![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]];
        assert_eq!(greedy_pick(w.view(), 3).unwrap(), vec![1, 0, 2]);
    }

    #[test]
    fn bad_input() {
        let w = array![[f64::NAN]];
        assert!(greedy_pick(w.view(), 1).is_err());
        assert!(greedy_pick(array![[1.0]].view(), 2).is_err());
    }
}
