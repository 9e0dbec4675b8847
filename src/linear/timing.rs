//! Shared pieces of the ignored timing tests of the engine.

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
