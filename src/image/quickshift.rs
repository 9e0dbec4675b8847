//! Quick shift (Vedaldi & Soatto, "Quick shift and kernel methods for mode
//! seeking", ECCV 2008) over the joint colour–position space of an image, with
//! the conventions of `skimage.segmentation.quickshift`:
//!
//! 1. optionally convert RGB to Lab, then scale the colour values by `ratio`;
//! 2. the density of pixel `p` is the sum over the pixels `q` of the square
//!    window of half-width `ceil(3 * kernel_size)` around it of
//!    `exp(-|x_p - x_q|² / (2 kernel_size²))`, where `x` stacks the scaled
//!    colour and the (row, column) position; a tiny tie-breaking noise (given
//!    by the caller) starts every sum;
//! 3. every pixel links to the nearest (in the same joint distance) pixel of
//!    its window with a strictly higher density, the earliest in row-major
//!    order on ties; links longer than `max_dist` are cut;
//! 4. the segments are the trees of that forest, numbered by the row-major
//!    position of their roots.
//!
//! Speed: the kernel is symmetric, so each pair of pixels is evaluated once
//! and added to both densities; the terms are computed 32 columns at a time
//! with a vectorisable `exp` (see `fastexp`), on AVX-512 or AVX2 with FMA
//! when the CPU has them; the links are searched by increasing spatial
//! distance with an exact early exit. Blocks of rows run in parallel into
//! their own buffers, summed in a fixed order, so the result never depends on
//! the number of threads. The densities thus differ from scikit-image's in
//! their last bits only, far below the tie-breaking noise (scale 1e-5): with
//! the same noise the segments are, in practice, identical.

use ndarray::{Array2, ArrayView3};

use super::colour::rgb_to_lab_planes;
use crate::error::{ensure_finite, LimeError, Result};
use crate::fastexp::exp_nonpositive_with;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuickshiftParams {
    /// Weight of colour against position (skimage's `ratio`).
    pub ratio: f64,
    /// Standard deviation of the gaussian density kernel (>= 1).
    pub kernel_size: f64,
    /// Links longer than this are cut.
    pub max_dist: f64,
    /// Convert RGB to Lab first (needs 3 channels).
    pub convert2lab: bool,
}

impl Default for QuickshiftParams {
    /// scikit-image's defaults.
    fn default() -> Self {
        QuickshiftParams {
            ratio: 1.0,
            kernel_size: 5.0,
            max_dist: 10.0,
            convert2lab: true,
        }
    }
}

impl QuickshiftParams {
    fn check(&self) -> Result<()> {
        if !(self.kernel_size.is_finite() && self.kernel_size >= 1.0) {
            return Err(LimeError::invalid(
                "kernel_size",
                format!("should be >= 1 (and finite), got {}", self.kernel_size),
            ));
        }
        if !self.ratio.is_finite() {
            return Err(LimeError::invalid(
                "ratio",
                format!("must be a finite number, got {}", self.ratio),
            ));
        }
        if self.max_dist.is_nan() {
            return Err(LimeError::invalid("max_dist", "must be a number, got NaN"));
        }
        Ok(())
    }
}

/// The image as one contiguous plane per channel, in Lab if asked, times `ratio`.
fn feature_planes(image: &ArrayView3<f64>, params: &QuickshiftParams) -> Result<Vec<f64>> {
    let (h, w, c) = image.dim();
    let n = h * w;
    let mut planes = vec![0.0; n * c];
    if params.convert2lab {
        if c != 3 {
            return Err(LimeError::shape(
                "image",
                format!(
                    "only RGB images can be converted to Lab space: expected 3 channels, got {c}"
                ),
            ));
        }
        let owned;
        let rgb = match image.as_slice() {
            Some(s) => s,
            None => {
                owned = image.iter().copied().collect::<Vec<f64>>();
                &owned
            }
        };
        let (l, rest) = planes.split_at_mut(n);
        let (a, b) = rest.split_at_mut(n);
        rgb_to_lab_planes(rgb, l, a, b)?;
        if params.ratio != 1.0 {
            planes.iter_mut().for_each(|v| *v *= params.ratio);
        }
    } else {
        for ((r, col, k), &v) in image.indexed_iter() {
            planes[k * n + r * w + col] = v * params.ratio;
        }
    }
    ensure_finite(
        "image (after colour conversion and scaling by ratio)",
        planes.iter(),
    )?;
    Ok(planes)
}

/// Geometry shared by both passes.
#[derive(Clone, Copy)]
struct Grid {
    h: usize,
    w: usize,
    c: usize,
    /// Half-width of the window, clipped to the image.
    half: usize,
}

impl Grid {
    fn n(&self) -> usize {
        self.h * self.w
    }
}

/// Rows per parallel task of the density pass (fixed: the result never
/// depends on the number of threads).
const ROWS_PER_BLOCK: usize = 16;

/// Columns per step: several independent vector chains in flight.
const CHUNK: usize = 32;

/// `exp(d * inv + offset)` for a chunk of squared colour distances, where
/// `offset` is the spatial part of the exponent, `(dr² + dc²) * inv`.
#[inline(always)]
fn chunk_terms<const FMA: bool>(d: &mut [f64; CHUNK], inv: f64, offset: f64) {
    for v in d.iter_mut() {
        let x = if FMA {
            v.mul_add(inv, offset)
        } else {
            *v * inv + offset
        };
        *v = exp_nonpositive_with::<FMA>(x);
    }
}

/// Squared colour distances of a full chunk of three-channel pixels.
#[inline(always)]
fn chunk_dist3(planes: &[f64], n: usize, here: usize, there: usize) -> [f64; CHUNK] {
    let view = |at: usize| -> &[f64; CHUNK] {
        // In bounds by construction (the caller's chunk lies inside a row).
        planes[at..at + CHUNK].try_into().unwrap_or(&[0.0; CHUNK])
    };
    let (a0, a1, a2) = (view(here), view(n + here), view(2 * n + here));
    let (b0, b1, b2) = (view(there), view(n + there), view(2 * n + there));
    let mut d = [0.0; CHUNK];
    for j in 0..CHUNK {
        let (t0, t1, t2) = (a0[j] - b0[j], a1[j] - b1[j], a2[j] - b2[j]);
        d[j] = (t0 * t0 + t1 * t1) + t2 * t2;
    }
    d
}

/// Kernel terms between the `m <= CHUNK` pixels starting at `here` and those
/// starting at `there` (flat indices into each plane), added to `out_here`
/// and `out_there`. The exp always runs on a whole chunk (a scalar tail would
/// cost as much as the vector part); only `m` values are used.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn pair_chunk<const FMA: bool>(
    planes: &[f64],
    g: Grid,
    here: usize,
    there: usize,
    m: usize,
    inv: f64,
    offset: f64,
    out_here: &mut [f64],
    out_there: &mut [f64],
) {
    let n = g.n();
    let mut d = if g.c == 3 && m == CHUNK {
        chunk_dist3(planes, n, here, there)
    } else {
        let mut d = [0.0; CHUNK];
        for k in 0..g.c {
            let a = &planes[k * n + here..][..m];
            let b = &planes[k * n + there..][..m];
            for ((v, x), y) in d.iter_mut().zip(a).zip(b) {
                let t = x - y;
                *v += t * t;
            }
        }
        d
    };
    chunk_terms::<FMA>(&mut d, inv, offset);
    if m == CHUNK {
        let (oh, ot): (&mut [f64; CHUNK], &mut [f64; CHUNK]) = match (
            (&mut out_here[..CHUNK]).try_into(),
            (&mut out_there[..CHUNK]).try_into(),
        ) {
            (Ok(a), Ok(b)) => (a, b),
            _ => return,
        };
        for j in 0..CHUNK {
            oh[j] += d[j];
            ot[j] += d[j];
        }
    } else {
        for (o, v) in out_here[..m].iter_mut().zip(d.iter()) {
            *o += v;
        }
        for (o, v) in out_there[..m].iter_mut().zip(d.iter()) {
            *o += v;
        }
    }
}

/// The kernel terms between every pixel of row `r` and the pixels after it in
/// its window (same row to the right, or a row below), added to both pixels
/// of each pair in `buf` (rows `first..`, `w` wide). Each pair is computed
/// once: the kernel is symmetric.
#[inline(always)]
fn forward_terms_impl<const FMA: bool>(
    planes: &[f64],
    g: Grid,
    r: usize,
    first: usize,
    inv: f64,
    buf: &mut [f64],
) {
    let (w, half) = (g.w, g.half as isize);
    // The pixel itself: exp(0) = 1.
    for v in &mut buf[(r - first) * w..][..w] {
        *v += 1.0;
    }
    for rr in r..(r + g.half + 1).min(g.h) {
        let dr = (rr - r) as f64;
        let dr2 = dr * dr;
        let o_start = if rr == r { 1 } else { -half };
        for o in o_start..=half {
            // Columns c with 0 <= c + o < w.
            let lo = (-o).max(0) as usize;
            let hi = (w as isize - o).min(w as isize);
            if hi <= lo as isize {
                continue;
            }
            let len = hi as usize - lo;
            let lo_there = (lo as isize + o) as usize;
            let offset = (dr2 + (o * o) as f64) * inv;
            let mut i = 0;
            while i < len {
                let m = (len - i).min(CHUNK);
                let (a, b) = (r * w + lo + i, rr * w + lo_there + i);
                let (oa, ob) = ((r - first) * w + lo + i, (rr - first) * w + lo_there + i);
                // Two windows of buf: split it to borrow both.
                if ob >= oa + m {
                    let (x, y) = buf.split_at_mut(ob);
                    pair_chunk::<FMA>(planes, g, a, b, m, inv, offset, &mut x[oa..], y);
                } else {
                    // Same row, overlapping ranges: go through a copy.
                    let mut tmp = [0.0; CHUNK];
                    pair_chunk::<FMA>(planes, g, a, b, m, inv, offset, &mut buf[oa..], &mut tmp);
                    for (v, t) in buf[ob..][..m].iter_mut().zip(tmp.iter()) {
                        *v += t;
                    }
                }
                i += m;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
fn forward_terms_avx512(
    planes: &[f64],
    g: Grid,
    r: usize,
    first: usize,
    inv: f64,
    buf: &mut [f64],
) {
    forward_terms_impl::<true>(planes, g, r, first, inv, buf)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn forward_terms_avx2(planes: &[f64], g: Grid, r: usize, first: usize, inv: f64, buf: &mut [f64]) {
    forward_terms_impl::<true>(planes, g, r, first, inv, buf)
}

/// The widest vector unit available. Vector width never changes the result;
/// fused multiply-adds (AVX2 and AVX-512 paths) change the kernel terms in
/// their last bits only, far below the tie-breaking noise.
fn forward_terms(planes: &[f64], g: Grid, r: usize, first: usize, inv: f64, buf: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX-512F and FMA (checked just above).
            return unsafe { forward_terms_avx512(planes, g, r, first, inv, buf) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            return unsafe { forward_terms_avx2(planes, g, r, first, inv, buf) };
        }
    }
    forward_terms_impl::<false>(planes, g, r, first, inv, buf)
}

/// The density of every pixel: `start` (the noise) plus the sum of the kernel
/// terms over its window. Blocks of rows accumulate into their own buffers
/// (their rows plus the `half` rows below), summed in block order.
fn densities(planes: &[f64], g: Grid, inv: f64, start: Vec<f64>) -> Result<Vec<f64>> {
    let (h, w) = (g.h, g.w);
    let mut blocks: Vec<Vec<f64>> = (0..h.div_ceil(ROWS_PER_BLOCK))
        .map(|b| {
            let first = b * ROWS_PER_BLOCK;
            vec![0.0; ((first + ROWS_PER_BLOCK + g.half).min(h) - first) * w]
        })
        .collect();
    // seconds on a large image: the caller keeps polling for Ctrl-C meanwhile
    crate::pool::for_each_long(blocks.iter_mut().collect(), |b, buf| {
        if crate::interrupt::check().is_ok() {
            let first = b * ROWS_PER_BLOCK;
            for r in first..(first + ROWS_PER_BLOCK).min(h) {
                forward_terms(planes, g, r, first, inv, buf);
            }
        }
    });
    crate::interrupt::check()?;
    let mut dens = start;
    for (b, buf) in blocks.into_iter().enumerate() {
        for (d, v) in dens[b * ROWS_PER_BLOCK * w..].iter_mut().zip(buf) {
            *d += v;
        }
    }
    Ok(dens)
}

/// Window offsets (dr, dc, dr² + dc²) by increasing spatial distance.
pub(super) fn offsets_by_distance(half: usize) -> Vec<(isize, isize, f64)> {
    let h = half as isize;
    let mut v: Vec<(isize, isize, f64)> = (-h..=h)
        .flat_map(|dr| (-h..=h).map(move |dc| (dr, dc, (dr * dr + dc * dc) as f64)))
        .collect();
    v.sort_by(|a, b| a.2.total_cmp(&b.2).then((a.0, a.1).cmp(&(b.0, b.1))));
    v
}

/// The parent of every pixel of row `r`: the nearest strictly denser pixel of
/// its window (earliest in row-major order on ties), or itself.
///
/// Offsets are visited by increasing spatial distance, and the search stops
/// once the spatial part alone exceeds the best joint distance: the colour
/// part only adds to it (the rounded sums are monotone), so this finds
/// exactly the pixel a full window scan would.
#[allow(clippy::too_many_arguments)]
fn link_row(
    planes: &[f64],
    dens: &[f64],
    g: Grid,
    r: usize,
    offsets: &[(isize, isize, f64)],
    max_dist: f64,
    out: &mut [usize],
) {
    let (w, n) = (g.w, g.n());
    let (hh, ww) = (g.h as isize, g.w as isize);
    for (col, slot) in out.iter_mut().enumerate() {
        let p = r * w + col;
        let here = dens[p];
        let mut closest = f64::MAX;
        let mut parent = p;
        for &(dr, dc, spatial) in offsets {
            if spatial > closest {
                break;
            }
            let (rr, cc) = (r as isize + dr, col as isize + dc);
            if rr < 0 || rr >= hh || cc < 0 || cc >= ww {
                continue;
            }
            let q = rr as usize * w + cc as usize;
            if dens[q] <= here {
                continue;
            }
            let mut d = 0.0;
            for k in 0..g.c {
                let t = planes[k * n + p] - planes[k * n + q];
                d += t * t;
            }
            d += (dr * dr) as f64;
            d += (dc * dc) as f64;
            if d < closest || (d == closest && q < parent) {
                closest = d;
                parent = q;
            }
        }
        *slot = if closest.sqrt() > max_dist { p } else { parent };
    }
}

/// Segments `image` (height × width × channels, values as
/// `skimage.util.img_as_float` gives them) by quick shift.
///
/// `noise` holds `height * width` tie-breaking values (row-major) that start
/// the density sums (scikit-image adds normal noise of scale 1e-5); an empty
/// slice means no noise. Returns the label of every pixel, `0..n_segments`,
/// numbered by the row-major position of the segments' roots.
pub fn quickshift(
    image: ArrayView3<f64>,
    params: &QuickshiftParams,
    noise: &[f64],
) -> Result<Array2<i64>> {
    params.check()?;
    let (h, w, c) = image.dim();
    if h == 0 || w == 0 || c == 0 {
        return Err(LimeError::shape(
            "image",
            format!("must not be empty, got shape ({h}, {w}, {c})"),
        ));
    }
    ensure_finite("image", image.iter())?;
    let n = h * w;
    if !noise.is_empty() && noise.len() != n {
        return Err(LimeError::shape(
            "noise",
            format!("must hold one value per pixel ({n}), got {}", noise.len()),
        ));
    }
    ensure_finite("noise", noise.iter())?;
    let planes = feature_planes(&image, params)?;

    // Window half-width: ceil(3 * kernel_size), no wider than the image.
    let half = (3.0 * params.kernel_size).ceil().min(h.max(w) as f64) as usize;
    let g = Grid { h, w, c, half };
    let inv = -0.5 / (params.kernel_size * params.kernel_size);

    let start = if noise.is_empty() {
        vec![0.0; n]
    } else {
        noise.to_vec()
    };
    let dens = densities(&planes, g, inv, start)?;

    let offsets = offsets_by_distance(half);
    let mut parent = vec![0usize; n];
    crate::pool::for_each_long(parent.chunks_mut(w).collect(), |r, out| {
        if crate::interrupt::check().is_ok() {
            link_row(&planes, &dens, g, r, &offsets, params.max_dist, out)
        }
    });
    crate::interrupt::check()?;

    Array2::from_shape_vec((h, w), label_trees(parent))
        .map_err(|e| LimeError::shape("image", e.to_string()))
}

/// Numbers the trees of a forest given by parent links (parents are strictly
/// denser, so there are no cycles): label of a pixel = rank of its root among
/// all roots in index order.
pub(super) fn label_trees(mut parent: Vec<usize>) -> Vec<i64> {
    let n = parent.len();
    let mut stack = Vec::new();
    for p in 0..n {
        let mut q = p;
        while parent[q] != q {
            stack.push(q);
            q = parent[q];
        }
        for s in stack.drain(..) {
            parent[s] = q;
        }
    }
    let mut label = vec![-1i64; n];
    let mut next = 0;
    for p in 0..n {
        if parent[p] == p {
            label[p] = next;
            next += 1;
        }
    }
    parent.iter().map(|&root| label[root]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    /// The textbook algorithm, term by term with the platform exp.
    fn reference(image: &Array3<f64>, p: &QuickshiftParams, noise: &[f64]) -> Vec<i64> {
        let (h, w, c) = image.dim();
        let x = |r: usize, col: usize, k: usize| image[[r, col, k]] * p.ratio;
        let half = (3.0 * p.kernel_size).ceil() as isize;
        let inv = -0.5 / (p.kernel_size * p.kernel_size);
        let dist = |r: usize, col: usize, rr: usize, cc: usize| {
            let mut d = 0.0;
            for k in 0..c {
                let t = x(r, col, k) - x(rr, cc, k);
                d += t * t;
            }
            let t = r as f64 - rr as f64;
            d += t * t;
            let t = col as f64 - cc as f64;
            d + t * t
        };
        let window = |r: usize, col: usize| {
            let rs = (r as isize - half).max(0) as usize
                ..(r as isize + half + 1).min(h as isize) as usize;
            let cs = (col as isize - half).max(0) as usize
                ..(col as isize + half + 1).min(w as isize) as usize;
            rs.flat_map(move |rr| cs.clone().map(move |cc| (rr, cc)))
        };
        let mut dens = noise.to_vec();
        for r in 0..h {
            for col in 0..w {
                for (rr, cc) in window(r, col) {
                    dens[r * w + col] += (dist(r, col, rr, cc) * inv).exp();
                }
            }
        }
        let mut parent: Vec<usize> = (0..h * w).collect();
        for r in 0..h {
            for col in 0..w {
                let mut closest = f64::MAX;
                for (rr, cc) in window(r, col) {
                    if dens[rr * w + cc] > dens[r * w + col] {
                        let d = dist(r, col, rr, cc);
                        if d < closest {
                            closest = d;
                            parent[r * w + col] = rr * w + cc;
                        }
                    }
                }
                if closest.sqrt() > p.max_dist {
                    parent[r * w + col] = r * w + col;
                }
            }
        }
        label_trees(parent)
    }

    fn test_image(h: usize, w: usize, seed: u64) -> Array3<f64> {
        use rand::RngExt;
        let mut rng = crate::rng::stream(seed, &[]);
        // Four flat quadrants with a little texture, plus a few exact ties.
        Array3::from_shape_fn((h, w, 3), |(r, col, k)| {
            let base = [
                [0.9, 0.1, 0.1],
                [0.1, 0.8, 0.2],
                [0.2, 0.2, 0.9],
                [0.7, 0.7, 0.1],
            ];
            let q = (r * 2 / h) * 2 + col * 2 / w;
            let jitter: f64 = if (r + col) % 5 == 0 {
                0.0
            } else {
                rng.random::<f64>() * 0.05
            };
            base[q][k] + jitter
        })
    }

    fn noise(n: usize, seed: u64) -> Vec<f64> {
        use rand::RngExt;
        let mut rng = crate::rng::stream(seed, &[1]);
        (0..n).map(|_| (rng.random::<f64>() - 0.5) * 2e-5).collect()
    }

    #[test]
    fn equals_reference_implementation() {
        for (seed, params) in [
            (
                1,
                QuickshiftParams {
                    ratio: 0.5,
                    kernel_size: 2.0,
                    max_dist: 6.0,
                    convert2lab: true,
                },
            ),
            (
                2,
                QuickshiftParams {
                    ratio: 0.2,
                    kernel_size: 1.5,
                    max_dist: 200.0,
                    convert2lab: true,
                },
            ),
            (
                3,
                QuickshiftParams {
                    ratio: 1.0,
                    kernel_size: 1.0,
                    max_dist: 3.0,
                    convert2lab: false,
                },
            ),
        ] {
            let img = test_image(23, 31, seed);
            let nz = noise(23 * 31, seed);
            let got = quickshift(img.view(), &params, &nz).unwrap();
            // The reference works on the converted image.
            let conv = if params.convert2lab {
                let mut lab = img.clone();
                for mut px in lab.lanes_mut(ndarray::Axis(2)) {
                    let v = super::super::colour::rgb_pixel_to_lab([px[0], px[1], px[2]]);
                    px.assign(&ndarray::arr1(&v));
                }
                lab
            } else {
                img.clone()
            };
            let want = reference(&conv, &params, &nz);
            let agree = got.iter().zip(&want).filter(|(a, b)| a == b).count();
            assert_eq!(
                agree,
                want.len(),
                "seed {seed}: {agree}/{} labels agree",
                want.len()
            );
        }
    }

    #[test]
    fn labels_are_consecutive_and_quadrants_split() {
        let img = test_image(40, 40, 9);
        let p = QuickshiftParams {
            ratio: 1.0,
            kernel_size: 2.0,
            max_dist: 10.0,
            convert2lab: true,
        };
        let seg = quickshift(img.view(), &p, &noise(1600, 9)).unwrap();
        let max = *seg.iter().max().unwrap();
        let mut seen = vec![false; max as usize + 1];
        seg.iter().for_each(|&l| seen[l as usize] = true);
        assert!(seen.iter().all(|&s| s));
        // No segment straddles two quadrants of very different colour.
        for q in 0..4 {
            for r in 0..40 {
                for col in 0..40 {
                    let quad = (r / 20) * 2 + col / 20;
                    if quad != q {
                        continue;
                    }
                    let other = seg.indexed_iter().find(|((r2, c2), &l)| {
                        l == seg[[r, col]] && (r2 / 20) * 2 + c2 / 20 != quad
                    });
                    assert!(other.is_none());
                }
            }
        }
    }

    #[test]
    fn independent_of_thread_count_and_deterministic() {
        let img = test_image(50, 37, 4);
        let p = QuickshiftParams {
            ratio: 0.3,
            kernel_size: 3.0,
            max_dist: 50.0,
            convert2lab: true,
        };
        let nz = noise(50 * 37, 4);
        let a = quickshift(img.view(), &p, &nz).unwrap();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let b = one.install(|| quickshift(img.view(), &p, &nz).unwrap());
        assert_eq!(a, b);
    }

    #[test]
    fn rejects_bad_input() {
        let img = test_image(8, 8, 1);
        let p = QuickshiftParams::default();
        assert!(quickshift(
            img.view(),
            &QuickshiftParams {
                kernel_size: 0.5,
                ..p
            },
            &[]
        )
        .is_err());
        assert!(quickshift(
            img.view(),
            &QuickshiftParams {
                ratio: f64::NAN,
                ..p
            },
            &[]
        )
        .is_err());
        assert!(quickshift(img.view(), &p, &[0.0; 3]).is_err());
        let mut bad = img.clone();
        bad[[1, 1, 1]] = f64::NAN;
        assert!(quickshift(bad.view(), &p, &[]).is_err());
        let four = Array3::<f64>::zeros((4, 4, 4));
        assert!(quickshift(four.view(), &p, &[]).is_err());
        assert!(quickshift(
            four.view(),
            &QuickshiftParams {
                convert2lab: false,
                ..p
            },
            &[]
        )
        .is_ok());
        let empty = Array3::<f64>::zeros((0, 4, 3));
        assert!(quickshift(empty.view(), &p, &[]).is_err());
        // A huge kernel is clipped to the image.
        assert!(quickshift(
            img.view(),
            &QuickshiftParams {
                kernel_size: 1e12,
                ..p
            },
            &[]
        )
        .is_ok());
    }
}
