//! Shared pieces of the engine's tests: deterministic data and the ignored
//! timing tests' problem and clock.

use ndarray::Array2;

/// Deterministic pseudo-random numbers in [-0.5, 0.5) (xorshift).
pub fn noise() -> impl FnMut() -> f64 {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

/// The best wall time of 300 runs of `f`, in seconds (the machine may be shared).
pub fn best(f: &dyn Fn()) -> f64 {
    (0..300)
        .map(|_| {
            let t = std::time::Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

/// The timing tests' problem: `n × d` noise, two labels (a linear signal in
/// the columns plus noise) and lime-like weights.
pub fn problem(n: usize, d: usize) -> (Array2<f64>, Array2<f64>, Vec<f64>) {
    let mut next = noise();
    let x = Array2::from_shape_fn((n, d), |_| next());
    let y = Array2::from_shape_fn((n, 2), |(i, j)| x.row(i).sum() * (j as f64 + 0.5) + next());
    let w: Vec<f64> = (0..n).map(|i| (-((i % 17) as f64) / 9.0).exp()).collect();
    (x, y, w)
}

/// Row-major `n × d` data, `n × l` labels and positive weights from fixed
/// arithmetic patterns (for kernels checked against direct sums).
pub fn patterned(n: usize, d: usize, l: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let x = (0..n * d)
        .map(|i| ((i * 37 % 101) as f64 - 50.0) / 7.0)
        .collect();
    let y = (0..n * l).map(|i| ((i * 53 % 97) as f64) / 11.0).collect();
    let w = (0..n).map(|i| 0.05 + (i % 7) as f64 / 3.0).collect();
    (x, y, w)
}
