"""Audit records: Explanation.to_json / from_json / to_dict / from_dict and
as_frame. A loaded explanation shows what the original showed."""

import json

import matplotlib
import numpy as np
import pytest

from lime_rs import __version__
from lime_rs.explanation import Explanation
from lime_rs.lime_tabular import LimeTabularExplainer
from lime_rs.lime_text import LimeTextExplainer

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def iris():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    data = load_iris()
    model = LogisticRegression(max_iter=500).fit(data.data, data.target)
    return data, model


def figure_content(fig):
    import matplotlib.pyplot as plt

    ax = fig.axes[0]
    out = (
        ax.get_title(),
        [t.get_text() for t in ax.get_yticklabels()],
        [round(p.get_width(), 12) for p in ax.patches],
    )
    plt.close(fig)
    return out


def assert_same(a, b, labels, **html_kwargs):
    assert b.as_map() == a.as_map()
    assert b.mode == a.mode
    for label in labels:
        assert b.as_list(label=label) == a.as_list(label=label)
        assert figure_content(b.as_pyplot_figure(label=label)) == figure_content(
            a.as_pyplot_figure(label=label)
        )
    assert b.as_html(**html_kwargs) == a.as_html(**html_kwargs)
    assert b.local_exp_stderr == a.local_exp_stderr
    assert b.intercept == a.intercept
    assert b.score == a.score
    assert {k: v.tolist() for k, v in b.local_pred.items()} == {
        k: v.tolist() for k, v in a.local_pred.items()
    }


@pytest.mark.parametrize("discretize", [True, False])
def test_tabular_classification_round_trip(iris, discretize):
    data, model = iris
    explainer = LimeTabularExplainer(
        data.data,
        feature_names=data.feature_names,
        class_names=list(data.target_names),
        discretize_continuous=discretize,
        random_state=3,
    )
    exp = explainer.explain_instance(
        data.data[60], model.predict_proba, top_labels=2, num_features=3, num_samples=800
    )
    text = exp.to_json()
    record = json.loads(text)
    assert record["schema"] == "lime_rs.explanation" and record["schema_version"] == 2
    assert record["lime_rs_version"] == __version__
    settings = record["settings"]
    assert settings["num_samples"] == 800 and settings["num_features"] == 3
    assert settings["feature_selection"] == "auto"
    assert settings["discretizer"] == ("quartile" if discretize else None)
    assert settings["kernel_width"] == pytest.approx(np.sqrt(4) * 0.75)
    assert record["seed"] == exp.seed and isinstance(exp.seed, int)
    first = record["labels"][0]
    assert set(first) >= {"label", "intercept", "score", "local_pred", "features"}
    assert set(first["features"][0]) == {"id", "name", "weight", "stderr"}
    loaded = Explanation.from_json(text)
    assert loaded.available_labels() == exp.available_labels()
    assert loaded.predict_proba.tolist() == exp.predict_proba.tolist()
    assert_same(exp, loaded, exp.available_labels())
    assert loaded.as_html(show_all=True) == exp.as_html(show_all=True)
    # dict path, and a second trip is a fixed point
    again = Explanation.from_dict(loaded.to_dict())
    assert again.to_json() == text


def test_tabular_regression_and_categorical_round_trip():
    rng = np.random.RandomState(0)
    x = np.column_stack([rng.normal(size=300), rng.randint(0, 3, size=300)])
    explainer = LimeTabularExplainer(
        x,
        mode="regression",
        feature_names=["size", "colour"],
        categorical_features=[1],
        categorical_names={1: ["red", "green", "<blue>"]},
        random_state=1,
    )
    exp = explainer.explain_instance(
        np.array([0.3, 2.0]), lambda a: a[:, 0] * 3 - (a[:, 1] == 2), num_samples=600
    )
    loaded = Explanation.from_json(exp.to_json())
    assert (loaded.predicted_value, loaded.min_value, loaded.max_value) == (
        exp.predicted_value,
        exp.min_value,
        exp.max_value,
    )
    assert_same(exp, loaded, [1])
    assert "colour=&lt;blue&gt;" in loaded.as_html()


def test_sparse_tabular_round_trip():
    import scipy.sparse as sp

    rng = np.random.RandomState(0)
    x = sp.random(200, 12, density=0.3, random_state=rng, format="csr")
    explainer = LimeTabularExplainer(x, discretize_continuous=False, random_state=0)
    exp = explainer.explain_instance(
        x[5],
        lambda a: (
            np.column_stack([np.ones(a.shape[0]) * 0.4, np.ones(a.shape[0]) * 0.6])
            + 0.01 * np.asarray(a[:, :2].todense())
        ),
        num_samples=300,
    )
    loaded = Explanation.from_json(exp.to_json())
    assert_same(exp, loaded, [1])


@pytest.mark.parametrize("bow", [True, False])
def test_text_round_trip(bow):
    docs = ["a good movie, a <b>good</b> plot", "bad acting & bad sound"]

    def predict(texts):
        p = np.array(
            [(t.count("good") + 1) / (t.count("good") + t.count("bad") + 2) for t in texts]
        )
        return np.column_stack([1 - p, p])

    explainer = LimeTextExplainer(class_names=["neg", "pos"], bow=bow, random_state=0)
    exp = explainer.explain_instance(docs[0], predict, num_features=4, num_samples=500)
    text = exp.to_json()
    assert json.loads(text)["settings"]["bow"] is bow
    loaded = Explanation.from_json(text)
    assert_same(exp, loaded, [1])
    assert loaded.as_list(label=1, positions=True) == exp.as_list(label=1, positions=True)
    html = loaded.as_html()
    assert "&lt;" in html and "<b>" not in html


def test_generic_domain_mapper_round_trip():
    from lime_rs.explanation import DomainMapper

    class Names(DomainMapper):
        def map_exp_ids(self, exp, **kwargs):
            return [(f"f{i}", w) for i, w in exp]

    exp = Explanation(Names(), class_names=["a", "b"])
    exp.local_exp[1] = [(2, 0.5), (0, -0.25)]
    exp.intercept[1] = 0.1
    exp.predict_proba = np.array([0.3, 0.7])
    loaded = Explanation.from_json(exp.to_json())
    assert loaded.as_list(label=1) == [("f2", 0.5), ("f0", -0.25)]
    assert loaded.as_html() == exp.as_html()
    assert np.isnan(loaded.as_frame(label=1)["stderr"]).all()


def test_as_frame(iris):
    data, model = iris
    explainer = LimeTabularExplainer(data.data, feature_names=data.feature_names, random_state=0)
    exp = explainer.explain_instance(
        data.data[0], model.predict_proba, labels=(0,), num_samples=600
    )
    frame = exp.as_frame(label=0)
    assert list(frame.columns) == ["feature", "weight", "stderr", "ci_low", "ci_high"]
    assert frame["feature"].tolist() == [n for n, _ in exp.as_list(label=0)]
    assert np.allclose(frame["weight"], [w for _, w in exp.as_list(label=0)])
    assert (frame["stderr"] > 0).all()
    assert np.allclose(frame["ci_high"] - frame["weight"], 1.959963984540054 * frame["stderr"])
    with pytest.raises(KeyError, match="was not explained"):
        exp.as_frame(label=2)


def test_as_frame_without_pandas(iris, monkeypatch):
    import builtins

    data, model = iris
    explainer = LimeTabularExplainer(data.data, random_state=0)
    exp = explainer.explain_instance(data.data[0], model.predict_proba, num_samples=300)
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match="pip install pandas"):
        exp.as_frame()


def test_bad_records(iris):
    data, model = iris
    explainer = LimeTabularExplainer(data.data, random_state=0)
    exp = explainer.explain_instance(data.data[0], model.predict_proba, num_samples=300)
    record = exp.to_dict()

    bad = dict(record, schema_version=3)
    with pytest.raises(ValueError, match="schema_version: unknown version 3"):
        Explanation.from_dict(bad)
    bad = dict(record)
    del bad["mode"]
    with pytest.raises(ValueError, match="missing field 'mode'"):
        Explanation.from_json(json.dumps(bad))
    bad = json.loads(json.dumps(record))
    del bad["labels"][0]["features"][1]["weight"]
    with pytest.raises(ValueError, match=r"missing field 'labels\[0\]\.features\[1\]\.weight'"):
        Explanation.from_dict(bad)
    bad = json.loads(json.dumps(record))
    del bad["domain"]["feature_values"]
    with pytest.raises(ValueError, match="missing field 'domain.feature_values'"):
        Explanation.from_dict(bad)
    with pytest.raises(ValueError, match="schema: expected 'lime_rs.explanation'"):
        Explanation.from_dict(dict(record, schema="something"))
    with pytest.raises(ValueError, match="not valid JSON"):
        Explanation.from_json("{not json")
    with pytest.raises(TypeError, match="expected a dict"):
        Explanation.from_dict([1, 2])


def test_image_explanation_records_settings_and_stderr():
    from lime_rs.lime_image import LimeImageExplainer

    image = np.zeros((16, 16, 3))
    image[:8] = 1.0
    segments = np.arange(16 * 16).reshape(16, 16) // 32  # 8 horizontal bands

    def predict(batch):
        p = batch[:, :8].mean(axis=(1, 2, 3))
        return np.column_stack([1 - p, p])

    explainer = LimeImageExplainer(random_state=0)
    exp = explainer.explain_instance(
        image, predict, top_labels=2, num_samples=300, segmentation_fn=lambda im: segments,
        progress_bar=False,
    )  # fmt: skip
    assert isinstance(exp.seed, int)
    assert exp.explainer_settings["num_samples"] == 300
    assert exp.explainer_settings["kernel_width"] == 0.25
    for label in exp.local_exp:
        assert [f for f, _ in exp.local_exp[label]] == [f for f, _ in exp.local_exp_stderr[label]]


def test_round_trip_property():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from lime_rs.lime_tabular import TableDomainMapper

    finite = st.floats(allow_nan=False, allow_infinity=False, width=64)

    @settings(max_examples=60, deadline=None)
    @given(
        names=st.lists(st.text(max_size=12), min_size=1, max_size=6),
        data=st.data(),
    )
    def check(names, data):
        d = len(names)
        values = [data.draw(st.text(max_size=8)) for _ in range(d)]
        mapper = TableDomainMapper(names, values, np.zeros(d), categorical_features=[])
        exp = Explanation(mapper, class_names=[data.draw(st.text(max_size=5)) for _ in range(2)])
        ids = data.draw(st.permutations(range(d)))
        exp.local_exp[1] = [(np.int64(i), np.float64(data.draw(finite))) for i in ids]
        exp.local_exp_stderr[1] = [
            (i, np.float64(abs(data.draw(finite)))) for i, _ in exp.local_exp[1]
        ]
        exp.intercept[1] = np.float64(data.draw(finite))
        exp.score[1] = data.draw(finite)
        exp.local_pred[1] = np.array([data.draw(finite)])
        exp.predict_proba = np.array([0.25, 0.75])
        loaded = Explanation.from_json(exp.to_json())
        assert loaded.as_map() == exp.as_map()
        assert loaded.as_list(label=1) == exp.as_list(label=1)
        assert loaded.local_exp_stderr == exp.local_exp_stderr
        assert loaded.intercept == exp.intercept and loaded.score == exp.score
        assert loaded.as_html() == exp.as_html()

    check()


def test_default_kernel_is_recognised_by_identity():
    """The record says "exponential" for lime_rs's default kernel itself
    (lime_rs._pipeline.exponential_kernel), not for a function of that name."""
    import types
    from functools import partial

    from lime_rs import _pipeline, serialization

    explainer = types.SimpleNamespace(
        base=types.SimpleNamespace(
            kernel_fn=partial(_pipeline.exponential_kernel, kernel_width=0.75)
        )
    )
    assert serialization._kernel_settings(explainer) == {
        "kernel_width": 0.75,
        "kernel": "exponential",
    }

    def _exponential_kernel(d, kernel_width):
        return np.ones_like(d)

    explainer.base.kernel_fn = partial(_exponential_kernel, kernel_width=0.75)
    kernel = serialization._kernel_settings(explainer)["kernel"]
    assert kernel != "exponential" and kernel.endswith("_exponential_kernel")
