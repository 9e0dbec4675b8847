"""SP-LIME (Ribeiro et al. 2016, section 4): pick a small set of explanations
that together cover the features that matter most over a dataset
(drop-in for ``lime.submodular_pick``)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lime_rs import _native
from lime_rs._random import check_random_state
from lime_rs._validation import check_int


class SubmodularPick:
    """Class for submodular pick: explains candidate rows, then keeps
    num_exps_desired representative explanations by SP-LIME (and all of them)."""

    def __init__(
        self,
        explainer: Any,
        data: Any,
        predict_fn: Callable[[Any], Any],
        method: str = "sample",
        sample_size: int = 1000,
        num_exps_desired: int = 5,
        num_features: int = 10,
        **kwargs: Any,
    ) -> None:
        """
        Args:
            explainer: a lime_rs explainer.
            data: rows (or documents) each a single input into predict_fn
            predict_fn: prediction function (see the explainer's explain_instance)
            method: 'sample' (``sample_size`` rows drawn with the explainer's
                random_state, reproducibly) or 'full' (every row).
            sample_size: The number of instances to explain if method == 'sample'
            num_exps_desired: The number of explanation objects returned
            num_features: maximum number of features present in explanation
            kwargs: passed to explain_instance (top_labels defaults to 1, as lime)

        Sets sp_explanations (the picked explanations), explanations (every
        candidate) and V (the picked ones' indices into explanations).
        """
        num_exps_desired = check_int(num_exps_desired, "num_exps_desired", minimum=1)
        n = len(data)
        if method == "sample":
            sample_size = check_int(sample_size, "sample_size", minimum=1)
            if sample_size > n:
                warnings.warn(
                    "Requested sample size larger than size of input data. Using all data",
                    stacklevel=2,
                )
                sample_size = n
            state = check_random_state(getattr(explainer, "random_state", None))
            sample_indices = state.permutation(n)[:sample_size]
        elif method == "full":
            sample_indices = np.arange(n)
        else:
            raise ValueError(f"method: must be 'sample' or 'full', got {method!r}")
        rows = [data[int(i)] for i in sample_indices]
        kwargs = {"top_labels": 1, **kwargs, "num_features": num_features}
        if hasattr(explainer, "explain_instances"):
            self.explanations = list(explainer.explain_instances(rows, predict_fn, **kwargs))
        else:
            self.explanations = [explainer.explain_instance(r, predict_fn, **kwargs) for r in rows]
        if num_exps_desired > len(self.explanations):
            warnings.warn(
                "Requested number of explanations larger than total number of explanations, "
                "returning all explanations instead.",
                stacklevel=2,
            )
        num_exps_desired = min(num_exps_desired, len(self.explanations))
        W = explanation_matrix(self.explanations)
        self.V = [int(i) for i in _native.submodular_pick(W, num_exps_desired)] if len(W) else []
        self.sp_explanations = [self.explanations[i] for i in self.V]


def explanation_matrix(explanations: Sequence[Any]) -> np.ndarray:
    """The explanations × features (by name, as lime) matrix of ``|weights|``
    that SP-LIME covers; every explained label adds its own, so multiclass
    weights do not cancel (lime issue #311)."""
    index: dict[str, int] = {}
    entries: list[tuple[int, int, float]] = []
    for i, exp in enumerate(explanations):
        for label in exp.available_labels() if exp.mode == "classification" else [1]:
            for feature, value in exp.as_list(label=label):
                entries.append((i, index.setdefault(feature, len(index)), abs(value)))
    W = np.zeros((len(explanations), len(index)))
    for i, j, v in entries:
        W[i, j] += v
    return W
