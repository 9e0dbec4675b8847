//! Dense Cholesky pieces for the small systems of local models (a few dozen
//! columns): the factor, triangular solves and the dot product they share.
//! Matrices are row-major slices with an explicit row stride.

/// `a·b` over the common length, with four partial sums: the serial sum
/// would be bound by addition latency in the triangular solves.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Solves `L x = b` in place for the leading n × n block of `l`.
pub fn forward_solve(l: &[f64], s: usize, n: usize, b: &mut [f64]) {
    for i in 0..n {
        let row = &l[i * s..i * s + i];
        let acc = dot(row, &b[..i]);
        b[i] = (b[i] - acc) / l[i * s + i];
    }
}

/// Solves `L Lᵀ x = b` in place (LAPACK `potrs` with a lower factor).
pub fn solve(l: &[f64], s: usize, n: usize, b: &mut [f64]) {
    forward_solve(l, s, n, b);
    // Lᵀ x = y by columns of Lᵀ, i.e. contiguous rows of L.
    for i in (0..n).rev() {
        let xi = b[i] / l[i * s + i];
        b[i] = xi;
        let (head, row) = (&mut b[..i], &l[i * s..i * s + i]);
        head.iter_mut().zip(row).for_each(|(bk, lk)| *bk -= lk * xi);
    }
}

/// The lower Cholesky factor (row-major, stride `k`, zero above the
/// diagonal) of the symmetric `k × k` matrix `a` (row-major; only its lower
/// triangle is read), or `None` when `a` is not numerically positive
/// definite.
///
/// Right-looking, as LAPACK's unblocked `potf2`: each step scales a column
/// by the reciprocal of its pivot and updates the trailing triangle row by
/// row with contiguous axpys. The dot-product form would chain a division
/// into every entry; at a few dozen columns that latency, not arithmetic,
/// was the cost (~6 us against ~1 us at k = 30).
pub fn factor(a: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut l = a.to_vec();
    let mut col = vec![0.0; k];
    for j in 0..k {
        let p = l[j * k + j];
        if !(p > 0.0 && p.is_finite()) {
            return None;
        }
        let d = p.sqrt();
        l[j * k + j] = d;
        let inv = 1.0 / d;
        for i in j + 1..k {
            l[i * k + j] *= inv;
            col[i] = l[i * k + j];
        }
        for i in j + 1..k {
            let lij = col[i];
            let row = &mut l[i * k + j + 1..=i * k + i];
            for (v, &c) in row.iter_mut().zip(&col[j + 1..=i]) {
                *v -= lij * c;
            }
        }
    }
    for i in 0..k {
        l[i * k + i + 1..(i + 1) * k].fill(0.0);
    }
    Some(l)
}

#[cfg(test)]
mod tests {
    use super::factor;

    #[test]
    fn factor_reproduces_the_matrix() {
        let k = 13;
        let mut next = crate::linear::test_data::noise();
        let b: Vec<f64> = (0..k * k).map(|_| next()).collect();
        // A = B Bᵀ + I: symmetric positive definite.
        let a: Vec<f64> = (0..k * k)
            .map(|i| {
                let (r, c) = (i / k, i % k);
                (0..k).map(|t| b[r * k + t] * b[c * k + t]).sum::<f64>() + f64::from(r == c)
            })
            .collect();
        let l = factor(&a, k).expect("positive definite");
        for r in 0..k {
            assert!(l[r * k + r] > 0.0);
            assert!(l[r * k + r + 1..(r + 1) * k].iter().all(|&v| v == 0.0));
            for c in 0..=r {
                let llt: f64 = (0..=c).map(|t| l[r * k + t] * l[c * k + t]).sum();
                assert!((llt - a[r * k + c]).abs() < 1e-12, "({r}, {c})");
            }
        }
    }

    #[test]
    fn upper_triangle_is_not_read() {
        let a = [4.0, f64::NAN, 2.0, 5.0];
        let l = factor(&a, 2).expect("positive definite");
        assert_eq!(l, vec![2.0, 0.0, 1.0, 2.0]);
    }

    #[test]
    fn not_positive_definite_is_none() {
        assert!(factor(&[1.0, 0.0, 2.0, 1.0], 2).is_none());
        assert!(factor(&[0.0], 1).is_none());
        assert!(factor(&[1.0, 0.0, f64::NAN, 1.0], 2).is_none());
        assert!(factor(&[f64::INFINITY], 1).is_none());
    }
}
