use std::time::Instant;

fn main() {
    for &(n, d) in &[(5000usize, 30usize), (5000, 1000)] {
        let x: Vec<f64> = (0..n * d)
            .map(|i| ((i * 7919) % 1013) as f64 / 1013.0)
            .collect();
        let xa = ndarray::Array2::from_shape_vec((n, d), x).unwrap();
        let ya = ndarray::Array2::from_shape_fn((n, 2), |(i, j)| ((i + j) % 7) as f64);
        let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 3) as f64).collect();
        let reps = if d > 100 { 3 } else { 300 };
        let t = (0..reps)
            .map(|_| {
                let t = Instant::now();
                let _ = lime_rs::linear::Design::new(xa.view(), ya.view(), &w).unwrap();
                t.elapsed()
            })
            .min()
            .unwrap();
        println!("{n}x{d} design {:?}", t);
    }
}
