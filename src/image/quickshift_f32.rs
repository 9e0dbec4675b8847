//! Quick shift of a single-precision image, step for step as
//! `skimage.segmentation.quickshift` computes it for float32 (and float16)
//! input.
//!
//! In single precision the densities (sums of up to 625 terms, a few hundred
//! in size) round to steps of about 3e-5, coarser than the tie-breaking noise
//! (scale 1e-5): many neighbours end up with equal densities, and which pixel
//! becomes a root depends on the rounding of every sum. So this keeps
//! scikit-image's order and precision: each density starts at the float32
//! noise and adds the window's terms in row-major order, each term
//! `exp(float32 distance * float32 factor)` in double and the sum rounded to
//! float32 after every addition (C's `float += double`). Only the exp is
//! ours (a few ulp of double from glibc's, far below a float32 step: on every
//! picture tried the labels equal scikit-image's). Sixteen pixels of a row
//! are summed side by side (the same sequence of offsets, so each lane sums
//! as a scalar loop would) and rows run in parallel: the result never
//! depends on the number of threads.

use ndarray::{Array2, ArrayView3};

use crate::error::{LimeError, Result};
use crate::fastexp::exp_nonpositive;

/// Pixels of a row whose densities are summed side by side.
const LANES: usize = 16;

/// Adds the kernel terms of the window of each pixel `(r, col0 + j)` to
/// `acc[j]` (which holds the noise), term by term in scikit-image's order.
/// The pixels share the sequence of window offsets (row by row, then column
/// by column), so each lane sums exactly as a scalar loop would; offsets
/// that leave the image are skipped lane by lane. The float32 arithmetic is
/// scikit-image's; the exp is [`exp_nonpositive`] (a few ulp of double from
/// the platform's, which moves a float32 sum only at a rounding tie).
fn density_lanes(
    planes: &[f32],
    (h, w, c): (usize, usize, usize),
    half: usize,
    inv: f32,
    r: usize,
    col0: usize,
    acc: &mut [f32],
) {
    let (m, n) = (acc.len(), h * w);
    let p0 = r * w + col0;
    let half_i = half as isize;
    for rr in r.saturating_sub(half)..(r + half + 1).min(h) {
        let dr = r as f32 - rr as f32;
        for dc in -half_i..=half_i {
            // Lanes j with 0 <= col0 + j + dc < w.
            let lo = (-(col0 as isize) - dc).clamp(0, m as isize) as usize;
            let hi = (w as isize - col0 as isize - dc).clamp(0, m as isize) as usize;
            if lo >= hi {
                continue;
            }
            let q0 = (rr * w + col0 + lo) as isize + dc;
            let mut d = [0.0f32; LANES];
            for k in 0..c {
                let a = &planes[k * n + p0 + lo..k * n + p0 + hi];
                let b = &planes[k * n + q0 as usize..][..hi - lo];
                for ((v, x), y) in d.iter_mut().zip(a).zip(b) {
                    let t = x - y;
                    *v += t * t;
                }
            }
            let dcf = -(dc as f32);
            let mut e = [0.0f64; LANES];
            for (v, dv) in e.iter_mut().zip(&d) {
                let dist = (dv + dr * dr) + dcf * dcf;
                *v = exp_nonpositive(f64::from(dist * inv));
            }
            for (a, v) in acc[lo..hi].iter_mut().zip(&e) {
                *a = (f64::from(*a) + v) as f32;
            }
        }
    }
}

/// Squared joint distance in float32, summed as scikit-image sums it:
/// colour channels first, then the row and the column offsets.
#[inline(always)]
fn dist(x: &[f32], c: usize, p: usize, q: usize, dr: f32, dc: f32) -> f32 {
    let mut d = 0.0f32;
    for k in 0..c {
        let t = x[p * c + k] - x[q * c + k];
        d += t * t;
    }
    d += dr * dr;
    d + dc * dc
}

/// Segments a float32 feature image (height × width × channels, already in
/// Lab and scaled by `ratio`, as scikit-image hands it to its Cython loop).
/// `noise` holds one float32 tie-breaking value per pixel (row-major).
/// Returns labels `0..n_segments`, numbered by the row-major position of the
/// segments' roots.
pub fn quickshift_f32(
    image: ArrayView3<f32>,
    kernel_size: f64,
    max_dist: f64,
    noise: &[f32],
) -> Result<Array2<i64>> {
    let (h, w, c) = image.dim();
    if h == 0 || w == 0 || c == 0 {
        return Err(LimeError::shape(
            "image",
            format!("must not be empty, got shape ({h}, {w}, {c})"),
        ));
    }
    let ks = kernel_size as f32;
    if !(ks.is_finite() && ks >= 1.0) {
        return Err(LimeError::invalid(
            "kernel_size",
            format!("should be >= 1 (and finite), got {kernel_size}"),
        ));
    }
    if max_dist.is_nan() {
        return Err(LimeError::invalid("max_dist", "must be a number, got NaN"));
    }
    let n = h * w;
    if noise.len() != n {
        return Err(LimeError::shape(
            "noise",
            format!("must hold one value per pixel ({n}), got {}", noise.len()),
        ));
    }
    let owned;
    let x: &[f32] = match image.as_slice() {
        Some(s) => s,
        None => {
            owned = image.iter().copied().collect::<Vec<f32>>();
            &owned
        }
    };
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(LimeError::invalid(
            "image",
            format!("contains NaN or infinity (at flat index {i})"),
        ));
    }
    // As in C: float * float, then -0.5 / that in double, stored as float.
    let inv = (-0.5 / f64::from(ks * ks)) as f32;
    let half = (3.0 * f64::from(ks)).ceil().min(h.max(w) as f64) as usize;

    // Planes (one per channel) so that neighbouring pixels sit side by side.
    let mut planes = vec![0.0f32; n * c];
    for (p, px) in x.chunks_exact(c).enumerate() {
        for (k, v) in px.iter().enumerate() {
            planes[k * n + p] = *v;
        }
    }
    let mut dens = noise.to_vec();
    // seconds on a large image: the caller keeps polling for Ctrl-C meanwhile
    crate::pool::for_each_long(dens.chunks_mut(w).collect(), |r, row| {
        if crate::interrupt::check().is_ok() {
            for (b, acc) in row.chunks_mut(LANES).enumerate() {
                density_lanes(&planes, (h, w, c), half, inv, r, b * LANES, acc);
            }
        }
    });
    crate::interrupt::check()?;

    // Links: the nearest strictly denser pixel of the window, the first in
    // row-major order on ties (scikit-image's scan with a strict `<`).
    // Offsets are visited by increasing spatial distance and the search stops
    // once that alone exceeds the best distance: the float32 sums are
    // monotone (colour part >= 0, exact small integers), so this finds the
    // pixel the full scan finds.
    let cut = max_dist as f32;
    let offsets = super::quickshift::offsets_by_distance(half);
    let mut parent: Vec<usize> = (0..n).collect();
    crate::pool::for_each_long(parent.chunks_mut(w).collect(), |r, row| {
        if crate::interrupt::check().is_err() {
            return;
        }
        for (col, slot) in row.iter_mut().enumerate() {
            let p = r * w + col;
            let here = dens[p];
            let mut closest = f32::INFINITY; // DBL_MAX stored in a float
            for &(dr, dc, spatial) in &offsets {
                if spatial as f32 > closest {
                    break;
                }
                let (rr, cc) = (r as isize + dr, col as isize + dc);
                if rr < 0 || rr >= h as isize || cc < 0 || cc >= w as isize {
                    continue;
                }
                let q = rr as usize * w + cc as usize;
                if dens[q] <= here {
                    continue;
                }
                let d = dist(x, c, p, q, -(dr as f32), -(dc as f32));
                if d < closest || (d == closest && q < *slot) {
                    closest = d;
                    *slot = q;
                }
            }
            if (f64::from(closest).sqrt() as f32) > cut {
                *slot = p;
            }
        }
    });
    crate::interrupt::check()?;
    Array2::from_shape_vec((h, w), super::quickshift::label_trees(parent))
        .map_err(|e| LimeError::shape("image", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    fn image(h: usize, w: usize) -> Array3<f32> {
        Array3::from_shape_fn((h, w, 3), |(r, col, k)| {
            let q = (r * 2 / h) * 2 + col * 2 / w;
            (q * 20 + k * 7) as f32 + ((r * 31 + col * 17 + k) % 7) as f32 * 0.5
        })
    }

    #[test]
    fn splits_quadrants_and_is_thread_independent() {
        let img = image(30, 34);
        let noise: Vec<f32> = (0..30 * 34).map(|i| (i % 13) as f32 * 1e-6).collect();
        let a = quickshift_f32(img.view(), 2.0, 10.0, &noise).unwrap();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let b = one.install(|| quickshift_f32(img.view(), 2.0, 10.0, &noise).unwrap());
        assert_eq!(a, b);
        // No segment holds pixels of two quadrants.
        for ((r, col), &l) in a.indexed_iter() {
            for ((r2, c2), &l2) in a.indexed_iter() {
                if l == l2 {
                    assert_eq!((r * 2 / 30, col * 2 / 34), (r2 * 2 / 30, c2 * 2 / 34));
                }
            }
        }
    }

    /// scikit-image's loops, pixel by pixel, term by term (with our exp).
    fn reference(img: &Array3<f32>, kernel_size: f32, max_dist: f32, noise: &[f32]) -> Vec<i64> {
        let (h, w, c) = img.dim();
        let x = img.as_slice().unwrap();
        let half = (3.0 * kernel_size).ceil() as isize;
        let inv = (-0.5 / f64::from(kernel_size * kernel_size)) as f32;
        let window = |r: usize, col: usize| {
            let rs = (r as isize - half).max(0) as usize
                ..(r as isize + half + 1).min(h as isize) as usize;
            let cs = (col as isize - half).max(0) as usize
                ..(col as isize + half + 1).min(w as isize) as usize;
            rs.flat_map(move |rr| cs.clone().map(move |cc| (rr, cc)))
        };
        let d = |r: usize, col: usize, rr: usize, cc: usize| {
            dist(
                x,
                c,
                r * w + col,
                rr * w + cc,
                r as f32 - rr as f32,
                col as f32 - cc as f32,
            )
        };
        let mut dens = noise.to_vec();
        for r in 0..h {
            for col in 0..w {
                for (rr, cc) in window(r, col) {
                    let t = exp_nonpositive(f64::from(d(r, col, rr, cc) * inv));
                    dens[r * w + col] = (f64::from(dens[r * w + col]) + t) as f32;
                }
            }
        }
        let mut parent: Vec<usize> = (0..h * w).collect();
        for r in 0..h {
            for col in 0..w {
                let mut closest = f32::INFINITY;
                for (rr, cc) in window(r, col) {
                    if dens[rr * w + cc] > dens[r * w + col] && d(r, col, rr, cc) < closest {
                        closest = d(r, col, rr, cc);
                        parent[r * w + col] = rr * w + cc;
                    }
                }
                if (f64::from(closest).sqrt() as f32) > max_dist {
                    parent[r * w + col] = r * w + col;
                }
            }
        }
        crate::image::quickshift::label_trees(parent)
    }

    #[test]
    fn equals_scikit_image_loops() {
        // Flat quadrants (ties everywhere but for the noise) and a textured band.
        let mut img = image(29, 37);
        for ((r, col, _), v) in img.indexed_iter_mut() {
            if r > 20 {
                *v += ((r * 7 + col * 3) % 5) as f32 * 0.3;
            }
        }
        let noise: Vec<f32> = (0..29 * 37)
            .map(|i| ((i * 7919) % 101) as f32 * 1e-7)
            .collect();
        for (ks, md) in [(2.0f32, 10.0f32), (1.5, 200.0), (3.0, 4.0)] {
            let got = quickshift_f32(img.view(), f64::from(ks), f64::from(md), &noise).unwrap();
            assert_eq!(
                got.iter().copied().collect::<Vec<i64>>(),
                reference(&img, ks, md, &noise)
            );
        }
    }

    #[test]
    fn rejects_bad_input() {
        let img = image(6, 6);
        let noise = vec![0.0f32; 36];
        assert!(quickshift_f32(img.view(), 0.5, 10.0, &noise).is_err());
        assert!(quickshift_f32(img.view(), 2.0, f64::NAN, &noise).is_err());
        assert!(quickshift_f32(img.view(), 2.0, 10.0, &noise[..3]).is_err());
        let mut bad = img.clone();
        bad[[1, 1, 1]] = f32::NAN;
        assert!(quickshift_f32(bad.view(), 2.0, 10.0, &noise).is_err());
        let empty = Array3::<f32>::zeros((0, 4, 3));
        assert!(quickshift_f32(empty.view(), 2.0, 10.0, &[]).is_err());
    }
}
