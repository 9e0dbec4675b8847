"""Stages every explainer's pipeline shares.

One explanation runs: check the input, draw the seed, sample (Rust), call the
model (Python), weigh the samples by the kernel, fit one local model per label
(Rust, or the user's ``model_regressor`` through ``LimeBase``) and store the
result on an ``Explanation``. The explainers keep what is theirs (sampling and
the domain mapper); what they share lives here, once.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from lime_rs import _native

# The golden-ratio constant: mixes a second 64-bit seed into the first.
_SEED_MIX = 0x9E3779B97F4A7C15


def exponential_kernel(d: np.ndarray, kernel_width: float) -> np.ndarray:
    """lime's default kernel (module level, so explainers pickle)."""
    return np.sqrt(np.exp(-(d**2) / kernel_width**2))


def default_kernel_width(kernel_fn: Callable[..., Any]) -> float | None:
    """The width when ``kernel_fn`` is lime's default kernel, computed in Rust;
    None for any other kernel (called in Python)."""
    if isinstance(kernel_fn, partial) and kernel_fn.func is exponential_kernel:
        width = kernel_fn.keywords.get("kernel_width")
        if isinstance(width, numbers.Real) and not isinstance(width, bool):
            return float(width)
    return None


def kernel_weights(kernel_fn: Callable[[np.ndarray], Any], distances: np.ndarray) -> np.ndarray:
    """One weight per distance: lime's kernel in Rust when it is the default,
    the user's kernel otherwise (its output checked)."""
    width = default_kernel_width(kernel_fn)
    if width is not None:
        return _native.kernel(np.ascontiguousarray(distances, dtype=np.float64), width)
    weights = np.asarray(kernel_fn(distances), dtype=np.float64)
    if weights.shape != (distances.shape[0],):
        raise ValueError(
            f"kernel: returned shape {weights.shape} for {distances.shape[0]} distances; "
            "expected one weight per distance"
        )
    return np.ascontiguousarray(weights)


def is_sparse(x: object) -> bool:
    """A scipy.sparse matrix or array (without importing scipy)."""
    return type(x) is not np.ndarray and hasattr(x, "tocsr") and hasattr(x, "nnz")


def resolve_feature_selection(method: str, num_features: int) -> str:
    """The method ``auto`` stands for, as src/selection.rs resolves it (lime's
    rule): forward selection up to 6 features, highest weights beyond."""
    if method == "auto":
        return "forward_selection" if num_features <= 6 else "highest_weights"
    return method


def mix_seed(seed: int, other: int) -> int:
    """One 64-bit seed from two (a discretizer's own random state, say)."""
    return (seed + _SEED_MIX * other) % 2**64


def check_labels(labels: object, n_classes: int, who: str = "predict_fn") -> list[int]:
    """The class indices to explain, as given (lime keys explanations by them),
    each checked against the model's ``n_classes`` outputs."""
    try:
        items = list(labels)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(
            f"labels: expected an iterable of class indices, got {type(labels).__name__} "
            f"({labels!r:.80})"
        ) from None
    for label in items:
        if isinstance(label, bool) or not isinstance(label, numbers.Integral):
            raise TypeError(
                f"labels: expected integer class indices, got {type(label).__name__} "
                f"({label!r:.80})"
            )
        if not -n_classes <= int(label) < n_classes:
            exist = list(range(n_classes)) if n_classes <= 10 else f"0..{n_classes - 1}"
            raise ValueError(
                f"labels: {int(label)} is not a class of the model; {who} returns "
                f"{n_classes} classes, so the labels that exist are {exist}"
            )
    return items


def choose_labels(exp: Any, first: np.ndarray, labels: object, top_labels: int | None,
                  who: str = "predict_fn") -> list[int]:  # fmt: skip
    """lime's choice of labels: the ``top_labels`` most probable classes of the
    original (recorded on ``exp.top_labels``, most probable first), else ``labels``."""
    if top_labels:
        top = [int(i) for i in np.argsort(first)[-top_labels:]]
        exp.top_labels = top[::-1]
        return top
    return check_labels(labels, first.shape[0], who)


@dataclass
class Neighbourhood:
    """What the fit stage needs of one explanation's perturbed samples.

    ``data`` is the interpretable representation (n, d) the local model is fitted
    on, ``yss`` the model's outputs (n, L) as float64, ``distances`` each
    sample's distance to the original (row 0). ``feature_ids`` maps columns of
    ``data`` to the explanation's feature ids when they differ (sparse rows,
    images whose segment ids are not 0..d-1)."""

    data: np.ndarray
    yss: np.ndarray
    distances: np.ndarray
    feature_ids: np.ndarray | None = None
    weights: np.ndarray | None = field(default=None, repr=False)


@dataclass
class FitOptions:
    """The explain call's options the fit stage reads."""

    num_features: int
    feature_selection: str
    model_regressor: Any = None
    verbose: bool = False
    # fit with LimeBase even without a model_regressor (lime's default ridge
    # through LimeBase: for data the native fit does not take, such as sparse)
    use_base: bool = False


def store_models(exp: Any, labels: Sequence[int], models: Iterable[tuple], yss: np.ndarray,
                 feature_ids: np.ndarray | None = None, verbose: bool = False) -> None:  # fmt: skip
    """Native local models (intercept, features, coefs, score, local_pred[, stderr])
    onto the explanation, keyed by label as lime keys them."""
    n_labels = yss.shape[1]
    for label, (intercept, feats, coefs, score, local_pred, *se) in zip(labels, models):
        ids = feats if feature_ids is None else feature_ids[feats]
        exp.intercept[label] = np.float64(intercept)
        exp.local_exp[label] = list(zip(ids, coefs))
        if se:
            exp.local_exp_stderr[label] = list(zip(ids, se[0]))
        exp.score[label] = float(score)
        exp.local_pred[label] = np.array([local_pred])
        if verbose:
            print("Intercept", exp.intercept[label])
            print("Prediction_local", exp.local_pred[label])
            print("Right:", yss[0, int(label) % n_labels])


def fit(exp: Any, base: Any, hood: Neighbourhood, labels: Sequence[int],
        options: FitOptions) -> None:  # fmt: skip
    """One local model per label onto ``exp`` (``fit_many`` of one)."""
    fit_many([exp], base, [hood], [labels], options)


def fit_many(
    exps: Sequence[Any],
    base: Any,
    hoods: Sequence[Neighbourhood],
    labels: Sequence[Sequence[int]],
    options: FitOptions,
) -> None:
    """One local model per label onto each explanation: in Rust (every label
    from one weighted Gram matrix, with standard errors; one native call for
    all, in parallel over explanations), or with the user's
    ``model_regressor`` through ``LimeBase`` as lime does."""
    if options.model_regressor is not None or options.use_base:
        for exp, hood, labs in zip(exps, hoods, labels):
            for label in labs:
                intercept, local_exp, score, local_pred = base.explain_instance_with_data(
                    hood.data,
                    hood.yss,
                    hood.distances,
                    label,
                    options.num_features,
                    model_regressor=options.model_regressor,
                    feature_selection=options.feature_selection,
                )
                if hood.feature_ids is not None:
                    local_exp = [(hood.feature_ids[f], w) for f, w in local_exp]
                exp.intercept[label] = intercept
                exp.local_exp[label] = local_exp
                exp.score[label] = score
                exp.local_pred[label] = local_pred
        return
    weights = []
    for hood in hoods:
        if hood.weights is None:
            hood.weights = kernel_weights(base.kernel_fn, hood.distances)
        weights.append(hood.weights)
    columns = [[int(c) % h.yss.shape[1] for c in labs] for h, labs in zip(hoods, labels)]
    data, yss = [h.data for h in hoods], [h.yss for h in hoods]
    k, method = options.num_features, options.feature_selection
    if len(hoods) == 1:
        one = _native.explain_with_data(
            data[0], yss[0], weights[0], columns[0], k, method, return_stderr=True
        )
        models = [one]
    else:
        models = _native.explain_with_data_many(
            data, yss, weights, columns, k, method, return_stderr=True
        )
    for exp, hood, labs, m in zip(exps, hoods, labels, models):
        store_models(exp, labs, m, hood.yss, hood.feature_ids, options.verbose)


def mirror_regression(exp: Any) -> None:
    """Regression explanations show label 1 and its mirror 0, as lime's do."""
    exp.intercept[1] = exp.intercept[0]
    exp.local_exp[1] = list(exp.local_exp[0])
    exp.local_exp[0] = [(i, -1 * w) for i, w in exp.local_exp[1]]
    if 0 in exp.local_exp_stderr:
        exp.local_exp_stderr[1] = list(exp.local_exp_stderr[0])
