"""lime_rs._native.lars_path against scikit-learn's lars_path(method='lasso').

lime's `lasso_path` feature selection walks the path backwards and keeps the
last breakpoint with at most `num_features` non-zero coefficients, so besides
the numbers the zero pattern of every breakpoint has to match.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import lars_path

from lime_rs import _native


def sklearn_path(X, y):
    with warnings.catch_warnings():
        # Degenerate regressors / early stops warn; the path is still what lime uses.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return lars_path(X, y, method="lasso", verbose=False)


def lime_pick(coefs, num_features):
    """lime_base.LimeBase.feature_selection, method 'lasso_path'."""
    nonzero = range(coefs.shape[0])
    for i in range(len(coefs.T) - 1, 0, -1):
        nonzero = coefs.T[i].nonzero()[0]
        if len(nonzero) <= num_features:
            break
    return list(nonzero)


def lime_weighted(data, labels, weights):
    """The centred, weighted problem lime hands to lars_path."""
    wd = (data - np.average(data, axis=0, weights=weights)) * np.sqrt(weights[:, np.newaxis])
    wl = (labels - np.average(labels, weights=weights)) * np.sqrt(weights)
    return wd, wl


def assert_same_path(X, y, rtol=1e-8):
    a_sk, act_sk, c_sk = sklearn_path(X, y)
    a_rs, act_rs, c_rs = _native.lars_path(X, y)
    assert c_rs.shape == c_sk.shape
    assert a_rs.shape == a_sk.shape
    assert list(act_rs) == list(act_sk)

    alpha_scale = a_sk[0] if a_sk[0] > 0 else 1.0
    np.testing.assert_allclose(a_rs, a_sk, rtol=rtol, atol=rtol * alpha_scale)
    coef_scale = max(np.abs(c_sk).max(), np.finfo(float).tiny)
    np.testing.assert_allclose(c_rs, c_sk, rtol=rtol, atol=rtol * coef_scale)

    # Zero pattern: identical, except where a coefficient that crosses zero is
    # dropped: scikit-learn stores `c + (-c / l) * l` there, which is 0 or a
    # rounding residue depending on the last bits of c and l.
    for j, k in np.argwhere((c_sk != 0) != (c_rs != 0)):
        residue = max(abs(c_sk[j, k]), abs(c_rs[j, k]))
        assert residue <= 1e-12 * coef_scale, (j, k, c_sk[j, k], c_rs[j, k])
        assert k > 0 and c_sk[j, k - 1] != 0, "not a drop breakpoint"
        assert k + 1 == c_sk.shape[1] or c_sk[j, k + 1] == 0, "not a drop breakpoint"

    # lime's pick rule, for every number of features.
    for num_features in range(1, X.shape[1] + 1):
        assert lime_pick(c_rs, num_features) == lime_pick(c_sk, num_features), num_features
    return a_sk, c_sk


@pytest.mark.parametrize("d", [1, 2, 5, 30])
def test_gaussian(d):
    rng = np.random.default_rng(d)
    X = rng.normal(size=(500, d))
    y = X @ rng.normal(size=d) + rng.normal(size=500)
    assert_same_path(X, y)


@pytest.mark.parametrize("d", [50, 200])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lime_weighted_binary(d, seed):
    rng = np.random.default_rng(seed)
    n = 1000
    data = rng.integers(0, 2, size=(n, d)).astype(float)
    data[0] = 1.0  # the instance itself
    distances = np.sqrt(((data - data[0]) ** 2).sum(axis=1)) / np.sqrt(d)
    weights = np.sqrt(np.exp(-(distances**2) / 0.75**2))
    labels = 1.0 / (1.0 + np.exp(-0.3 * (data @ rng.normal(size=d))))
    assert_same_path(*lime_weighted(data, labels, weights))


@pytest.mark.parametrize("n, d", [(1000, 30), (5000, 30), (100, 50), (60, 50)])
def test_lime_weighted_gaussian(n, d):
    # n close to d gives many lasso drops.
    rng = np.random.default_rng(n + d)
    data = rng.normal(size=(n, d))
    width = 0.75 * np.sqrt(d)
    weights = np.sqrt(np.exp(-(np.linalg.norm(data - data[0], axis=1) ** 2) / width**2))
    labels = np.tanh(data @ rng.normal(size=d))
    assert_same_path(*lime_weighted(data, labels, weights))


def test_lime_weighted_binary_with_drops():
    # Few samples for the features: the path has many sign changes.
    dropped = 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        data = rng.integers(0, 2, size=(60, 50)).astype(float)
        data[0] = 1.0
        distances = np.sqrt(((data - data[0]) ** 2).sum(axis=1)) / np.sqrt(50)
        weights = np.sqrt(np.exp(-(distances**2) / 0.75**2))
        labels = 1.0 / (1.0 + np.exp(-0.3 * (data @ rng.normal(size=50))))
        _, coefs = assert_same_path(*lime_weighted(data, labels, weights))
        dropped += coefs.shape[1] - 51
    assert dropped > 0  # the drop branch was exercised


def test_constant_column():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(500, 6))
    X[:, 2] = 3.0
    y = X @ rng.normal(size=6) + rng.normal(size=500)
    assert_same_path(X, y)
    # After lime's centring the column is zero or a rounding residue.
    assert_same_path(*lime_weighted(X, y, rng.uniform(size=500)))
    X[:, 2] = 0.0
    _, coefs = assert_same_path(X, y)
    assert not coefs[2].any()


@pytest.mark.parametrize("seed", range(5))
def test_near_collinear_columns(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(500, 6))
    X[:, 3] = X[:, 1] + 1e-2 * rng.normal(size=500)
    y = X @ rng.normal(size=6) + rng.normal(size=500)
    assert_same_path(X, y)
    # Closer still: both solvers only agree to about eps · cond(XᵀX), but the
    # path structure and lime's picks are the same.
    X[:, 3] = X[:, 1] + 1e-4 * rng.normal(size=500)
    assert_same_path(X, y, rtol=1e-5)


def test_exact_duplicate_column_is_well_formed():
    # Whether scikit-learn flags the copy as degenerate depends on rounding
    # noise in its Cholesky pivot (~sqrt(ulp(|x|²)) against 1e-7), so only
    # the shape of the answer is checked here.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 6))
    X[:, 3] = X[:, 1]
    y = X @ rng.normal(size=6) + rng.normal(size=500)
    alphas, active, coefs = _native.lars_path(X, y)
    assert coefs.shape == (6, len(alphas))
    assert np.all(np.isfinite(coefs)) and np.all(np.isfinite(alphas))
    assert len(set(active)) == len(active)


@pytest.mark.parametrize("seed", range(5))
def test_more_features_than_samples(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(20, 50))
    y = rng.normal(size=20)
    assert_same_path(X, y)


def test_zero_target():
    X = np.random.default_rng(0).normal(size=(50, 5))
    assert_same_path(X, np.zeros(50))
    alphas, active, coefs = _native.lars_path(X, np.zeros(50))
    a_sk, act_sk, c_sk = sklearn_path(X, np.zeros(50))
    np.testing.assert_array_equal(alphas, a_sk)
    assert list(active) == list(act_sk) == []
    np.testing.assert_array_equal(coefs, c_sk)
    assert coefs.shape == (5, 1)


def test_memory_layouts():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(300, 24))
    y = X @ rng.normal(size=24) + rng.normal(size=300)
    assert_same_path(np.asfortranarray(X), y)
    assert_same_path(X[:, ::2], y)
    assert_same_path(X[::2], y[::2])


@pytest.mark.parametrize(
    "X, y",
    [
        (np.array([[1.0, np.nan], [2.0, 3.0]]), np.array([1.0, 2.0])),
        (np.array([[1.0, 2.0], [2.0, 3.0]]), np.array([1.0, np.inf])),
        (np.ones((3, 2)), np.ones(4)),
        (np.ones((0, 2)), np.ones(0)),
        (np.ones((3, 0)), np.ones(3)),
        (np.full((2, 2), 1e200), np.ones(2)),  # XᵀX overflows
    ],
)
def test_bad_input_raises(X, y):
    with pytest.raises(ValueError):
        _native.lars_path(X, y)


def test_weighted_gaussian_5000x30():
    """The problem benches/bench_lars.py times: the same path as scikit-learn."""
    rng = np.random.default_rng(100)
    data = rng.normal(size=(5000, 30))
    width = 0.75 * np.sqrt(30)
    weights = np.sqrt(np.exp(-(np.linalg.norm(data, axis=1) ** 2) / width**2))
    labels = np.tanh(data @ rng.normal(size=30))
    X, y = lime_weighted(data, labels, weights)
    assert_same_path(X, y)
