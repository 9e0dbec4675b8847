//! The neighbourhood of an image explanation: which superpixels each sample
//! keeps (a 0/1 mask row per sample, row 0 keeps everything, as lime), and the
//! perturbed images those rows stand for: a kept superpixel shows the image,
//! a hidden one the "fudged" image (its mean colour, or `hide_color`).
//!
//! Pixels are handled as opaque blocks of bytes (`channels * itemsize`), so
//! one code path serves every dtype; a superpixel is a list of runs of
//! consecutive pixels, copied with `copy_from_slice`.

use ndarray::{Array2, ArrayView2};
use rand::RngExt;
use rayon::prelude::*;

use crate::error::{LimeError, Result};

/// Stream id of the image masks below an explanation's seed.
const MASK_STREAM: u64 = 0x494d_4147_455f_4d53; // "IMAGE_MS"

/// `num_samples` rows of `n_features` zeros and ones, each 1 with probability
/// 1/2 (as lime's `randint(0, 2)`), row 0 all ones. Row `i` is drawn from its
/// own stream below `seed`, so any row can be recomputed on its own.
pub fn masks(seed: u64, num_samples: usize, n_features: usize) -> Result<Array2<f64>> {
    if num_samples == 0 {
        return Err(LimeError::invalid(
            "num_samples",
            "must be at least 1, got 0",
        ));
    }
    if n_features == 0 {
        return Err(LimeError::invalid(
            "segments",
            "there must be at least one superpixel",
        ));
    }
    let mut out = Array2::<f64>::ones((num_samples, n_features));
    for (i, mut row) in out.rows_mut().into_iter().enumerate().skip(1) {
        let mut rng = crate::rng::stream(seed, &[MASK_STREAM, i as u64]);
        let mut bits = 0u64;
        for (j, v) in row.iter_mut().enumerate() {
            if j % 64 == 0 {
                bits = rng.random();
            }
            *v = (bits & 1) as f64;
            bits >>= 1;
        }
    }
    Ok(out)
}

/// Runs of consecutive pixels (row-major) that belong to the same superpixel.
#[derive(Debug, Clone, PartialEq)]
pub struct PixelRuns {
    /// (first pixel, number of pixels, feature)
    runs: Vec<(usize, usize, usize)>,
    n_pixels: usize,
    n_features: usize,
}

impl PixelRuns {
    /// `pixel_feature[p]` is the feature (mask column, `0..n_features`) of pixel `p`.
    pub fn new(pixel_feature: &[i64], n_features: usize) -> Result<PixelRuns> {
        if pixel_feature.is_empty() {
            return Err(LimeError::shape("segments", "the image has no pixels"));
        }
        let mut runs: Vec<(usize, usize, usize)> = Vec::new();
        for (p, &f) in pixel_feature.iter().enumerate() {
            if f < 0 || f as usize >= n_features {
                return Err(LimeError::invalid(
                    "segments",
                    format!("pixel {p} has feature {f}, expected 0..{n_features}"),
                ));
            }
            let f = f as usize;
            match runs.last_mut() {
                Some(last) if last.2 == f => last.1 += 1,
                _ => runs.push((p, 1, f)),
            }
        }
        Ok(PixelRuns {
            runs,
            n_pixels: pixel_feature.len(),
            n_features,
        })
    }

    pub fn n_pixels(&self) -> usize {
        self.n_pixels
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Writes one perturbed image per row of `masks` into `out`
    /// (`masks.nrows() * image.len()` bytes): pixel blocks of `pixel_bytes`
    /// bytes come from `image` where the pixel's feature is non-zero in the
    /// row, from `fudged` elsewhere. Images are filled in parallel.
    pub fn fill(
        &self,
        image: &[u8],
        fudged: &[u8],
        pixel_bytes: usize,
        masks: ArrayView2<f64>,
        out: &mut [u8],
    ) -> Result<()> {
        let size = self.n_pixels * pixel_bytes;
        if pixel_bytes == 0 || image.len() != size || fudged.len() != size {
            return Err(LimeError::shape(
                "image",
                format!(
                    "expected {} pixels of {pixel_bytes} bytes ({size} bytes) for the image and the \
                     fudged image, got {} and {}",
                    self.n_pixels,
                    image.len(),
                    fudged.len()
                ),
            ));
        }
        if masks.ncols() != self.n_features {
            return Err(LimeError::shape(
                "data",
                format!(
                    "mask rows have {} columns, expected {} superpixels",
                    masks.ncols(),
                    self.n_features
                ),
            ));
        }
        if out.len() != masks.nrows() * size {
            return Err(LimeError::shape(
                "out",
                format!(
                    "holds {} bytes, expected {} images of {size} bytes",
                    out.len(),
                    masks.nrows()
                ),
            ));
        }
        if masks.nrows() == 0 {
            return Ok(());
        }
        let one = |(i, dst): (usize, &mut [u8])| {
            let row = masks.row(i);
            for &(start, len, f) in &self.runs {
                let src = if row[f] != 0.0 { image } else { fudged };
                let (a, b) = (start * pixel_bytes, (start + len) * pixel_bytes);
                dst[a..b].copy_from_slice(&src[a..b]);
            }
        };
        crate::pool::install(|| out.par_chunks_mut(size).enumerate().for_each(one));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn masks_are_reproducible_balanced_and_start_with_ones() {
        let a = masks(11, 400, 70).unwrap();
        assert_eq!(a, masks(11, 400, 70).unwrap());
        assert_ne!(a, masks(12, 400, 70).unwrap());
        assert!(a.row(0).iter().all(|&v| v == 1.0));
        assert!(a.iter().all(|&v| v == 0.0 || v == 1.0));
        let mean = a.slice(ndarray::s![1.., ..]).mean().unwrap();
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        // Row i does not depend on how many rows were drawn.
        assert_eq!(masks(11, 10, 70).unwrap().row(9), a.row(9));
        assert!(masks(1, 0, 3).is_err() && masks(1, 3, 0).is_err());
    }

    #[test]
    fn fill_picks_pixels_by_mask() {
        // 2 x 3 image, features [0 0 1; 2 2 1], 2 bytes per pixel.
        let feats = [0i64, 0, 1, 2, 2, 1];
        let runs = PixelRuns::new(&feats, 3).unwrap();
        let image: Vec<u8> = (0..12).collect();
        let fudged = vec![200u8; 12];
        let m = array![[1.0, 1.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]];
        let mut out = vec![0u8; 36];
        runs.fill(&image, &fudged, 2, m.view(), &mut out).unwrap();
        assert_eq!(&out[..12], &image[..]);
        assert_eq!(
            &out[12..24],
            &[200, 200, 200, 200, 4, 5, 200, 200, 200, 200, 10, 11]
        );
        assert_eq!(&out[24..], &[0, 1, 2, 3, 200, 200, 6, 7, 8, 9, 200, 200]);
    }

    #[test]
    fn fill_checks_sizes() {
        let runs = PixelRuns::new(&[0, 1], 2).unwrap();
        let m = array![[1.0, 0.0]];
        let mut out = vec![0u8; 2];
        assert!(runs.fill(&[1, 2], &[3, 4], 1, m.view(), &mut out).is_ok());
        assert_eq!(out, vec![1, 4]);
        assert!(runs
            .fill(&[1, 2, 3], &[3, 4], 1, m.view(), &mut out)
            .is_err());
        assert!(runs
            .fill(&[1, 2], &[3, 4], 1, array![[1.0]].view(), &mut out)
            .is_err());
        assert!(runs
            .fill(&[1, 2], &[3, 4], 1, m.view(), &mut [0u8; 3])
            .is_err());
        assert!(PixelRuns::new(&[0, 2], 2).is_err());
        assert!(PixelRuns::new(&[0, -1], 2).is_err());
        assert!(PixelRuns::new(&[], 2).is_err());
    }
}
