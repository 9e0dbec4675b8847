"""LimeTabularExplainer.explain_instances: one Explanation per row, equal to
explain_instance row by row, one model call per chunk, clear errors."""

import numpy as np
import pytest
from _batch_helpers import (
    LogisticModel,
    cancer_data,
    outputs_per_thread_count,
    same_explanation,
    signature,
)

from lime_rs.lime_tabular import LimeTabularExplainer, RecurrentTabularExplainer

N = 300


@pytest.fixture(scope="module")
def cancer():
    X = cancer_data()
    return X, LogisticModel(X)


def one_by_one(explainer, rows, fn, **kw):
    return [explainer.explain_instance(r, fn, **kw) for r in rows]


def check_equal(make, rows, fn, batch_size=None, **kw):
    serial = one_by_one(make(), rows, fn, **kw)
    batch = make().explain_instances(rows, fn, batch_size=batch_size, **kw)
    assert len(batch) == len(serial)
    for a, b in zip(serial, batch):
        same_explanation(a, b)
        assert a.as_list(label=next(iter(a.local_exp))) == b.as_list(label=next(iter(b.local_exp)))
    return batch


@pytest.mark.parametrize("batch_size", [None, 1, N, 2 * N + 1, 10**7])
def test_batch_equals_one_by_one(cancer, batch_size):
    X, model = cancer
    check_equal(
        lambda: LimeTabularExplainer(X, random_state=3),
        X[:7],
        model.predict_proba,
        batch_size=batch_size,
        num_samples=N,
        num_features=5,
    )


@pytest.mark.parametrize(
    "ekw, kw",
    [
        ({"discretize_continuous": False}, {}),
        ({"discretize_continuous": False}, {"sampling_method": "lhs"}),
        ({"discretize_continuous": False, "sample_around_instance": True}, {}),
        ({"discretizer": "decile"}, {"top_labels": 1}),
        ({"discretizer": "entropy", "training_labels": "y"}, {}),
        ({}, {"distance_metric": "cosine", "labels": (0, 1)}),
        ({}, {"distance_metric": "manhattan"}),
        ({"kernel": "gauss"}, {}),
        ({"categorical_features": [0, 3]}, {"num_features": 3}),
        ({"feature_selection": "forward_selection"}, {"num_features": 3}),
        ({}, {"model_regressor": "ridge"}),
    ],
)
def test_batch_equals_one_by_one_options(cancer, ekw, kw):
    X, model = cancer
    ekw = dict(ekw)
    if ekw.get("training_labels") == "y":
        ekw["training_labels"] = (model.predict(X) > 0.5).astype(int)
    if ekw.get("kernel") == "gauss":
        ekw["kernel"] = _gauss
    Xc = X
    if "categorical_features" in ekw:
        Xc = X.copy()
        Xc[:, [0, 3]] = np.floor(Xc[:, [0, 3]] / Xc[:, [0, 3]].std(0))
    kw = dict(kw)
    if kw.get("model_regressor") == "ridge":
        from sklearn.linear_model import Ridge

        kw["model_regressor"] = Ridge(alpha=1.0)
    check_equal(
        lambda: LimeTabularExplainer(Xc, random_state=5, **ekw),
        Xc[10:15],
        model.predict_proba,
        batch_size=2 * N,
        num_samples=N,
        **{"num_features": 5, **kw},
    )


def _gauss(d, kernel_width):
    return np.exp(-(d**2) / kernel_width**2)


def test_regression_mode(cancer):
    X, model = cancer
    batch = check_equal(
        lambda: LimeTabularExplainer(X, mode="regression", random_state=2),
        X[:4],
        model.predict,
        num_samples=N,
    )
    assert batch[0].predicted_value == pytest.approx(model.predict(X[:1])[0])


def test_recurrent(cancer):
    rng = np.random.RandomState(0)
    X3 = rng.normal(size=(40, 3, 2))

    def model(Z):
        p = 1 / (1 + np.exp(-Z.reshape(len(Z), -1) @ np.linspace(-1, 1, 6)))
        return np.c_[1 - p, p]

    check_equal(lambda: RecurrentTabularExplainer(X3, random_state=1), X3[:4], model, num_samples=N)
    with pytest.raises(ValueError, match=r"data: expected shape \(n_rows, n_timesteps"):
        RecurrentTabularExplainer(X3).explain_instances(X3[0], model)


def test_model_called_once_per_chunk(cancer):
    X, model = cancer
    calls = []

    def fn(z):
        calls.append(len(z))
        return model.predict_proba(z)

    LimeTabularExplainer(X, random_state=0).explain_instances(X[:5], fn, num_samples=N)
    assert calls == [5 * N]
    calls.clear()
    LimeTabularExplainer(X, random_state=0).explain_instances(
        X[:5], fn, num_samples=N, batch_size=2 * N
    )
    assert calls == [2 * N, 2 * N, N]


def test_results_do_not_depend_on_thread_count(cancer):
    X, model = cancer
    code = (
        "import pickle, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from _batch_helpers import LogisticModel, cancer_data, signature\n"
        "from lime_rs.lime_tabular import LimeTabularExplainer\n"
        "X = cancer_data()\n"
        "e = LimeTabularExplainer(X, random_state=9)\n"
        "out = e.explain_instances(X[:6], LogisticModel(X).predict_proba, num_samples=2000)\n"
        "sys.stdout.buffer.write(pickle.dumps(signature(out)))\n"
    )
    results = outputs_per_thread_count(code)
    assert results[0] == results[1]
    serial = one_by_one(
        LimeTabularExplainer(X, random_state=9), X[:6], model.predict_proba, num_samples=2000
    )
    assert results[0] == signature(serial)


def test_rows_as_list_and_sparse(cancer):
    import scipy.sparse as sp

    X, model = cancer
    check_equal(
        lambda: LimeTabularExplainer(X, random_state=1),
        [list(r) for r in X[:3]],
        model.predict_proba,
        num_samples=N,
    )
    Xs = sp.csr_matrix(np.where(X[:20] > np.median(X[:20], 0), X[:20], 0.0))
    make = lambda: LimeTabularExplainer(Xs, discretize_continuous=False, random_state=1)  # noqa: E731
    e = make()
    serial = [e.explain_instance(Xs[i], model.predict_proba, num_samples=N) for i in range(3)]
    batch = make().explain_instances(Xs[:3], model.predict_proba, num_samples=N)
    for a, b in zip(serial, batch):
        same_explanation(a, b)


def test_empty_batch(cancer):
    X, _ = cancer

    def fn(z):
        raise AssertionError("must not be called")

    e = LimeTabularExplainer(X, random_state=0)
    assert e.explain_instances(np.empty((0, X.shape[1])), fn) == []
    assert e.explain_instances([], fn) == []
    assert e.explain_instances(np.array([]), fn) == []


def test_bad_input(cancer):
    X, model = cancer
    e = LimeTabularExplainer(X, random_state=0)
    f = model.predict_proba
    with pytest.raises(ValueError, match=r"data: expected a 2-D array of rows, got shape \(30,\)"):
        e.explain_instances(X[0], f)
    with pytest.raises(ValueError, match="data: rows have different lengths"):
        e.explain_instances([X[0], X[1][:5]], f)
    with pytest.raises(ValueError, match="data: rows have 5 values but the training data has 30"):
        e.explain_instances(X[:2, :5], f)
    with pytest.raises(ValueError, match=r"data\[1\]: data_row: contains NaN"):
        bad = X[:2].copy()
        bad[1, 3] = np.nan
        e.explain_instances(bad, f, num_samples=N)
    with pytest.raises(ValueError, match="batch_size: must be at least 1"):
        e.explain_instances(X[:2], f, batch_size=0)
    with pytest.raises(TypeError, match="predict_fn: expected a callable"):
        e.explain_instances(X[:2], None)
    with pytest.raises(ValueError, match="predict_fn: returned an array of shape"):
        e.explain_instances(X[:2], lambda z: f(z)[:-1], num_samples=N)


def test_model_failing_mid_batch_propagates(cancer):
    X, model = cancer
    calls = []

    class Boom(Exception):
        pass

    def fn(z):
        calls.append(1)
        if len(calls) == 2:
            raise Boom("model failed")
        return model.predict_proba(z)

    with pytest.raises(Boom, match="model failed"):
        LimeTabularExplainer(X).explain_instances(X[:5], fn, num_samples=N, batch_size=2 * N)
    assert len(calls) == 2


def test_progress_bar(cancer, capsys):
    X, model = cancer
    out = LimeTabularExplainer(X, random_state=0).explain_instances(
        X[:4], model.predict_proba, num_samples=N, batch_size=N, progress_bar=True
    )
    assert len(out) == 4
    assert "4/4" in capsys.readouterr().err


def test_explanations_do_not_keep_neighbourhoods_alive(cancer):
    X, model = cancer
    out = LimeTabularExplainer(X, random_state=0).explain_instances(
        X[:3], model.predict_proba, num_samples=N
    )
    for exp in out:
        assert exp.predict_proba.base is None
        assert exp.domain_mapper.scaled_row.base is None


def test_arrays_kept_by_the_model_are_never_overwritten(cancer):
    X, model = cancer
    kept = []

    def fn(z):
        kept.append((z, z.copy()))
        return model.predict_proba(z)

    LimeTabularExplainer(X, random_state=0).explain_instances(
        X[:6], fn, num_samples=N, batch_size=2 * N
    )
    assert len(kept) == 3
    for z, snapshot in kept:
        assert np.array_equal(z, snapshot)
    assert len({id(z) for z, _ in kept}) == 3


def test_discretizer_with_its_own_random_state(cancer):
    from lime_rs.discretize import QuartileDiscretizer

    X, model = cancer

    def make():
        disc = QuartileDiscretizer(X, [], [str(i) for i in range(30)], random_state=77)
        return LimeTabularExplainer(X, discretizer=disc, random_state=5)

    check_equal(make, X[:5], model.predict_proba, batch_size=2 * N, num_samples=N)
