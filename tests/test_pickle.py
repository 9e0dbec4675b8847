"""Every explainer and every Explanation pickles, unpickles and gives the same
results afterwards, also in processes started with multiprocessing 'spawn'."""

import multiprocessing
import pickle

import numpy as np
import pytest
from _batch_helpers import (
    TEXTS,
    LogisticModel,
    cancer_data,
    explain_with,
    same_explanation,
    signature,
    text_model,
)

from lime_rs.lime_tabular import LimeTabularExplainer, RecurrentTabularExplainer
from lime_rs.lime_text import LimeTextExplainer

N = 400


@pytest.fixture(scope="module")
def cancer():
    X = cancer_data()
    return X, LogisticModel(X)


def tabular_explainers(X):
    return {
        "quartile": LimeTabularExplainer(X, random_state=1),
        "decile": LimeTabularExplainer(X, discretizer="decile", random_state=1),
        "continuous": LimeTabularExplainer(X, discretize_continuous=False, random_state=1),
        "regression": LimeTabularExplainer(X, mode="regression", random_state=1),
    }


@pytest.mark.parametrize("name", ["quartile", "decile", "continuous", "regression"])
def test_tabular_explainer_and_explanation_pickle(cancer, name):
    X, model = cancer
    explainer = tabular_explainers(X)[name]
    fn = model.predict if name == "regression" else model.predict_proba
    explainer.explain_instance(X[0], fn, num_samples=N)  # builds the native sampler
    clone = pickle.loads(pickle.dumps(explainer))
    a = explainer.explain_instance(X[3], fn, num_samples=N)
    b = clone.explain_instance(X[3], fn, num_samples=N)
    same_explanation(a, b)
    c = pickle.loads(pickle.dumps(a))
    same_explanation(a, c)
    assert c.as_list() == a.as_list()
    assert c.as_map() == a.as_map()
    assert c.as_html() == a.as_html()


def test_recurrent_explainer_pickles():
    rng = np.random.RandomState(0)
    X3 = rng.normal(size=(60, 4, 3))

    def model(Z):
        s = Z.reshape(len(Z), -1).sum(1)
        p = 1 / (1 + np.exp(-s / 4))
        return np.c_[1 - p, p]

    explainer = RecurrentTabularExplainer(X3, random_state=2)
    clone = pickle.loads(pickle.dumps(explainer))
    a = explainer.explain_instance(X3[1], model, num_samples=N)
    b = clone.explain_instance(X3[1], model, num_samples=N)
    same_explanation(a, b)
    same_explanation(a, pickle.loads(pickle.dumps(a)))
    assert pickle.loads(pickle.dumps(a)).as_list() == a.as_list()


@pytest.mark.parametrize("kw", [{}, {"bow": False}, {"char_level": True}])
def test_text_explainer_and_explanation_pickle(kw):
    explainer = LimeTextExplainer(random_state=4, **kw)
    explainer.explain_instance(TEXTS[0], text_model, num_samples=N)
    clone = pickle.loads(pickle.dumps(explainer))
    a = explainer.explain_instance(TEXTS[1], text_model, num_samples=N)
    b = clone.explain_instance(TEXTS[1], text_model, num_samples=N)
    same_explanation(a, b)
    c = pickle.loads(pickle.dumps(a))
    same_explanation(a, c)
    assert c.as_list() == a.as_list()
    assert c.as_html() == a.as_html()


def test_spawn_pool_gives_the_parent_results(cancer):
    X, model = cancer
    tab = LimeTabularExplainer(X, random_state=5)
    text = LimeTextExplainer(random_state=5)
    kw = {"num_samples": N}
    jobs = [
        pickle.dumps((tab, list(X[:3]), model.predict_proba, kw)),
        pickle.dumps((text, TEXTS[:3], text_model, kw)),
    ]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        got = pool.map(explain_with, jobs)
    expected_tab = signature([tab.explain_instance(r, model.predict_proba, **kw) for r in X[:3]])
    expected_text = signature([text.explain_instance(t, text_model, **kw) for t in TEXTS[:3]])
    assert got == [expected_tab, expected_text]


def test_image_explainer_pickles_into_spawn_pool():
    from _batch_helpers import colour_model, explain_image_with, grid_segments, small_image

    from lime_rs import lime_image

    explainer = lime_image.LimeImageExplainer(random_state=2)
    kw = {"top_labels": 1, "num_samples": 60, "segmentation_fn": grid_segments}
    kw["progress_bar"] = False
    job = pickle.dumps((explainer, kw))
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        (got,) = pool.map(explain_image_with, [job])
    exp = explainer.explain_instance(small_image(), colour_model, **kw)
    want = {int(k): [(int(f), float(w)) for f, w in v] for k, v in exp.local_exp.items()}
    assert got == want
    clone = pickle.loads(pickle.dumps(exp))
    assert clone.local_exp == exp.local_exp and clone.top_labels == exp.top_labels
