"""Stability indices (Visani et al., "Statistical stability indices for LIME",
2020, arXiv:2001.11757) of ``n_repeats`` explanations of one instance, in
percent, 100 when perfectly stable. VSI: over pairs of repeats, the features
both selected over the larger selection (low: raise num_samples or choose fewer
features). CSI: over features, the share of pairs of repeats selecting it whose
95% intervals ``weight ± 1.96·stderr`` overlap (low: the weights move more than
their standard errors allow, or a user regressor gave none).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from lime_rs.serialization import Z95

__all__ = ["concordances", "stability_indices"]


def _explanations(explainer, instance, predict_fn, n_repeats, label, kwargs):
    batch = getattr(explainer, "explain_instances", None)
    if callable(batch):
        exps = list(batch([instance] * n_repeats, predict_fn, **kwargs))
        # without standard errors every CSI pair is discordant: then the single path, which has them
        if kwargs.get("model_regressor") is not None or all(
            _label_of(e, label) in (getattr(e, "local_exp_stderr", None) or {}) for e in exps
        ):
            return exps
    return [explainer.explain_instance(instance, predict_fn, **kwargs) for _ in range(n_repeats)]


def _label_of(exp, label):
    if label is not None:
        return exp._label_key(label)
    if exp.mode != "classification":
        return exp.dummy_label
    if exp.top_labels:
        return exp.top_labels[0]
    return next(iter(exp.local_exp))


def concordances(explanations: Iterable[Any], label: Any = None) -> tuple[float, float]:
    """(VSI, CSI) in percent of already computed explanations of one instance."""
    explanations = list(explanations)
    if len(explanations) < 2:
        raise ValueError(
            f"explanations: need at least 2 explanations of the instance, got {len(explanations)}"
        )
    runs = []
    for exp in explanations:
        key = _label_of(exp, label)
        ses = dict((int(f), float(s)) for f, s in getattr(exp, "local_exp_stderr", {}).get(key, []))
        runs.append({int(f): (float(w), ses.get(int(f), math.nan)) for f, w in exp.local_exp[key]})
    vsi = []
    for a, b in itertools.combinations(runs, 2):
        size = max(len(a), len(b))
        vsi.append(len(a.keys() & b.keys()) / size if size else 1.0)
    per_feature = []
    for f in sorted(set().union(*runs)):
        held = [run[f] for run in runs if f in run]
        if len(held) < 2:
            continue
        agree = [
            not (math.isnan(s1) or math.isnan(s2))  # no standard error: not concordant
            and max(w1 - Z95 * s1, w2 - Z95 * s2) <= min(w1 + Z95 * s1, w2 + Z95 * s2)
            for (w1, s1), (w2, s2) in itertools.combinations(held, 2)
        ]
        per_feature.append(np.mean(agree))
    csi = 100.0 * float(np.mean(per_feature)) if per_feature else math.nan
    return 100.0 * float(np.mean(vsi)), csi


def stability_indices(explainer: Any, instance: Any, predict_fn: Callable[..., Any],
                      n_repeats: int = 10, label: Any = None,
                      **kwargs: Any) -> tuple[float, float]:  # fmt: skip
    """``(vsi, csi)`` in percent for ``n_repeats`` explanations of ``instance``
    (one ``explain_instances`` batch where the explainer has it); CSI is NaN
    when no feature was selected by two repeats.

    Args:
        explainer: a lime_rs explainer; its random state advances, so the
            repeats use independent neighbourhoods.
        instance: what ``explainer.explain_instance`` takes first (a row, a text, ...).
        predict_fn: the model's prediction function.
        n_repeats: number of explanations (at least 2).
        label: the label compared (default: the first explained; regression: the only one).
        kwargs: passed to ``explain_instance`` (num_features, num_samples, ...).
    """
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, int) or n_repeats < 2:
        raise ValueError(f"n_repeats: expected an integer of at least 2, got {n_repeats!r}")
    exps = _explanations(explainer, instance, predict_fn, n_repeats, label, kwargs)
    return concordances(exps, label=label)
