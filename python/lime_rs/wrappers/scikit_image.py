"""Drop-in for ``lime.wrappers.scikit_image``: segmentation functions wrapped with
a fixed set of parameters. ``SegmentationAlgorithm`` takes lime's ``'quickshift'``,
``'slic'`` and ``'felzenszwalb'`` (scikit-image, imported when first used) and
``'quickshift_rs'``, the same quick shift in Rust (:func:`quickshift_rs`), which
``LimeImageExplainer`` uses by default."""

from __future__ import annotations

import numbers
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from lime_rs import _native
from lime_rs.utils.generic_utils import has_arg

ALGORITHMS = ("quickshift", "slic", "felzenszwalb", "quickshift_rs")


class BaseWrapper:
    """Base class for LIME Scikit-Image wrapper.

    Args:
        target_fn: callable function or class instance
        target_params: dict, parameters to pass to the target_fn
    """

    def __init__(self, target_fn: Callable[..., Any] | None = None, **target_params: Any) -> None:
        self.target_fn = target_fn
        self.target_params = target_params

    def _check_params(self, parameters: Any) -> None:
        """Raises a ValueError if a name of ``parameters`` (a list or dict) is not
        an argument of the target function (a TypeError without one)."""
        fn = self.target_fn
        if fn is None:
            if not callable(self):
                raise TypeError(
                    "invalid argument: tested object is not callable, please provide a valid target_fn"
                )
            fn = self.__call__
        elif not isinstance(fn, types.FunctionType | types.MethodType):
            fn = fn.__call__  # type: ignore[operator]  # AttributeError without one, as lime
        if isinstance(parameters, str):
            raise TypeError("invalid argument: list or dictionnary expected")
        for name in parameters:
            if not has_arg(fn, name):
                raise ValueError(f"{name} is not a valid parameter")

    def set_params(self, **params: Any) -> None:
        """Sets the parameters of this estimator (ValueError for an argument the
        target function does not take)."""
        self._check_params(params)
        self.target_params = params

    def filter_params(self, fn: Callable[..., Any], override: dict | None = None) -> dict:
        """The ``target_params`` that are arguments of ``fn``, updated with ``override``."""
        kept = {name: value for name, value in self.target_params.items() if has_arg(fn, name)}
        kept.update(override or {})
        return kept


class SegmentationAlgorithm(BaseWrapper):
    """Define the image segmentation function based on Scikit-Image
    implementation and a set of provided parameters.

    Args:
        algo_type: 'quickshift', 'slic', 'felzenszwalb' (scikit-image) or 'quickshift_rs'
        target_params: dict, the algorithm's parameters (as scikit-image documents them)
    """

    def __init__(self, algo_type: str, **target_params: Any) -> None:
        self.algo_type = algo_type
        if algo_type not in ALGORITHMS:
            raise ValueError(
                f"algo_type: unknown segmentation algorithm {algo_type!r}; expected one of "
                + ", ".join(repr(a) for a in ALGORITHMS)
            )
        if algo_type == "quickshift_rs":
            fn = quickshift_rs
        else:
            from skimage import segmentation

            fn = getattr(segmentation, algo_type)
        BaseWrapper.__init__(self, fn, **target_params)
        self.set_params(**self.filter_params(fn))

    def __call__(self, *args: Any) -> np.ndarray:
        return self.target_fn(args[0], **self.target_params)  # type: ignore[misc]


def check_image_values(image: np.ndarray) -> None:
    """Refuses an image of no pixels, of other than numbers, or with NaN or infinity."""
    if image.dtype.kind not in "biuf":
        raise TypeError(
            f"image: expected an array of numbers (integers, floats or booleans), "
            f"got dtype {image.dtype}"
        )
    if image.size == 0:
        raise ValueError(f"image: must not be empty, got an array of shape {image.shape}")
    if image.dtype.kind == "f" and not np.isfinite(image).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(image))[0])
        raise ValueError(f"image: contains NaN or infinity (first at index {bad})")


def quickshift_rs(
    image: Any,
    ratio: float = 1.0,
    kernel_size: float = 5,
    max_dist: float = 10,
    sigma: float = 0,
    convert2lab: bool = True,
    rng: Any = 42,
    random_seed: Any = None,
    *,
    channel_axis: int = -1,
) -> np.ndarray:
    """Segments image using quickshift clustering in Color-(x,y) space, in Rust:
    ``skimage.segmentation.quickshift``'s algorithm, parameters, defaults and
    results (the tie-breaking noise is drawn the same way), in parallel.

    Args:
        image: (M, N, C) image, RGB when convert2lab, scaled as img_as_float does.
        ratio: 0 to 1, the weight of colour-space proximity against image-space.
        kernel_size: width of the Gaussian kernel smoothing the density (larger: fewer clusters).
        max_dist: cut-off point for data distances (larger: fewer clusters).
        sigma: width of a Gaussian smoothing first; zero: none.
        convert2lab: convert the (RGB) input to Lab colorspace first.
        rng: seed (or numpy Generator) of the noise that breaks density ties.
        random_seed: older scikit-image name of rng (what lime passes); overrides it.
        channel_axis: the axis of the colour channels.

    Returns:
        (M, N) int64 segment labels ``0 .. n_segments - 1``.
    """
    image = np.atleast_3d(np.asarray(image))
    if image.ndim != 3:
        raise ValueError(
            f"image: only 2D color images are supported, got an array of shape {image.shape}"
        )
    check_image_values(image)
    # As scikit-image's img_as_float: float16 and float32 images are segmented in
    # float32, others in float64; integers divided by their dtype's max (signed
    # ones floored at -1), booleans 0/1.
    kind = image.dtype.kind
    single = image.dtype in (np.float16, np.float32)
    if kind in "iu":
        scaled = np.multiply(image, 1.0 / np.iinfo(image.dtype).max, dtype=np.float64)
        image = np.maximum(scaled, -1.0, out=scaled) if kind == "i" else scaled
    else:
        image = image.astype(np.float32 if single else np.float64, copy=False)
    image = np.moveaxis(image, channel_axis, -1)
    if convert2lab and image.shape[-1] != 3:
        raise ValueError("Only RGB images can be converted to Lab space.")
    for name, value in (("ratio", ratio), ("kernel_size", kernel_size), ("max_dist", max_dist)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name}: expected a number, got {type(value).__name__} ({value!r})")
    if not kernel_size >= 1:
        raise ValueError("`kernel_size` should be >= 1.")
    rng = rng if random_seed is None else random_seed
    noise = np.random.default_rng(rng).normal(scale=0.00001, size=image.shape[:2])
    smooth = bool(sigma and sigma > 0)
    if convert2lab and (single or smooth):
        # Lab before the smoothing. float32: scikit-image's own float32 Lab (numpy
        # float32 arithmetic and a BLAS product whose rounding Rust would not
        # reproduce bit for bit); otherwise the core's.
        if single:
            from skimage.color import rgb2lab

            image = rgb2lab(image)
        else:
            image = _native.rgb2lab(np.ascontiguousarray(image))
        convert2lab = False
    if smooth:
        from scipy import ndimage

        image = ndimage.gaussian_filter(image, sigma=(sigma, sigma, 0), mode="reflect")
    k, d = float(kernel_size), float(max_dist)
    if single:  # scikit-image's float32 scaling; the quick shift runs in Rust, in float32
        image = np.ascontiguousarray(image * ratio, dtype=np.float32)
        return _native.quickshift_segments_f32(image, k, d, noise.astype(np.float32))
    image = np.ascontiguousarray(image)
    return _native.quickshift_segments(image, float(ratio), k, d, bool(convert2lab), noise)
