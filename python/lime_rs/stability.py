"""Stability indices of LIME explanations (Visani, Bagli, Chesani, Poluzzi and
Capuzzo, "Statistical stability indices for LIME: obtaining reliable
explanations for machine learning models", 2020, arXiv:2001.11757).

An instance is explained ``n_repeats`` times (independent neighbourhoods);

* **VSI** (Variables Stability Index): how much the selected feature sets of
  the repeats agree. For every pair of repeats, the concordance is the number
  of features both selected divided by the number selected (the larger of the
  two sets); VSI is the mean over pairs, in percent.
* **CSI** (Coefficients Stability Index): whether a feature's weight is
  estimated consistently. For every feature and every pair of repeats that
  both selected it, the two 95% confidence intervals ``weight ± 1.96·stderr``
  (sandwich standard errors, ``Explanation.local_exp_stderr``) are
  concordant when they overlap; a feature's concordance is the share of its
  concordant pairs and CSI is the mean over features, in percent.

Both are 100 for a perfectly stable explanation. Low VSI: raise
``num_samples`` or choose fewer features; low CSI: the weights themselves move
more than their reported uncertainty allows (or a user regressor gave no
standard errors).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from lime_rs.serialization import Z95

__all__ = ["concordances", "stability_indices"]


def _has_stderr(exp, label):
    key = _label_of(exp, label)
    return key in (getattr(exp, "local_exp_stderr", None) or {})


def _explanations(explainer, instance, predict_fn, n_repeats, label, kwargs):
    batch = getattr(explainer, "explain_instances", None)
    if callable(batch):
        exps = list(batch([instance] * n_repeats, predict_fn, **kwargs))
        # A batch path that does not report standard errors would make every
        # CSI pair discordant; the single-instance path always reports them
        # (with the default ridge).
        if all(_has_stderr(e, label) for e in exps) or kwargs.get("model_regressor") is not None:
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
    pairs = list(itertools.combinations(range(len(runs)), 2))
    vsi = []
    for i, j in pairs:
        a, b = set(runs[i]), set(runs[j])
        size = max(len(a), len(b))
        vsi.append(len(a & b) / size if size else 1.0)
    per_feature = []
    for f in sorted(set().union(*runs)):
        held = [run[f] for run in runs if f in run]
        if len(held) < 2:
            continue
        agree = []
        for (w1, s1), (w2, s2) in itertools.combinations(held, 2):
            if math.isnan(s1) or math.isnan(s2):
                agree.append(False)
                continue
            agree.append(max(w1 - Z95 * s1, w2 - Z95 * s2) <= min(w1 + Z95 * s1, w2 + Z95 * s2))
        per_feature.append(np.mean(agree))
    csi = 100.0 * float(np.mean(per_feature)) if per_feature else math.nan
    return 100.0 * float(np.mean(vsi)), csi


def stability_indices(explainer: Any, instance: Any, predict_fn: Callable[..., Any],
                      n_repeats: int = 10, label: Any = None,
                      **kwargs: Any) -> tuple[float, float]:  # fmt: skip
    """``(vsi, csi)`` in percent for ``n_repeats`` explanations of ``instance``.

    Args:
        explainer: a lime_rs explainer (tabular, text, ...). Its random state
            advances, so the repeats use independent neighbourhoods.
        instance: what ``explainer.explain_instance`` takes first (a row, a
            text, ...).
        predict_fn: the model's prediction function.
        n_repeats: number of explanations (at least 2).
        label: the label whose explanation is compared (default: the first
            explained label; for regression the single one).
        kwargs: passed to ``explain_instance`` (num_features, num_samples, ...).

    The repeats run through ``explainer.explain_instances`` (one batch) when the
    explainer has it, else through a loop of ``explain_instance``.
    CSI is NaN when no feature was selected by two repeats.
    """
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, int) or n_repeats < 2:
        raise ValueError(f"n_repeats: expected an integer of at least 2, got {n_repeats!r}")
    exps = _explanations(explainer, instance, predict_fn, n_repeats, label, kwargs)
    return concordances(exps, label=label)
