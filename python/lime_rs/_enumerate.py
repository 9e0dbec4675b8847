"""Fewer model rows for text and image explanations (issue #17).

* ``unique_rows``: the distinct 0/1 masks of a neighbourhood, so that each
  distinct perturbed document or image goes to the model once
  (``deduplicate=True``); the answers are spread back to the duplicates.
* ``ModelCache``: the same across the rounds of ``num_samples="auto"``: a
  task's masks already evaluated in an earlier round are not asked again.
* ``text_space`` / ``image_space``: every distinct perturbation of a small
  interpretable space with its exact probability under lime's sampling
  scheme, for the exact fit of ``"auto"`` (the expected neighbourhood of
  ``max_samples`` rows: no seed noise).

lime's schemes, exactly:

* text (``LimeTextExplainer.__data_labels_distances``): row 0 is the
  original; each other row removes ``k ~ Uniform{1..d}`` features, chosen
  uniformly without replacement. A mask removing k features has probability
  ``1 / (d * C(d, k))`` (the all-removed mask included, the original never).
* image (``LimeImageExplainer.data_labels``): row 0 all ones; each other row
  switches each superpixel on with probability 1/2, so every mask of the
  ``2**d`` (all ones included) has probability ``2**-d``.

The expected neighbourhood of N rows holds the original once and mask m
``(N - 1) p(m)`` times: these counts are the extra weights of the exact fit
(multiplying the kernel weights), which keeps the ridge penalty on the scale
of an N-row neighbourhood, as lime fits it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from lime_rs import _adaptive, _native, _pipeline


def unique_rows(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(keep, inverse)`` for a 0/1 matrix: ``keep`` the index of the first
    occurrence of each distinct row, in order of appearance (row 0 first),
    ``inverse`` for every row the position of its row in ``keep``, so that
    ``data[keep][inverse] == data``."""
    packed = np.packbits(np.asarray(data) != 0, axis=1)
    _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return first[order], rank[np.asarray(inverse).ravel()]


def mask_keys(data: np.ndarray) -> list[bytes]:
    """One hashable key per 0/1 row."""
    packed = np.packbits(np.asarray(data) != 0, axis=1)
    return [row.tobytes() for row in packed]


def max_enumerable_features(max_samples: int) -> int:
    """The largest d whose ``2**d`` masks fit in ``max_samples`` rows."""
    return max(0, int(max_samples).bit_length() - 1)


def all_masks(d: int) -> np.ndarray:
    """All ``2**d`` 0/1 rows of d columns, row 0 all ones (float64)."""
    codes = np.arange(2**d - 1, -1, -1, dtype=np.int64)
    return ((codes[:, None] >> np.arange(d - 1, -1, -1)) & 1).astype(np.float64)


def text_space(d: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every distinct row of lime's text neighbourhood of ``d`` features and
    its expected count in an ``n``-row neighbourhood: (masks (2**d, d), counts)."""
    masks = all_masks(d)
    removed = d - masks.sum(axis=1).astype(np.int64)
    comb = np.array([math.comb(d, int(k)) for k in removed], dtype=np.float64)
    p = np.where(removed > 0, 1.0 / (d * comb), 0.0)
    counts = (n - 1) * p
    counts[0] += 1.0  # the original, once
    return masks, counts


def image_space(d: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """As ``text_space`` for lime's image masks (each superpixel on w.p. 1/2)."""
    masks = all_masks(d)
    counts = np.full(masks.shape[0], (n - 1) / 2.0**d)
    counts[0] += 1.0
    return masks, counts


def sampling_record(num_samples: int, rows: int, rounds: int, certified: bool,
                    confidence: float | None, max_samples: int, adaptive: bool, exact: bool,
                    reason: str | None) -> dict[str, Any]:  # fmt: skip
    """``exp.sampling`` of a text or image explanation: the tabular record
    (``_adaptive.sampling_record``; ``num_samples`` counts the rows the model
    evaluated) plus ``rows`` (the neighbourhood's rows, repeats included: more
    than ``num_samples`` when ``deduplicate`` saved model rows) and ``exact``
    (the enumerated neighbourhood)."""
    record = _adaptive.sampling_record(
        num_samples, rounds, certified, confidence, max_samples, adaptive, reason
    )
    return {**record, "rows": int(rows), "exact": bool(exact)}


def fixed_record(evaluated: int, n: int) -> dict[str, Any]:
    """``exp.sampling`` of an integer ``num_samples``: one round, no claim."""
    fixed = _adaptive.fixed_sampling(n)
    return {**fixed, "num_samples": int(evaluated), "rows": int(n), "exact": False}


def exact_record(rows: int, confidence: float, max_samples: int) -> dict[str, Any]:
    """``exp.sampling`` of an enumerated neighbourhood: certified by construction."""
    return sampling_record(rows, rows, 1, True, confidence, max_samples, True, True, None)


def adaptive_record(sampling: dict[str, Any], evaluated: int, rows: int) -> dict[str, Any]:
    """``exp.sampling`` of an ``_adaptive.run_many`` outcome, counting the
    model rows actually evaluated (repeats were not sent)."""
    certified = bool(sampling["certified"])
    reason = sampling.get("reason", None if certified else "max_samples reached")
    return {**sampling_record(evaluated, rows, sampling["rounds"], certified,
                              sampling["confidence"], sampling["max_samples"], True, False,
                              reason),
            **{k: v for k, v in sampling.items() if k not in ("num_samples", "reason")}}  # fmt: skip


class ModelCache:
    """The model's answers per task and mask, so that a mask is evaluated
    once per explanation over all rounds (``deduplicate``) or every time.

    ``evaluate(blocks)`` takes ``(task, masks)`` blocks and returns one row
    of outputs per mask, in order; ``build(tasks_and_masks)`` makes and runs
    the model on the distinct new masks (one call per chunk, by the caller).
    ``evaluated[task]`` counts the rows the model saw for the task."""

    def __init__(self, run: Callable[[list[tuple[int, np.ndarray]]], np.ndarray],
                 deduplicate: bool) -> None:  # fmt: skip
        self.run = run
        self.deduplicate = deduplicate
        self.store: dict[int, dict[bytes, np.ndarray]] = {}
        self.evaluated: dict[int, int] = {}

    def evaluate(self, blocks: Sequence[tuple[int, np.ndarray]]) -> np.ndarray:
        plan: list[tuple[int, np.ndarray, Any]] = []
        todo: list[tuple[int, np.ndarray]] = []
        for task, masks in blocks:
            if not self.deduplicate:
                plan.append((task, masks, None))
                todo.append((task, masks))
                self.evaluated[task] = self.evaluated.get(task, 0) + masks.shape[0]
                continue
            known = self.store.setdefault(task, {})
            keys = mask_keys(masks)
            new: dict[bytes, int] = {}
            for i, k in enumerate(keys):
                if k not in known and k not in new:
                    new[k] = i
            rows = np.fromiter(new.values(), dtype=np.intp, count=len(new))
            plan.append((task, masks, (keys, list(new))))
            if rows.size:
                todo.append((task, masks[rows]))
            self.evaluated[task] = self.evaluated.get(task, 0) + rows.size
        outputs = self.run(todo) if todo else np.empty((0, 0))
        out: list[np.ndarray] = []
        at = 0
        for task, masks, dedup in plan:
            if dedup is None:
                out.append(outputs[at : at + masks.shape[0]])
                at += masks.shape[0]
                continue
            keys, new_keys = dedup
            known = self.store[task]
            for j, k in enumerate(new_keys):
                known[k] = outputs[at + j]
            at += len(new_keys)
            out.append(np.array([known[k] for k in keys]))
        return np.concatenate(out, axis=0)


def explain_auto(
    sizes: Sequence[int],
    space: Callable[[int, int], tuple[np.ndarray, np.ndarray]],
    distances: Callable[[np.ndarray], np.ndarray],
    tasks: Callable[[int], _adaptive.Task],
    columns: Callable[[int, np.ndarray], list[int]],
    cache: ModelCache,
    kernel_fn: Callable[[np.ndarray], np.ndarray],
    settings: _adaptive.Settings,
) -> tuple[dict[int, list[tuple]], dict[int, np.ndarray], dict[int, dict[str, Any]]]:
    """The models, model outputs and sampling records of ``num_samples="auto"``
    for items with ``sizes[i]`` features, shared by the text and image
    explainers: an item small enough (``cache.deduplicate``) is explained
    exactly on its whole ``space(d, max_samples)`` (masks, counts), the rest
    by ``_adaptive.run_many`` on ``tasks(i)``. ``columns(i, first_output)``
    chooses each item's labels (called in item order for the exact ones)."""
    weigh = partial(_pipeline.kernel_weights, kernel_fn)
    small = max_enumerable_features(settings.max_samples) if cache.deduplicate else -1
    exact = [i for i, d in enumerate(sizes) if d <= small]
    models: dict[int, list[tuple]] = {}
    yss_of: dict[int, np.ndarray] = {}
    sampling: dict[int, dict[str, Any]] = {}
    if exact:
        spaces = {i: space(sizes[i], settings.max_samples) for i in exact}
        yss_all = cache.evaluate([(i, spaces[i][0]) for i in exact])
        at = 0
        hoods, cols = [], []
        for i in exact:
            masks, counts = spaces[i]
            yss = yss_all[at : at + masks.shape[0]]
            at += masks.shape[0]
            dist = distances(masks)
            hoods.append(_pipeline.Neighbourhood(masks, yss, dist, weights=weigh(dist) * counts))
            cols.append(columns(i, yss[0]))
            yss_of[i] = yss
        weight_list = [w for w in (h.weights for h in hoods) if w is not None]
        fitted = _native.explain_with_data_many(
            [h.data for h in hoods], [h.yss for h in hoods], weight_list,
            cols, settings.num_features, settings.feature_selection, return_stderr=True,
        )  # fmt: skip
        for i, h, m in zip(exact, hoods, fitted):
            models[i] = m
            sampling[i] = exact_record(h.data.shape[0], settings.confidence, settings.max_samples)
    rest = [i for i in range(len(sizes)) if i not in set(exact)]
    todo = [tasks(i) for i in rest]
    outcomes = _adaptive.run_many(todo, cache.evaluate, weigh, settings) if todo else []
    for i, o in zip(rest, outcomes):
        models[i] = o.models
        yss_of[i] = o.hood.yss
        sampling[i] = adaptive_record(o.sampling, cache.evaluated.get(i, 0), o.hood.data.shape[0])
    return models, yss_of, sampling


__all__ = [
    "ModelCache",
    "adaptive_record",
    "all_masks",
    "exact_record",
    "explain_auto",
    "fixed_record",
    "image_space",
    "mask_keys",
    "max_enumerable_features",
    "sampling_record",
    "text_space",
    "unique_rows",
]
