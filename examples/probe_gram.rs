use std::time::Instant;
fn main() {
    let (n, d) = (5000usize, 1000usize);
    let x: Vec<f64> = (0..n * d)
        .map(|i| ((i * 7919) % 1013) as f64 / 1013.0)
        .collect();
    let xa = ndarray::Array2::from_shape_vec((n, d), x).unwrap();
    let ya = ndarray::Array2::from_shape_fn((n, 2), |(i, j)| ((i + j) % 7) as f64);
    let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 3) as f64).collect();
    for _ in 0..2 {
        let t = Instant::now();
        let des = lime_rs::linear::Design::new(xa.view(), ya.view(), &w).unwrap();
        println!("design {:?}", t.elapsed());
        let t = Instant::now();
        let c = lime_rs::selection::highest_weights_coef(&des, &des.labels[1]).unwrap();
        println!("ridge all {:?} {}", t.elapsed(), c[0]);
    }
}
