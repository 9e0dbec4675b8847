//! Deterministic data shared by the engine's tests (timings live in
//! `benches/core.rs`).

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
