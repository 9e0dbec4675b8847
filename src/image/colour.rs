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
    [116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])]
}

/// Converts interleaved RGB pixels (`[r, g, b, r, g, b, ...]`) to interleaved Lab.
pub fn rgb_to_lab(rgb: &[f64]) -> Result<Vec<f64>> {
    if rgb.len() % 3 != 0 {
        return Err(LimeError::shape(
            "image",
            format!("RGB data must hold 3 values per pixel, got {} values", rgb.len()),
        ));
    }
    ensure_finite("image", rgb.iter())?;
    let mut out = vec![0.0; rgb.len()];
    let convert = |(src, dst): (&[f64], &mut [f64])| {
        for (p, q) in src.chunks_exact(3).zip(dst.chunks_exact_mut(3)) {
            q.copy_from_slice(&rgb_pixel_to_lab([p[0], p[1], p[2]]));
        }
    };
    if rgb.len() < 3 * PIXELS_PER_TASK {
        convert((rgb, &mut out));
    } else {
        crate::pool::install(|| {
            rgb.par_chunks(3 * PIXELS_PER_TASK).zip(out.par_chunks_mut(3 * PIXELS_PER_TASK)).for_each(convert)
        });
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
            ([0.2, 0.2, 0.2], [21.2467313, -7.88262163e-04, 1.49417868e-03]),
        ];
        for (rgb, lab) in cases {
            assert!(close(rgb_pixel_to_lab(rgb), lab, 1e-6), "{rgb:?}: {:?}", rgb_pixel_to_lab(rgb));
        }
    }

    #[test]
    fn checks_input() {
        assert!(rgb_to_lab(&[0.0, 1.0]).is_err());
        assert!(rgb_to_lab(&[0.0, f64::NAN, 1.0]).is_err());
        let many = vec![0.5; 3 * 5000];
        let lab = rgb_to_lab(&many).unwrap();
        assert!(lab.chunks(3).all(|p| close([p[0], p[1], p[2]], rgb_pixel_to_lab([0.5; 3]), 0.0)));
    }
}
