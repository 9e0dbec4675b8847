"""SP-LIME: the Rust greedy pick against a plain numpy implementation of the
paper's coverage function, and SubmodularPick against lime's."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lime_rs import _native
from lime_rs.submodular_pick import SubmodularPick, explanation_matrix


def numpy_greedy(W, k):
    """Algorithm 2 of the paper, written the way lime writes it."""
    importance = np.sum(abs(W), axis=0) ** 0.5
    remaining, V = list(range(len(W))), []
    for _ in range(k):
        best, best_ind = 0, None
        for i in remaining:
            current = np.dot((np.sum(abs(W)[V + [i]], axis=0) > 0), importance)
            if current >= best:
                best, best_ind = current, i
        V.append(best_ind)
        remaining.remove(best_ind)
    return V


def coverage(W, V):
    importance = np.sum(abs(W), axis=0) ** 0.5
    return float(np.dot(np.sum(abs(W)[V], axis=0) > 0, importance))


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 12), st.integers(1, 8)),
        elements=st.sampled_from([0.0, 0.0, 0.5, -1.0, 2.0]),
    ),
    st.integers(1, 12),
)
def test_greedy_equals_numpy_reference(W, k):
    k = min(k, len(W))
    picked = _native.submodular_pick(np.ascontiguousarray(W), k)
    reference = numpy_greedy(W, k)
    assert coverage(W, picked) == pytest.approx(coverage(W, reference))
    assert picked == reference


def test_greedy_covers_more_than_random_rows():
    rs = np.random.RandomState(0)
    W = rs.randn(200, 40) * (rs.rand(200, 40) < 0.1)
    picked = _native.submodular_pick(W, 5)
    assert picked == numpy_greedy(W, 5)
    random_cover = np.mean([coverage(W, list(rs.choice(200, 5, replace=False))) for _ in range(50)])
    assert coverage(W, picked) > random_cover


def test_bad_pick_arguments():
    with pytest.raises(ValueError, match="W"):
        _native.submodular_pick(np.array([[np.nan]]), 1)
    with pytest.raises(ValueError, match="num_exps_desired"):
        _native.submodular_pick(np.ones((2, 2)), 3)


@pytest.fixture(scope="module")
def breast_cancer_setup():
    from lime.lime_tabular import LimeTabularExplainer
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    data = load_breast_cancer()
    model = LogisticRegression(max_iter=5000).fit(data.data, data.target)

    def make():
        return LimeTabularExplainer(
            data.data, feature_names=list(data.feature_names), random_state=3
        )

    return data.data[:25], model, make


def test_same_picks_as_lime_on_identical_explanations(breast_cancer_setup):
    from lime.submodular_pick import SubmodularPick as RefPick

    rows, model, make = breast_cancer_setup
    kw = dict(method="full", num_exps_desired=4, num_features=5, num_samples=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = RefPick(make(), rows, model.predict_proba, **kw)
    ours = SubmodularPick(make(), rows, model.predict_proba, **kw)
    # One label per explanation: lime's signed matrix has the same support, so the picks agree.
    assert ours.V == [int(i) for i in ref.V]
    assert [e.as_map() for e in ours.sp_explanations] == [e.as_map() for e in ref.sp_explanations]
    assert len(ours.explanations) == len(rows)


def test_sample_is_reproducible_from_the_explainer_seed(breast_cancer_setup):
    rows, model, make = breast_cancer_setup
    kw = dict(method="sample", sample_size=8, num_exps_desired=3, num_features=4, num_samples=200)
    a = SubmodularPick(make(), rows, model.predict_proba, **kw)
    b = SubmodularPick(make(), rows, model.predict_proba, **kw)
    assert a.V == b.V and [e.as_map() for e in a.explanations] == [
        e.as_map() for e in b.explanations
    ]
    assert len(a.explanations) == 8


def test_multiclass_weights_do_not_cancel():
    class Exp:
        mode = "classification"

        def __init__(self, lists):
            self.lists = lists

        def available_labels(self):
            return list(self.lists)

        def as_list(self, label=1):
            return self.lists[label]

    # Binary explanations of both labels carry opposite weights: lime's signed sum is 0.
    e = Exp({0: [("a", -0.5), ("b", 0.2)], 1: [("a", 0.5), ("b", -0.2)]})
    W = explanation_matrix([e])
    np.testing.assert_allclose(W, [[1.0, 0.4]])


def test_bad_arguments(breast_cancer_setup):
    rows, model, make = breast_cancer_setup
    with pytest.raises(ValueError, match="method"):
        SubmodularPick(make(), rows, model.predict_proba, method="bogus")
    with pytest.raises(ValueError, match="sample_size"):
        SubmodularPick(make(), rows, model.predict_proba, sample_size=0)
    with pytest.raises(TypeError, match="num_exps_desired"):
        SubmodularPick(make(), rows, model.predict_proba, num_exps_desired="5")
    with pytest.warns(UserWarning, match="larger than total number"):
        sp = SubmodularPick(
            make(),
            rows[:3],
            model.predict_proba,
            method="full",
            num_exps_desired=5,
            num_samples=100,
        )
    assert len(sp.V) == 3


# ---- with lime_rs's own explainers ----


def test_tabular_multiclass_and_regression():
    from sklearn.datasets import load_diabetes, load_wine
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import Ridge

    from lime_rs.lime_tabular import LimeTabularExplainer

    wine = load_wine()
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(wine.data, wine.target)
    explainer = LimeTabularExplainer(
        wine.data, feature_names=list(wine.feature_names), random_state=0
    )
    sp = SubmodularPick(
        explainer,
        wine.data[:20],
        forest.predict_proba,
        method="full",
        num_exps_desired=3,
        num_features=4,
        num_samples=300,
        top_labels=3,
    )
    assert len(sp.V) == 3 == len(set(sp.V)) and len(sp.explanations) == 20
    assert all(len(e.available_labels()) == 3 for e in sp.explanations)
    # The picks are the greedy optimum over every label's weights.
    W = explanation_matrix(sp.explanations)
    assert sp.V == numpy_greedy(W, 3)

    reg = load_diabetes()
    model = Ridge().fit(reg.data, reg.target)
    explainer = LimeTabularExplainer(reg.data, mode="regression", random_state=0)
    sp = SubmodularPick(
        explainer, reg.data[:15], model.predict, method="full", num_exps_desired=2, num_samples=300
    )
    assert sp.V == numpy_greedy(explanation_matrix(sp.explanations), 2)


def test_text_documents(data_dir):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from lime_rs.lime_text import LimeTextExplainer

    lines = (data_dir / "sms_spam.tsv").read_text(encoding="utf8").splitlines()[1:400]
    labels = [int(line.split("\t", 1)[0] == "spam") for line in lines]
    docs = [line.split("\t", 1)[1] for line in lines]
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000)).fit(docs, labels)
    explainer = LimeTextExplainer(class_names=["ham", "spam"], random_state=1)
    sp = SubmodularPick(
        explainer, docs, model.predict_proba, sample_size=12, num_exps_desired=3, num_samples=300
    )
    assert len(sp.explanations) == 12 and len(sp.sp_explanations) == 3
    assert sp.V == numpy_greedy(explanation_matrix(sp.explanations), 3)
    again = SubmodularPick(
        LimeTextExplainer(class_names=["ham", "spam"], random_state=1),
        docs,
        model.predict_proba,
        sample_size=12,
        num_exps_desired=3,
        num_samples=300,
    )
    assert again.V == sp.V
