"""Issue #21: features held fixed, feature groups and missing values."""

import json

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from lime_rs import serialization
from lime_rs.lime_tabular import LimeTabularExplainer

N = 600


@pytest.fixture(scope="module")
def cancer():
    data = load_breast_cancer()
    X, y = data.data, data.target
    model = LogisticRegression(max_iter=5000).fit(X, y)
    return X, y, list(data.feature_names), model


def _same(a, b):
    assert [n for n, _ in a] == [n for n, _ in b]
    assert np.allclose([w for _, w in a], [w for _, w in b], atol=1e-9)


def _explainer(X, names, **kw):
    kw.setdefault("random_state", 0)
    return LimeTabularExplainer(X, feature_names=names, **kw)


# --- features held fixed ---


@pytest.mark.parametrize("discretize", [True, False])
def test_fixed_features_hold_instance_values(cancer, discretize):
    X, _, names, model = cancer
    seen = []

    def predict(x):
        seen.append(np.array(x))
        return model.predict_proba(x)

    e = _explainer(X, names, discretize_continuous=discretize)
    exp = e.explain_instance(X[3], predict, num_samples=N, num_features=30,
                             fixed_features=[0, "mean texture"])  # fmt: skip
    inv = seen[0]
    assert np.all(inv[:, 0] == X[3, 0]) and np.all(inv[:, 1] == X[3, 1])
    assert inv[:, 2].std() > 0
    ids = {int(i) for i, _ in exp.local_exp[1]}
    assert not ids & {0, 1}  # excluded, not merely zero
    assert len(ids) == 28
    held = exp.domain_mapper.held_at()
    assert [str(n) for n, _ in held] == ["mean radius", "mean texture"]
    assert "held at" in exp.as_html()
    assert all("mean radius" not in name for name, _ in exp.as_list())


def test_fixed_features_batch_equals_single(cancer):
    X, _, names, model = cancer
    kw = dict(num_samples=N, fixed_features=["worst area"])
    single = [_explainer(X, names).explain_instance(X[i], model.predict_proba, **kw)
              for i in range(1)]  # fmt: skip
    a = _explainer(X, names)
    one = [a.explain_instance(X[i], model.predict_proba, **kw) for i in range(3)]
    b = _explainer(X, names)
    many = b.explain_instances(X[:3], model.predict_proba, batch_size=10**6, **kw)
    assert single[0].as_list() == one[0].as_list()
    for x, y in zip(one, many):
        _same(x.as_list(), y.as_list())


def test_fixed_features_record_round_trip(cancer):
    X, _, names, model = cancer
    exp = _explainer(X, names).explain_instance(
        X[0], model.predict_proba, num_samples=N, fixed_features=[5]
    )
    rec = serialization.to_dict(exp)
    assert rec["domain"]["fixed_features"] == [5]
    back = serialization.from_dict(json.loads(json.dumps(rec)))
    assert back.domain_mapper.held_at() == exp.domain_mapper.held_at()
    assert back.as_list() == exp.as_list()


def test_without_options_records_unchanged(cancer):
    X, _, names, model = cancer
    rec = serialization.to_dict(
        _explainer(X, names).explain_instance(X[0], model.predict_proba, num_samples=N)
    )
    assert "fixed_features" not in rec["domain"] and "feature_columns" not in rec["domain"]


@pytest.mark.parametrize(
    "fixed, match",
    [
        (["nope"], "unknown column"),
        ([99], "out of range"),
        ([1, 1], "twice"),
        ([0, "mean radius"], "twice"),
        (list(range(30)), "every feature"),
    ],
)
def test_fixed_features_bad_input(cancer, fixed, match):
    X, _, names, model = cancer
    with pytest.raises(ValueError, match=f"fixed_features.*{match}"):
        _explainer(X, names).explain_instance(X[0], model.predict_proba, fixed_features=fixed)


# --- feature groups ---


def _onehot_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    colour = rng.integers(0, 3, n)
    onehot = np.eye(3)[colour]
    x = rng.normal(size=(n, 2))
    X = np.column_stack([x[:, 0], onehot, x[:, 1]])
    y = (colour == 2).astype(int) ^ (x[:, 0] > 1.5)
    return X, y, ["a", "red", "green", "blue", "b"]


@pytest.mark.parametrize("discretize", [True, False])
def test_groups_keep_onehot_consistent(discretize):
    X, y, names = _onehot_data()
    model = LogisticRegression().fit(X, y)
    seen = []

    def predict(x):
        seen.append(np.array(x))
        return model.predict_proba(x)

    e = _explainer(X, names, feature_groups={"colour": ["red", "green", 3]},
                   discretize_continuous=discretize)  # fmt: skip
    exp = e.explain_instance(X[0], predict, num_samples=N)
    inv = seen[0]
    assert np.all(inv[:, 1:4].sum(axis=1) == 1)  # every sample is one training row's colour
    names_out = [n for n, _ in exp.as_list()]
    assert "colour" in names_out and len(names_out) == 3
    assert exp.domain_mapper.feature_count() == 3
    top = max(exp.as_list(), key=lambda p: abs(p[1]))
    assert top[0] == "colour"
    back = serialization.from_dict(serialization.to_dict(exp))
    assert back.as_list() == exp.as_list()
    assert serialization.to_dict(exp)["domain"]["feature_columns"] == [[0], [1, 2, 3], [4]]


def test_groups_batch_equals_single():
    X, y, names = _onehot_data()
    model = LogisticRegression().fit(X, y)
    kw = dict(feature_groups={"colour": [1, 2, 3]})
    a = _explainer(X, names, **kw)
    one = [a.explain_instance(X[i], model.predict_proba, num_samples=N) for i in range(4)]
    b = _explainer(X, names, **kw)
    many = b.explain_instances(X[:4], model.predict_proba, num_samples=N)
    for x, y_ in zip(one, many):
        _same(x.as_list(), y_.as_list())


def test_groups_compose_with_fixed():
    X, y, names = _onehot_data()
    model = LogisticRegression().fit(X, y)
    seen = []

    def predict(x):
        seen.append(np.array(x))
        return model.predict_proba(x)

    e = _explainer(X, names, feature_groups={"colour": [1, 2, 3]})
    exp = e.explain_instance(X[0], predict, num_samples=N, fixed_features=["colour"])
    assert np.all(seen[0][:, 1:4] == X[0, 1:4])
    assert [n for n, _ in exp.as_list()] and "colour" not in [n for n, _ in exp.as_list()]
    assert exp.domain_mapper.held_at()[0][0] == "colour"
    with pytest.raises(ValueError, match="fixed_features.*group"):
        e.explain_instance(X[0], predict, fixed_features=["red"])


@pytest.mark.parametrize(
    "groups, kw, match",
    [
        ({"g": [1, 2], "h": [2, 3]}, {}, "in groups"),
        ({"g": []}, {}, "empty"),
        ({"g": ["nope"]}, {}, "unknown"),
        ({"g": [1, 2]}, {"categorical_features": [2]}, "categorical_features"),
        ({"a": [1, 2]}, {}, "also a column name"),
    ],
)
def test_groups_bad_input(groups, kw, match):
    X, _, names = _onehot_data()
    with pytest.raises(ValueError, match=f"feature_groups.*{match}"):
        _explainer(X, names, feature_groups=groups, **kw)
