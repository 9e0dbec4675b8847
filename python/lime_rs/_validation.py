"""Argument checks shared by every explainer. Messages name the argument, say
what was received and what was expected (scikit-learn's ``check_array`` style)."""

from __future__ import annotations

import math
import numbers
import os
import sys
import warnings
from typing import Any

import numpy as np


def as_float_array(value: Any, name: str, ndim: int, *, allow_nan: bool = False) -> np.ndarray:
    """A C-contiguous float64 array of ``ndim`` dimensions with finite values
    (``allow_nan=True`` skips the scan, for arrays the Rust core scans anyway)."""
    try:
        arr = value if isinstance(value, np.ndarray) else np.asarray(value)
        if arr.dtype.kind != "c":
            arr = arr.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name}: expected an array of numbers, got {type(value).__name__}: {exc}"
        ) from None
    check_real(arr, name)
    if arr.ndim != ndim:
        hint = " (reshape a single row with .reshape(1, -1))" if ndim == 2 and arr.ndim == 1 else ""
        raise ValueError(
            f"{name}: expected a {ndim}-D array, got an array of shape {arr.shape}{hint}"
        )
    if not allow_nan and not np.isfinite(arr).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name}: contains NaN or infinity (first at index {bad})")
    return np.ascontiguousarray(arr)


def check_real(arr: Any, name: str) -> None:
    """Refuses complex arrays (numpy would drop the imaginary part with only a
    ComplexWarning; lime raises a TypeError)."""
    dtype = getattr(arr, "dtype", None)
    if getattr(dtype, "kind", None) == "c":
        raise TypeError(
            f"{name}: complex numbers are not supported (got dtype {dtype}); pass real "
            "values (np.real or np.abs of them if that is what they mean)"
        )


def check_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    if type(value) is not int:  # a plain int (the common case) skips the abstract-class check
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name}: expected an integer, got {type(value).__name__} ({value!r})")
        value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}: must be at least {minimum}, got {value}")
    return value


FEATURE_SELECTION_METHODS = ("auto", "none", "forward_selection", "highest_weights", "lasso_path")


def check_feature_selection(method: str) -> str:
    if method not in FEATURE_SELECTION_METHODS:
        expected = ", ".join(repr(m) for m in FEATURE_SELECTION_METHODS)
        raise ValueError(
            f"feature_selection: unknown method {method!r}; expected one of {expected}"
        )
    return method


class NoProbabilitiesError(NotImplementedError, ValueError):
    """A classifier returned one score per sample: lime raises
    NotImplementedError; a ValueError too, as every other bad output."""


def _numeric(yss: Any, who: str) -> np.ndarray:
    """The model's output as a real numeric array: complex values and strings
    are refused (numpy would drop the imaginary part, or parse the strings),
    object arrays of numbers converted."""
    try:
        arr = yss if isinstance(yss, np.ndarray) else np.asarray(yss)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise TypeError(
            f"{who}: must return an array of numbers, got {type(yss).__name__}: {exc}"
        ) from None
    kind = arr.dtype.kind
    if kind in "biuf":
        return arr
    if kind == "c":
        raise TypeError(
            f"{who}: returned complex numbers (dtype {arr.dtype}); the model's output must be "
            "real (take np.real or np.abs of it if that is what it means)"
        )
    if kind != "O":
        raise TypeError(
            f"{who}: returned an array of dtype {arr.dtype} (e.g. {arr.flat[0]!r:.40}) where "
            "numbers were expected (class probabilities, e.g. predict_proba, or predictions)"
        )
    # numbers (Decimal, Fraction, ...) convert; strings would parse, complex lose a part
    bad = next((v for v in arr.flat if isinstance(v, str | bytes | complex)), None)
    if bad is not None:
        raise TypeError(
            f"{who}: returned an object array holding {type(bad).__name__} values "
            f"({bad!r:.40}); expected numbers (class probabilities or predictions)"
        )
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{who}: returned an object array that is not all numbers: {exc}") from None


def check_model_output(yss: Any, num_samples: int, who: str = "predict_fn", *,
                       mode: str = "classification", unit: str = "samples",
                       columns: int | None = None) -> np.ndarray:  # fmt: skip
    """The model's outputs on ``num_samples`` perturbed inputs (``unit``) as a
    C-contiguous (n, L) float64 array, or a clear error naming ``who`` (the
    explainer's argument: predict_fn or classifier_fn). Classification wants
    (n, L) probabilities, L >= 1 (``columns`` when an earlier batch fixed it);
    regression (n,) predictions or (n, k) whose first column is taken, as lime."""
    arr = _numeric(yss, who)
    if arr.ndim == 0 or arr.shape[0] != num_samples:
        rows = "a scalar" if arr.ndim == 0 else f"{arr.shape[0]} rows"
        raise ValueError(
            f"{who}: returned {rows} for {num_samples} {unit} (an array of shape {arr.shape}); "
            f"it must return one row per perturbed input, in order"
        )
    if mode == "classification":
        if arr.ndim == 1:
            raise NoProbabilitiesError(
                f"{who}: must return a 2-D array of class probabilities of shape "
                f"({num_samples}, n_classes), got an array of shape {arr.shape}: LIME does not "
                "currently support classifier models without probability scores (a 1-D output "
                "looks like predict(); pass predict_proba, or reshape to (-1, 1) for a single "
                "score)"
            )
        if arr.ndim != 2:
            raise ValueError(
                f"{who}: must return a 2-D array of class probabilities, got an array of shape "
                f"{arr.shape} (your model outputs arrays with {arr.ndim} dimensions)"
            )
        if arr.shape[1] == 0:
            raise ValueError(f"{who}: returned an array with no columns (no classes)")
        if columns is not None and arr.shape[1] != columns:
            raise ValueError(
                f"{who}: returned {arr.shape[1]} columns, but {columns} for an earlier batch"
            )
    else:
        if arr.ndim == 2 and arr.shape[1] == 0:
            raise ValueError(
                f"{who}: returned an array of shape {arr.shape}, with no predictions; a "
                f"regression model must return one number per sample (shape ({num_samples},))"
            )
        if arr.ndim > 2:
            raise ValueError(
                f"{who}: Your model needs to output single-dimensional numpyarrays, not arrays "
                f"of {arr.shape} dimensions (one prediction per sample)"
            )
        arr = (arr[:, 0] if arr.ndim == 2 else arr)[:, np.newaxis]  # lime: a row's first value
    if arr.dtype.kind == "f" and arr.size:
        lo, hi = float(arr.min()), float(arr.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
            bad = bad if mode == "classification" else bad[:1]
            raise ValueError(
                f"{who}: returned NaN or infinity (first at index {bad}); the model's outputs "
                f"on the perturbed {unit} (row 0: the original) must be finite"
            )
        # weighted sums of squares of differences (twice a value) over the samples stay finite
        peak, limit = max(-lo, hi), math.sqrt(sys.float_info.max / (4.0 * max(num_samples, 1)))
        if peak > limit:
            raise ValueError(
                f"{who}: returned values too large for the local model (largest magnitude "
                f"{peak:.3g}; over {num_samples} {unit} the weighted sums of squares overflow "
                f"above {limit:.3g}); rescale the model's output"
            )
    return np.ascontiguousarray(arr, dtype=np.float64)


def check_class_names(class_names: Any, n_classes: int, who: str = "predict_fn") -> None:
    """``class_names`` must name every class the model returns."""
    if class_names is not None and len(class_names) < n_classes:
        raise ValueError(
            f"class_names: has {len(class_names)} names but {who} returns {n_classes} classes; "
            f"give one name per class, in the order of {who}'s columns"
        )


def check_kernel_width(value: Any, *, positive: bool = False) -> float:
    """lime's ``float(kernel_width)``, with errors naming it: a finite number,
    positive or (the kernel reads its square) non-zero."""
    try:
        width = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"kernel_width: expected a number, got {type(value).__name__} ({value!r:.80})"
        ) from None
    if not math.isfinite(width) or (width <= 0 if positive else width == 0):
        expected = "a positive number" if positive else "a non-zero finite number"
        raise ValueError(f"kernel_width: must be {expected}, got {value!r:.80}")
    return width


def check_distances(distances: np.ndarray, row: str = "data_row") -> np.ndarray:
    """Distances of the perturbed samples to ``row``: an overflow means the
    row (or the training data's scale) is too large, not a bad argument of ours."""
    if distances.size and not math.isfinite(float(distances.max())):
        raise ValueError(
            f"{row}: values too large: the distances of the perturbed samples to {row} "
            "overflow (its values are too many standard deviations of the training data "
            "away from the training mean); rescale the data"
        )
    return distances


_warned_threads: set[str] = set()


def threads_from_env() -> int | None:
    """``LIME_RS_NUM_THREADS`` as the native pool reads it (a positive
    integer), None when unset; an invalid value warns once (the pool then
    uses every core)."""
    raw = os.environ.get("LIME_RS_NUM_THREADS")
    if raw is None or not raw.strip():
        return None
    if raw.strip().isdecimal() and int(raw) > 0:
        return int(raw)
    if raw not in _warned_threads:
        _warned_threads.add(raw)
        warnings.warn(
            f"LIME_RS_NUM_THREADS={raw!r} is not a positive integer and is ignored (lime_rs "
            f"uses every core, {os.cpu_count()}); set it to a whole number of threads such "
            "as 4, or unset it",
            RuntimeWarning,
            stacklevel=2,
        )
    return None


def _available_memory() -> int | None:
    """Bytes a new allocation can get: MemAvailable + SwapFree (Linux), else the
    physical memory, within the address-space limit (ulimit -v); None: unknown."""
    found = None
    try:
        with open("/proc/meminfo") as f:
            info = {k: v for k, _, v in (line.partition(":") for line in f)}
        kib = int(info["MemAvailable"].split()[0]) + int(info.get("SwapFree", "0 kB").split()[0])
        found = kib * 1024
    except (OSError, KeyError, ValueError, IndexError):
        try:
            found = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, OSError, ValueError):
            pass
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            found = soft if found is None else min(found, soft)
    except (ImportError, OSError, ValueError):
        pass
    return found


def _size(n: int) -> str:
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.1f} {unit}"
    return f"{n} bytes"


def check_memory(num_samples: int, bytes_per_sample: int, name: str = "num_samples") -> None:
    """Raises MemoryError (as numpy does for lime) when ``num_samples``
    perturbed samples of ``bytes_per_sample`` bytes each cannot fit in memory,
    before the native code tries (an allocation failure there aborts the
    interpreter). Python ints: the product never overflows."""
    need = num_samples * bytes_per_sample
    if need <= 256 << 20:  # not worth reading /proc/meminfo for
        return
    available = _available_memory()
    if need >= 1 << 62 or (available is not None and need > available):
        room = "" if available is None else f", more than the {_size(available)} available"
        raise MemoryError(
            f"{name}: {num_samples} samples need at least {_size(need)} ({need} bytes) for the "
            f"perturbed samples alone{room}; lower {name}"
        )
