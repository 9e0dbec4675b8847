"""Certified adaptive sampling (issue #17), first version of the table: for
each case, over SEEDS seeds, the model rows ``"auto"`` uses against lime's
fixed 5000, its certified share, the top-k Jaccard of both against a
converged reference (40,000 rows), and the end-to-end time with the model.
A ratio table, not a timed test; the tabular explainer is driven through
the test harness until the explainers are wired to lime_rs._adaptive.

    PYTHONPATH=python:tests .venv/bin/python -m pytest benches/bench_adaptive.py -q -s
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _adaptive_helpers import (  # noqa: E402
    TabularHarness,
    breast_cancer_models,
    jaccard,
    top_set,
)

SEEDS = 8
REFERENCE = 40_000
FIXED = 5000


def _cases():
    from sklearn.datasets import load_wine
    from sklearn.ensemble import RandomForestClassifier

    from lime_rs.lime_tabular import LimeTabularExplainer

    b = breast_cancer_models()
    x = b["x"]
    for name in ("logistic", "forest", "hgb"):
        for row in (0, 7):
            for k in (5, 10):
                yield (f"breast_cancer {name} row {row} k={k}", b["harness"], x[row],
                       b["models"][name].predict_proba, k)  # fmt: skip
    xw, yw = load_wine(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1).fit(xw, yw)
    hw = TabularHarness(LimeTabularExplainer(xw, random_state=0))
    for row in (0, 60):
        for k in (1, 3):
            yield f"wine forest100 row {row} k={k}", hw, xw[row], forest.predict_proba, k


def test_adaptive_rows_and_stability():
    table = []
    for name, h, row, predict, k in _cases():
        ref = top_set(h.fixed(row, predict, REFERENCE, 77, 1, k))
        rows, cert, jac_auto, jac_fixed, t_auto, t_fixed = [], [], [], [], [], []
        for s in range(SEEDS):
            t = time.perf_counter()
            o = h.auto(row, predict, 10_000 + s, 1, k)
            t_auto.append(time.perf_counter() - t)
            t = time.perf_counter()
            fixed = h.fixed(row, predict, FIXED, 20_000 + s, 1, k)
            t_fixed.append(time.perf_counter() - t)
            rows.append(o.sampling["num_samples"])
            cert.append(o.sampling["certified"])
            jac_auto.append(jaccard(top_set(o.models[0]), ref))
            jac_fixed.append(jaccard(top_set(fixed), ref))
        table.append((name, np.median(rows), max(rows), np.mean(cert), np.mean(jac_auto),
                      np.mean(jac_fixed), np.median(t_auto), np.median(t_fixed)))  # fmt: skip
    print()
    print(f"{'case':42s} {'rows med':>8s} {'max':>5s} {'cert':>5s} {'J auto':>7s} "
          f"{'J 5000':>7s} {'ms auto':>8s} {'ms 5000':>8s}")  # fmt: skip
    for r in table:
        print(f"{r[0]:42s} {r[1]:8.0f} {r[2]:5.0f} {r[3]:5.2f} {r[4]:7.3f} {r[5]:7.3f} "
              f"{r[6] * 1e3:8.1f} {r[7] * 1e3:8.1f}")  # fmt: skip
    med_rows = float(np.median([r[1] for r in table]))
    print(f"median case: {med_rows:.0f} rows (lime: {FIXED}); "
          f"never more than lime: {max(r[2] for r in table) <= FIXED}")  # fmt: skip
    assert max(r[2] for r in table) <= FIXED
