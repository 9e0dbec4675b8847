"""A tabular harness for lime_rs._adaptive (not a test module): the tabular
explainer's sampler and kernel driven round by round, without touching
lime_tabular.py (until the explainers are wired to the driver). Shared by
tests/test_adaptive.py and benches/bench_adaptive.py."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from lime_rs import _adaptive, _native
from lime_rs._pipeline import kernel_weights


class TabularHarness:
    """``sample_round`` / ``weigh`` for one explainer (euclidean distances,
    gaussian sampling, lime's default discretizer or none), as
    ``explain_instance`` draws and weighs its neighbourhood."""

    def __init__(self, explainer: Any) -> None:
        self.explainer = explainer
        # the explainer's Rust sampler (a private helper of lime_tabular.py)
        self.sampler, _, self.native_undisc = explainer._native_sampler()

    def sample_round(self, row: np.ndarray) -> _adaptive.SampleRound:
        def draw(n: int, seed: int, first: bool) -> _adaptive.Round:
            # later rounds draw n + 1 rows and drop the stream's copy of the original
            scaled, inverse, distances = self.sampler.sample(
                row, n if first else n + 1, seed, "gaussian", False, self.native_undisc, None
            )
            if not first:
                scaled, inverse, distances = scaled[1:], inverse[1:], distances[1:]
            return _adaptive.Round(scaled, inverse, distances)

        return draw

    def weigh(self, distances: np.ndarray) -> np.ndarray:
        return kernel_weights(self.explainer.base.kernel_fn, distances)

    def fixed(self, row: np.ndarray, predict, n: int, seed: int, column: int,
              num_features: int, method: str = "auto") -> tuple:  # fmt: skip
        """The explanation of a fixed ``n``-row neighbourhood (lime's way)."""
        rd = self.sample_round(row)(n, seed, True)
        yss = np.asarray(predict(rd.inverse), dtype=np.float64)
        w = self.weigh(rd.distances)
        return _native.explain_with_data(rd.data, yss, w, [column], num_features, method)[0]

    def auto(self, row: np.ndarray, predict, seed: int, column: int, num_features: int,
             method: str = "auto", confidence: float = 0.95,
             max_samples: int = 5000) -> _adaptive.Outcome:  # fmt: skip
        settings = _adaptive.Settings(num_features, method, confidence, max_samples)
        return _adaptive.run(self.sample_round(row), predict, self.weigh, seed, [column], settings)


def top_set(model: tuple) -> dict[int, float]:
    """Feature -> sign of a native model's shown weights."""
    return {int(f): float(np.sign(w)) for f, w in zip(model[1], model[2])}


def jaccard(a: dict[int, float], b: dict[int, float]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


@cache
def breast_cancer_models() -> dict[str, Any]:
    """Data, explainer and fitted scikit-learn models (trained once per process)."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from lime_rs.lime_tabular import LimeTabularExplainer

    x, y = load_breast_cancer(return_X_y=True)
    models = {
        "logistic": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(x, y),
        "forest": RandomForestClassifier(n_estimators=50, random_state=0, n_jobs=1).fit(x, y),
        "hgb": HistGradientBoostingClassifier(max_iter=50, random_state=0).fit(x, y),
    }
    explainer = LimeTabularExplainer(x, random_state=0)
    return {"x": x, "models": models, "harness": TabularHarness(explainer)}
