"""Drop-in for ``lime.wrappers.scikit_image``: segmentation functions wrapped
with a fixed set of parameters.

``SegmentationAlgorithm`` accepts lime's ``'quickshift'``, ``'slic'`` and
``'felzenszwalb'`` (scikit-image, imported when first used) and
``'quickshift_rs'``: the same quick shift computed in Rust (:func:`quickshift_rs`),
which ``LimeImageExplainer`` uses by default.
"""

from __future__ import annotations

import numbers
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from lime_rs import _native
from lime_rs.utils.generic_utils import has_arg


class BaseWrapper:
    """Base class for LIME Scikit-Image wrapper


    Args:
        target_fn: callable function or class instance
        target_params: dict, parameters to pass to the target_fn


    'target_params' takes parameters required to instanciate the
        desired Scikit-Image class/model
    """

    def __init__(self, target_fn: Callable[..., Any] | None = None, **target_params: Any) -> None:
        self.target_fn = target_fn
        self.target_params = target_params

    def _check_params(self, parameters: Any) -> None:
        """Checks for mistakes in 'parameters'

        Args :
            parameters: dict, parameters to be checked

        Raises :
            ValueError: if any parameter is not a valid argument for the target function
                or the target function is not defined
            TypeError: if argument parameters is not iterable
        """
        if self.target_fn is None:
            if not callable(self):
                raise TypeError(
                    "invalid argument: tested object is not callable, please provide a valid target_fn"
                )
            fn = self.__call__
        elif isinstance(self.target_fn, types.FunctionType | types.MethodType):
            fn = self.target_fn
        else:
            # An object: its __call__ (AttributeError when it has none, as lime).
            fn = self.target_fn.__call__  # type: ignore[operator]

        if isinstance(parameters, str):
            raise TypeError("invalid argument: list or dictionnary expected")
        for name in parameters:
            if not has_arg(fn, name):
                raise ValueError(f"{name} is not a valid parameter")

    def set_params(self, **params: Any) -> None:
        """Sets the parameters of this estimator.
        Args:
            **params: Dictionary of parameter names mapped to their values.

        Raises :
            ValueError: if any parameter is not a valid argument
                for the target function
        """
        self._check_params(params)
        self.target_params = params

    def filter_params(self, fn: Callable[..., Any], override: dict | None = None) -> dict:
        """Filters `target_params` and return those in `fn`'s arguments.
        Args:
            fn : arbitrary function
            override: dict, values to override target_params
        Returns:
            result : dict, dictionary containing variables
            in both target_params and fn's arguments.
        """
        kept = {name: value for name, value in self.target_params.items() if has_arg(fn, name)}
        kept.update(override or {})
        return kept


def _skimage_segmentation(name: str) -> Callable[..., Any]:
    from skimage import segmentation

    return getattr(segmentation, name)


ALGORITHMS = ("quickshift", "slic", "felzenszwalb", "quickshift_rs")


class SegmentationAlgorithm(BaseWrapper):
    """Define the image segmentation function based on Scikit-Image
        implementation and a set of provided parameters

    Args:
        algo_type: string, segmentation algorithm among the following:
            'quickshift', 'slic', 'felzenszwalb' (scikit-image) and
            'quickshift_rs' (quick shift in Rust, see quickshift_rs)
        target_params: dict, algorithm parameters (valid model paramters
            as define in Scikit-Image documentation)
    """

    def __init__(self, algo_type: str, **target_params: Any) -> None:
        self.algo_type = algo_type
        if algo_type == "quickshift_rs":
            fn = quickshift_rs
        elif algo_type in ("quickshift", "slic", "felzenszwalb"):
            fn = _skimage_segmentation(algo_type)
        else:
            raise ValueError(
                f"algo_type: unknown segmentation algorithm {algo_type!r}; expected one of "
                + ", ".join(repr(a) for a in ALGORITHMS)
            )
        BaseWrapper.__init__(self, fn, **target_params)
        self.set_params(**self.filter_params(fn))

    def __call__(self, *args: Any) -> np.ndarray:
        return self.target_fn(args[0], **self.target_params)  # type: ignore[misc]


def _as_float_image(image: Any) -> np.ndarray:
    """Values as ``skimage.util.img_as_float`` gives them, in float64:
    unsigned integers / max, signed integers / max (floored at -1), booleans
    0/1, floats unchanged."""
    image = np.asarray(image)
    kind = image.dtype.kind
    if kind == "f":
        return image.astype(np.float64, copy=False)
    if kind == "b":
        return image.astype(np.float64)
    if kind in "ui":
        out = np.multiply(image, 1.0 / np.iinfo(image.dtype).max, dtype=np.float64)
        if kind == "i":
            np.maximum(out, -1.0, out=out)
        return out
    raise TypeError(
        f"image: expected an array of numbers (unsigned or signed integers, floats or "
        f"booleans), got dtype {image.dtype}"
    )


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
    """Segment image using quickshift clustering in Color-(x,y) space, in Rust.

    The same algorithm, parameters and defaults as
    ``skimage.segmentation.quickshift`` (whose results it reproduces: the
    tie-breaking noise is drawn the same way), computed in parallel in Rust.

    Parameters
    ----------
    image : (M, N, C) ndarray
        Input image (RGB when ``convert2lab``), any numeric dtype; values are
        scaled as ``skimage.util.img_as_float`` does. float16 and float32
        images are segmented in single precision, as scikit-image does.
    ratio : float, optional, between 0 and 1
        Balances color-space proximity and image-space proximity.
        Higher values give more weight to color-space.
    kernel_size : float, optional
        Width of Gaussian kernel used in smoothing the
        sample density. Higher means fewer clusters.
    max_dist : float, optional
        Cut-off point for data distances.
        Higher means fewer clusters.
    sigma : float, optional
        Width for Gaussian smoothing as preprocessing. Zero means no smoothing.
    convert2lab : bool, optional
        Whether the input should be converted to Lab colorspace prior to
        segmentation. For this purpose, the input is assumed to be RGB.
    rng : {`numpy.random.Generator`, int}, optional
        Seed (or generator) of the noise that breaks density ties (42 by default).
    random_seed : int, optional
        Older scikit-image name of ``rng`` (what lime passes); overrides it.
    channel_axis : int, optional
        The axis of `image` corresponding to color channels.

    Returns
    -------
    segment_mask : (M, N) ndarray of int64
        Integer mask indicating segment labels, ``0 .. n_segments - 1``.
    """
    image = np.atleast_3d(np.asarray(image))
    if image.ndim != 3:
        raise ValueError(
            f"image: only 2D color images are supported, got an array of shape {image.shape}"
        )
    # As scikit-image: float16 and float32 images are segmented in float32,
    # every other dtype in float64 (values as img_as_float gives them).
    single = image.dtype in (np.float16, np.float32)
    image = np.moveaxis(image.astype(np.float32) if single else _as_float_image(image),
                        channel_axis, -1)  # fmt: skip
    if 0 in image.shape:
        raise ValueError(f"image: must not be empty, got an array of shape {image.shape}")
    if convert2lab and image.shape[-1] != 3:
        raise ValueError("Only RGB images can be converted to Lab space.")
    for name, value in (("ratio", ratio), ("kernel_size", kernel_size), ("max_dist", max_dist)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name}: expected a number, got {type(value).__name__} ({value!r})")
    if not kernel_size >= 1:
        raise ValueError("`kernel_size` should be >= 1.")
    if not np.isfinite(image).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(image))[0])
        raise ValueError(f"image: contains NaN or infinity (first at index {bad})")
    if random_seed is not None:
        rng = random_seed
    noise = np.random.default_rng(rng).normal(scale=0.00001, size=image.shape[:2])

    if convert2lab and (single or sigma and sigma > 0):
        # Lab before the smoothing. float32: scikit-image's own float32 Lab
        # (numpy float32 arithmetic and a BLAS product whose rounding Rust
        # would not reproduce bit for bit); otherwise the core's.
        if single:
            from skimage.color import rgb2lab

            image = rgb2lab(image)
        else:
            image = _native.rgb2lab(np.ascontiguousarray(image))
        convert2lab = False
    if sigma and sigma > 0:
        from scipy import ndimage

        image = ndimage.gaussian_filter(image, sigma=(sigma, sigma, 0), mode="reflect")
    if single:  # scikit-image's float32 scaling; the quick shift runs in Rust, in float32
        image = np.ascontiguousarray(image * ratio, dtype=np.float32)
        noise32 = noise.astype(np.float32)
        return _native.quickshift_segments_f32(image, float(kernel_size), float(max_dist), noise32)
    return _native.quickshift_segments(
        np.ascontiguousarray(image),
        float(ratio),
        float(kernel_size),
        float(max_dist),
        bool(convert2lab),
        noise,
    )
