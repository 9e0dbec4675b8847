//! Bindings of the image core: quickshift, Lab conversion, masks and the
//! batch perturbation.

use numpy::{
    IntoPyArray, PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3,
    PyReadwriteArray3,
};
use pyo3::prelude::*;

use super::{detach, IntoPyResult};
use crate::image::{colour, masks, quickshift, quickshift_f32, PixelRuns, QuickshiftParams};

/// Quick shift labels (height, width) of a float image (height, width, channels).
#[pyfunction]
#[pyo3(signature = (image, ratio, kernel_size, max_dist, convert2lab, noise))]
fn quickshift_segments<'py>(
    py: Python<'py>,
    image: PyReadonlyArray3<'py, f64>,
    ratio: f64,
    kernel_size: f64,
    max_dist: f64,
    convert2lab: bool,
    noise: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    let params = QuickshiftParams {
        ratio,
        kernel_size,
        max_dist,
        convert2lab,
    };
    let (img, nz) = (image.as_array(), noise.as_array());
    let nz = nz
        .as_slice()
        .ok_or_else(|| pyo3::exceptions::PyValueError::new_err("noise must be C-contiguous"))?;
    let seg = detach(py, || quickshift(img, &params, nz))?;
    Ok(seg.into_pyarray(py))
}

/// Quick shift labels of a float32 feature image (already Lab, times ratio),
/// in single precision as scikit-image computes them for float32 images.
#[pyfunction]
#[pyo3(signature = (image, kernel_size, max_dist, noise))]
fn quickshift_segments_f32<'py>(
    py: Python<'py>,
    image: PyReadonlyArray3<'py, f32>,
    kernel_size: f64,
    max_dist: f64,
    noise: PyReadonlyArray2<'py, f32>,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    let (img, nz) = (image.as_array(), noise.as_array());
    let nz = nz
        .as_slice()
        .ok_or_else(|| pyo3::exceptions::PyValueError::new_err("noise must be C-contiguous"))?;
    let seg = detach(py, || quickshift_f32(img, kernel_size, max_dist, nz))?;
    Ok(seg.into_pyarray(py))
}

/// RGB (height, width, 3) in [0, 1] -> CIE Lab, as skimage.color.rgb2lab.
#[pyfunction]
fn rgb2lab<'py>(
    py: Python<'py>,
    image: PyReadonlyArray3<'py, f64>,
) -> PyResult<Bound<'py, PyArray3<f64>>> {
    let dim = image.as_array().dim();
    if dim.2 != 3 {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "image: expected 3 channels (RGB), got an array of shape {dim:?}"
        )));
    }
    let data = image.as_slice()?;
    let lab = py.detach(|| colour::rgb_to_lab(data)).py()?;
    let arr = ndarray::Array3::from_shape_vec(dim, lab)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(arr.into_pyarray(py))
}

/// 0/1 masks (num_samples, n_features) drawn from `seed`, row 0 all ones.
#[pyfunction]
fn image_masks<'py>(
    py: Python<'py>,
    seed: u64,
    num_samples: usize,
    n_features: usize,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    crate::alloc::ensure_room(num_samples, n_features, "num_samples").py()?;
    let m = py.detach(|| masks(seed, num_samples, n_features)).py()?;
    Ok(m.into_pyarray(py))
}

/// Writes perturbed images into a caller-owned batch buffer.
///
/// The image and the fudged image are given as bytes, one row per pixel
/// (pixels, channels * itemsize); `fill` writes `len(masks)` images into `out`
/// (batch, pixels, channels * itemsize), a byte view of the batch array.
#[pyclass(module = "lime_rs._native", frozen)]
struct ImagePerturber {
    image: Vec<u8>,
    fudged: Vec<u8>,
    pixel_bytes: usize,
    runs: PixelRuns,
}

#[pymethods]
impl ImagePerturber {
    #[new]
    fn new(
        image: PyReadonlyArray2<'_, u8>,
        fudged: PyReadonlyArray2<'_, u8>,
        pixel_feature: PyReadonlyArray1<'_, i64>,
        n_features: usize,
    ) -> PyResult<Self> {
        let (im, fu) = (image.as_array(), fudged.as_array());
        if im.dim() != fu.dim() {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "fudged_image: shape {:?} differs from the image's {:?}",
                fu.dim(),
                im.dim()
            )));
        }
        let runs = PixelRuns::new(pixel_feature.as_slice()?, n_features).py()?;
        if runs.n_pixels() != im.nrows() {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "segments: {} pixels, but the image has {}",
                runs.n_pixels(),
                im.nrows()
            )));
        }
        Ok(ImagePerturber {
            image: im.iter().copied().collect(),
            fudged: fu.iter().copied().collect(),
            pixel_bytes: im.ncols(),
            runs,
        })
    }

    fn fill(
        &self,
        py: Python<'_>,
        masks: PyReadonlyArray2<'_, f64>,
        mut out: PyReadwriteArray3<'_, u8>,
    ) -> PyResult<()> {
        let m = masks.as_array();
        let dst = out.as_slice_mut()?;
        py.detach(|| {
            self.runs
                .fill(&self.image, &self.fudged, self.pixel_bytes, m, dst)
        })
        .py()
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(quickshift_segments, m)?)?;
    m.add_function(wrap_pyfunction!(quickshift_segments_f32, m)?)?;
    m.add_function(wrap_pyfunction!(rgb2lab, m)?)?;
    m.add_function(wrap_pyfunction!(image_masks, m)?)?;
    m.add_class::<ImagePerturber>()?;
    Ok(())
}
