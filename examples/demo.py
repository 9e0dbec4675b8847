"""make demo: train a scikit-learn model on a bundled dataset, explain one
prediction with lime_rs, print the explanation and write it as HTML."""

import pathlib
import time

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lime_rs.explanation import DomainMapper, Explanation
from lime_rs.lime_base import LimeBase

OUT = pathlib.Path(__file__).resolve().parents[1] / "out"


class Names(DomainMapper):
    def __init__(self, names):
        super().__init__()
        self.names = names

    def map_exp_ids(self, exp, **kwargs):
        return [(self.names[i], w) for i, w in exp]


def engine_demo():
    data = load_breast_cancer()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(data.data, data.target)
    rs = np.random.RandomState(0)
    row = data.data[7]
    mean, std = data.data.mean(axis=0), data.data.std(axis=0)
    neighbourhood = np.vstack([row, row + rs.randn(4999, row.size) * std])
    scaled = (neighbourhood - mean) / std
    proba = model.predict_proba(neighbourhood)
    width = 0.75 * np.sqrt(row.size)
    distances = np.linalg.norm(scaled - scaled[0], axis=1)
    base = LimeBase(lambda d: np.sqrt(np.exp(-(d**2) / width**2)), random_state=0)
    t = time.perf_counter()
    intercept, local_exp, score, local_pred = base.explain_instance_with_data(scaled, proba, distances, 1, 6)
    took = time.perf_counter() - t

    exp = Explanation(Names(list(data.feature_names)), class_names=list(data.target_names))
    exp.predict_proba = proba[0]
    exp.local_exp[1], exp.intercept[1], exp.score, exp.local_pred = local_exp, intercept, score, local_pred
    print(f"Breast cancer row 7, predicted {data.target_names[proba[0].argmax()]} ({proba[0].max():.3f})")
    print(f"Local model (engine, {took * 1e3:.2f} ms): intercept {intercept:.3f}, R^2 {score:.3f}")
    for name, weight in exp.as_list(label=1):
        print(f"  {name:30s} {weight:+.4f}")
    OUT.mkdir(exist_ok=True)
    exp.save_to_file(OUT / "engine_breast_cancer.html")
    print(f"wrote {OUT / 'engine_breast_cancer.html'}")


if __name__ == "__main__":
    engine_demo()
