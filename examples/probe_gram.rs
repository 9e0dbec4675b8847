use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use std::time::Instant;
fn main() {
    let (n, d) = (5000usize, 30usize);
    let x: Vec<f64> = (0..n * d).map(|i| ((i * 7919) % 1013) as f64 / 1013.0).collect();
    let z = MatRef::from_column_major_slice(&x, n, d);
    let mut g = Mat::<f64>::zeros(d, d);
    for _ in 0..3 { matmul(g.as_mut(), Accum::Replace, z.transpose(), z, 1.0, Par::Seq); }
    let t = Instant::now();
    for _ in 0..100 { matmul(g.as_mut(), Accum::Replace, z.transpose(), z, 1.0, Par::Seq); }
    println!("faer gram {:?}", t.elapsed() / 100);
    let xa = ndarray::Array2::from_shape_vec((n, d), x.clone()).unwrap();
    let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 3) as f64).collect();
    let t = Instant::now();
    for _ in 0..100 { let _ = lime_rs::linear::Design::new(xa.view(), &w).unwrap(); }
    println!("design {:?}", t.elapsed() / 100);
    let t = Instant::now();
    for _ in 0..100 { lime_rs::error::ensure_finite("x", xa.iter()).unwrap(); }
    println!("finite {:?}", t.elapsed() / 100);
    let zr = MatRef::from_row_major_slice(&x, n, d);
    let t = Instant::now();
    for _ in 0..100 { matmul(g.as_mut(), Accum::Replace, zr.transpose(), zr, 1.0, Par::Seq); }
    println!("faer gram rowmajor {:?}", t.elapsed() / 100);
}
#[allow(dead_code)]
fn unused() {}
