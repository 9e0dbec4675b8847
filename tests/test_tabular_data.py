"""Issue #21: features held fixed, feature groups and missing values."""

import json

import numpy as np
import pytest
from _batch_helpers import outputs_per_thread_count
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


def test_custom_undiscretize_keeps_held_and_grouped_values(cancer):
    from lime_rs.discretize import QuartileDiscretizer

    class Mine(QuartileDiscretizer):  # its own undiscretize runs in Python
        def undiscretize(self, data):
            return super().undiscretize(data)

    X, _, names, model = cancer
    seen = []

    def predict(x):
        seen.append(np.array(x))
        return model.predict_proba(x)

    disc = Mine(X, [], names, random_state=0)
    e = _explainer(X, names, discretizer=disc, feature_groups={"g": [2, 3]})
    exp = e.explain_instance(X[0], predict, num_samples=N, fixed_features=[0])
    inv = seen[0]
    assert np.all(inv[:, 0] == X[0, 0]) and inv[:, 1].std() > 0
    training = {tuple(r) for r in X[:, 2:4]}
    assert all(tuple(r) in training for r in inv[:, 2:4])
    assert exp.domain_mapper.feature_count() == 29  # 28 single columns and the group


def test_options_do_not_depend_on_thread_count():
    code = (
        "import pickle, sys\n"
        "import numpy as np\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from _batch_helpers import LogisticModel, cancer_data, signature\n"
        "from lime_rs.lime_tabular import LimeTabularExplainer\n"
        "X = cancer_data()\n"
        "X[np.random.default_rng(0).random(X.shape) < 0.2] = np.nan\n"
        "e = LimeTabularExplainer(X, random_state=9, feature_groups={'g': [2, 3, 4]})\n"
        "f = lambda x: LogisticModel(np.nan_to_num(X)).predict_proba(np.nan_to_num(x))\n"
        "out = e.explain_instances(X[:3], f, num_samples=3000, fixed_features=[0])\n"
        "sys.stdout.buffer.write(pickle.dumps(signature(out)))\n"
    )
    one, two = outputs_per_thread_count(code)
    assert one == two


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
    assert serialization.to_dict(exp)["domain"]["feature_columns"] == [[0], [4], [1, 2, 3]]


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


# --- missing values ---


def _with_missing(X, seed=0, lo=0.05, hi=0.3):
    rng = np.random.default_rng(seed)
    X = X.copy()
    rates = rng.uniform(lo, hi, X.shape[1])
    X[rng.random(X.shape) < rates] = np.nan
    return X, rates


@pytest.fixture(scope="module")
def missing(cancer):
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y, names, _ = cancer
    Xm, rates = _with_missing(X)
    by_missing = (np.isnan(Xm[:, 3]) ^ (Xm[:, 0] > 30)).astype(
        int
    )  # ~ whether "mean area" is missing
    hgb = HistGradientBoostingClassifier(max_iter=40, random_state=0)
    return (
        Xm,
        y,
        names,
        rates,
        hgb.fit(Xm, y),
        HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(Xm, by_missing),
    )


@pytest.mark.parametrize("disc", ["quartile", "decile", "entropy", None])
@pytest.mark.parametrize("missing_row", [True, False])
def test_missingness_comes_out_on_top(missing, disc, missing_row):
    Xm, y, names, rates, _, by_missing = missing
    kw = {"discretize_continuous": False} if disc is None else {"discretizer": disc}
    e = _explainer(Xm, names, training_labels=y, **kw)
    i = np.flatnonzero(np.isnan(Xm[:, 3]) == missing_row)[0]
    seen = []

    def predict(x):
        seen.append(np.array(x))
        return by_missing.predict_proba(x)

    exp = e.explain_instance(Xm[i], predict, num_samples=2000)
    top = exp.as_list()[0][0]
    assert top == ("mean area is missing" if missing_row else "mean area is not missing")
    inv = seen[0]
    assert np.array_equal(np.isnan(inv[0]), np.isnan(Xm[i]))  # row 0 is the instance
    present = ~np.isnan(Xm[i])
    assert np.allclose(inv[0][present], Xm[i][present])
    # each column is missing at its training rate
    assert np.allclose(np.isnan(inv[1:]).mean(axis=0), np.isnan(Xm).mean(axis=0), atol=0.04)


@pytest.mark.parametrize("method", ["gaussian", "lhs"])
def test_missing_undiscretized_sampling_methods(missing, method):
    Xm, y, names, _, model, _ = missing
    e = _explainer(Xm, names, discretize_continuous=False)
    exp = e.explain_instance(Xm[0], model.predict_proba, num_samples=1000, sampling_method=method)
    assert all(np.isfinite(w) for _, w in exp.as_list())


def test_missing_statistics_ignore_nan(missing, cancer):
    Xm, _, names, _, _, _ = missing
    e = _explainer(Xm, names)
    for j in (0, 5, 17):
        col = Xm[:, j][~np.isnan(Xm[:, j])]
        assert e.scaler.mean_[j] == 0  # discretized: categorical in the interpretable space
        assert np.allclose(e.discretizer.lambdas[j].keywords["qts"],
                           np.percentile(col, [25, 50, 75]))  # fmt: skip
        assert np.isclose(sum(e.discretizer._bin_counts[j]), col.size)
        assert np.all(np.isfinite(e.discretizer.means[j]))
    c = _explainer(Xm, names, discretize_continuous=False)
    assert np.allclose(c.scaler.mean_, np.nanmean(Xm, axis=0))


def test_missing_categorical_column(missing):
    Xm, y, names, _, _, _ = missing
    rng = np.random.default_rng(1)
    cat = rng.integers(0, 3, Xm.shape[0]).astype(float)
    cat[rng.random(cat.size) < 0.2] = np.nan
    X2 = np.column_stack([Xm[:, :5], cat])
    e = _explainer(X2, names[:5] + ["kind"], categorical_features=[5],
                   categorical_names={5: ["x", "y", "z"]})  # fmt: skip
    assert e.feature_values[5] == [0.0, 1.0, 2.0]
    row = X2[np.flatnonzero(np.isnan(cat))[0]]
    predict = lambda x: np.column_stack([np.isnan(x[:, 5]), ~np.isnan(x[:, 5])]).astype(float)  # noqa: E731
    exp = e.explain_instance(row, predict, num_samples=1000)
    assert exp.as_list(label=1)[0][0] == "kind is missing"
    row = X2[np.flatnonzero(cat == 1)[0]]
    exp = e.explain_instance(row, predict, num_samples=1000, num_features=20)
    names_out = [n for n, _ in exp.as_list(label=1)]
    assert names_out[0] == "kind is not missing" and "kind=y" in names_out


def test_missing_batch_equals_single_and_record(missing):
    Xm, _, names, _, model, _ = missing
    a = _explainer(Xm, names)
    one = [a.explain_instance(Xm[i], model.predict_proba, num_samples=N) for i in range(4)]
    b = _explainer(Xm, names)
    many = b.explain_instances(Xm[:4], model.predict_proba, num_samples=N)
    for x, y_ in zip(one, many):
        _same(x.as_list(), y_.as_list())
    back = serialization.from_dict(json.loads(json.dumps(serialization.to_dict(one[0]))))
    assert back.as_list() == one[0].as_list()
    assert "missing" in one[0].as_html()


def test_all_missing_column_is_an_error(cancer):
    X, _, names, _ = cancer
    X = X.copy()
    X[:, 4] = np.nan
    with pytest.raises(ValueError, match="training_data: column 'mean smoothness'.*only missing"):
        _explainer(X, names)


def test_missing_pandas(missing):
    import pandas as pd

    Xm, _, names, _, _, _ = missing
    df = pd.DataFrame(Xm[:, :4], columns=names[:4])
    kinds = np.array(["a", "b", None], dtype=object)[np.arange(len(df)) % 3]
    df["kind"] = kinds
    seen = []

    def predict(frame):
        seen.append(frame)
        p = frame["kind"].isna().to_numpy(float)
        return np.column_stack([1 - p, p])

    e = LimeTabularExplainer(df, random_state=0)
    exp = e.explain_instance(df.iloc[2], predict, num_samples=1000)
    assert exp.as_list()[0][0] == "kind is missing"
    frame = seen[0]
    assert frame["kind"].isna().any() and frame["mean radius"].isna().any()
    assert set(frame["kind"].dropna()) == {"a", "b"}


# --- the other entry points ---


def test_recurrent_groups_of_lags():
    from lime_rs.lime_tabular import RecurrentTabularExplainer

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4, 2))  # (samples, timesteps, features)
    X[rng.random(X.shape) < 0.1] = np.nan
    predict = lambda x: np.column_stack([np.nan_to_num(x[:, :, 0]).mean(1) > 0, np.ones(len(x))])  # noqa: E731
    e = RecurrentTabularExplainer(X, feature_names=["s", "t"], random_state=0,
                                  feature_groups={"s": [f"s_t-{i}" for i in range(4)]})  # fmt: skip
    exp = e.explain_instance(X[0], lambda x: predict(x) / predict(x).sum(1, keepdims=True),
                             num_samples=500, fixed_features=["t_t-0"])  # fmt: skip
    assert exp.as_list()[0][0] == "s"
    many = e.explain_instances(X[:2], lambda x: predict(x) / predict(x).sum(1, keepdims=True),
                               num_samples=300)  # fmt: skip
    assert len(many) == 2


def test_views_and_tools_take_the_options(missing):
    import matplotlib

    matplotlib.use("Agg")
    from lime_rs.stability import stability_indices
    from lime_rs.submodular_pick import SubmodularPick

    Xm, _, names, _, model, _ = missing
    e = _explainer(Xm, names, feature_groups={"mean": names[:10]})
    kw = dict(num_samples=300, fixed_features=["worst area"])
    exp = e.explain_instance(Xm[1], model.predict_proba, **kw)
    frame = exp.as_frame()
    assert list(frame["feature"]) == [n for n, _ in exp.as_list()]
    assert exp.as_pyplot_figure() is not None
    sp = SubmodularPick(e, Xm[:10], model.predict_proba, method="full", num_exps_desired=2, **kw)
    assert len(sp.V) == 2
    assert all(0 <= v <= 100 for v in stability_indices(e, Xm[1], model.predict_proba,
                                                        n_repeats=3, **kw))  # fmt: skip


def test_dask_path_takes_the_options(missing):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    from lime_rs.dask import explain_dataframe

    Xm, _, names, _, model, _ = missing
    e = _explainer(Xm, names)
    ddf = dd.from_pandas(pd.DataFrame(Xm[:6], columns=names), npartitions=2)
    out = explain_dataframe(e, ddf, model.predict_proba, num_samples=300,
                            fixed_features=["worst area"]).compute()  # fmt: skip
    assert len(out) and not out["feature"].str.contains("worst area >").any()


def test_regression_user_regressor_and_pickle(missing):
    import pickle

    from sklearn.linear_model import Ridge

    Xm, _, names, _, model, _ = missing
    e = _explainer(Xm, names, mode="regression", feature_groups={"mean": names[:10]})
    predict = lambda x: model.predict_proba(x)[:, 1]  # noqa: E731
    kw = dict(num_samples=N, fixed_features=["worst area"])
    exp = e.explain_instance(Xm[2], predict, model_regressor=Ridge(alpha=1.0), **kw)
    ids = {int(i) for i, _ in exp.local_exp[1]}
    assert exp.domain_mapper.fixed_features[0] not in ids
    assert len(exp.as_list()) == 10
    clone = pickle.loads(pickle.dumps(e))
    a, b = e.explain_instance(Xm[2], predict, **kw), clone.explain_instance(Xm[2], predict, **kw)
    assert a.as_list() == b.as_list()


def test_sparse_rows_reject_the_options(cancer):
    import scipy.sparse as sp

    X, _, names, model = cancer
    e = LimeTabularExplainer(sp.csr_matrix(X), feature_names=names, discretize_continuous=False)
    with pytest.raises(ValueError, match="dense rows"):
        e.explain_instance(sp.csr_matrix(X[0]), model.predict_proba, num_samples=N,
                           fixed_features=[0])  # fmt: skip
    with pytest.raises(ValueError, match="feature_groups: needs dense"):
        LimeTabularExplainer(sp.csr_matrix(X), feature_groups={"g": [0, 1]})


def test_nan_row_without_missing_training_data_still_rejected(cancer):
    X, _, names, model = cancer
    row = X[0].copy()
    row[1] = np.nan
    with pytest.raises(ValueError, match="data_row: contains NaN"):
        _explainer(X, names, feature_groups={"g": [2, 3]}).explain_instance(
            row, model.predict_proba, num_samples=N
        )


@pytest.mark.parametrize("option", ["fixed", "group", "missing"])
def test_auto_num_samples_takes_the_options(cancer, missing, option):
    X, _, names, model = cancer
    explainer_kw, call_kw, predict = {}, {}, model.predict_proba
    if option == "fixed":
        call_kw = {"fixed_features": ["mean smoothness", "worst smoothness"]}
    elif option == "group":
        explainer_kw = {"feature_groups": {"mean": names[:10]}}
    else:
        X, predict = missing[0], missing[4].predict_proba
    kw = dict(num_samples="auto", num_features=3, **call_kw)
    exp = _explainer(X, names, **explainer_kw).explain_instance(X[0], predict, **kw)
    s = exp.sampling
    assert s["adaptive"] and s["certified"] and s["num_samples"] < s["max_samples"]
    assert len(exp.as_list()) == 3
    if option == "fixed":
        held = [str(n) for n, _ in exp.domain_mapper.held_at()]
        assert held == ["mean smoothness", "worst smoothness"]
        assert not {int(i) for i, _ in exp.local_exp[1]} & {4, 24}
    elif option == "group":
        assert exp.domain_mapper.feature_count() == 21
    many = _explainer(X, names, **explainer_kw).explain_instances(X[:2], predict, **kw)
    assert many[0].as_list() == exp.as_list() and many[0].sampling == s
