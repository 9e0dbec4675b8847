"""Audit features: the cost of the sandwich standard errors in the engine
(return_stderr=True against False), and a tabular explanation with them
against lime's (which has none)."""

import numpy as np
from lime.lime_tabular import LimeTabularExplainer as RefExplainer

from lime_rs import _native
from lime_rs.lime_tabular import LimeTabularExplainer


def neighbourhood(n=5000, d=30, seed=0):
    rs = np.random.RandomState(seed)
    x = rs.randn(n, d)
    y = np.c_[x @ rs.randn(d), np.tanh(x @ rs.randn(d))]
    w = _native.kernel(np.linalg.norm(x - x[0], axis=1), 0.75 * np.sqrt(d))
    return x, y, w


def test_engine_stderr_cost_5000x30_none(compare):
    """'reference' here is the engine without standard errors: the ratio is
    the share of the time the errors cost (1.0 = free)."""
    x, y, w = neighbourhood()
    compare(
        "explain_with_data 5000x30 none, 2 labels: with stderr vs without",
        lambda: _native.explain_with_data(x, y, w, [0, 1], 30, "none", return_stderr=True),
        lambda: _native.explain_with_data(x, y, w, [0, 1], 30, "none"),
        target=0.2,  # worst case: every column selected (k = d), two labels
    )


def test_tabular_breast_cancer_with_stderr(compare):
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    data = load_breast_cancer()
    model = LogisticRegression(max_iter=5000).fit(data.data, data.target)
    ours = LimeTabularExplainer(data.data, random_state=0)
    ref = RefExplainer(data.data, random_state=0)
    row = data.data[7]
    compare(
        "tabular breast_cancer explain_instance 5000 samples (lime_rs with stderr)",
        lambda: ours.explain_instance(row, model.predict_proba, num_samples=5000),
        lambda: ref.explain_instance(row, model.predict_proba, num_samples=5000),
        target=5,
    )
