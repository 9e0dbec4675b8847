//! sRGB -> CIE Lab, with the constants and the piecewise formulas of
//! `skimage.color.rgb2lab` (illuminant D65, 2° observer): sRGB gamma
//! expansion, the linear RGB -> XYZ matrix, division by the white point and
//! the CIE f(t) (cube root above 0.008856, linear below).
//!
//! Values outside [0, 1] are converted by the same formulas (no clipping), as
//! scikit-image does.

use rayon::prelude::*;

use crate::error::{ensure_finite, LimeError, Result};

/// Linear RGB -> XYZ (sRGB primaries, D65).
const RGB_TO_XYZ: [[f64; 3]; 3] = [
    [0.412453, 0.357580, 0.180423],
    [0.212671, 0.715160, 0.072169],
    [0.019334, 0.119193, 0.950227],
];

/// XYZ of the D65 white, 2° observer.
const WHITE_D65: [f64; 3] = [0.95047, 1.0, 1.08883];

/// Pixels per parallel task (fixed, so the split never depends on threads;
/// every pixel is converted independently anyway).
const PIXELS_PER_TASK: usize = 4096;

#[inline]
fn expand_gamma(v: f64) -> f64 {
    if v > 0.04045 {
        ((v + 0.055) / 1.055).powf(2.4)
    } else {
        v / 12.92
    }
}

#[inline]
fn cie_f(t: f64) -> f64 {
    if t > 0.008856 {
        t.cbrt()
    } else {
        7.787 * t + 16.0 / 116.0
    }
}

/// One pixel: (r, g, b) in [0, 1] -> (L, a, b).
#[inline]
pub fn rgb_pixel_to_lab(rgb: [f64; 3]) -> [f64; 3] {
    let lin = rgb.map(expand_gamma);
    let mut f = [0.0; 3];
    for (k, row) in RGB_TO_XYZ.iter().enumerate() {
        let xyz = lin[0] * row[0] + lin[1] * row[1] + lin[2] * row[2];
        f[k] = cie_f(xyz / WHITE_D65[k]);
    }
    [
        116.0 * f[1] - 16.0,
        500.0 * (f[0] - f[1]),
        200.0 * (f[1] - f[2]),
    ]
}

/// Remembers `expand_gamma` of recent inputs (direct-mapped on the bits):
/// images with few distinct channel values (8-bit ones: 256) pay for the
/// `powf` once per value.
struct GammaCache {
    keys: Vec<u64>,
    values: Vec<f64>,
}

impl GammaCache {
    const BITS: u32 = 10;

    fn new() -> Self {
        // u64::MAX is a NaN pattern: never the bits of a (finite) input.
        GammaCache {
            keys: vec![u64::MAX; 1 << Self::BITS],
            values: vec![0.0; 1 << Self::BITS],
        }
    }

    #[inline]
    fn expand(&mut self, v: f64) -> f64 {
        let bits = v.to_bits();
        let i = (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::BITS)) as usize;
        if self.keys[i] != bits {
            self.keys[i] = bits;
            self.values[i] = expand_gamma(v);
        }
        self.values[i]
    }
}

/// `cbrt(t)` for `1e-30 < t < 1e30` in arithmetic only (vectorises): a bit
/// trick on the f32 value gives 5% and three Halley steps give full precision.
#[inline(always)]
fn cbrt_in_range(t: f64) -> f64 {
    let guess = f32::from_bits((t as f32).to_bits() / 3 + 709_958_130);
    let mut y = guess as f64;
    for _ in 0..3 {
        let y3 = y * y * y;
        y *= (y3 + 2.0 * t) / (2.0 * y3 + t);
    }
    y
}

/// CIE f(t) of every value of `t`, into `out`.
fn cie_f_slice(t: &[f64], out: &mut [f64]) {
    for (o, &v) in out.iter_mut().zip(t) {
        // Both branches are computed (so the loop vectorises); the cube root
        // of a small or negative value is discarded.
        let root = cbrt_in_range(v.max(1e-3));
        *o = if v > 0.008856 {
            root
        } else {
            7.787 * v + 16.0 / 116.0
        };
    }
    for (o, &v) in out.iter_mut().zip(t) {
        if v > 1e30 {
            *o = v.cbrt();
        }
    }
}

/// A block of pixels and its three output planes.
type LabBlock<'a> = (((&'a [f64], &'a mut [f64]), &'a mut [f64]), &'a mut [f64]);

/// Pixels per block of the planar conversion.
const BLOCK: usize = 256;

/// Converts interleaved RGB pixels (`[r, g, b, r, g, b, ...]`, finite) into
/// one plane each of L, a and b.
fn rgb_to_lab_block(
    rgb: &[f64],
    cache: &mut GammaCache,
    l: &mut [f64],
    a: &mut [f64],
    b: &mut [f64],
) {
    let mut xyz = [[0.0; BLOCK]; 3];
    let mut f = [[0.0; BLOCK]; 3];
    for chunk in 0..l.len().div_ceil(BLOCK) {
        let lo = chunk * BLOCK;
        let m = (l.len() - lo).min(BLOCK);
        for (i, p) in rgb[3 * lo..3 * (lo + m)].chunks_exact(3).enumerate() {
            let lin = [cache.expand(p[0]), cache.expand(p[1]), cache.expand(p[2])];
            for (k, row) in RGB_TO_XYZ.iter().enumerate() {
                xyz[k][i] = (lin[0] * row[0] + lin[1] * row[1] + lin[2] * row[2]) / WHITE_D65[k];
            }
        }
        for k in 0..3 {
            cie_f_slice(&xyz[k][..m], &mut f[k][..m]);
        }
        for i in 0..m {
            l[lo + i] = 116.0 * f[1][i] - 16.0;
            a[lo + i] = 500.0 * (f[0][i] - f[1][i]);
            b[lo + i] = 200.0 * (f[1][i] - f[2][i]);
        }
    }
}

/// Converts interleaved RGB pixels into planar L, a, b (each `rgb.len() / 3`
/// long), in parallel over fixed blocks of pixels.
pub fn rgb_to_lab_planes(rgb: &[f64], l: &mut [f64], a: &mut [f64], b: &mut [f64]) -> Result<()> {
    let n = rgb.len() / 3;
    if !rgb.len().is_multiple_of(3) || l.len() != n || a.len() != n || b.len() != n {
        return Err(LimeError::shape(
            "image",
            format!(
                "RGB data must hold 3 values per pixel, got {} values",
                rgb.len()
            ),
        ));
    }
    ensure_finite("image", rgb.iter())?;
    let convert =
        |(((src, l), a), b): LabBlock<'_>| rgb_to_lab_block(src, &mut GammaCache::new(), l, a, b);
    if n <= PIXELS_PER_TASK {
        convert((((rgb, l), a), b));
    } else {
        crate::pool::install(|| {
            rgb.par_chunks(3 * PIXELS_PER_TASK)
                .zip(l.par_chunks_mut(PIXELS_PER_TASK))
                .zip(a.par_chunks_mut(PIXELS_PER_TASK))
                .zip(b.par_chunks_mut(PIXELS_PER_TASK))
                .for_each(convert)
        });
    }
    Ok(())
}

/// Converts interleaved RGB pixels (`[r, g, b, r, g, b, ...]`) to interleaved Lab.
pub fn rgb_to_lab(rgb: &[f64]) -> Result<Vec<f64>> {
    if !rgb.len().is_multiple_of(3) {
        return Err(LimeError::shape(
            "image",
            format!(
                "RGB data must hold 3 values per pixel, got {} values",
                rgb.len()
            ),
        ));
    }
    let n = rgb.len() / 3;
    let mut planes = vec![0.0; 3 * n];
    let (l, rest) = planes.split_at_mut(n);
    let (a, b) = rest.split_at_mut(n);
    rgb_to_lab_planes(rgb, l, a, b)?;
    let mut out = vec![0.0; 3 * n];
    for (i, px) in out.chunks_exact_mut(3).enumerate() {
        px.copy_from_slice(&[planes[i], planes[n + i], planes[2 * n + i]]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f64; 3], b: [f64; 3], tol: f64) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
    }

    #[test]
    fn known_colours() {
        // Reference values from skimage.color.rgb2lab (its white point and
        // matrix leave a trace of chroma on greys).
        let cases = [
            ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
            ([1.0, 1.0, 1.0], [100.0, -2.45493786e-03, 4.65342115e-03]),
            ([1.0, 0.0, 0.0], [53.2405879, 80.0923082, 67.2027510]),
            ([0.0, 1.0, 0.0], [87.7350995, -86.1830297, 83.1797032]),
            ([0.0, 0.0, 1.0], [32.2956726, 79.1855909, -107.857300]),
            (
                [0.2, 0.2, 0.2],
                [21.2467313, -7.88262163e-04, 1.49417868e-03],
            ),
        ];
        for (rgb, lab) in cases {
            assert!(
                close(rgb_pixel_to_lab(rgb), lab, 1e-6),
                "{rgb:?}: {:?}",
                rgb_pixel_to_lab(rgb)
            );
        }
    }

    #[test]
    fn checks_input() {
        assert!(rgb_to_lab(&[0.0, 1.0]).is_err());
        assert!(rgb_to_lab(&[0.0, f64::NAN, 1.0]).is_err());
        let many = vec![0.5; 3 * 5000];
        let lab = rgb_to_lab(&many).unwrap();
        assert!(lab.chunks(3).all(|p| close(
            [p[0], p[1], p[2]],
            rgb_pixel_to_lab([0.5; 3]),
            1e-12
        )));
    }

    #[test]
    fn planar_conversion_matches_per_pixel() {
        use rand::RngExt;
        let mut rng = crate::rng::stream(3, &[]);
        // 8-bit values (cache hits), arbitrary floats, out-of-range and tiny values.
        let mut rgb: Vec<f64> = (0..3 * 5000)
            .map(|i| {
                if i % 2 == 0 {
                    (i % 256) as f64 / 255.0
                } else {
                    rng.random()
                }
            })
            .collect();
        rgb.extend([1e-40, 0.0, 1e-300, -0.5, 2.0, 7.0, 1e12, 1e35, 0.5]);
        let lab = rgb_to_lab(&rgb).unwrap();
        for (p, q) in rgb.chunks(3).zip(lab.chunks(3)) {
            let want = rgb_pixel_to_lab([p[0], p[1], p[2]]);
            for k in 0..3 {
                let tol = 1e-12 * want[k].abs().max(1.0);
                assert!((q[k] - want[k]).abs() <= tol, "{p:?}: {q:?} vs {want:?}");
            }
        }
    }
}
