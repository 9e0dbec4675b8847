# ruff: noqa: UP031  (lime users format with %; the test uses their code)
"""``Explanation.score`` / ``local_pred`` read as lime 0.2.0.1's (a float, an
array of shape (1,): the last explained label's) and as lime master's (a dict
per label), with lime's own code patterns."""

import math
import numbers
import pickle
import warnings

import lime.lime_tabular
import numpy as np
import pytest

from lime_rs.explanation import Explanation, LabelScores, LocalPredictions
from lime_rs.lime_tabular import LimeTabularExplainer


@pytest.fixture(scope="module")
def setting():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    data = load_iris()
    model = LogisticRegression(max_iter=500).fit(data.data, data.target)
    return data.data, model


def explain(module, x, model, **kwargs):
    explainer = module.LimeTabularExplainer(x, random_state=0, discretize_continuous=False)
    return explainer.explain_instance(x[0], model.predict_proba, num_samples=500, **kwargs)


@pytest.fixture(scope="module")
def pair(setting):
    """One explanation by lime 0.2.0.1 and one by lime_rs, three labels each."""
    x, model = setting
    import lime_rs.lime_tabular

    ref = explain(lime.lime_tabular, x, model, top_labels=3)
    return ref, None, explain(lime_rs.lime_tabular, x, model, top_labels=3)


def test_lime_0201_reference_types(pair):
    ref, _, ours = pair
    # what lime 0.2.0.1 has: a float and an array of shape (1,), of the last label
    assert isinstance(ref.score, float) and np.asarray(ref.local_pred).shape == (1,)
    last = ours.top_labels[0]  # lime explains top labels in increasing probability
    assert float(ours.score) == ours.score[last]
    assert np.array_equal(np.asarray(ours.local_pred), ours.local_pred[last])


def test_number_patterns_as_lime_0201(pair):
    ref, _, ours = pair
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy conversion deprecation on our side
        for e in (ours,):
            s = e.score
            # lime's benchmark/table_perf.py
            assert "%.4f" % min([s, s]) == "%.4f" % float(s)
            scores = [s, s]
            assert "%9.4f %9.4f %9.4f" % (min(scores), sum(scores) / len(scores), max(scores))
            assert f"{s:.3f}" == f"{float(s):.3f}" and format(s, "8.2e") == format(float(s), "8.2e")
            assert s + 1 == float(s) + 1 and 1 - s == 1 - float(s) and s * 2 == 2 * float(s)
            assert s / 2 == float(s) / 2 and 2**s == 2 ** float(s) and s**2 == float(s) ** 2
            assert -s == -float(s) and abs(s) == abs(float(s)) and round(s, 2) == round(float(s), 2)
            assert math.floor(s) == math.floor(float(s)) and int(s) == int(float(s))
            assert s < 2 and s > -1 and s <= float(s) and s >= float(s) and s == float(s)
            assert sorted([s, 5.0, -5.0])[1] is s and max([s, -1.0]) is s
            assert isinstance(s, numbers.Real)
            assert np.asarray(s).shape == () and np.asarray(s).dtype == np.float64
            assert np.mean([s, s]) == float(s) and np.array([s, s]).dtype == np.float64
            assert np.float64(1.0) + s == 1.0 + float(s) and np.isfinite(s)
            assert np.array([1.0, 2.0]) * s == pytest.approx([float(s), 2 * float(s)])
            assert math.isfinite(s) and complex(s) == complex(float(s))


def test_local_pred_patterns_as_lime_0201(pair):
    ref, _, ours = pair
    for e in (ref, ours):
        p = e.local_pred
        v = float(np.asarray(p)[0])
        assert np.asarray(p).shape == (1,) and p.shape == (1,)
        assert p[0] == v and p[-1] == v and list(p[:]) == [v]
        assert p.item() == v and p.tolist() == [v] and p.dtype == np.float64
        assert np.array_equal(p - 0.5, np.array([v - 0.5]))
        assert np.array_equal(np.abs(p - 1), np.array([abs(v - 1)]))
        assert np.array([p, p]).shape == (2, 1)
        # ours: label 0 was explained, so p[0] is its array; it reads as the number
        assert "%.4f" % p[0] == "%.4f" % v or "%.4f" % p[0] == "%.4f" % p[0][0]
        assert (p < 2).all() and min([p, p]) is not None
    # numpy 2.4 refuses float() of lime's (1,) array; ours reads as its one number
    p = ours.local_pred
    assert f"{p:.3f}" == "%.3f" % p == f"{p[0]:.3f}" and float(p) == p[0]


def test_master_patterns(pair):
    _, _, ours = pair
    labels = list(ours.local_exp)
    assert isinstance(ours.score, dict) and isinstance(ours.local_pred, dict)
    assert sorted(ours.score) == sorted(labels) == sorted(ours.local_pred.keys())
    assert len(ours.score) == len(ours.local_pred) == 3
    for label, value in ours.score.items():
        assert label in ours.score and isinstance(value, float)
        assert ours.score[label] == value and ours.score.get(label) == value
        assert ours.local_pred[label].shape == (1,)
    assert ours.score == dict(ours.score)
    assert ours.local_pred.keys() == ours.score.keys()


def test_regression_label_zero(setting):
    """Regression explains label 0: a key that is a label selects it (master)."""
    x, model = setting
    exp = LimeTabularExplainer(x, mode="regression", random_state=0).explain_instance(
        x[0], lambda z: model.predict_proba(z)[:, 1], num_samples=300
    )
    assert list(exp.score) == [0]
    assert exp.local_pred[0].shape == (1,) and float(exp.local_pred) == exp.local_pred[0][0]
    assert float(exp.score) == exp.score[0]


def test_last_assigned_label():
    s = LabelScores()
    s[2] = 0.1
    s[0] = 0.7
    assert float(s) == 0.7 and list(s) == [2, 0]
    s[2] = 0.3  # reassigned: it is the last one now, its place in the dict kept
    assert float(s) == 0.3 and list(s) == [2, 0]
    del s[2]
    assert float(s) == 0.7
    s.update({5: 0.9})
    assert float(s) == 0.9 and float(s.copy()) == 0.9 and isinstance(s.copy(), LabelScores)
    empty = LabelScores()
    assert not empty and empty == {}
    with pytest.raises(TypeError, match="score: no label explained yet"):
        float(empty)
    assert s != 0.1 and s == 0.9 and s != {5: 0.9} and s == {0: 0.7, 5: 0.9}


def test_pickle_and_json_keep_every_label(pair):
    _, _, ours = pair
    for loaded in (pickle.loads(pickle.dumps(ours)), Explanation.from_json(ours.to_json())):
        assert type(loaded.score) is LabelScores and type(loaded.local_pred) is LocalPredictions
        assert loaded.score == ours.score and float(loaded.score) == float(ours.score)
        assert {k: v.tolist() for k, v in loaded.local_pred.items()} == {
            k: v.tolist() for k, v in ours.local_pred.items()
        }
        assert np.array_equal(np.asarray(loaded.local_pred), np.asarray(ours.local_pred))


def test_table_perf_loop(setting):
    """lime's benchmark/table_perf.py loop, on lime_rs."""
    x, model = setting
    explainer = LimeTabularExplainer(x, random_state=1)
    times, scores = [], []
    for i in range(3):
        e = explainer.explain_instance(x[i], model.predict_proba, num_samples=300)
        times.append(0.0)
        scores.append(e.score)
        line = "%.4f" % min([e.score, e.score])
        assert line == "%.4f" % e.score[1]
    summary = "%9.4f %9.4f %9.4f" % (min(scores), sum(scores) / len(scores), max(scores))
    assert len(summary.split()) == 3


def test_unexplained_and_in_place_merge():
    s = LabelScores()
    assert (s == 0.5) is False and s != 0.5 and s == {}
    s |= {1: 0.25, 2: 0.75}
    assert float(s) == 0.75 and type(s) is LabelScores
    p = LocalPredictions()
    with pytest.raises(KeyError):
        p[0]
    with pytest.raises(AttributeError):
        p.shape  # noqa: B018  (lime 0.2.0.1 left it None)


def test_text_and_image_explanations_serve_both_styles():
    """Every explainer's score and local_pred read as 0.2.0.1's numbers and as
    master's dicts (the text and image explainers once replaced them by plain dicts)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from lime_rs.lime_image import LimeImageExplainer
    from lime_rs.lime_text import LimeTextExplainer

    docs = ["good great fine", "bad awful poor", "great good", "poor bad"] * 5
    model = make_pipeline(CountVectorizer(), LogisticRegression()).fit(docs, [1, 0, 1, 0] * 5)
    text = LimeTextExplainer(random_state=0).explain_instance(
        "good but poor", model.predict_proba, num_samples=200
    )
    image = np.zeros((8, 8, 3))
    image[:, 4:] = 1.0

    def brightness(images):
        p = np.asarray(images).mean(axis=(1, 2, 3))
        return np.c_[1 - p, p]

    grid = np.repeat(np.arange(4), 16).reshape(8, 8)
    img = LimeImageExplainer(random_state=0).explain_instance(
        image, brightness, labels=(1,), top_labels=None, num_samples=64,
        segmentation_fn=lambda _: grid, progress_bar=False,
    )  # fmt: skip
    for exp in (text, img):
        assert isinstance(exp.score, LabelScores) and isinstance(exp.local_pred, LocalPredictions)
        assert float(exp.score) == exp.score[1]
        assert "%.4f" % min([exp.score, exp.score]) == "%.4f" % exp.score[1]
        assert np.asarray(exp.local_pred).shape == (1,)
