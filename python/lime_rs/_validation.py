"""Argument checks shared by every explainer. Messages name the argument, say
what was received and what was expected (scikit-learn's ``check_array`` style)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def as_float_array(value: Any, name: str, ndim: int, *, allow_nan: bool = False) -> np.ndarray:
    """A C-contiguous float64 array of ``ndim`` dimensions with finite values.

    ``allow_nan=True`` skips the finiteness scan, for arrays the Rust core
    scans anyway (its errors name the same argument)."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name}: expected an array of numbers, got {type(value).__name__}: {exc}"
        ) from None
    if arr.ndim != ndim:
        raise ValueError(
            f"{name}: expected a {ndim}-D array, got an array of shape {arr.shape}"
            + (
                " (reshape a single row with .reshape(1, -1))"
                if ndim == 2 and arr.ndim == 1
                else ""
            )
        )
    if not allow_nan and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name}: contains NaN or infinity (first at index {tuple(int(i) for i in bad)})"
        )
    return np.ascontiguousarray(arr)


def check_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    # A plain int (the common case) skips the abstract-class check.
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name}: expected an integer, got {type(value).__name__} ({value!r})")
        value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}: must be at least {minimum}, got {value}")
    return value


FEATURE_SELECTION_METHODS = ("auto", "none", "forward_selection", "highest_weights", "lasso_path")


def check_feature_selection(method: str) -> str:
    if method not in FEATURE_SELECTION_METHODS:
        raise ValueError(
            f"feature_selection: unknown method {method!r}; expected one of "
            + ", ".join(repr(m) for m in FEATURE_SELECTION_METHODS)
        )
    return method
