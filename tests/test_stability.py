"""Stability indices (Visani et al. 2020): VSI and CSI in percent."""

import math

import numpy as np
import pytest

from lime_rs.explanation import Explanation
from lime_rs.lime_tabular import LimeTabularExplainer
from lime_rs.lime_text import LimeTextExplainer
from lime_rs.stability import concordances, stability_indices


def make(pairs, ses=None):
    exp = Explanation(None, class_names=["a", "b"])
    exp.local_exp[1] = pairs
    if ses is not None:
        exp.local_exp_stderr[1] = [(f, s) for (f, _), s in zip(pairs, ses)]
    return exp


def test_concordances_by_hand():
    a = make([(0, 1.0), (1, 0.5)], [0.1, 0.1])
    b = make([(0, 1.1), (2, 0.5)], [0.1, 0.1])  # feature 0 overlaps a's interval
    c = make([(0, 3.0), (1, 0.5)], [0.1, 0.1])  # feature 0 far from a and b
    vsi, csi = concordances([a, b, c])
    # pairs: (a,b) 1/2, (a,c) 2/2, (b,c) 1/2
    assert vsi == pytest.approx(100 * (0.5 + 1 + 0.5) / 3)
    # feature 0: (a,b) yes, (a,c) no, (b,c) no -> 1/3; feature 1: (a,c) yes -> 1
    assert csi == pytest.approx(100 * (1 / 3 + 1) / 2)
    assert concordances([a, a]) == (100.0, 100.0)
    # no stderr (user regressor): intervals unknown, never concordant
    vsi, csi = concordances([make([(0, 1.0)]), make([(0, 1.0)])])
    assert (vsi, csi) == (100.0, 0.0)
    assert math.isnan(concordances([make([(0, 1.0)]), make([(1, 1.0)])])[1])
    with pytest.raises(ValueError, match="at least 2"):
        concordances([a])


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    data = load_breast_cancer()
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(data.data, data.target)
    return data, model


def test_tabular_indices_grow_with_num_samples(cancer):
    data, model = cancer
    explainer = LimeTabularExplainer(data.data, random_state=0)
    small = stability_indices(
        explainer, data.data[3], model.predict_proba, n_repeats=6, num_samples=100,
        num_features=5,
    )  # fmt: skip
    large = stability_indices(
        explainer, data.data[3], model.predict_proba, n_repeats=6, num_samples=3000,
        num_features=5,
    )  # fmt: skip
    for v in small + large:
        assert 0.0 <= v <= 100.0
    assert large[0] >= small[0]
    assert large[0] >= 60.0 and large[1] >= 60.0


def test_text_indices_and_repeat_count():
    calls = []

    def predict(texts):
        calls.append(len(texts))
        p = np.array([0.2 + 0.6 * ("good" in t) for t in texts])
        return np.column_stack([1 - p, p])

    explainer = LimeTextExplainer(random_state=0)
    vsi, csi = stability_indices(
        explainer, "a good film with a good cast", predict, n_repeats=4, num_features=2,
        num_samples=300, deduplicate=False,  # every row reaches the model, repeats too
    )  # fmt: skip
    assert sum(calls) == 4 * 300
    assert vsi == 100.0 and csi > 50.0
    with pytest.raises(ValueError, match="n_repeats"):
        stability_indices(explainer, "good", predict, n_repeats=1)


def test_batch_path_is_used_when_available():
    class Batched(LimeTextExplainer):
        batches = 0

        def explain_instances(self, texts, classifier_fn, **kwargs):
            Batched.batches += 1
            return [self.explain_instance(t, classifier_fn, **kwargs) for t in texts]

    def predict(texts):
        p = np.array([0.2 + 0.6 * ("good" in t) for t in texts])
        return np.column_stack([1 - p, p])

    vsi, csi = stability_indices(
        Batched(random_state=0), "a good film", predict, n_repeats=3, num_samples=200
    )
    assert Batched.batches == 1 and vsi == 100.0
