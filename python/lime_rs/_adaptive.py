"""Certified adaptive sampling (``num_samples="auto"``, issue #17).

The model is asked about the neighbourhood in rounds (250 rows, then doubling
up to ``max_samples``); after each round the local model is refitted and the
first round whose certificate passes stops (at ``max_samples``: all rows, not
certified). A certificate (``certify``, at level ``confidence``) claims, for
every explained label, that the shown features are the top ``num_features`` of
the infinite-sample local model (ranked as lime's ``highest_weights``: by
``|w_j x0_j|``, else ``|w_j|``) and each shown weight has its sign. Two weighted
ridge fits with sandwich (HC1) standard errors give intervals ``w_j ± q·se_j``:
the *ranking* fit on all d features (top set S separated when its lowest lower
bound lies above every other upper bound) and the *shown* fit (the user's
``feature_selection``) on its features F (signs certain when no interval holds
0). Certified: S separated, F == S, every sign certain (signs only when every
feature is shown). With forward selection or lasso the claim is about the top
features by |w|, not what those methods would pick on infinitely many rows.

Valid because, if every interval covers its true value, every certificate is
true; Bonferroni gives each interval the level ``(1 - confidence) / (R * L * m)``
(R rounds that may stop, L labels, m = d + num_features intervals per label, d
for signs only). Each interval uses Student's t with its own Satterthwaite
degrees of freedom (``score_df``, capped by Kish's effective size less the
parameters), and nothing is certified below ``MIN_DF`` or ``MIN_EFFECTIVE_ROWS``
(tests/test_adaptive.py checks the coverage). The driver (``run_many``) makes
one model call per round over the new rows of every uncertified explanation;
round r of a row draws from ``round_seed(seed, r)`` (results do not depend on
batching or threads); a row whose certificate is out of reach (``shortfall``)
draws all its remaining rows at once.
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
from lime_rs._pipeline import Neighbourhood, resolve_feature_selection
from lime_rs._validation import check_int

FIRST_ROUND = 250  # rows of the first round, the original included
DEFAULT_MAX_SAMPLES = 5000  # lime's default num_samples: "auto" never asks for more
DEFAULT_CONFIDENCE = 0.95
# No certificate before Kish's effective size reaches this many rows per
# parameter (d weights and the intercept) and MIN_EFFECTIVE_ROWS in all, nor
# while an interval rests on fewer than MIN_DF degrees of freedom.
MIN_EFFECTIVE_PER_PARAMETER = 5.0
MIN_EFFECTIVE_ROWS = 100.0
MIN_DF = 10.0
# A row needing more than this many times max_samples rows (shortfall² x rows
# now) draws all its remaining rows next round; the slack covers the noise of
# the estimated gaps at small n.
FUTILITY_SLACK = 4.0
RANKING_ALPHA = 0.01  # ridge penalty of the ranking fit (lime's highest_weights)
SHOWN_ALPHA = 1.0  # ridge penalty of the shown fit (lime's Ridge(alpha=1))
REASON_MAX_SAMPLES = "max_samples reached"  # exp.sampling's reason when not certified

_MASK64 = 2**64 - 1


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
    """``max_samples``: an integer >= 2 (the original row and one perturbation)."""
    return check_int(value, "max_samples", minimum=2)


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


def schedule(max_samples: int, first: int = FIRST_ROUND, growth: float = 2.0) -> list[int]:
    """Cumulative rows after each round: ``first``, then ×``growth``, the last
    ``max_samples`` (e.g. 250, 500, 1000, 2000, 4000, 5000)."""
    if growth <= 1.0:
        raise ValueError(f"growth: must be greater than 1, got {growth}")
    sizes = [min(first, max_samples)]
    while sizes[-1] < max_samples:
        sizes.append(min(max(int(sizes[-1] * growth), sizes[-1] + 1), max_samples))
    return sizes


def _mix64(z: int) -> int:
    """SplitMix64's finaliser (as src/rng.rs)."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def round_seed(seed: int, round_index: int) -> int:
    """The seed of a row's round: its own seed for round 0 (the neighbourhood a
    fixed ``num_samples=250`` draws), a hashed stream for later rounds."""
    if round_index == 0:
        return seed
    return _mix64((seed & _MASK64) ^ _mix64(round_index + 0x632BE59BD9B4E019))


def effective_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²``."""
    s2 = float(np.dot(weights, weights))
    return float(weights.sum()) ** 2 / s2 if s2 > 0 else 0.0


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile by the Cornish-Fisher expansion (Abramowitz &
    Stegun 26.7.5; within 0.2% for df >= 10 and p >= 1e-5, without scipy)."""
    z = NormalDist().inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def intervals_per_label(d: int, num_features: int, method: str) -> int:
    """``m``: the intervals of one label's certificate."""
    if resolve_feature_selection(method, num_features) == "none" or num_features >= d:
        return d
    return d + num_features


def interval_level(
    weights: np.ndarray,
    d: int,
    n_labels: int,
    num_features: int,
    method: str,
    confidence: float,
    looks: int,
) -> float | None:
    """Each interval's two-sided error level (Bonferroni), or None when the
    neighbourhood is too small to certify anything."""
    if effective_size(weights) < max(MIN_EFFECTIVE_ROWS, MIN_EFFECTIVE_PER_PARAMETER * (d + 1)):
        return None
    return (1.0 - confidence) / (looks * n_labels * intervals_per_label(d, num_features, method))


def score_df(hood: Neighbourhood, column: int, model: tuple) -> np.ndarray:
    """Satterthwaite degrees of freedom of each shown weight's sandwich
    variance, ``(Σu²)² / Σu⁴`` with ``u_i = w_i e_i (x_ij - x̄_j)``, capped by
    Kish's rows less the parameters: small when a few rows dominate."""
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
    """Per-interval t quantiles at two-sided level ``alpha``; None below ``MIN_DF``."""
    if df.size and df.min() < MIN_DF:
        return None
    return np.array([t_quantile(1.0 - alpha / 2.0, float(v)) for v in df])


def separated(
    weights: np.ndarray, stderr: np.ndarray, scale: np.ndarray, k: int, q: np.ndarray
) -> frozenset[int] | None:
    """The top-``k`` features by ``|w·scale|`` when all their intervals lie
    above every other feature's, else None (arguments indexed by feature)."""
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
    """The factor the half-widths ``half`` must shrink by for the rule to pass
    (< 1: passes now): top-``k`` separation of ``|weights|`` with ``k``, else
    signs. Steers the schedule only, never the certificate."""
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


def _signs_ok(
    hood: Neighbourhood, columns: Sequence[int], models: list[tuple], alpha: float | None
) -> tuple[bool, float]:
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


def _set_ok(
    hood: Neighbourhood,
    columns: Sequence[int],
    full: list[tuple],
    shown: list[tuple],
    alpha: float,
    k: int,
    method: str,
) -> tuple[bool, float]:
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


def _by_feature(model: tuple, d: int) -> tuple[np.ndarray, np.ndarray]:
    """A native model's weights and standard errors indexed by feature."""
    w = np.zeros(d)
    se = np.zeros(d)
    feats = np.asarray(model[1], dtype=np.intp)
    w[feats] = model[2]
    se[feats] = model[5]
    return w, se


def sampling_record(
    num_samples: int,
    rounds: int,
    certified: bool,
    confidence: float | None,
    max_samples: int,
    adaptive: bool,
    reason: str | None,
) -> dict[str, Any]:
    """``exp.sampling`` (docs/explanation_schema.md)."""
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
    reason = "fixed num_samples (pass num_samples='auto' to certify)"
    return sampling_record(num_samples, 1, False, None, num_samples, False, reason)


@dataclass
class Verdict:
    """One neighbourhood's certificate, its shown models (one native model
    tuple per column, with stderr) and ``shortfall`` (nan when unknown)."""

    certified: bool
    models: list[tuple]
    shortfall: float


def certify_many(
    hoods: Sequence[Neighbourhood], columns: Sequence[Sequence[int]], settings: Settings, looks: int
) -> list[Verdict]:
    """``certify`` for several neighbourhoods, one native call per fit."""
    num_features, feature_selection = settings.num_features, settings.feature_selection
    confidence = settings.confidence
    weights: list[np.ndarray] = []
    for h in hoods:
        if h.weights is None:
            raise ValueError("hoods: every neighbourhood needs its kernel weights")
        weights.append(h.weights)
    method = resolve_feature_selection(feature_selection, num_features)
    alphas = [
        interval_level(w, h.data.shape[1], len(c), num_features, method, confidence, looks)
        for h, w, c in zip(hoods, weights, columns)
    ]
    datas, ysss, cols = [h.data for h in hoods], [h.yss for h in hoods], [list(c) for c in columns]
    shown = _native.explain_with_data_many(
        datas, ysss, weights, cols, num_features, feature_selection, SHOWN_ALPHA, return_stderr=True
    )
    verdicts = []
    for h, c, m, a in zip(hoods, columns, shown, alphas):
        ok, short = _signs_ok(h, c, m, a)
        verdicts.append(Verdict(ok, m, short))
    need_set = [
        i
        for i, h in enumerate(hoods)
        if alphas[i] is not None
        and intervals_per_label(h.data.shape[1], num_features, method) > h.data.shape[1]
    ]
    if need_set:
        ranking = _native.explain_with_data_many(
            [datas[i] for i in need_set],
            [ysss[i] for i in need_set],
            [weights[i] for i in need_set],
            [cols[i] for i in need_set],
            num_features,
            "none",
            RANKING_ALPHA,
            return_stderr=True,
        )
        for i, full in zip(need_set, ranking):
            alpha = alphas[i]
            assert alpha is not None
            ok, short = _set_ok(hoods[i], columns[i], full, shown[i], alpha, num_features, method)
            verdicts[i].certified = verdicts[i].certified and ok
            verdicts[i].shortfall = max(verdicts[i].shortfall, short)
    return verdicts


def certify(
    hood: Neighbourhood,
    columns: Sequence[int],
    num_features: int,
    feature_selection: str,
    confidence: float,
    looks: int,
) -> Verdict:
    """Whether the explanation of ``hood`` is certified (module docstring),
    with its shown local models per column."""
    settings = Settings(num_features, feature_selection, confidence)
    return certify_many([hood], [columns], settings, looks)[0]


@dataclass
class Round:
    """One round's new rows of one explanation: ``data`` (m, d), what the
    model is called on (``inverse``: m rows, strings or images) and each
    row's distance to the original."""

    data: np.ndarray
    inverse: Any
    distances: np.ndarray


# ``sample_round(n, seed, first)``: n new rows from the stream ``seed``; when
# ``first``, row 0 is the original and counts among the n.
SampleRound = Callable[[int, int, bool], Round]


@dataclass
class Task:
    """One explanation to sample: its rounds, its seed, and the output columns
    to certify (or a function of the original's output, for ``top_labels``)."""

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


@dataclass
class Outcome:
    """One explanation's result: every row drawn, the columns certified, the
    shown models (for ``_pipeline.store_models``) and ``exp.sampling``."""

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


def _grown(old: Neighbourhood | None, new: Neighbourhood) -> Neighbourhood:
    """``old`` with the rows of ``new`` appended (contiguous arrays)."""
    fields: list[Any] = [new.data, new.yss, new.distances, new.weights]
    if old is not None:
        olds: list[Any] = [old.data, old.yss, old.distances, old.weights]
        fields = [np.concatenate((a, b), axis=0) for a, b in zip(olds, fields)]
    data, yss, distances, weights = (np.ascontiguousarray(f) for f in fields)
    return Neighbourhood(data, yss, distances, weights=weights)


def run_many(
    tasks: Sequence[Task],
    predict: Callable[[Any], np.ndarray],
    weigh: Callable[[np.ndarray], np.ndarray],
    settings: Settings,
) -> list[Outcome]:
    """Adaptive sampling of many explanations at once: each round calls
    ``predict`` once on the new rows of every uncertified task (inputs
    stacked or chained; it returns (rows, L) float64), weighs them with
    ``weigh(distances)`` and certifies every task in one native call."""
    sizes = schedule(settings.max_samples, settings.first_round, settings.growth)
    n_tasks = len(tasks)
    hoods: dict[int, Neighbourhood] = {}
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
        for j, (i, rd) in enumerate(zip(active, rounds)):
            drawn[i] = targets[j]
            yss = yss_all[offsets[j] : offsets[j + 1]]
            if r == 0:
                cols = tasks[i].columns
                columns[i] = [int(c) for c in (cols(yss[0]) if callable(cols) else cols)]
            data = np.asarray(rd.data, dtype=np.float64)
            distances = np.asarray(rd.distances, dtype=np.float64)
            weights = np.asarray(weigh(distances), dtype=np.float64)
            hoods[i] = _grown(hoods.get(i), Neighbourhood(data, yss, distances, weights=weights))
        now = [hoods[i] for i in active]
        verdicts = certify_many(now, [columns[i] for i in active], settings, len(sizes))
        still = []
        for i, hood, v in zip(active, now, verdicts):
            n = hood.data.shape[0]
            if v.certified or n >= settings.max_samples:
                reason = None if v.certified else REASON_MAX_SAMPLES
                record = sampling_record(
                    n, r + 1, v.certified, settings.confidence, settings.max_samples, True, reason
                )
                outcomes[i] = Outcome(hood, columns[i], v.models, record)
            else:
                # NaN (no estimate yet) is never hopeless
                hopeless[i] = v.shortfall**2 * n > FUTILITY_SLACK * settings.max_samples
                still.append(i)
        active = still
        if not active:
            break
    return outcomes  # type: ignore[return-value]


def run(
    sample_round: SampleRound,
    predict: Callable[[Any], np.ndarray],
    weigh: Callable[[np.ndarray], np.ndarray],
    seed: int,
    columns: Sequence[int] | Callable[[np.ndarray], Sequence[int]],
    settings: Settings,
) -> Outcome:
    """``run_many`` for one explanation."""
    return run_many([Task(sample_round, seed, columns)], predict, weigh, settings)[0]
