"""lime_rs.lime_tabular against lime.lime_tabular on the same data.

Exact: the same discretizer bins and feature names, the same scaler and
categorical frequencies. Statistical (explanations are random): across seeds,
lime_rs's top-k features overlap lime's as much as lime's overlap each other,
and lime_rs's weights differ from lime's no more than lime's differ between
its own seeds.
"""

import itertools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from lime import lime_tabular
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

import lime_rs.lime_tabular as rs

SEEDS = (11, 22, 33, 44, 55, 66, 77, 88)


# --------------------------------------------------------------------------
# statistical helper
# --------------------------------------------------------------------------


def _dense(local_exp, d):
    w = np.zeros(d)
    for f, v in local_exp:
        w[int(f)] = v
    return w


def _topk(local_exp, k):
    return {int(f) for f, _ in local_exp[:k]}


def agreement(lime_exps, rs_exps, label, d, k):
    """Mean top-k overlap and mean absolute weight difference, lime vs lime
    (every pair of seeds) and lime_rs vs lime (every combination)."""
    lw = [_dense(e.local_exp[label], d) for e in lime_exps]
    rw = [_dense(e.local_exp[label], d) for e in rs_exps]
    lt = [_topk(e.local_exp[label], k) for e in lime_exps]
    rt = [_topk(e.local_exp[label], k) for e in rs_exps]
    pairs = list(itertools.combinations(range(len(lime_exps)), 2))
    cross = list(itertools.product(range(len(rs_exps)), range(len(lime_exps))))
    return {
        "lime_overlap": np.mean([len(lt[i] & lt[j]) / k for i, j in pairs]),
        "rs_overlap": np.mean([len(rt[i] & lt[j]) / k for i, j in cross]),
        "lime_diff": np.mean([np.abs(lw[i] - lw[j]).mean() for i, j in pairs]),
        "rs_diff": np.mean([np.abs(rw[i] - lw[j]).mean() for i, j in cross]),
        "lime_score": np.mean([_score(e, label) for e in lime_exps]),
        "rs_score": np.mean([_score(e, label) for e in rs_exps]),
    }


def _score(exp, label):
    s = exp.score
    return s.get(label, next(iter(s.values()))) if isinstance(s, dict) else s


def assert_agrees(lime_exps, rs_exps, labels, d, k, overlap_slack=0.2, diff_factor=1.35):
    """lime_rs is as close to lime as lime is to itself (with slack for the
    noise of a handful of seeds)."""
    for label in labels:
        a = agreement(lime_exps, rs_exps, label, d, k)
        assert a["rs_overlap"] >= a["lime_overlap"] - overlap_slack, (label, a)
        assert a["rs_diff"] <= diff_factor * a["lime_diff"] + 2e-3, (label, a)
        assert abs(a["rs_score"] - a["lime_score"]) <= 0.1 + 0.25 * abs(a["lime_score"]), (label, a)


def explain_both(X, row, predict_fn, ctor=None, explain=None, cls="LimeTabularExplainer"):
    ctor, explain = dict(ctor or {}), dict(explain or {})
    out = {}
    for name, module in (("lime", lime_tabular), ("rs", rs)):
        exps = []
        for seed in SEEDS:
            explainer = getattr(module, cls)(X, random_state=seed, **ctor)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # lime's own deprecation noise
                exps.append(explainer.explain_instance(row, predict_fn, **explain))
        out[name] = exps
    return out["lime"], out["rs"]


def assert_same_names(lime_exp, rs_exp):
    """Names of the features both explanations list are the same strings."""
    ln = dict(zip((int(f) for f, _ in lime_exp.local_exp[_first(lime_exp)]), _names(lime_exp)))
    rn = dict(zip((int(f) for f, _ in rs_exp.local_exp[_first(rs_exp)]), _names(rs_exp)))
    for f in set(ln) & set(rn):
        assert ln[f] == rn[f]


def _first(exp):
    return 1 if exp.mode == "regression" else next(iter(exp.local_exp))


def _names(exp):
    return [n for n, _ in exp.as_list(label=_first(exp))]


# --------------------------------------------------------------------------
# fixtures: datasets and models
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def iris():
    ds = load_iris()
    model = LogisticRegression(max_iter=2000).fit(ds.data, ds.target)
    return ds.data, ds.target, [str(f) for f in ds.feature_names], model


@pytest.fixture(scope="module")
def wine():
    ds = load_wine()
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(ds.data, ds.target)
    return ds.data, ds.target, [str(f) for f in ds.feature_names], model


@pytest.fixture(scope="module")
def cancer():
    ds = load_breast_cancer()
    model = LogisticRegression(max_iter=5000).fit(ds.data, ds.target)
    return ds.data, ds.target, [str(f) for f in ds.feature_names], model


@pytest.fixture(scope="module")
def diabetes():
    ds = load_diabetes()
    model = Ridge(alpha=0.1).fit(ds.data, ds.target)
    return ds.data, ds.target, [str(f) for f in ds.feature_names], model


# --------------------------------------------------------------------------
# exact agreement
# --------------------------------------------------------------------------


@pytest.mark.parametrize("discretizer", ["quartile", "decile", "entropy"])
def test_same_bins_names_scaler_and_frequencies(cancer, discretizer):
    X, y, names, _ = cancer
    kw = dict(feature_names=names, training_labels=y, discretizer=discretizer)
    ours = rs.LimeTabularExplainer(X, random_state=0, **kw)
    theirs = lime_tabular.LimeTabularExplainer(X, random_state=0, **kw)
    assert ours.discretizer.names == theirs.discretizer.names
    assert ours.categorical_features == theirs.categorical_features
    np.testing.assert_allclose(ours.scaler.mean_, theirs.scaler.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.scaler.scale_, theirs.scaler.scale_, rtol=1e-12)
    for f in theirs.feature_values:
        assert list(ours.feature_values[f]) == list(theirs.feature_values[f])
        np.testing.assert_allclose(ours.feature_frequencies[f], theirs.feature_frequencies[f])


def test_continuous_scaler_and_categorical_frequencies_match():
    rng = np.random.RandomState(0)
    X = np.c_[rng.normal(size=(400, 3)), rng.randint(0, 4, size=400), np.full(400, 3.0)]
    kw = dict(categorical_features=[3], discretize_continuous=False)
    ours = rs.LimeTabularExplainer(X, **kw)
    theirs = lime_tabular.LimeTabularExplainer(X, **kw)
    np.testing.assert_allclose(ours.scaler.mean_, theirs.scaler.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.scaler.scale_, theirs.scaler.scale_, rtol=1e-12)
    assert ours.scaler.scale_[4] == 1.0  # zero variance column
    assert list(ours.feature_values[3]) == list(theirs.feature_values[3])
    np.testing.assert_allclose(ours.feature_frequencies[3], theirs.feature_frequencies[3])


def test_feature_names_identical_for_every_feature(cancer):
    X, _, names, model = cancer
    for disc in (True, False):
        kw = dict(feature_names=names, feature_selection="none", discretize_continuous=disc)
        a = lime_tabular.LimeTabularExplainer(X, random_state=1, **kw).explain_instance(
            X[42], model.predict_proba, num_samples=300
        )
        b = rs.LimeTabularExplainer(X, random_state=1, **kw).explain_instance(
            X[42], model.predict_proba, num_samples=300
        )
        ln = {int(f): n for (f, _), n in zip(a.local_exp[1], _names(a))}
        rn = {int(f): n for (f, _), n in zip(b.local_exp[1], _names(b))}
        assert ln == rn and len(ln) == 30


# --------------------------------------------------------------------------
# statistical agreement
# --------------------------------------------------------------------------


def test_iris_quartile_all_labels(iris):
    X, _, names, model = iris
    lime_e, rs_e = explain_both(
        X,
        X[60],
        model.predict_proba,
        ctor=dict(feature_names=names),
        explain=dict(labels=(0, 1, 2), num_features=4, num_samples=1500),
    )
    assert_agrees(lime_e, rs_e, labels=(0, 1, 2), d=4, k=2)
    assert_same_names(lime_e[0], rs_e[0])


def test_wine_decile_top_labels(wine):
    X, _, names, model = wine
    lime_e, rs_e = explain_both(
        X,
        X[70],
        model.predict_proba,
        ctor=dict(feature_names=names, discretizer="decile"),
        explain=dict(top_labels=2, num_features=8, num_samples=1500),
    )
    for a, b in zip(lime_e, rs_e):
        assert [int(x) for x in a.top_labels] == [int(x) for x in b.top_labels]
    labels = [int(x) for x in lime_e[0].top_labels]
    assert_agrees(lime_e, rs_e, labels=labels, d=13, k=4)


@pytest.mark.parametrize(
    "ctor",
    [
        dict(discretizer="quartile"),
        dict(discretizer="decile"),
        dict(discretizer="entropy"),
        dict(discretize_continuous=False),
    ],
    ids=["quartile", "decile", "entropy", "continuous"],
)
def test_breast_cancer(cancer, ctor):
    X, y, names, model = cancer
    lime_e, rs_e = explain_both(
        X,
        X[3],
        model.predict_proba,
        ctor=dict(feature_names=names, training_labels=y, **ctor),
        explain=dict(num_features=10, num_samples=1500),
    )
    assert_agrees(lime_e, rs_e, labels=(1,), d=30, k=5)
    assert_same_names(lime_e[0], rs_e[0])


def test_breast_cancer_forward_selection(cancer):
    X, _, names, model = cancer
    lime_e, rs_e = explain_both(
        X,
        X[10],
        model.predict_proba,
        ctor=dict(feature_names=names),
        explain=dict(num_features=4, num_samples=800),
    )
    assert_agrees(lime_e, rs_e, labels=(1,), d=30, k=4)


def test_breast_cancer_stats_discretizer(cancer):
    X, _, names, model = cancer
    ref = rs.QuartileDiscretizer(X, [], names)
    disc = ref.discretize(X)
    values, freqs = {}, {}
    for f in range(X.shape[1]):
        v, c = np.unique(disc[:, f], return_counts=True)
        values[f], freqs[f] = v.tolist(), c.tolist()
    stats = {
        "means": ref.means,
        "stds": ref.stds,
        "mins": ref.mins,
        "maxs": ref.maxs,
        "bins": {f: ref.lambdas[f].keywords["qts"].tolist() for f in ref.lambdas},
        "feature_values": values,
        "feature_frequencies": freqs,
    }
    lime_e, rs_e = explain_both(
        np.zeros((2, 30)),
        X[3],
        model.predict_proba,
        ctor=dict(feature_names=names, training_data_stats=stats),
        explain=dict(num_features=10, num_samples=1500),
    )
    assert_agrees(lime_e, rs_e, labels=(1,), d=30, k=5)
    assert_same_names(lime_e[0], rs_e[0])
    # the same neighbourhood model as when computed from the data
    direct = rs.LimeTabularExplainer(X, feature_names=names, random_state=SEEDS[0])
    exp = direct.explain_instance(X[3], model.predict_proba, num_features=10, num_samples=1500)
    assert_agrees(lime_e, [exp], labels=(1,), d=30, k=5)


@pytest.mark.parametrize("disc", [True, False], ids=["quartile", "continuous"])
def test_diabetes_regression(diabetes, disc):
    X, _, names, model = diabetes
    lime_e, rs_e = explain_both(
        X,
        X[5],
        model.predict,
        ctor=dict(feature_names=names, mode="regression", discretize_continuous=disc),
        explain=dict(num_features=6, num_samples=1500),
    )
    assert_agrees(lime_e, rs_e, labels=(1,), d=10, k=3)
    for a, b in zip(lime_e, rs_e):
        assert b.predicted_value == pytest.approx(a.predicted_value)
        assert set(b.local_exp) == set(a.local_exp) == {0, 1}


@pytest.fixture(scope="module")
def categorical_data():
    rng = np.random.RandomState(7)
    n = 600
    colour = rng.randint(0, 3, size=n)
    size = rng.randint(0, 2, size=n)
    x0, x1 = rng.normal(size=n), rng.normal(2, 3, size=n)
    X = np.c_[x0, colour, x1, size].astype(float)
    logits = 1.5 * x0 + 2.0 * (colour == 1) - 1.0 * size + 0.2 * x1

    def predict_proba(Z):
        z = 1.5 * Z[:, 0] + 2.0 * (Z[:, 1] == 1) - 1.0 * Z[:, 3] + 0.2 * Z[:, 2]
        p = 1 / (1 + np.exp(-z))
        return np.c_[1 - p, p]

    names = ["x0", "colour", "x1", "size"]
    cat_names = {1: ["red", "green", "blue"], 3: ["small", "large"]}
    assert logits.shape == (n,)
    return X, names, cat_names, predict_proba


@pytest.mark.parametrize("disc", [True, False], ids=["quartile", "continuous"])
def test_integer_coded_categoricals(categorical_data, disc):
    X, names, cat_names, predict_proba = categorical_data
    row = np.array([0.3, 1.0, 2.5, 0.0])
    lime_e, rs_e = explain_both(
        X,
        row,
        predict_proba,
        ctor=dict(
            feature_names=names,
            categorical_features=[1, 3],
            categorical_names=cat_names,
            discretize_continuous=disc,
        ),
        explain=dict(num_features=4, num_samples=1500),
    )
    assert_agrees(lime_e, rs_e, labels=(1,), d=4, k=2)
    rs_names = {n for n, _ in rs_e[0].as_list()}
    assert {"colour=green", "size=small"} <= rs_names
    assert_same_names(lime_e[0], rs_e[0])


def test_sparse_rows(cancer):
    X, _, names, model = cancer
    # unit-scale data: lime's sparse path multiplies by scale_ (instead of
    # dividing), which on raw-scale data leaves every kernel weight but row 0's at 0
    Xs = X / X.std(axis=0)
    Xs[Xs < np.percentile(Xs, 40, axis=0)] = 0.0
    row = sp.csr_matrix(Xs[3])
    mean, std = Xs.mean(axis=0), Xs.std(axis=0)
    w = np.random.RandomState(0).normal(size=30) / 3

    def predict_proba(Z):
        Z = Z.toarray() if sp.issparse(Z) else Z
        p = 1 / (1 + np.exp(-((Z - mean) / std) @ w))
        return np.c_[1 - p, p]

    lime_e, rs_e = explain_both(
        Xs,
        row,
        predict_proba,
        ctor=dict(feature_names=names, discretize_continuous=False),
        explain=dict(num_features=8, num_samples=1500),
    )
    assert_agrees(lime_e, rs_e, labels=(1,), d=30, k=4)
    assert_same_names(lime_e[0], rs_e[0])


def test_sparse_training_data(cancer):
    X, _, _, model = cancer
    Xs = sp.csr_matrix(np.where(X < np.median(X, axis=0), 0.0, X))
    ours = rs.LimeTabularExplainer(Xs)
    theirs = lime_tabular.LimeTabularExplainer(Xs)
    assert ours.discretizer is None and theirs.discretizer is None
    np.testing.assert_allclose(ours.scaler.mean_, theirs.scaler.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.scaler.scale_, theirs.scaler.scale_, rtol=1e-10)


def test_lhs_agrees_with_limes_gaussian(cancer):
    X, _, names, model = cancer
    kw = dict(feature_names=names, discretize_continuous=False)
    lime_e, _ = explain_both(X, X[3], model.predict_proba, ctor=kw, explain=dict(num_samples=1500))
    rs_e = [
        rs.LimeTabularExplainer(X, random_state=s, **kw).explain_instance(
            X[3], model.predict_proba, num_samples=1500, sampling_method="lhs"
        )
        for s in SEEDS
    ]
    assert_agrees(lime_e, rs_e, labels=(1,), d=30, k=5)


def test_recurrent(iris):
    rng = np.random.RandomState(0)
    X3 = rng.normal(size=(300, 4, 3))
    w = rng.normal(size=(4, 3))

    def predict_proba(Z):
        p = 1 / (1 + np.exp(-(Z * w).sum(axis=(1, 2))))
        return np.c_[1 - p, p]

    lime_e, rs_e = explain_both(
        X3,
        X3[0],
        predict_proba,
        ctor=dict(feature_names=["a", "b", "c"]),
        explain=dict(num_features=6, num_samples=1500),
        cls="RecurrentTabularExplainer",
    )
    assert_agrees(lime_e, rs_e, labels=(1,), d=12, k=3)
    assert_same_names(lime_e[0], rs_e[0])
    assert any(n.startswith("a_t-") for n in _names(rs_e[0]))


def test_custom_model_regressor(cancer):
    X, _, names, model = cancer
    lime_e, rs_e = explain_both(
        X,
        X[3],
        model.predict_proba,
        ctor=dict(feature_names=names),
        explain=dict(num_features=6, num_samples=1000, model_regressor=LinearRegression()),
    )
    assert_agrees(lime_e, rs_e, labels=(1,), d=30, k=3)
