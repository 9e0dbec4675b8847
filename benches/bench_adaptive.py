"""Certified adaptive sampling (issue #17): ``num_samples="auto"`` against a
fixed 5000 (lime_rs and lime), through the public API, end to end with the
model. A ratio table, not a timed test: nothing here asserts a speed.

For each case (a model on a dataset, several rows, one ``num_features``)
and each of SEEDS seeds per row:

* rows: the perturbed rows the model evaluated (``exp.sampling``);
* J: mean top-k Jaccard of the shown feature set against a converged
  reference (lime_rs at 40,000 rows, one seed), for "auto", lime_rs at 5000
  and lime 0.2.0.1 at 5000;
* cert: the share of explanations certified;
* ms: median wall time of one ``explain_instance`` call with the model.

Where "auto" cannot gain (most explanations not certified) the table's
second part says why, from a 5000-row neighbourhood of the case's first row:
the gap at the top-k boundary (k-th against (k+1)-th |weight|, or the
smallest |weight| when only signs are certified) in standard errors, the
quantile the certificate needs (Bonferroni over rounds, labels and
intervals), and the rows it would take (``shortfall² x 5000``).

Text and image cases plug in through ``text_cases`` / ``image_cases``
(return ``Case`` objects; the runner and the table are shared).

    make bench                      # the whole suite
    PYTHONPATH=python:tests .venv/bin/python -m pytest benches/bench_adaptive.py -q -s
    LIME_RS_BENCH_SEEDS=2 ...       # a quick look

The table is printed and written to benches/adaptive_results.md.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _adaptive_helpers import TabularHarness, jaccard, top_set  # noqa: E402

from lime_rs import _adaptive, _native, _pipeline  # noqa: E402

SEEDS = int(os.environ.get("LIME_RS_BENCH_SEEDS", "8"))
REFERENCE = 40_000
FIXED = 5000
OUT = Path(__file__).parent / "adaptive_results.md"

TopSet = dict[int, float]


@dataclass
class Run:
    """One explanation: its shown features (id -> sign), the model rows it
    used, whether it is certified, its wall time in seconds."""

    top: TopSet
    rows: int
    certified: bool
    seconds: float


@dataclass
class Case:
    """One benchmark case: ``n_rows`` rows explained ``SEEDS`` times each.
    ``auto(row, seed)``, ``fixed(row, seed)`` (lime_rs at 5000) and
    ``lime(row, seed)`` (lime at 5000, None when lime cannot run it) return
    a ``Run``; ``reference(row)`` the converged top set; ``diagnose(row)``
    (optional) (gap in standard errors, needed quantile, rows needed)."""

    name: str
    n_rows: int
    auto: Callable[[int, int], Run]
    fixed: Callable[[int, int], Run]
    lime: Callable[[int, int], Run] | None
    reference: Callable[[int], TopSet]
    diagnose: Callable[[int], tuple[float, float, float]] | None = None


# --------------------------------------------------------------------------
# Tabular cases


def _timed(fn: Callable[[], object]) -> tuple[object, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _models(mode: str):
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if mode == "classification":
        return {
            "forest100": RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1),
            "hgb": HistGradientBoostingClassifier(random_state=0),
            "mlp": make_pipeline(
                StandardScaler(),
                MLPClassifier(hidden_layer_sizes=(64, 64), max_iter=1000, random_state=0),
            ),
        }
    return {
        "forest100": RandomForestRegressor(n_estimators=100, random_state=0, n_jobs=1),
        "hgb": HistGradientBoostingRegressor(random_state=0),
        "mlp": make_pipeline(
            StandardScaler(),
            MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=2000, random_state=0),
        ),
    }


def _diagnosis(h: TabularHarness, row: np.ndarray, predict, column: int, k: int,
               n_labels: int = 1) -> tuple[float, float, float]:  # fmt: skip
    """(boundary gap in standard errors, the quantile the certificate needs,
    rows needed) from one 5000-row neighbourhood of ``row``."""
    rd = h.sample_round(row)(FIXED, 99, True)
    yss = np.asarray(predict(rd.inverse), dtype=np.float64).reshape(FIXED, -1)
    hood = _adaptive.Neighbourhood(rd.data, np.ascontiguousarray(yss), rd.distances,
                                   weights=h.weigh(rd.distances))  # fmt: skip
    d = rd.data.shape[1]
    method = h.explainer.feature_selection
    looks = len(_adaptive.schedule(FIXED))
    verdict = _adaptive.certify(hood, [column], k, method, 0.95, looks)
    alpha = _adaptive.interval_level(hood.weights, d, n_labels, k, method, 0.95, looks)
    q = _adaptive.t_quantile(1 - alpha / 2, 1e6) if alpha else float("nan")
    full = _native.explain_with_data(hood.data, hood.yss, hood.weights, [column], d, "none",
                                     _adaptive.RANKING_ALPHA, return_stderr=True)[0]  # fmt: skip
    w, se = _adaptive._by_feature(full, d)
    scale = np.abs(hood.data[0]) if _pipeline.resolve_feature_selection(method, k) == "highest_weights" \
        else np.ones(d)  # fmt: skip
    score, se = np.abs(w * scale), se * scale
    order = np.argsort(-score, kind="stable")
    if k >= d:  # signs only: the weakest shown weight against 0
        gap = float(np.min(score / np.where(se > 0, se, np.inf)))
    else:
        a, b = order[k - 1], order[k]
        gap = float((score[a] - score[b]) / np.hypot(se[a], se[b]))
    needed = verdict.shortfall**2 * FIXED if np.isfinite(verdict.shortfall) else float("nan")
    return gap, q, needed


def _tabular_case(name: str, x: np.ndarray, mode: str, model, rows: list[int],
                  k: int) -> Case:  # fmt: skip
    from lime.lime_tabular import LimeTabularExplainer as LimeExplainer

    from lime_rs.lime_tabular import LimeTabularExplainer

    predict = model.predict_proba if mode == "classification" else model.predict
    label = 1
    column = 1 if mode == "classification" else 0

    def ours(row: int, seed: int, num_samples: int | str) -> Run:
        e = LimeTabularExplainer(x, mode=mode, random_state=seed)
        exp, s = _timed(lambda: e.explain_instance(x[rows[row]], predict, num_features=k,
                                                   num_samples=num_samples))  # fmt: skip
        return Run(top_set(exp, label), exp.sampling["num_samples"],
                   exp.sampling["certified"], s)  # fmt: skip

    def lime(row: int, seed: int) -> Run:
        e = LimeExplainer(x, mode=mode, random_state=seed)
        exp, s = _timed(lambda: e.explain_instance(x[rows[row]], predict, num_features=k,
                                                   num_samples=FIXED))  # fmt: skip
        return Run(top_set(exp, label), FIXED, False, s)

    def reference(row: int) -> TopSet:
        return ours(row, 77_777, REFERENCE).top

    h = TabularHarness(LimeTabularExplainer(x, mode=mode, random_state=0))
    return Case(
        name, len(rows),
        auto=lambda r, s: ours(r, 10_000 + s, "auto"),
        fixed=lambda r, s: ours(r, 20_000 + s, FIXED),
        lime=lambda r, s: lime(r, 30_000 + s),
        reference=reference,
        diagnose=lambda r: _diagnosis(h, x[rows[r]], predict, column, k),
    )  # fmt: skip


def tabular_cases() -> list[Case]:
    """Classification on breast_cancer (30 features) and regression on
    diabetes (10 features), each with a 100-tree random forest,
    HistGradientBoosting and a 64x64 MLP, at num_features 5 and 10, three
    rows each; then cases with few features or a clear leader (iris, wine,
    breast_cancer's top feature), where "auto" is meant to gain."""
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine

    cases = []
    for data, loader, model_name, k, rows in (
        ("iris", load_iris, "forest100", 2, [0, 60, 120]),
        ("wine", load_wine, "forest100", 3, [0, 60, 130]),
        ("breast_cancer", load_breast_cancer, "hgb", 1, [0, 7, 50]),
    ):
        x, y = loader(return_X_y=True)
        model = _models("classification")[model_name].fit(x, y)
        cases.append(_tabular_case(f"{data} class {model_name} k={k}", x, "classification",
                                   model, rows, k))  # fmt: skip
    for data, mode, loader in (("breast_cancer", "classification", load_breast_cancer),
                               ("diabetes", "regression", load_diabetes)):  # fmt: skip
        x, y = loader(return_X_y=True)
        for model_name, model in _models(mode).items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # MLP convergence warnings
                model.fit(x, y)
            for k in (5, 10):
                cases.append(_tabular_case(f"{data} {mode[:5]} {model_name} k={k}", x, mode,
                                           model, [0, 7, 50], k))  # fmt: skip
    return cases


def text_cases() -> list[Case]:
    """Short (tests/data/sms_spam.tsv) and long (tests/data/python_docs.csv)
    texts: added by the text/image work (branch auto-text-image)."""
    return []


def image_cases() -> list[Case]:
    """An image: added by the text/image work (branch auto-text-image)."""
    return []


# --------------------------------------------------------------------------
# The runner and the table


@dataclass
class Row:
    name: str
    rows_median: float
    rows_max: int
    certified: float
    j_auto: float
    j_fixed: float
    j_lime: float | None
    ms_auto: float
    ms_fixed: float
    ms_lime: float | None
    why: tuple[float, float, float] | None


def measure(case: Case, seeds: int = SEEDS) -> Row:
    rows, cert, ja, jf, jl, ta, tf, tl = [], [], [], [], [], [], [], []
    for r in range(case.n_rows):
        ref = case.reference(r)
        for s in range(seeds):
            a, f = case.auto(r, s), case.fixed(r, s)
            rows.append(a.rows)
            cert.append(a.certified)
            ja.append(jaccard(a.top, ref))
            jf.append(jaccard(f.top, ref))
            ta.append(a.seconds)
            tf.append(f.seconds)
            if case.lime is not None:
                lm = case.lime(r, s)
                jl.append(jaccard(lm.top, ref))
                tl.append(lm.seconds)
    share = float(np.mean(cert))
    why = case.diagnose(0) if case.diagnose is not None and share < 0.5 else None
    return Row(case.name, float(np.median(rows)), int(max(rows)), share, float(np.mean(ja)),
               float(np.mean(jf)), float(np.mean(jl)) if jl else None,
               float(np.median(ta)) * 1e3, float(np.median(tf)) * 1e3,
               float(np.median(tl)) * 1e3 if tl else None, why)  # fmt: skip


def _f(v: float | None, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def table(results: list[Row], seeds: int) -> str:
    lines = [
        f"num_samples='auto' (max_samples 5000, confidence 0.95) against a fixed 5000; "
        f"{seeds} seeds per row; J = mean top-k Jaccard against lime_rs at {REFERENCE:,} rows; "
        "ms = median wall time of one explain_instance with the model.",
        "",
        "| case | rows auto (median / max) | certified | J auto | J lime_rs 5000 | J lime 5000 "
        "| ms auto | ms lime_rs 5000 | ms lime 5000 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.rows_median:,.0f} / {r.rows_max:,} | {r.certified:.0%} "
            f"| {r.j_auto:.3f} | {r.j_fixed:.3f} | {_f(r.j_lime, '.3f')} | {r.ms_auto:.0f} "
            f"| {r.ms_fixed:.0f} | {_f(r.ms_lime, '.0f')} |"
        )
    med_rows = float(np.median([r.rows_median for r in results]))
    t_ratio = float(np.median([r.ms_fixed / r.ms_auto for r in results]))
    lines += [
        "",
        f"Median case: {med_rows:,.0f} model rows against 5,000 ({FIXED / med_rows:.1f}x fewer); "
        f"median time ratio lime_rs 5000 / auto {t_ratio:.2f}x; never more rows than lime: "
        f"{max(r.rows_max for r in results) <= FIXED}.",
    ]
    why = [r for r in results if r.why is not None]
    if why:
        lines += [
            "",
            "Cases that cannot gain (certified in under half the runs), from a 5000-row "
            "neighbourhood of their first row:",
            "",
            "| case | boundary gap (standard errors) | quantile needed | rows needed |",
            "|---|---|---|---|",
        ]
        for r in why:
            gap, q, need = r.why  # type: ignore[misc]
            shown = "-" if not np.isfinite(need) else f"{need:,.0f}"
            lines.append(f"| {r.name} | {gap:.1f} | {q:.2f} | {shown} |")
    return "\n".join(lines)


def all_cases() -> list[Case]:
    return tabular_cases() + text_cases() + image_cases()


def test_adaptive_suite():
    results = []
    for case in all_cases():
        t = time.perf_counter()
        results.append(measure(case))
        print(f"{case.name}: {time.perf_counter() - t:.0f} s", flush=True)
    out = table(results, SEEDS)
    print()
    print(out)
    OUT.write_text(f"<!-- written by benches/bench_adaptive.py, {time.strftime('%Y-%m-%d')} -->\n"
                   + out + "\n")  # fmt: skip
    assert max(r.rows_max for r in results) <= FIXED  # "auto" never asks more than lime
