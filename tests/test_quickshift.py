"""Rust quick shift (lime_rs.wrappers.scikit_image.quickshift_rs) against
scikit-image's quickshift, and its argument checking."""

import os
import subprocess
import sys

import numpy as np
import pytest
from skimage import data as skimage_data
from skimage import segmentation, transform

from lime_rs import _native
from lime_rs.wrappers.scikit_image import SegmentationAlgorithm, quickshift_rs

LIME_DEFAULT = {"kernel_size": 4, "max_dist": 200, "ratio": 0.2}


def bundled(name, size):
    """A scikit-image bundled image resized to size x size, as uint8."""
    img = getattr(skimage_data, name)()
    return (transform.resize(img, (size, size), anti_aliasing=True) * 255).astype(np.uint8)


def agreement(a, b):
    from sklearn.metrics import adjusted_rand_score

    return adjusted_rand_score(a.ravel(), b.ravel())


@pytest.mark.parametrize("name", ["astronaut", "chelsea", "coffee"])
def test_matches_skimage_on_bundled_images_with_lime_parameters(name):
    img = bundled(name, 224)
    ours = quickshift_rs(img, **LIME_DEFAULT)
    ref = segmentation.quickshift(img, **LIME_DEFAULT)
    assert ours.shape == ref.shape == (224, 224)
    assert ours.dtype == np.int64
    assert agreement(ours, ref) >= 0.8
    n_ours, n_ref = len(np.unique(ours)), len(np.unique(ref))
    assert abs(n_ours - n_ref) <= 0.15 * n_ref
    # Labels are 0..n-1, as scikit-image's.
    assert np.array_equal(np.unique(ours), np.arange(n_ours))


@pytest.mark.parametrize(
    "params",
    [
        {"kernel_size": 3, "max_dist": 6, "ratio": 0.5},
        {"kernel_size": 2, "max_dist": 10, "ratio": 1.0, "rng": 7},
        {"kernel_size": 2.5, "max_dist": 8, "ratio": 0.8, "sigma": 1.0},
        {"kernel_size": 2, "max_dist": 5, "ratio": 0.5, "convert2lab": False},
    ],
)
def test_matches_skimage_with_other_parameters(params):
    img = bundled("chelsea", 96)
    ours = quickshift_rs(img, **params)
    ref = segmentation.quickshift(img, **params)
    assert agreement(ours, ref) >= 0.8
    n_ours, n_ref = len(np.unique(ours)), len(np.unique(ref))
    assert abs(n_ours - n_ref) <= 0.15 * n_ref


def letterboxed(name, size):
    """A bundled picture in [0, 1] with flat bands (a letterbox and a plain
    margin): flat regions are where float32 densities tie and the precision
    of the sums decides the roots."""
    x = transform.resize(getattr(skimage_data, name)(), (size, size), anti_aliasing=True)
    x[: size // 4] = 0.0
    x[:, -size // 5 :] = 0.9
    return x


DTYPES = {
    "float32[-1,1]": lambda x: (x * 2 - 1).astype(np.float32),  # lime's Keras tutorials
    "float32": lambda x: x.astype(np.float32),
    "float16": lambda x: x.astype(np.float16),
    "uint16": lambda x: (x * 65535).astype(np.uint16),
    "int": lambda x: (x * 255).astype(np.int64),
    "bool": lambda x: x > 0.5,
}


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("name", ["astronaut", "chelsea", "coffee"])
def test_matches_skimage_for_every_dtype(name, dtype):
    # scikit-image segments float16/float32 in float32 and the rest in float64.
    img = DTYPES[dtype](letterboxed(name, 96))
    ours = quickshift_rs(img, random_seed=3, **LIME_DEFAULT)
    ref = segmentation.quickshift(img, rng=3, **LIME_DEFAULT)
    assert agreement(ours, ref) >= 0.99


def test_float_and_uint8_images_agree():
    img = bundled("coffee", 80)
    as_uint8 = quickshift_rs(img, kernel_size=3, max_dist=6, ratio=0.5)
    as_float = quickshift_rs(img / 255.0, kernel_size=3, max_dist=6, ratio=0.5)
    as_f32 = quickshift_rs((img / 255.0).astype(np.float32), kernel_size=3, max_dist=6, ratio=0.5)
    assert agreement(as_uint8, as_float) > 0.99
    assert agreement(as_uint8, as_f32) > 0.95


def test_rng_breaks_ties_reproducibly():
    # A flat image: only the tie-breaking noise decides the links.
    flat = np.full((24, 24, 3), 0.5)
    a = quickshift_rs(flat, kernel_size=2, max_dist=3, rng=1)
    assert np.array_equal(a, quickshift_rs(flat, kernel_size=2, max_dist=3, rng=1))
    assert not np.array_equal(a, quickshift_rs(flat, kernel_size=2, max_dist=3, rng=2))
    # lime's name for the seed overrides rng.
    b = quickshift_rs(flat, kernel_size=2, max_dist=3, rng=5, random_seed=1)
    assert np.array_equal(a, b)
    # A Generator is accepted and advanced.
    gen = np.random.default_rng(1)
    assert np.array_equal(a, quickshift_rs(flat, kernel_size=2, max_dist=3, rng=gen))
    assert not np.array_equal(a, quickshift_rs(flat, kernel_size=2, max_dist=3, rng=gen))


def test_channel_axis_and_grayscale():
    img = bundled("astronaut", 48)
    last = quickshift_rs(img, kernel_size=2, max_dist=6, ratio=0.5)
    first = quickshift_rs(
        np.moveaxis(img, -1, 0), kernel_size=2, max_dist=6, ratio=0.5, channel_axis=0
    )
    assert np.array_equal(last, first)
    gray = img.mean(axis=2)
    seg = quickshift_rs(gray, kernel_size=2, max_dist=6, convert2lab=False)
    assert seg.shape == gray.shape


def test_same_result_on_one_thread():
    code = (
        "import numpy as np;"
        "from lime_rs.wrappers.scikit_image import quickshift_rs;"
        "img = np.random.RandomState(0).rand(40, 50, 3);"
        "print(quickshift_rs(img, kernel_size=3, max_dist=8, ratio=0.5).tobytes().hex())"
    )
    outs = []
    for threads in ("1", "2"):
        env = dict(os.environ, LIME_RS_NUM_THREADS=threads)
        run = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outs.append(run.stdout)
    assert outs[0] == outs[1]


def test_rgb2lab_matches_skimage():
    from skimage import color

    img = bundled("coffee", 64) / 255.0
    img[0, 0] = [1.0, 1.0, 1.0]
    img[0, 1] = [0.0, 0.0, 0.0]
    img[0, 2] = [0.01, 0.02, 0.03]
    np.testing.assert_allclose(_native.rgb2lab(img), color.rgb2lab(img), rtol=0, atol=1e-10)


def test_segmentation_algorithm_quickshift_rs_equals_quickshift():
    img = bundled("chelsea", 64)
    ours = SegmentationAlgorithm("quickshift_rs", kernel_size=3, max_dist=6, ratio=0.5)(img)
    theirs = SegmentationAlgorithm("quickshift", kernel_size=3, max_dist=6, ratio=0.5)(img)
    assert agreement(ours, theirs) >= 0.8


@pytest.mark.parametrize(
    ("image", "params", "error", "match"),
    [
        (np.zeros((8, 8, 3)), {"kernel_size": 0.5}, ValueError, "kernel_size"),
        (np.zeros((8, 8, 4)), {}, ValueError, "Only RGB images"),
        (np.zeros((0, 8, 3)), {}, ValueError, "empty"),
        (np.zeros((2, 8, 8, 3)), {}, ValueError, "2D color images"),
        (np.full((8, 8, 3), np.nan), {}, ValueError, "NaN"),
        (np.zeros((8, 8, 3), dtype=complex), {}, TypeError, "dtype"),
        (np.zeros((8, 8, 3)), {"ratio": "big"}, TypeError, "ratio"),
        (np.zeros((8, 8, 3)), {"ratio": np.inf}, ValueError, "ratio"),
    ],
)
def test_bad_input(image, params, error, match):
    with pytest.raises(error, match=match):
        quickshift_rs(image, **params)


def test_more_channels_without_lab():
    img = np.random.RandomState(1).rand(20, 20, 5)
    seg = quickshift_rs(img, kernel_size=2, max_dist=4, convert2lab=False)
    ref = segmentation.quickshift(img, kernel_size=2, max_dist=4, convert2lab=False)
    assert agreement(seg, ref) >= 0.8


def test_native_checks_noise_shape():
    with pytest.raises(ValueError, match="noise"):
        _native.quickshift_segments(np.zeros((4, 4, 3)), 1.0, 2.0, 5.0, True, np.zeros((3, 3)))
