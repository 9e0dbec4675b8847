"""A tabular harness for lime_rs._adaptive (not a test module): the driver
run with explicit seeds on the tabular explainer's own round sampler (the
one ``explain_instance(num_samples="auto")`` uses), for tests of the driver
and the certificate's calibration. Shared by tests/test_adaptive.py and
benches/bench_adaptive.py; what a user calls is tested through the public
API in tests/test_adaptive_tabular.py and measured so in the benchmark."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from lime_rs import _adaptive, _native
from lime_rs._pipeline import kernel_weights


class TabularHarness:
    """``sample_round`` / ``weigh`` for one explainer, as
    ``explain_instance(..., num_samples="auto")`` draws and weighs rounds
    (euclidean distances, gaussian sampling, the explainer's discretizer)."""

    def __init__(self, explainer: Any) -> None:
        self.explainer = explainer
        # the call's checked options (a private stage of lime_tabular.py)
        self.call = explainer._check_call(
            lambda z: z, (1,), None, 10, "auto", "euclidean", None, "gaussian"
        )

    def sample_round(self, row: np.ndarray) -> _adaptive.SampleRound:
        return self.explainer._round_sampler(np.asarray(row, dtype=np.float64), self.call)

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


def top_set(model: Any, label: int = 1) -> dict[int, float]:
    """Feature -> sign of the shown weights of a native model tuple or of an
    Explanation's ``label``."""
    if hasattr(model, "local_exp"):
        return {int(f): float(np.sign(w)) for f, w in model.local_exp[label]}
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
