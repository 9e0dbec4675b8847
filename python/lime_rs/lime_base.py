"""
Contains abstract functionality for learning locally linear sparse model.

Drop-in for ``lime.lime_base``: the feature selection and the default ridge
model run in Rust (``lime_rs._native``) with the GIL released.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lime_rs import _native
from lime_rs._pipeline import is_sparse as _is_sparse
from lime_rs._pipeline import resolve_feature_selection
from lime_rs._random import check_random_state
from lime_rs._validation import as_float_array, check_feature_selection, check_int

_FLOAT64 = np.dtype(np.float64)


def _is_ready(a, ndim):
    """Already a C-contiguous float64 array of ``ndim`` dimensions."""
    return type(a) is np.ndarray and a.ndim == ndim and a.dtype is _FLOAT64 and a.flags.c_contiguous


def _check_finite(arr, name, ndim):
    """``arr`` (float64) has no NaN or infinity: one sum, and the scan that
    names the first bad index only when the sum is not finite."""
    if not np.isfinite(arr.sum()):
        as_float_array(arr, name, ndim)
    return arr


def _check_neighbourhood(data, labels, weights):
    """Dense float64 data (n, d), labels (n, L) and weights (n,); the core
    reports NaN/inf (and negative or all-zero weights), naming the argument."""
    if _is_sparse(data):
        data = data.toarray()
    if not _is_ready(data, 2):
        data = as_float_array(data, "neighborhood_data", 2, allow_nan=True)
    if not _is_ready(labels, 2):
        labels = np.asarray(labels, dtype=np.float64)
        if labels.ndim == 1:
            labels = labels[:, None]
        labels = as_float_array(labels, "neighborhood_labels", 2, allow_nan=True)
    if not _is_ready(weights, 1):
        weights = as_float_array(weights, "weights (kernel_fn(distances))", 1, allow_nan=True)
    n = data.shape[0]
    if labels.shape[0] != n:
        raise ValueError(
            f"neighborhood_labels: has {labels.shape[0]} rows but neighborhood_data has {n}"
        )
    if weights.shape[0] != n:
        raise ValueError(
            f"distances: kernel_fn(distances) gave {weights.shape[0]} weights but "
            f"neighborhood_data has {n} rows"
        )
    return data, labels, weights


def _label_index(label, n_labels):
    label = check_int(label, "label")
    if not -n_labels <= label < n_labels:
        raise ValueError(
            f"label: {label} is out of range; neighborhood_labels has {n_labels} "
            f"columns (labels 0..{n_labels - 1})"
        )
    return label % n_labels


class LimeBase:
    """Class for learning a locally linear sparse model from perturbed data"""

    def __init__(
        self,
        kernel_fn: Callable[[np.ndarray], Any],
        verbose: bool = False,
        random_state: Any = None,
    ) -> None:
        """Init function

        Args:
            kernel_fn: turns an array of distances into proximity values (floats).
            verbose: if true, print local prediction values from linear model.
            random_state: None, an integer, numpy.RandomState or numpy.Generator.
        """
        self.kernel_fn = kernel_fn
        self.verbose = verbose
        self.random_state = check_random_state(random_state)

    @staticmethod
    def generate_lars_path(
        weighted_data: np.ndarray, weighted_labels: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Generates the lars path for weighted data (weighted_data and
        weighted_labels, weighted by the kernel): returns (alphas, coefs), the
        regularization parameters and the coefficients."""
        x = as_float_array(weighted_data, "weighted_data", 2)
        y = as_float_array(weighted_labels, "weighted_labels", 1)
        alphas, _, coefs = _native.lars_path(x, y)
        return alphas, coefs

    def forward_selection(
        self, data: Any, labels: Any, weights: Any, num_features: int
    ) -> np.ndarray:
        """Iteratively adds features to the model"""
        return self.feature_selection(data, labels, weights, num_features, "forward_selection")

    def feature_selection(
        self, data: Any, labels: Any, weights: Any, num_features: int, method: str
    ) -> np.ndarray:
        """Selects features for the model (see explain_instance_with_data)."""
        check_feature_selection(method)
        num_features = check_int(num_features, "num_features", minimum=1)
        sparse = _is_sparse(data)
        instance = data[0] if sparse else None
        data, labels, weights = _check_neighbourhood(data, labels, weights)
        return _select(data, labels[:, 0], weights, instance, num_features, method)

    def explain_instance_with_data(
        self,
        neighborhood_data: Any,
        neighborhood_labels: Any,
        distances: Any,
        label: int,
        num_features: int,
        feature_selection: str = "auto",
        model_regressor: Any = None,
    ) -> tuple[Any, list[tuple[int, float]], float, np.ndarray]:
        """Takes perturbed data, labels and distances, returns explanation.

        Args:
            neighborhood_data: perturbed data, 2d array; row 0 is the original.
            neighborhood_labels: the model's outputs, one column per label.
            distances: distances to original data point.
            label: label for which we want an explanation
            num_features: maximum number of features in explanation
            feature_selection: 'forward_selection' (add features one by one),
                'highest_weights' (largest absolute weight * original value
                of the full model), 'lasso_path', 'none' (all features) or 'auto'
                (forward_selection if num_features <= 6, else highest_weights).
            model_regressor: sklearn regressor to use (default: ridge, in
                Rust); needs ``coef_`` and ``fit(..., sample_weight=...)``.

        Returns:
            (intercept, exp, score, local_pred): exp is [(feature id, weight)]
            sorted by decreasing absolute weight, score the local model's R^2 and
            local_pred its prediction on the original instance.
        """
        check_feature_selection(feature_selection)
        num_features = check_int(num_features, "num_features", minimum=1)
        sparse = _is_sparse(neighborhood_data)
        highest = sparse and resolve_feature_selection(feature_selection, num_features) == (
            "highest_weights"
        )
        # the default model (but sparse highest_weights) is one native call,
        # which checks the distances itself
        native = model_regressor is None and not highest
        if native:
            _native.prewake()  # the pool wakes while the kernel runs in Python
        if not _is_ready(distances, 1):
            distances = as_float_array(distances, "distances", 1, allow_nan=True)
        if not native:
            _check_finite(distances, "distances", 1)
        weights = self.kernel_fn(distances)
        instance = neighborhood_data[0] if sparse else None
        data, labels, weights = _check_neighbourhood(
            neighborhood_data, neighborhood_labels, weights
        )
        label = _label_index(label, labels.shape[1])

        if native:
            result = _result(*_native.explain_with_data(
                data, labels, weights, [label], num_features, feature_selection,
                distances=distances,
            )[0])  # fmt: skip
        else:
            column = labels[:, label]
            used = _select(data, column, weights, instance, num_features, feature_selection)
            result = _fit_model(data, column, weights, used, model_regressor)
        if self.verbose:
            print("Intercept", result[0])
            print("Prediction_local", result[3])
            print("Right:", labels[0, label])
        return result


def _fit_model(data, labels, weights, used, model_regressor):
    """Final model on the selected columns: lime's default ridge in Rust, or a
    user-supplied scikit-learn regressor fitted in Python as lime does."""
    sub = np.ascontiguousarray(data[:, used])
    if model_regressor is None:
        intercept, order, coefs, score, local_pred = _native.explain_with_data(
            sub, labels[:, None], weights, [0], max(len(used), 1), "none"
        )[0]
        return _result(intercept, used[order], coefs, score, local_pred)
    model_regressor.fit(sub, labels, sample_weight=weights)
    score = model_regressor.score(sub, labels, sample_weight=weights)
    local_pred = model_regressor.predict(sub[0].reshape(1, -1))
    exp = sorted(zip(used, model_regressor.coef_), key=lambda x: np.abs(x[1]), reverse=True)
    return model_regressor.intercept_, exp, score, local_pred


def _result(intercept, features, coefs, score, local_pred):
    """A native fit as lime's (intercept, [(feature, weight)], score, local_pred)."""
    return np.float64(intercept), list(zip(features, coefs)), float(score), np.array([local_pred])


def _select(data, labels, weights, instance, num_features, method):
    """The selected features; with a sparse ``instance``, lime's highest_weights
    ranks only its non-zero features, padding with the lowest unused indices."""
    if instance is None or resolve_feature_selection(method, num_features) != "highest_weights":
        return _native.select_features(data, labels, weights, num_features, method)
    coef, _ = _native.ridge(data, labels, weights, 0.01)
    row = instance.tocsr()
    nz = row.indices
    weighted = coef[nz] * row.data
    order = np.argsort(np.abs(weighted), kind="stable")[::-1]
    indices = nz[order][:num_features]
    pad = lowest_unused(indices, data.shape[1], num_features - len(indices))
    return np.concatenate([indices, pad.astype(indices.dtype)])


def lowest_unused(used: np.ndarray, d: int, count: int) -> np.ndarray:
    """The ``count`` lowest column indices below ``d`` not in ``used`` (lime's padding)."""
    free = np.ones(d, dtype=bool)
    free[used] = False
    return np.flatnonzero(free)[:count]
