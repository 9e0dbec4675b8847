"""Behaviour of lime_rs.lime_tabular a user relies on: lime's attributes,
label conventions and strings, reproducibility, pickling, HTML, fallbacks."""

import io
import os
import pickle
import subprocess
import sys
import warnings
from contextlib import redirect_stdout
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

from lime_rs.discretize import BaseDiscretizer, QuartileDiscretizer
from lime_rs.explanation import Explanation
from lime_rs.lime_tabular import (
    LimeTabularExplainer,
    RecurrentTabularExplainer,
    TableDomainMapper,
)

N = 600  # samples per explanation in these tests


@pytest.fixture(scope="module")
def cancer():
    ds = load_breast_cancer()
    model = LogisticRegression(max_iter=5000).fit(ds.data, ds.target)
    return ds.data, ds.target, [str(f) for f in ds.feature_names], model


@pytest.fixture(scope="module")
def iris():
    ds = load_iris()
    model = LogisticRegression(max_iter=2000).fit(ds.data, ds.target)
    return ds.data, ds.target, [str(f) for f in ds.feature_names], model


class Recorder:
    """A predict_fn that remembers what it was given."""

    def __init__(self, fn):
        self.fn = fn
        self.calls = []

    def __call__(self, x):
        self.calls.append(x)
        return self.fn(x)


def _same(a, b):
    assert a.local_exp.keys() == b.local_exp.keys()
    for k in a.local_exp:
        assert [(int(f), float(w)) for f, w in a.local_exp[k]] == [
            (int(f), float(w)) for f, w in b.local_exp[k]
        ]
        assert a.intercept[k] == b.intercept[k]
    assert a.score == b.score


# --- import ---------------------------------------------------------------


def test_import_is_light():
    """Importing the tabular explainer loads none of the heavy libraries (its
    import time against lime's is in benches/bench_import.py)."""
    code = (
        "import lime_rs.lime_tabular, sys; "
        "print(*[m for m in ('sklearn', 'scipy', 'matplotlib', 'skimage') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True
    )
    heavy = out.stdout.split()
    assert heavy == [], f"importing lime_rs.lime_tabular loaded {heavy}"


# --- classification ---------------------------------------------------------


def test_classification_attributes(cancer):
    X, _, names, model = cancer
    explainer = LimeTabularExplainer(X, feature_names=names, random_state=0)
    exp = explainer.explain_instance(X[0], model.predict_proba, num_samples=N)
    assert isinstance(exp, Explanation)
    assert exp.mode == "classification"
    assert explainer.class_names == ["0", "1"] and exp.class_names == ["0", "1"]
    np.testing.assert_allclose(exp.predict_proba, model.predict_proba(X[:1])[0], rtol=1e-12)
    assert exp.top_labels is None
    assert list(exp.local_exp) == [1] and list(exp.intercept) == [1]
    assert isinstance(exp.score, dict) and isinstance(exp.score[1], float)
    assert exp.local_pred[1].shape == (1,)
    assert len(exp.local_exp[1]) == 10
    weights = [abs(w) for _, w in exp.local_exp[1]]
    assert weights == sorted(weights, reverse=True)
    assert isinstance(exp.domain_mapper, TableDomainMapper)
    assert exp.available_labels() == [1]


def test_feature_name_strings(cancer):
    X, _, names, model = cancer
    explainer = LimeTabularExplainer(X, feature_names=names, feature_selection="none")
    row = X[0].copy()
    row[0], row[23] = 14.0, 2000.0
    exp = explainer.explain_instance(row, model.predict_proba, num_samples=N)
    listed = dict(exp.as_list())
    assert "13.37 < mean radius <= 15.78" in listed
    assert "worst area > 1084.00" in listed
    row[0] = 10.0
    exp = explainer.explain_instance(row, model.predict_proba, num_samples=N)
    assert "mean radius <= 11.70" in dict(exp.as_list())
    cont = LimeTabularExplainer(X, feature_names=names, discretize_continuous=False)
    exp = cont.explain_instance(row, model.predict_proba, num_samples=N, num_features=30)
    assert set(dict(exp.as_list())) == set(names)


def test_top_labels_and_label_keys(iris):
    X, _, names, model = iris
    explainer = LimeTabularExplainer(
        X, feature_names=names, class_names=["setosa", "versicolor", "virginica"]
    )
    exp = explainer.explain_instance(X[75], model.predict_proba, top_labels=2, num_samples=N)
    proba = model.predict_proba(X[75:76])[0]
    expected = list(np.argsort(proba)[::-1][:2])
    assert [int(x) for x in exp.top_labels] == expected
    assert exp.available_labels() == exp.top_labels
    assert set(exp.local_exp) == set(expected) == set(exp.score) == set(exp.local_pred)
    exp = explainer.explain_instance(X[75], model.predict_proba, labels=(0, 2), num_samples=N)
    assert set(exp.local_exp) == {0, 2}
    assert exp.class_names == ["setosa", "versicolor", "virginica"]


def test_regression_label_convention():
    ds = load_diabetes()
    model = Ridge().fit(ds.data, ds.target)
    explainer = LimeTabularExplainer(ds.data, mode="regression", random_state=0)
    exp = explainer.explain_instance(ds.data[3], model.predict, num_samples=N)
    assert exp.mode == "regression"
    assert exp.predicted_value == pytest.approx(model.predict(ds.data[3:4])[0])
    assert exp.min_value <= exp.predicted_value <= exp.max_value
    assert exp.class_names == ["negative", "positive"]
    assert exp.intercept[1] == exp.intercept[0]
    assert [(f, -w) for f, w in exp.local_exp[1]] == exp.local_exp[0]
    assert list(exp.score) == [0]
    assert exp.as_list() == exp.as_list(label=0)  # label ignored: dummy label 1
    # 2-D (n, 1) regression output is flattened as lime does
    exp2 = LimeTabularExplainer(ds.data, mode="regression", random_state=0).explain_instance(
        ds.data[3], lambda x: model.predict(x)[:, None], num_samples=N
    )
    _same(exp, exp2)


def test_probabilities_not_summing_to_one_warn(iris):
    X, _, _, model = iris
    explainer = LimeTabularExplainer(X)
    with pytest.warns(UserWarning, match="do not sum to 1"):
        explainer.explain_instance(X[0], lambda x: model.predict_proba(x) * 2, num_samples=N)


def test_verbose_prints(iris):
    X, _, _, model = iris
    explainer = LimeTabularExplainer(X, verbose=True)
    out = io.StringIO()
    with redirect_stdout(out):
        explainer.explain_instance(X[0], model.predict_proba, num_samples=N)
    text = out.getvalue()
    assert "Intercept" in text and "Prediction_local" in text and "Right:" in text


# --- randomness, threads, pickling ------------------------------------------


def test_same_seed_same_explanations_call_by_call(cancer):
    X, _, _, model = cancer
    for kw in (dict(), dict(discretize_continuous=False), dict(discretizer="decile")):
        a = LimeTabularExplainer(X, random_state=7, **kw)
        b = LimeTabularExplainer(X, random_state=7, **kw)
        c = LimeTabularExplainer(X, random_state=8, **kw)
        first = a.explain_instance(X[1], model.predict_proba, num_samples=N)
        _same(first, b.explain_instance(X[1], model.predict_proba, num_samples=N))
        second = a.explain_instance(X[1], model.predict_proba, num_samples=N)
        _same(second, b.explain_instance(X[1], model.predict_proba, num_samples=N))
        assert first.local_exp != second.local_exp  # the state advances
        other = c.explain_instance(X[1], model.predict_proba, num_samples=N)
        assert other.local_exp != first.local_exp


def test_random_state_kinds(iris):
    X, _, _, model = iris
    for state in (np.random.RandomState(3), np.random.default_rng(3), None):
        explainer = LimeTabularExplainer(X, random_state=state)
        explainer.explain_instance(X[0], model.predict_proba, num_samples=N)
    a = LimeTabularExplainer(X, random_state=np.random.default_rng(3))
    b = LimeTabularExplainer(X, random_state=np.random.default_rng(3))
    _same(
        a.explain_instance(X[0], model.predict_proba, num_samples=N),
        b.explain_instance(X[0], model.predict_proba, num_samples=N),
    )


def test_results_do_not_depend_on_thread_count(tmp_path):
    code = (
        "import numpy as np, pickle, sys\n"
        "from sklearn.datasets import load_breast_cancer\n"
        "from lime_rs.lime_tabular import LimeTabularExplainer\n"
        "X = load_breast_cancer().data\n"
        "w = np.linspace(-1, 1, 30) / X.std(0)\n"
        "def f(Z):\n"
        "    p = 1 / (1 + np.exp(-(Z - X.mean(0)) @ w)); return np.c_[1 - p, p]\n"
        "out = []\n"
        "for kw in (dict(), dict(discretize_continuous=False)):\n"
        "    e = LimeTabularExplainer(X, random_state=1, **kw)\n"
        "    for m in ('gaussian', 'lhs'):\n"
        "        x = e.explain_instance(X[2], f, num_samples=9000, sampling_method=m)\n"
        "        out.append([(int(a), float(b)) for a, b in x.local_exp[1]])\n"
        "sys.stdout.buffer.write(pickle.dumps(out))\n"
    )
    results = []
    for threads in ("1", "2"):
        env = dict(os.environ, LIME_RS_NUM_THREADS=threads)
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, env=env, check=True
        )
        results.append(pickle.loads(proc.stdout))
    assert results[0] == results[1]


@pytest.mark.parametrize(
    "kw", [dict(), dict(discretize_continuous=False)], ids=["quartile", "cont"]
)
def test_pickle_round_trip_gives_same_results(cancer, kw):
    X, _, _, model = cancer
    explainer = LimeTabularExplainer(X, random_state=3, **kw)
    explainer.explain_instance(X[0], model.predict_proba, num_samples=N)  # builds native state
    clone = pickle.loads(pickle.dumps(explainer))
    _same(
        explainer.explain_instance(X[5], model.predict_proba, num_samples=N),
        clone.explain_instance(X[5], model.predict_proba, num_samples=N),
    )


def test_pickle_with_custom_kernel(iris):
    X, _, _, model = iris
    explainer = LimeTabularExplainer(X, kernel=_gaussian_kernel, random_state=1)
    clone = pickle.loads(pickle.dumps(explainer))
    _same(
        explainer.explain_instance(X[0], model.predict_proba, num_samples=N),
        clone.explain_instance(X[0], model.predict_proba, num_samples=N),
    )


def _gaussian_kernel(d, kernel_width):
    return np.exp(-(d**2) / kernel_width**2)


def _lime_kernel(d, kernel_width):
    return np.sqrt(np.exp(-(d**2) / kernel_width**2))


# --- sampling ---------------------------------------------------------------


def test_neighbourhood_given_to_the_model(cancer):
    X, _, _, model = cancer
    rec = Recorder(model.predict_proba)
    explainer = LimeTabularExplainer(X, random_state=0)
    explainer.explain_instance(X[4], rec, num_samples=N)
    (inverse,) = rec.calls
    assert inverse.shape == (N, 30) and inverse.dtype == np.float64
    np.testing.assert_array_equal(inverse[0], X[4])
    lo, hi = X.min(axis=0), X.max(axis=0)
    assert (inverse >= lo).all() and (inverse <= hi).all()  # undiscretized inside the bins


def test_categorical_columns_sampled_from_training_values():
    rng = np.random.RandomState(1)
    X = np.c_[rng.normal(size=500), rng.choice([2.0, 5.0, 9.0], p=[0.6, 0.3, 0.1], size=500)]
    rec = Recorder(lambda z: np.c_[1 / (1 + np.exp(z[:, 0])), 1 - 1 / (1 + np.exp(z[:, 0]))])
    explainer = LimeTabularExplainer(
        X, categorical_features=[1], discretize_continuous=False, random_state=0
    )
    explainer.explain_instance(np.array([0.1, 5.0]), rec, num_samples=5000)
    col = rec.calls[0][1:, 1]
    assert set(np.unique(col)) == {2.0, 5.0, 9.0}
    assert abs((col == 2.0).mean() - explainer.feature_frequencies[1][0]) < 0.03


def test_sample_around_instance(cancer):
    X, _, _, model = cancer
    rec = Recorder(model.predict_proba)
    explainer = LimeTabularExplainer(
        X, discretize_continuous=False, sample_around_instance=True, random_state=0
    )
    row = X[7]
    explainer.explain_instance(row, rec, num_samples=4000)
    centre = rec.calls[0][1:].mean(axis=0)
    se = explainer.scaler.scale_ / np.sqrt(4000)
    assert (np.abs(centre - row) < 5 * se).all()


def test_lhs_is_stratified(cancer):
    X, _, _, model = cancer
    rec = Recorder(model.predict_proba)
    explainer = LimeTabularExplainer(X, discretize_continuous=False, random_state=0)
    n = 1000
    explainer.explain_instance(X[0], rec, num_samples=n, sampling_method="lhs")
    from scipy.stats import norm

    z = (rec.calls[0][1:] - explainer.scaler.mean_) / explainer.scaler.scale_
    strata = np.floor(norm.cdf(z) * n).astype(int)
    for j in range(z.shape[1]):
        assert len(np.unique(strata[:, j])) >= n - 1 - 2  # one row per stratum
    with pytest.warns(UserWarning, match="Invalid input for sampling_method"):
        explainer.explain_instance(X[0], model.predict_proba, num_samples=N, sampling_method="x")


def test_training_data_stats_like_lime(iris):
    X, y, names, model = iris
    disc = QuartileDiscretizer(X, [], names)
    discretized = disc.discretize(X)
    values, freqs = {}, {}
    for f in range(4):
        v, c = np.unique(discretized[:, f], return_counts=True)
        values[f], freqs[f] = v.tolist(), c.tolist()
    stats = {
        "means": disc.means,
        "stds": disc.stds,
        "mins": disc.mins,
        "maxs": disc.maxs,
        "bins": {f: disc.lambdas[f].keywords["qts"].tolist() for f in range(4)},
        "feature_values": values,
        "feature_frequencies": freqs,
    }
    explainer = LimeTabularExplainer(
        np.zeros((2, 4)), feature_names=names, training_data_stats=stats, random_state=10
    )
    exp = explainer.explain_instance(
        X[100], model.predict_proba, num_features=2, labels=(2,), model_regressor=LinearRegression()
    )
    keys = [name for name, _ in exp.as_list(label=2)]
    assert sum("petal" in k for k in keys) == 2


def test_custom_kernel_and_metrics(iris):
    X, _, _, model = iris
    default = LimeTabularExplainer(X, random_state=4)
    same = LimeTabularExplainer(X, random_state=4, kernel=_lime_kernel)
    _same(
        default.explain_instance(X[0], model.predict_proba, num_samples=N),
        same.explain_instance(X[0], model.predict_proba, num_samples=N),
    )
    for metric in ("cosine", "manhattan"):
        exp = default.explain_instance(
            X[0], model.predict_proba, num_samples=N, distance_metric=metric
        )
        assert len(exp.local_exp[1]) == 4


def test_custom_discretizer_subclass_uses_its_methods(iris):
    X, _, names, model = iris
    calls = []

    class Halves(BaseDiscretizer):
        def bins(self, data, labels):
            return [np.array([np.median(data[:, f])]) for f in self.to_discretize]

        def undiscretize(self, data):
            calls.append(data.shape)
            return super().undiscretize(data)

    disc = Halves(X, [], names, random_state=0)
    explainer = LimeTabularExplainer(X, feature_names=names, discretizer=disc, random_state=0)
    exp = explainer.explain_instance(X[0], model.predict_proba, num_samples=N)
    assert calls == [(N - 1, 4)]
    assert all((" <= " in n) or (" > " in n) for n, _ in exp.as_list())


def test_model_regressor_and_feature_selection(cancer):
    X, _, _, model = cancer
    explainer = LimeTabularExplainer(X, random_state=0, feature_selection="none")
    exp = explainer.explain_instance(X[0], model.predict_proba, num_samples=N)
    assert len(exp.local_exp[1]) == 30
    explainer = LimeTabularExplainer(X, random_state=0)
    exp = explainer.explain_instance(
        X[0], model.predict_proba, num_samples=N, num_features=5, model_regressor=Ridge(alpha=2.0)
    )
    assert len(exp.local_exp[1]) == 5 and isinstance(exp.score[1], float)


def test_sparse_row_and_training_data():
    rng = np.random.RandomState(0)
    X = rng.exponential(size=(300, 20)) * (rng.uniform(size=(300, 20)) < 0.3)
    w = rng.normal(size=20)

    def predict_proba(Z):
        Z = Z.toarray() if sp.issparse(Z) else Z
        p = 1 / (1 + np.exp(-(Z @ w)))
        return np.c_[1 - p, p]

    explainer = LimeTabularExplainer(sp.csr_matrix(X), random_state=0)
    assert explainer.discretizer is None
    row = sp.csr_matrix(X[3])
    rec = Recorder(predict_proba)
    exp = explainer.explain_instance(row, rec, num_samples=N, num_features=3)
    (inverse,) = rec.calls
    assert sp.issparse(inverse) and inverse.shape == (N, 20)
    nz = set(row.indices)
    assert set(inverse.tocoo().col) <= nz
    assert {int(f) for f, _ in exp.local_exp[1]} <= nz
    mapper = exp.domain_mapper
    assert list(mapper.feature_indexes) == list(row.indices)
    assert "<table" in exp.as_html()
    # an all-zero row
    exp = explainer.explain_instance(sp.csr_matrix((1, 20)), predict_proba, num_samples=N)
    assert all(w == 0 for _, w in exp.local_exp[1])
    # a dense row with a sparse-trained explainer
    exp = explainer.explain_instance(X[3], predict_proba, num_samples=N)
    assert len(exp.local_exp[1]) == 10


def test_recurrent_explainer():
    rng = np.random.RandomState(0)
    X3 = rng.normal(size=(200, 5, 2))
    shapes = []

    def predict_proba(Z):
        shapes.append(Z.shape)
        p = 1 / (1 + np.exp(-Z[:, -1, 0]))
        return np.c_[1 - p, p]

    explainer = RecurrentTabularExplainer(X3, feature_names=["price", "volume"], random_state=0)
    assert explainer.feature_names[:5] == [f"price_t-{k}" for k in (4, 3, 2, 1, 0)]
    exp = explainer.explain_instance(X3[1], predict_proba, num_samples=N, num_features=2)
    assert shapes == [(N, 5, 2)]
    assert "price_t-0" in exp.as_list()[0][0]
    default_names = RecurrentTabularExplainer(X3)
    assert default_names.feature_names[0] == "feature0_t-4"


# --- rendering --------------------------------------------------------------


def test_table_html_is_escaped_and_honours_options(cancer):
    X, _, names, model = cancer
    names = list(names)
    names[0] = "<script>alert(1)</script>"
    explainer = LimeTabularExplainer(X, feature_names=names, random_state=0)
    exp = explainer.explain_instance(X[0], model.predict_proba, num_samples=N)
    mapper = exp.domain_mapper
    html = mapper.visualize_instance_html(exp.local_exp[1], 1, "div", "exp")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<tr") == 1 + 10  # header + the explained features
    all_rows = mapper.visualize_instance_html(exp.local_exp[1], 1, "div", "exp", show_all=True)
    assert all_rows.count("<tr") == 1 + 30
    assert mapper.visualize_instance_html(exp.local_exp[1], 1, "d", "e", show_table=False) == ""
    positive = [f for f, w in exp.local_exp[1] if w > 0]
    assert positive and "background:#1f77b4" in html
    page = exp.as_html()
    assert "<script" not in page and "Feature values" in page
    assert "<script" not in exp.as_html(show_table=False)


def test_table_domain_mapper_lime_semantics():
    mapper = TableDomainMapper(
        ["a", "b", "c"], ["1.00", "True", "3.00"], np.array([0.1, 1.0, 0.3]), [1]
    )
    assert not mapper.all_categorical
    assert mapper.map_exp_ids([(2, 0.5), (0, -0.1)]) == [("c", 0.5), ("a", -0.1)]
    mapper.discretized_feature_names = ["a <= 1", "b", "c > 2"]
    assert mapper.map_exp_ids([(2, 0.5)]) == [("c > 2", 0.5)]


def test_categorical_names_in_explanations():
    rng = np.random.RandomState(2)
    X = np.c_[rng.randint(0, 3, size=400), rng.normal(size=400)].astype(float)

    def predict_proba(Z):
        p = 1 / (1 + np.exp(-(2 * (Z[:, 0] == 1) + Z[:, 1])))
        return np.c_[1 - p, p]

    for disc in (True, False):
        explainer = LimeTabularExplainer(
            X,
            feature_names=["colour", "x"],
            categorical_features=[0],
            categorical_names={0: ["red", "green", "blue"]},
            discretize_continuous=disc,
            random_state=0,
        )
        exp = explainer.explain_instance(np.array([1.0, 0.2]), predict_proba, num_samples=N)
        names = dict(exp.as_list())
        assert "colour=green" in names and names["colour=green"] > 0
        assert exp.domain_mapper.feature_values[0] == "True"


def test_explainers_keep_limes_attributes(cancer):
    X, y, names, _ = cancer
    explainer = LimeTabularExplainer(X, feature_names=names, training_labels=y)
    for attr in (
        "random_state",
        "mode",
        "categorical_names",
        "sample_around_instance",
        "training_data_stats",
        "categorical_features",
        "feature_names",
        "discretizer",
        "feature_selection",
        "base",
        "class_names",
        "scaler",
        "feature_values",
        "feature_frequencies",
    ):
        assert hasattr(explainer, attr), attr
    assert isinstance(explainer.base.kernel_fn, partial)
    assert explainer.base.kernel_fn.keywords["kernel_width"] == pytest.approx(np.sqrt(30) * 0.75)
    assert explainer.categorical_features == list(range(30))
    assert explainer.convert_and_round([1.234, 5]) == ["1.23", "5.00"]
    assert explainer.scaler.scale_.shape == (30,)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(
            explainer.scaler.transform(X[:2]), X[:2] / explainer.scaler.scale_
        )


def test_user_discretizer_random_state_matters_as_in_lime(cancer):
    X, y, names, model = cancer

    def explain(disc_seed):
        disc = QuartileDiscretizer(X, [], names, y, random_state=disc_seed)
        explainer = LimeTabularExplainer(X, discretizer=disc, random_state=10)
        return explainer.explain_instance(X[0], model.predict_proba, num_samples=N)

    _same(explain(20), explain(20))
    assert explain(20).as_map() != explain(10).as_map()
