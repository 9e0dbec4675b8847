"""The stages text and image explanations share, and fewer model rows (#17).

``Options`` (the checked call), ``fit_fixed`` (an integer ``num_samples``) and
``explain_auto`` (``num_samples="auto"``) serve both explainers. ``unique_rows``
and ``ModelCache`` send each distinct mask to the model once. ``text_space`` /
``image_space`` enumerate a small space with each mask's expected count in an
N-row neighbourhood (the weights of the exact fit, keeping the ridge penalty on
the scale of N rows) under lime's sampling:

* text (lime's ``__data_labels_distances``): row 0 the original; each other
  row removes ``k ~ Uniform{1..d}`` features chosen without replacement, so a
  mask removing k features has probability ``1 / (d * C(d, k))``;
* image (lime's ``data_labels``): row 0 all ones; each superpixel is on with
  probability 1/2, so each of the ``2**d`` masks has probability ``2**-d``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np

from lime_rs import _adaptive, _native, _pipeline
from lime_rs._validation import check_int


def unique_rows(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(keep, inverse)`` for a 0/1 matrix: ``keep`` the index of the first
    occurrence of each distinct row, in order of appearance (row 0 first),
    ``inverse`` for every row the position of its row in ``keep``, so that
    ``data[keep][inverse] == data``."""
    packed = np.packbits(np.asarray(data) != 0, axis=1)
    # rows as 64-bit words: numpy sorts those far faster than rows of bytes
    # (one word, i.e. <= 64 features, is a plain 1-D unique)
    n, width = packed.shape
    words = np.zeros((n, -(-width // 8) * 8), dtype=np.uint8)
    words[:, :width] = packed
    keys = words.view(np.uint64)
    if keys.shape[1] == 1:
        _, first, inverse = np.unique(keys.ravel(), return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
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


def _with_rows(sampling: dict[str, Any], evaluated: int, rows: int, exact: bool) -> dict[str, Any]:
    """``exp.sampling`` of text and image: the tabular record, ``num_samples`` the rows
    the model evaluated, ``rows`` the neighbourhood's (repeats included), ``exact``."""
    return {**sampling, "num_samples": int(evaluated), "rows": int(rows), "exact": bool(exact)}


def fixed_record(evaluated: int, n: int) -> dict[str, Any]:
    """``exp.sampling`` of an integer ``num_samples``: one round, no claim."""
    return _with_rows(_adaptive.fixed_sampling(n), evaluated, n, False)


@contextmanager
def progress(show: bool, **options: Any) -> Iterator[Any]:
    """A tqdm bar (imported only then: it costs ~2 MB) closed on exit; None if not shown."""
    if not show:
        yield None
        return
    from tqdm.auto import tqdm

    with tqdm(**options) as bar:
        yield bar


class ModelCache:
    """The model's answers per task and mask: with ``deduplicate`` a mask is
    evaluated once per explanation over all rounds. ``run`` calls the model on
    ``(task, masks)`` blocks; ``evaluated[task]`` counts the rows it saw."""

    def __init__(
        self, run: Callable[[list[tuple[int, np.ndarray]]], np.ndarray], deduplicate: bool
    ):
        self.run = run
        self.deduplicate = deduplicate
        self.store: dict[int, dict[bytes, np.ndarray]] = {}
        self.evaluated: dict[int, int] = {}

    def evaluate(self, blocks: Sequence[tuple[int, np.ndarray]]) -> np.ndarray:
        """One row of outputs per mask of the ``(task, masks)`` blocks, in order."""
        todo: list[tuple[int, np.ndarray]] = []
        plan: list[tuple[list[bytes], list[bytes]] | None] = []  # keys and new keys
        for task, masks in blocks:
            sent, dedup = masks, None
            if self.deduplicate:
                known = self.store.setdefault(task, {})
                keys = mask_keys(masks)
                new: dict[bytes, int] = {}
                for i, k in enumerate(keys):
                    if k not in known:
                        new.setdefault(k, i)
                sent, dedup = masks[list(new.values())], (keys, list(new))
            plan.append(dedup)
            if sent.shape[0] or not self.deduplicate:
                todo.append((task, sent))
            self.evaluated[task] = self.evaluated.get(task, 0) + sent.shape[0]
        outputs = self.run(todo) if todo else np.empty((0, 0))
        out: list[np.ndarray] = []
        at = 0
        for (task, masks), dedup in zip(blocks, plan):
            if dedup is None:
                out.append(outputs[at : at + masks.shape[0]])
                at += masks.shape[0]
                continue
            keys, new_keys = dedup
            known = self.store[task]
            known.update(zip(new_keys, outputs[at : at + len(new_keys)]))
            at += len(new_keys)
            out.append(np.array([known[k] for k in keys]))
        return np.concatenate(out, axis=0)


@dataclass
class Item:
    """One text or image of an "auto" call: its ``size`` features (ids
    ``feature_ids``, None for 0..d-1), its seed and ``draw(n, seed)``: n masks
    from the stream ``seed`` (row 0 the original) and their distances."""

    size: int
    seed: int
    draw: Callable[[int, int], tuple[np.ndarray, np.ndarray]]
    feature_ids: np.ndarray | None = None


_O = TypeVar("_O", bound="Options")


@dataclass
class Options:
    """A text or image explain call's checked options."""

    labels: Any
    top_labels: int | None
    num_features: int
    num_samples: Any  # int, or "auto" (then settings)
    distance_metric: str
    model_regressor: Any = None
    deduplicate: bool = False
    settings: _adaptive.Settings | None = None  # num_samples="auto"

    @classmethod
    def checked(
        cls: type[_O],
        labels: Any,
        top_labels: Any,
        num_features: Any,
        num_samples: Any,
        distance_metric: Any,
        model_regressor: Any,
        deduplicate: Any,
        feature_selection: str,
        confidence: Any,
        max_samples: Any,
        min_samples: int,
        **extra: Any,
    ) -> _O:
        """The options of an explain call, checked (``extra``: the subclass's);
        ``settings`` the Settings of num_samples="auto"."""
        if not isinstance(deduplicate, (bool, np.bool_)):
            raise TypeError(
                f"deduplicate: expected True or False, got {type(deduplicate).__name__}"
            )
        num_samples = _adaptive.check_num_samples(num_samples, minimum=min_samples)
        num_features = check_int(num_features, "num_features", minimum=1)
        top_labels = check_int(top_labels, "top_labels", minimum=1) if top_labels else None
        if not isinstance(distance_metric, str):
            raise TypeError(
                f"distance_metric: expected a metric name, got {type(distance_metric).__name__}"
            )
        settings = None
        if num_samples == "auto":
            if model_regressor is not None:
                raise ValueError(
                    "num_samples: 'auto' certifies the built-in ridge's weights and cannot "
                    f"judge model_regressor={model_regressor!r:.80}; pass an integer "
                    "num_samples to use it"
                )
            confidence = _adaptive.check_confidence(confidence)
            max_samples = _adaptive.check_max_samples(max_samples)
            settings = _adaptive.Settings(num_features, feature_selection, confidence, max_samples)
        return cls(
            labels=labels,
            top_labels=top_labels,
            num_features=num_features,
            num_samples=num_samples,
            distance_metric=distance_metric,
            model_regressor=model_regressor,
            deduplicate=bool(deduplicate),
            settings=settings,
            **extra,
        )

    def record_options(self) -> dict[str, Any]:
        """The options an explanation record keeps (``serialization.record``)."""
        options = {
            "num_samples": self.num_samples,
            "num_features": self.num_features,
            "distance_metric": self.distance_metric,
            "model_regressor": self.model_regressor,
        }
        if self.settings is not None:
            options["max_samples"] = self.settings.max_samples
            options["confidence"] = self.settings.confidence
            options["deduplicate"] = self.deduplicate
        return options


def fit_fixed(
    options: Options,
    exps: Sequence[Any],
    firsts: Sequence[np.ndarray],
    hoods: Sequence[_pipeline.Neighbourhood],
    evaluated: Sequence[int],
    base: Any,
    feature_selection: str,
) -> None:
    """An integer ``num_samples``'s explanations after the model: labels (from
    the original's outputs ``firsts``), local models and ``exp.sampling``."""
    labels = [
        _pipeline.choose_labels(exp, first, options.labels, options.top_labels, "classifier_fn")
        for exp, first in zip(exps, firsts)
    ]
    fit = _pipeline.FitOptions(
        options.num_features, feature_selection, options.model_regressor, base.verbose
    )
    _pipeline.fit_many(exps, base, hoods, labels, fit)
    for exp, count in zip(exps, evaluated):
        exp.sampling = fixed_record(count, options.num_samples)


@dataclass
class AutoCall:
    """The explainer's parts of an "auto" call: the enumerated ``space`` and
    ``distances`` of its masks, ``new_explanation(i, first_output)`` and ``run``
    (the model on ``(task, masks)`` blocks, for ``ModelCache``)."""

    space: Callable[[int, int], tuple[np.ndarray, np.ndarray]]
    distances: Callable[[np.ndarray], np.ndarray]
    new_explanation: Callable[[int, np.ndarray], Any]
    run: Callable[[list[tuple[int, np.ndarray]]], np.ndarray]


def _round(item: Item, task: int, n: int, seed: int, first: bool) -> _adaptive.Round:
    """``n`` new rows of ``item`` (later rounds drop the stream's copy of the original)."""
    data, distances = item.draw(n if first else n + 1, seed)
    if not first:
        data, distances = data[1:], distances[1:]
    data = np.ascontiguousarray(data)
    return _adaptive.Round(data, [(task, data)], np.ascontiguousarray(distances))


def explain_auto(items: Sequence[Item], call: AutoCall, options: Options, base: Any) -> list[Any]:
    """The explanations of "auto" (models, labels and ``exp.sampling`` set): a
    small item (with ``options.deduplicate``) exactly on its
    ``call.space(d, max_samples)``, the rest by ``_adaptive.run_many``."""
    settings = options.settings
    assert settings is not None
    cache = ModelCache(call.run, options.deduplicate)
    weigh = partial(_pipeline.kernel_weights, base.kernel_fn)
    small = max_enumerable_features(settings.max_samples) if cache.deduplicate else -1
    exact = [i for i, item in enumerate(items) if item.size <= small]
    exps: dict[int, Any] = {}
    labels: dict[int, list[int]] = {}

    def columns(i: int, first: np.ndarray) -> list[int]:
        exps[i] = call.new_explanation(i, first)
        labels[i] = _pipeline.choose_labels(
            exps[i], first, options.labels, options.top_labels, "classifier_fn"
        )
        return [int(label) % first.shape[0] for label in labels[i]]

    models: dict[int, list[tuple]] = {}
    yss_of: dict[int, np.ndarray] = {}
    sampling: dict[int, dict[str, Any]] = {}
    if exact:
        spaces = {i: call.space(items[i].size, settings.max_samples) for i in exact}
        yss_all = cache.evaluate([(i, spaces[i][0]) for i in exact])
        at = 0
        cols, weights = [], []
        for i in exact:
            masks, counts = spaces[i]
            yss_of[i] = yss_all[at : at + masks.shape[0]]
            at += masks.shape[0]
            weights.append(weigh(call.distances(masks)) * counts)
            cols.append(columns(i, yss_of[i][0]))
        fitted = _native.explain_with_data_many(
            [spaces[i][0] for i in exact],
            [yss_of[i] for i in exact],
            weights,
            cols,
            settings.num_features,
            settings.feature_selection,
            return_stderr=True,
        )
        for i, m in zip(exact, fitted):
            models[i] = m
            rows = spaces[i][0].shape[0]
            record = _adaptive.sampling_record(
                rows, 1, True, settings.confidence, settings.max_samples, True, None
            )
            sampling[i] = _with_rows(record, rows, rows, True)
    rest = sorted(set(range(len(items))) - set(exact))
    todo = [
        _adaptive.Task(partial(_round, items[i], i), items[i].seed, partial(columns, i))
        for i in rest
    ]
    outcomes = _adaptive.run_many(todo, cache.evaluate, weigh, settings) if todo else []
    for i, o in zip(rest, outcomes):
        models[i] = o.models
        yss_of[i] = o.hood.yss
        sampling[i] = _with_rows(o.sampling, cache.evaluated.get(i, 0), o.hood.data.shape[0], False)
    for i, item in enumerate(items):
        _pipeline.store_models(
            exps[i], labels[i], models[i], yss_of[i], item.feature_ids, base.verbose
        )
        exps[i].sampling = sampling[i]
    return [exps[i] for i in range(len(items))]
