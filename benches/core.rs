//! Price tags of the core: the figures users pay, timed with criterion.
//! `cargo bench --no-default-features --bench core` (add `-- <filter>` to pick).
//!
//! - one explanation's local model (5000 x 30 for each feature selection, and
//!   a 5000 x 1000 binary text neighbourhood), what every `explain_instance`
//!   pays after the model call;
//! - the training statistics of a quartile discretizer on 200k x 30 rows,
//!   what `LimeTabularExplainer(...)` pays once.

use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::Array2;
use std::hint::black_box;

use lime_rs::local_model::{explain, Settings};
use lime_rs::sampling::tabular_stats::quantile_bins_with_moments;
use lime_rs::selection::Method;

/// Deterministic noise in [-0.5, 0.5) (xorshift), so runs compare.
fn noise(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed.max(1);
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

/// A tabular neighbourhood: data, two label columns, kernel weights.
fn tabular(n: usize, d: usize) -> (Array2<f64>, Array2<f64>, Vec<f64>) {
    let mut r = noise(7);
    let x = Array2::from_shape_fn((n, d), |_| 2.0 * r());
    let y = Array2::from_shape_fn((n, 2), |(i, k)| {
        let s: f64 = x
            .row(i)
            .iter()
            .enumerate()
            .map(|(j, v)| v * ((j + k) % 5) as f64)
            .sum();
        1.0 / (1.0 + (-s).exp())
    });
    let width = 0.75 * (d as f64).sqrt();
    let w = (0..n)
        .map(|i| {
            let dist2: f64 = x
                .row(i)
                .iter()
                .zip(x.row(0))
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            (-dist2 / (width * width)).exp().sqrt()
        })
        .collect();
    (x, y, w)
}

/// A text neighbourhood: rows of 0/1 (words removed), as lime's text explainer.
fn document(n: usize, d: usize) -> (Array2<f64>, Array2<f64>, Vec<f64>) {
    let mut r = noise(11);
    let keep: Vec<f64> = (0..n)
        .map(|i| if i == 0 { 1.0 } else { r() + 0.5 })
        .collect();
    let x = Array2::from_shape_fn((n, d), |(i, _)| f64::from(r() + 0.5 < keep[i]));
    let y = Array2::from_shape_fn((n, 2), |(i, k)| {
        let s: f64 = x.row(i).iter().take(20).sum::<f64>() / 20.0;
        if k == 0 {
            1.0 - s
        } else {
            s
        }
    });
    let w = (0..n)
        .map(|i| {
            let on: f64 = x.row(i).sum();
            let cos = 1.0 - on / (on.sqrt().max(1e-12) * (d as f64).sqrt());
            (-(cos * 100.0).powi(2) / 625.0).exp().sqrt()
        })
        .collect();
    (x, y, w)
}

fn local_model(c: &mut Criterion) {
    let (x, y, w) = tabular(5000, 30);
    for (method, nf) in [
        (Method::None, 10),
        (Method::HighestWeights, 10),
        (Method::LassoPath, 10),
        (Method::ForwardSelection, 6),
    ] {
        let settings = Settings {
            num_features: nf,
            method,
            alpha: 1.0,
        };
        c.bench_function(&format!("explain 5000x30 {method:?}"), |b| {
            b.iter(|| black_box(explain(x.view(), y.view(), &w, &[1], settings).unwrap()))
        });
    }
    let (x, y, w) = document(5000, 1000);
    let settings = Settings {
        num_features: 10,
        method: Method::HighestWeights,
        alpha: 1.0,
    };
    c.bench_function("explain 5000x1000 binary HighestWeights", |b| {
        b.iter(|| black_box(explain(x.view(), y.view(), &w, &[1], settings).unwrap()))
    });
}

fn construction(c: &mut Criterion) {
    let mut r = noise(3);
    let x = Array2::from_shape_fn((200_000, 30), |_| r());
    let features: Vec<usize> = (0..30).collect();
    let mut group = c.benchmark_group("construction");
    group.sample_size(10);
    group.bench_function("quartile bins 200k x 30", |b| {
        b.iter(|| {
            black_box(quantile_bins_with_moments(x.view(), &features, &[25.0, 50.0, 75.0]).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, local_model, construction);
criterion_main!(benches);
