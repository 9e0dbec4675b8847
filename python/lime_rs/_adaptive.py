"""Certified adaptive sampling (``num_samples="auto"``, issue #17).

The model is asked about the neighbourhood in rounds (250 rows, then doubling
up to ``max_samples``). After each round the local model is refitted and a
*certificate* is checked: are the explanation's features (the top
``num_features`` by lime's ranking) and the sign of each shown weight those of
the infinite-sample local model, at the stated ``confidence``? The first round
that passes stops the sampling; if ``max_samples`` is reached first the
explanation of all rows is returned, marked not certified.

The certificate (``certify``)
-----------------------------
For each explained label two weighted ridge fits with sandwich (HC1)
standard errors are made (``lime_rs._native.explain_with_data``):

1. the *full* model on all d features (``"none"``, ridge alpha 0.01, the
   ranking fit of lime's ``highest_weights``), whose estimates converge to the
   infinite-sample local model's weights ``w``. The ranking score is
   ``|w_j * x0_j|`` for ``highest_weights`` as lime ranks (x0 the original's
   interpretable row; 1 for text, images and discretized tabular data) and
   ``|w_j|`` for the other methods. Every feature gets the
   interval ``w_j ± q·se_j``; the bounds of ``|w_j x0_j|`` follow. The
   top-``num_features`` set S is *separated* when the lowest lower bound in S
   lies above the highest upper bound outside S.
2. the *final* model, as the explanation shows it (the user's
   ``feature_selection``, ridge alpha 1, refitted on its selected features F).
   Its sign is certain when every interval ``w_j ± q·se_j``, j in F, excludes 0.

The explanation is certified when, for every explained label, S is separated,
F == S, and every sign in F is certain. When the final model shows every
feature (``num_features >= d``, or ``feature_selection="none"``, which lime
always fits on all features) there is no set to certify: only the signs.

With ``feature_selection`` ``"forward_selection"``, ``"lasso_path"`` (or
``"auto"`` with ``num_features <= 6``, which is forward selection) the
selected set F may differ from the top-|w| set S; such an explanation is
certified only when F equals S, and the claim is then "the shown features are
the infinite-sample model's top features by |w|, with the right signs", not
"forward selection on infinitely many rows would pick them".

Why it is honest. If every interval of every label, at every round that
could stop, covers its true value, every certificate issued is true: disjoint
intervals order the true |w| the same way, and an interval without 0 gives the
true sign (for the final fit, on the set S that is then the true set). So
P(a false certificate) <= P(some interval misses), which Bonferroni bounds
by giving each interval the level ``(1 - confidence) / (R * L * m)``:
R the rounds of the schedule at which a certificate can be issued (optional
stopping after every round would otherwise spend the error once per look), L
the labels, m = d + num_features intervals per label (d for signs only). No
covariance between weights is needed (the rule only uses disjoint intervals),
which is what makes it conservative rather than tight.

The sandwich standard error is asymptotic: with few rows, uneven kernel
weights, rare feature values or a few large residuals it under-covers, most
in the far tails that Bonferroni uses (measured on breast_cancer at 250 rows:
normal-quantile intervals missed 2-4x as often as nominal at 1e-3..2e-4).
So each interval uses Student's t with its own degrees of freedom,
``score_df``: the effective number of rows in the weight's sum of squared
scores (Satterthwaite), capped by Kish's effective size
``n_eff = (Σw)² / Σw²`` less the d + 1 parameters; at 250 rows that is
typically 30-50, not 250, and the measured misses fall back to nominal
(tests/test_adaptive.py checks it). No certificate is issued while any
interval has fewer than ``MIN_DF`` degrees of freedom, or before
``n_eff >= max(MIN_EFFECTIVE_ROWS, MIN_EFFECTIVE_PER_PARAMETER * (d + 1))``.
The remaining ridge shrinkage (alpha 0.01 in the ranking fit, alpha 1 in the
shown fit) is O(1/n) against O(1/√n) half-widths.

The driver (``run_many``, ``run``)
----------------------------------
The explainer describes how to draw one round of one row (``Task``) and how
to call the model; the driver does the rounds: each round is one model call
over the new rows of every row not yet certified (certified rows drop out),
and round r of a row draws from the stream ``round_seed(seed, r)``, so results
do not depend on which rows share a batch or on threads. A row whose
certificate is out of reach (``shortfall``: it would need more than
``FUTILITY_SLACK`` x ``max_samples`` rows) draws all its remaining rows in
its next round: the same rows as lime, in fewer model calls.

Wiring an explainer (sketch)::

    num_samples = _adaptive.check_num_samples(num_samples, minimum=2)
    if num_samples == "auto":
        settings = _adaptive.Settings(
            num_features, feature_selection,
            _adaptive.check_confidence(confidence), _adaptive.check_max_samples(max_samples))

        def sample_round(n, seed, first):   # one per row
            # n rows from the stream `seed`; row 0 is the original when `first`,
            # else draw n + 1 and drop the stream's copy of the original
            return _adaptive.Round(data, model_inputs, distances_to_original)

        tasks = [_adaptive.Task(sample_round, seed, columns_or_fn) for each row]
        outcomes = _adaptive.run_many(tasks, checked_predict,
                                      partial(kernel_weights, kernel_fn), settings)
        for o in outcomes:   # o.hood (data, yss, distances, weights), o.columns
            store_models(exp, labels, o.models, o.hood.yss, feature_ids, verbose)
            exp.sampling = o.sampling
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from lime_rs import _native
from lime_rs._pipeline import Neighbourhood

#: Rows of the first round (the original row 0 included).
FIRST_ROUND = 250
#: lime's default ``num_samples``: "auto" never asks the model more than this.
DEFAULT_MAX_SAMPLES = 5000
DEFAULT_CONFIDENCE = 0.95
#: No certificate before the effective sample size reaches this many rows per
#: fitted parameter (d weights and the intercept) ...
MIN_EFFECTIVE_PER_PARAMETER = 5.0
#: ... and this many rows in all.
MIN_EFFECTIVE_ROWS = 100.0
#: No certificate while some interval's standard error rests on fewer
#: effective degrees of freedom than this (``score_df``).
MIN_DF = 10.0
#: A row whose intervals would need more than this many times
#: ``max_samples`` rows to pass (``shortfall``² x rows now) is hopeless: its
#: next round draws every remaining row at once (fewer model calls, the same
#: rows). The slack covers the noise of the estimated gaps at small n.
FUTILITY_SLACK = 4.0
#: Ridge penalty of the ranking fit: lime's highest_weights ranks with it.
RANKING_ALPHA = 0.01
#: Ridge penalty of the shown fit (lime's Ridge(alpha=1)).
SHOWN_ALPHA = 1.0

_MASK64 = 2**64 - 1


# --------------------------------------------------------------------------
# Arguments


def check_num_samples(value: object, minimum: int = 1) -> int | str:
    """``num_samples``: ``"auto"`` or an integer >= ``minimum``."""
    if isinstance(value, str):
        if value == "auto":
            return value
        raise ValueError(
            f"num_samples: expected a positive integer or 'auto', got the string {value!r}"
        )
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"num_samples: expected an integer or 'auto', got "
            f"{type(value).__name__} ({value!r:.80})"
        )
    if int(value) < minimum:
        raise ValueError(
            f"num_samples: must be at least {minimum}, got {int(value)} (or 'auto': as few "
            "as the explanation needs)"
        )
    return int(value)


def check_max_samples(value: object) -> int:
    """``max_samples``: an integer >= 2 (the original row and at least one
    perturbation; a certificate needs far more, see ``MIN_EFFECTIVE_ROWS``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"max_samples: expected an integer (default {DEFAULT_MAX_SAMPLES}), got "
            f"{type(value).__name__} ({value!r:.80})"
        )
    if int(value) < 2:
        raise ValueError(
            f"max_samples: must be at least 2 (the original row and one perturbation), "
            f"got {int(value)}"
        )
    return int(value)


def check_confidence(value: object) -> float:
    """``confidence``: a real number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"confidence: expected a number between 0 and 1 (e.g. 0.95), got "
            f"{type(value).__name__} ({value!r:.80})"
        )
    c = float(value)
    if not (0.0 < c < 1.0):
        raise ValueError(f"confidence: must lie strictly between 0 and 1, got {value!r}")
    return c


# --------------------------------------------------------------------------
# Schedule and seeds


def schedule(max_samples: int, first: int = FIRST_ROUND, growth: float = 2.0) -> list[int]:
    """Cumulative row counts after each round: ``first``, then ×``growth``,
    the last one ``max_samples`` (e.g. 250, 500, 1000, 2000, 4000, 5000)."""
    if growth <= 1.0:
        raise ValueError(f"growth: must be greater than 1, got {growth}")
    sizes = [min(first, max_samples)]
    while sizes[-1] < max_samples:
        sizes.append(min(max(int(sizes[-1] * growth), sizes[-1] + 1), max_samples))
    return sizes


def _mix64(z: int) -> int:
    """SplitMix64's finaliser (as src/rng.rs): a well-mixed 64-bit hash."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def round_seed(seed: int, round_index: int) -> int:
    """The seed of round ``round_index`` of the row seeded ``seed``: the row's
    own seed for round 0 (so the first round is the neighbourhood a fixed
    ``num_samples=250`` draws), a hashed stream for later rounds."""
    if round_index == 0:
        return seed
    return _mix64((seed & _MASK64) ^ _mix64(round_index + 0x632BE59BD9B4E019))


# --------------------------------------------------------------------------
# The certificate


def resolve_method(method: str, num_features: int) -> str:
    """``"auto"`` as lime resolves it."""
    if method == "auto":
        return "forward_selection" if num_features <= 6 else "highest_weights"
    return method


def effective_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²``."""
    s2 = float(np.dot(weights, weights))
    return float(weights.sum()) ** 2 / s2 if s2 > 0 else 0.0


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile (Cornish-Fisher expansion around the normal's,
    Abramowitz & Stegun 26.7.5; within 0.2% of the exact value for df >= 10
    and p down to 1e-5, the range ``certify`` uses; scipy.stats would cost
    seconds of import)."""
    z = NormalDist().inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def intervals_per_label(d: int, num_features: int, method: str) -> int:
    """How many intervals one label's certificate uses (``m`` above)."""
    if resolve_method(method, num_features) == "none" or num_features >= d:
        return d
    return d + num_features


def interval_level(weights: np.ndarray, d: int, n_labels: int, num_features: int, method: str,
                   confidence: float, looks: int) -> float | None:  # fmt: skip
    """Each interval's two-sided error level (Bonferroni over ``looks``
    rounds, the labels and each label's intervals), or None when the
    neighbourhood is too small to certify anything."""
    n_eff = effective_size(weights)
    if n_eff < max(MIN_EFFECTIVE_ROWS, MIN_EFFECTIVE_PER_PARAMETER * (d + 1)):
        return None
    return (1.0 - confidence) / (looks * n_labels * intervals_per_label(d, num_features, method))


def score_df(hood: Neighbourhood, column: int, model: tuple) -> np.ndarray:
    """Degrees of freedom of each shown weight's sandwich variance: the
    effective number of rows in its sum of squared scores, ``(Σu²)² / Σu⁴``
    with ``u_i = w_i e_i (x_ij - x̄_j)`` (Satterthwaite's approximation for a
    sum of independent squares), capped by Kish's rows less the parameters.
    A few rows with large residuals or rare feature values make it small, and
    the t quantile wide, where the sandwich would under-cover."""
    w = hood.weights
    assert w is not None
    feats = np.asarray(model[1], dtype=np.intp)
    x = hood.data[:, feats]
    resid = hood.yss[:, column] - model[0] - x @ np.asarray(model[2], dtype=np.float64)
    u = (w * resid)[:, None] * (x - (w @ x) / w.sum())
    u2 = u * u
    s4 = (u2 * u2).sum(axis=0)
    df = np.where(s4 > 0, u2.sum(axis=0) ** 2 / np.where(s4 > 0, s4, 1.0), 0.0)
    return np.minimum(df, effective_size(w) - hood.data.shape[1] - 1)


def quantiles(alpha: float, df: np.ndarray) -> np.ndarray | None:
    """Per-interval t quantiles at two-sided level ``alpha``; None when some
    interval has fewer than ``MIN_DF`` degrees of freedom (its standard error
    is then itself too noisy to trust)."""
    if df.size and df.min() < MIN_DF:
        return None
    return np.array([t_quantile(1.0 - alpha / 2.0, float(v)) for v in df])


def separated(weights: np.ndarray, stderr: np.ndarray, scale: np.ndarray, k: int,
              q: np.ndarray) -> frozenset[int] | None:  # fmt: skip
    """The top-``k`` features by ``|w·scale|`` when every one of their
    intervals ``w ± q·se`` lies above every other feature's (in
    ``|w·scale|``), else None. Arguments are indexed by feature."""
    score = np.abs(weights * scale)
    half = q * stderr * np.abs(scale)
    if not np.all(np.isfinite(half)):
        return None
    order = np.argsort(-score, kind="stable")
    top, rest = order[:k], order[k:]
    lower = score[top] - half[top]
    if lower.min() <= 0.0 or (rest.size and lower.min() <= (score[rest] + half[rest]).max()):
        return None
    return frozenset(int(j) for j in top)


def signs_certain(weights: Sequence[float], stderr: Sequence[float], q: np.ndarray) -> bool:
    """Every interval ``w ± q·se`` excludes 0."""
    w = np.asarray(weights, dtype=np.float64)
    se = np.asarray(stderr, dtype=np.float64)
    return bool(np.all(np.isfinite(se)) and np.all(np.abs(w) > q * se))


def shortfall(weights: np.ndarray, half: np.ndarray, k: int | None = None) -> float:
    """By how much the intervals must shrink for the rule to pass: the
    smallest c with every check true once each half-width ``half`` is divided
    by c (c < 1: passes now). With ``k``, the top-``k`` separation on scores
    ``weights`` (>= 0); without, signs. Steers the schedule only (futility),
    never the certificate."""
    w = np.abs(weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        if k is None:
            return float(np.max(np.where(w > 0, half / w, np.inf), initial=0.0))
        order = np.argsort(-w, kind="stable")
        top, rest = order[:k], order[k:]
        c = float(np.max(np.where(w[top] > 0, half[top] / w[top], np.inf)))
        if rest.size:
            gap = w[top][:, None] - w[rest][None, :]
            need = (half[top][:, None] + half[rest][None, :]) / gap
            c = max(c, float(np.max(np.where(gap > 0, need, np.inf))))
    return c


def _signs_ok(hood: Neighbourhood, columns: Sequence[int], models: list[tuple],
              alpha: float | None) -> tuple[bool, float]:  # fmt: skip
    if alpha is None:
        return False, math.nan
    ok, short = True, 0.0
    for col, m in zip(columns, models):
        q = quantiles(alpha, score_df(hood, col, m))
        if q is None:
            return False, math.nan
        ok = ok and signs_certain(m[2], m[5], q)
        short = max(short, shortfall(np.asarray(m[2]), q * np.asarray(m[5])))
    return ok, short


def _set_ok(hood: Neighbourhood, columns: Sequence[int], full: list[tuple],
            shown: list[tuple], alpha: float, k: int, method: str) -> tuple[bool, float]:  # fmt: skip
    d = hood.data.shape[1]
    scale = hood.data[0] if method == "highest_weights" else np.ones(d)
    ok, short = True, 0.0
    for col, model_full, model_shown in zip(columns, full, shown):
        q_sorted = quantiles(alpha, score_df(hood, col, model_full))
        if q_sorted is None:
            return False, math.nan
        w, se = _by_feature(model_full, d)
        q = np.empty(d)
        q[np.asarray(model_full[1], dtype=np.intp)] = q_sorted
        top = separated(w, se, scale, k, q)
        ok = ok and top is not None and top == frozenset(int(f) for f in model_shown[1])
        short = max(short, shortfall(w * scale, q * se * np.abs(scale), k))
    return ok, short


# --------------------------------------------------------------------------
# exp.sampling


def sampling_record(num_samples: int, rounds: int, certified: bool, confidence: float | None,
                    max_samples: int, adaptive: bool, reason: str | None) -> dict[str, Any]:  # fmt: skip
    """What ``exp.sampling`` holds (docs/explanation_schema.md): the perturbed
    rows the model evaluated, in how many rounds, whether the explanation is
    certified at ``confidence``, the cap, whether ``num_samples="auto"`` was
    asked, and why it is not certified (None when it is)."""
    return {
        "num_samples": int(num_samples),
        "rounds": int(rounds),
        "certified": bool(certified),
        "confidence": None if confidence is None else float(confidence),
        "max_samples": int(max_samples),
        "adaptive": bool(adaptive),
        "reason": reason,
    }


def fixed_sampling(num_samples: int) -> dict[str, Any]:
    """``exp.sampling`` of an integer ``num_samples``: one round, no claim."""
    return sampling_record(num_samples, 1, False, None, num_samples, False,
                           "fixed num_samples (pass num_samples='auto' to certify)")  # fmt: skip


#: ``reason`` of an "auto" explanation that reached ``max_samples``.
REASON_MAX_SAMPLES = "max_samples reached"


@dataclass
class Verdict:
    """One neighbourhood's certificate: ``certified``, the shown local models
    (one tuple per column: intercept, features, weights, score, local_pred,
    stderr, as ``explain_with_data(..., return_stderr=True)`` returns them)
    and ``shortfall``, the factor by which the intervals would have to shrink
    (about sqrt(rows needed / rows now); nan when unknown)."""

    certified: bool
    models: list[tuple]
    shortfall: float


def certify_many(hoods: Sequence[Neighbourhood], columns: Sequence[Sequence[int]],
                 num_features: int, feature_selection: str, confidence: float,
                 looks: int) -> list[Verdict]:  # fmt: skip
    """``certify`` for several neighbourhoods, with one native call per fit
    over all of them (the fits run in parallel in Rust)."""
    weights: list[np.ndarray] = []
    for h in hoods:
        if h.weights is None:
            raise ValueError("hoods: every neighbourhood needs its kernel weights")
        weights.append(h.weights)
    method = resolve_method(feature_selection, num_features)
    alphas = [
        interval_level(w, h.data.shape[1], len(c), num_features, method, confidence, looks)
        for h, w, c in zip(hoods, weights, columns)
    ]
    # the shown fit: what the explanation stores
    shown = _native.explain_with_data_many(
        [h.data for h in hoods], [h.yss for h in hoods], weights,
        [list(c) for c in columns], num_features, feature_selection, SHOWN_ALPHA,
        return_stderr=True,
    )  # fmt: skip
    verdicts = []
    for h, c, m, a in zip(hoods, columns, shown, alphas):
        ok, short = _signs_ok(h, c, m, a)
        verdicts.append(Verdict(ok, m, short))
    need_set = [
        i for i, h in enumerate(hoods)
        if alphas[i] is not None
        and intervals_per_label(h.data.shape[1], num_features, method) > h.data.shape[1]
    ]  # fmt: skip
    if need_set:
        ranking = _native.explain_with_data_many(
            [hoods[i].data for i in need_set], [hoods[i].yss for i in need_set],
            [weights[i] for i in need_set], [list(columns[i]) for i in need_set],
            num_features, "none", RANKING_ALPHA, return_stderr=True,
        )  # fmt: skip
        for i, full in zip(need_set, ranking):
            ok, short = _set_ok(hoods[i], columns[i], full, shown[i], alphas[i],  # type: ignore[arg-type]
                                num_features, method)  # fmt: skip
            v = verdicts[i]
            v.certified = v.certified and ok
            v.shortfall = max(v.shortfall, short)
    return verdicts


def certify(hood: Neighbourhood, columns: Sequence[int], num_features: int,
            feature_selection: str, confidence: float, looks: int) -> Verdict:  # fmt: skip
    """Whether the explanation of ``hood`` is certified (module docstring),
    and its shown local models per column of ``columns``: (intercept,
    features, weights, score, local_pred, stderr), as ``explain_with_data``
    returns them with ``return_stderr=True``."""
    return certify_many([hood], [columns], num_features, feature_selection, confidence, looks)[0]


def _by_feature(model: tuple, d: int) -> tuple[np.ndarray, np.ndarray]:
    """A native model's weights and standard errors indexed by feature."""
    w = np.zeros(d)
    se = np.zeros(d)
    feats = np.asarray(model[1], dtype=np.intp)
    w[feats] = model[2]
    se[feats] = model[5]
    return w, se


# --------------------------------------------------------------------------
# The driver


@dataclass
class Round:
    """One round's new rows of one explanation: ``data`` (m, d) the
    interpretable representation, ``inverse`` what the model is called on
    (an array of m rows, a list of m strings, m images), ``distances`` (m,)
    each row's distance to the original."""

    data: np.ndarray
    inverse: Any
    distances: np.ndarray


#: ``sample_round(n, seed, first)``: ``n`` new rows drawn from the stream
#: ``seed``; when ``first``, row 0 is the original and counts among the n.
SampleRound = Callable[[int, int, bool], Round]


@dataclass
class Task:
    """One explanation to sample adaptively: how to draw its rounds, its
    seed, and the model output columns to certify (a list, or a function of
    the original row's model output, for ``top_labels``)."""

    sample_round: SampleRound
    seed: int
    columns: Sequence[int] | Callable[[np.ndarray], Sequence[int]]


@dataclass(frozen=True)
class Settings:
    """The explain call's options the driver reads."""

    num_features: int
    feature_selection: str = "auto"
    confidence: float = DEFAULT_CONFIDENCE
    max_samples: int = DEFAULT_MAX_SAMPLES
    first_round: int = FIRST_ROUND
    growth: float = 2.0


def auto_settings(num_samples: int | str, num_features: int, feature_selection: str,
                  model_regressor: Any, deduplicate: Any, confidence: Any,
                  max_samples: Any) -> Settings | None:  # fmt: skip
    """The text and image explainers' checks of ``deduplicate`` and of the
    ``num_samples="auto"`` options; their Settings (None for a fixed size)."""
    if not isinstance(deduplicate, (bool, np.bool_)):
        raise TypeError(f"deduplicate: expected True or False, got {type(deduplicate).__name__}")
    if num_samples != "auto":
        return None
    if model_regressor is not None:
        raise ValueError(
            "num_samples: 'auto' certifies the built-in ridge's weights and cannot "
            f"judge model_regressor={model_regressor!r:.80}; pass an integer "
            "num_samples to use it"
        )
    return Settings(num_features, feature_selection, check_confidence(confidence),
                    check_max_samples(max_samples))  # fmt: skip


@dataclass
class Outcome:
    """One explanation's result: every row drawn (``hood``), the columns
    certified, the shown local models (one tuple per column, as
    ``explain_with_data(..., return_stderr=True)`` returns them: hand them to
    ``_pipeline.store_models``) and ``sampling`` for ``exp.sampling``."""

    hood: Neighbourhood
    columns: list[int]
    models: list[tuple]
    sampling: dict[str, Any] = field(default_factory=dict)


def _concat(parts: list[Any]) -> Any:
    """Model inputs of several rounds as one: arrays stacked, lists chained."""
    if len(parts) == 1:
        return parts[0]
    if all(isinstance(p, np.ndarray) for p in parts):
        return np.concatenate(parts, axis=0)
    out: list[Any] = []
    for p in parts:
        out.extend(p)
    return out


def run_many(tasks: Sequence[Task], predict: Callable[[Any], np.ndarray],
             weigh: Callable[[np.ndarray], np.ndarray], settings: Settings) -> list[Outcome]:  # fmt: skip
    """Adaptive sampling of many explanations at once.

    Each round draws the new rows of every task not yet certified, calls
    ``predict`` ONCE on all of them (stacked: arrays by rows, lists chained;
    ``predict`` returns (rows, L) float64 and may chunk internally), weighs
    them with ``weigh(distances)`` (the kernel), refits and certifies every
    task in one native call; certified tasks drop out. Round r of a task
    draws from ``round_seed(task.seed, r)``, so a task's result does not
    depend on the others."""
    sizes = schedule(settings.max_samples, settings.first_round, settings.growth)
    looks = len(sizes)
    n_tasks = len(tasks)
    parts: list[dict[str, list[np.ndarray]]] = [
        {"data": [], "yss": [], "distances": [], "weights": []} for _ in range(n_tasks)
    ]
    columns: list[list[int]] = [[] for _ in range(n_tasks)]
    outcomes: list[Outcome | None] = [None] * n_tasks
    drawn = [0] * n_tasks
    hopeless = [False] * n_tasks
    active = list(range(n_tasks))
    for r, target in enumerate(sizes):
        # a hopeless row draws all its remaining rows now (and then stops)
        targets = [settings.max_samples if hopeless[i] else target for i in active]
        rounds = [
            tasks[i].sample_round(t - drawn[i], round_seed(tasks[i].seed, r), r == 0)
            for i, t in zip(active, targets)
        ]
        counts = [rd.data.shape[0] for rd in rounds]
        yss_all = np.asarray(predict(_concat([rd.inverse for rd in rounds])), dtype=np.float64)
        if yss_all.ndim != 2 or yss_all.shape[0] != sum(counts):
            raise ValueError(
                f"predict: expected ({sum(counts)}, n_outputs) outputs for {sum(counts)} rows, "
                f"got shape {yss_all.shape}"
            )
        offsets = np.cumsum([0, *counts])
        hoods = []
        for j, (i, rd) in enumerate(zip(active, rounds)):
            drawn[i] = targets[j]
            p = parts[i]
            yss = yss_all[offsets[j] : offsets[j + 1]]
            if r == 0:
                cols = tasks[i].columns
                columns[i] = [int(c) for c in (cols(yss[0]) if callable(cols) else cols)]
            p["data"].append(np.asarray(rd.data, dtype=np.float64))
            p["yss"].append(yss)
            p["distances"].append(np.asarray(rd.distances, dtype=np.float64))
            p["weights"].append(np.asarray(weigh(p["distances"][-1]), dtype=np.float64))
            data, yss, dist, w = (
                np.ascontiguousarray(np.concatenate(p[key], axis=0))
                for key in ("data", "yss", "distances", "weights")
            )
            hoods.append(Neighbourhood(data, yss, dist, weights=w))
            # keep one block: the next round concatenates two arrays, not r
            for key, arr in zip(("data", "yss", "distances", "weights"), _fields(hoods[-1])):
                p[key] = [arr]
        verdicts = certify_many(
            hoods, [columns[i] for i in active], settings.num_features,
            settings.feature_selection, settings.confidence, looks,
        )  # fmt: skip
        still = []
        for i, hood, v in zip(active, hoods, verdicts):
            n = hood.data.shape[0]
            if v.certified or n >= settings.max_samples:
                outcomes[i] = Outcome(hood, columns[i], v.models, sampling_record(
                    n, r + 1, v.certified, settings.confidence, settings.max_samples, True,
                    None if v.certified else REASON_MAX_SAMPLES,
                ))  # fmt: skip
            else:
                # NaN (no estimate yet) is never hopeless
                hopeless[i] = v.shortfall**2 * n > FUTILITY_SLACK * settings.max_samples
                still.append(i)
        active = still
        if not active:
            break
    return outcomes  # type: ignore[return-value]


def _fields(h: Neighbourhood) -> tuple[np.ndarray, ...]:
    assert h.weights is not None
    return (h.data, h.yss, h.distances, h.weights)


def run(sample_round: SampleRound, predict: Callable[[Any], np.ndarray],
        weigh: Callable[[np.ndarray], np.ndarray], seed: int,
        columns: Sequence[int] | Callable[[np.ndarray], Sequence[int]],
        settings: Settings) -> Outcome:  # fmt: skip
    """``run_many`` for one explanation."""
    return run_many([Task(sample_round, seed, columns)], predict, weigh, settings)[0]


__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_MAX_SAMPLES",
    "FIRST_ROUND",
    "Neighbourhood",
    "Outcome",
    "Round",
    "Settings",
    "Task",
    "Verdict",
    "auto_settings",
    "certify",
    "certify_many",
    "check_confidence",
    "check_max_samples",
    "check_num_samples",
    "fixed_sampling",
    "round_seed",
    "run",
    "run_many",
    "sampling_record",
    "schedule",
    "shortfall",
]
