"""lime_rs.lime_base.LimeBase against lime's LimeBase on identical inputs."""

import numpy as np
import pytest
import scipy.sparse as sp
from lime.lime_base import LimeBase as RefBase

from lime_rs.exceptions import LimeError
from lime_rs.lime_base import LimeBase

TOL = 1e-6


def kernel_for(d):
    width = 0.75 * np.sqrt(d)
    return lambda x: np.sqrt(np.exp(-(x**2) / width**2))


def neighbourhood(kind, n, d, seed, collinear=False, constant=False):
    rs = np.random.RandomState(seed)
    if kind == "binary":
        x = (rs.rand(n, d) < 0.5).astype(float)
        x[0] = 1.0
    else:
        x = rs.randn(n, d)
    if collinear and d >= 2:
        x[:, 1] = x[:, 0] + 1e-3 * rs.randn(n)
    if constant:
        x[:, -1] = 1.0
    beta = rs.randn(d, 3)
    logits = x @ beta
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    distances = np.linalg.norm(x - x[0], axis=1)
    return x, proba, distances


def assert_same(ref, got, *, check_features=True):
    r_int, r_exp, r_score, r_pred = ref
    g_int, g_exp, g_score, g_pred = got
    if check_features:
        assert [int(f) for f, _ in g_exp] == [int(f) for f, _ in r_exp]
    assert abs(g_int - r_int) < TOL
    np.testing.assert_allclose([w for _, w in g_exp], [w for _, w in r_exp], atol=TOL, rtol=0)
    assert abs(g_score - r_score) < TOL
    assert np.shape(g_pred) == np.shape(r_pred) == (1,)
    np.testing.assert_allclose(g_pred, r_pred, atol=TOL)


METHODS = ["none", "highest_weights", "forward_selection", "auto", "lasso_path"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", ["binary", "gaussian"])
@pytest.mark.parametrize("d", [1, 2, 7, 30, 100])
def test_exact_parity(method, kind, d):
    if method == "forward_selection" and d == 100:
        d = 40  # lime's forward selection refits d*k models: keep the reference affordable
    n = 400 if d < 100 else 600
    x, y, dist = neighbourhood(kind, n, d, seed=d)
    kern = kernel_for(d)
    ref, ours = RefBase(kern, random_state=0), LimeBase(kern, random_state=0)
    for nf in sorted({1, max(1, d // 2), d, d + 3}):
        if method == "forward_selection" and nf > 12:
            continue
        for label in (0, 2):
            assert_same(
                ref.explain_instance_with_data(x, y, dist, label, nf, method),
                ours.explain_instance_with_data(x, y, dist, label, nf, method),
            )


@pytest.mark.parametrize("method", METHODS)
def test_parity_with_constant_and_collinear_columns(method):
    x, y, dist = neighbourhood("gaussian", 500, 12, seed=3, collinear=True, constant=True)
    kern = kernel_for(12)
    for nf in (3, 6, 10):
        assert_same(
            RefBase(kern).explain_instance_with_data(x, y, dist, 1, nf, method),
            LimeBase(kern).explain_instance_with_data(x, y, dist, 1, nf, method),
        )


def test_user_model_regressor_is_fitted_in_python():
    from sklearn.linear_model import Lasso

    x, y, dist = neighbourhood("gaussian", 300, 8, seed=1)
    kern = kernel_for(8)
    ref = RefBase(kern).explain_instance_with_data(
        x, y, dist, 1, 5, "highest_weights", Lasso(alpha=0.001)
    )
    ours = LimeBase(kern).explain_instance_with_data(
        x, y, dist, 1, 5, "highest_weights", Lasso(alpha=0.001)
    )
    assert_same(ref, ours)


def test_sparse_neighbourhood_selects_like_lime():
    x, y, dist = neighbourhood("binary", 400, 20, seed=5)
    x[0, [3, 7, 11]] = 0.0  # the instance has zeros: lime ranks only its non-zero features
    kern = kernel_for(20)
    for nf in (5, 18, 20):
        ref_feats = RefBase(kern).feature_selection(
            sp.csr_matrix(x), y[:, 1], kern(dist), nf, "highest_weights"
        )
        ours = LimeBase(kern).feature_selection(
            sp.csr_matrix(x), y[:, 1], kern(dist), nf, "highest_weights"
        )
        assert sorted(ref_feats[: min(nf, 17)].tolist()) == sorted(ours[: min(nf, 17)].tolist())
        assert len(ours) == len(ref_feats)


def document(n, d, seed):
    """A long document's neighbourhood, as lime's text explainer draws it."""
    rs = np.random.RandomState(seed)
    x = np.ones((n, d))
    for i, k in enumerate(rs.randint(1, d, n - 1), start=1):
        x[i, rs.choice(d, k, replace=False)] = 0.0
    logits = (x - 0.5) @ rs.randn(d, 2) * 0.1
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    distances = (1 - x.sum(axis=1) / (np.linalg.norm(x, axis=1) * np.sqrt(d))) * 100
    return x, proba, distances


def doc_kernel(z):
    return np.sqrt(np.exp(-(z**2) / 25.0**2))


# Wide 0/1 data take the conjugate-gradient ranking (d >= 256); a ranking it
# cannot certify falls back to the Gram matrix. Both must select as lime does.
@pytest.mark.parametrize("n, d", [(3000, 300), (4000, 1000)])
@pytest.mark.parametrize("method", ["highest_weights", "auto"])
def test_wide_binary_parity(n, d, method):
    x, y, dist = document(n, d, seed=d)
    ref, ours = RefBase(doc_kernel), LimeBase(doc_kernel)
    for nf in (1, 10, 60):
        for label in (0, 1):
            assert_same(
                ref.explain_instance_with_data(x, y, dist, label, nf, method),
                ours.explain_instance_with_data(x, y, dist, label, nf, method),
            )


def test_wide_binary_ties_and_zeros_in_the_instance_match_lime():
    x, y, dist = document(1200, 600, seed=7)
    x[:, 40] = x[:, 3]  # an exact duplicate: tied coefficients
    x[:, 41] = x[:, 3]
    x[0, 200:] = 0.0  # the instance lacks 400 words: their weighted values tie at 0
    ref, ours = RefBase(doc_kernel), LimeBase(doc_kernel)
    for nf in (2, 3, 150, 205, 250):
        r = ref.explain_instance_with_data(x, y, dist, 1, nf, "highest_weights")
        o = ours.explain_instance_with_data(x, y, dist, 1, nf, "highest_weights")
        # The three copies get equal weights: their order is rounding's, in lime too.
        assert {f for f, _ in o[1]} == {f for f, _ in r[1]}
        assert_same(r, o, check_features=False)


def test_wide_binary_with_user_regressor_and_feature_selection():
    from sklearn.linear_model import Ridge

    x, y, dist = document(1000, 600, seed=3)
    ref, ours = RefBase(doc_kernel), LimeBase(doc_kernel)
    assert_same(
        ref.explain_instance_with_data(x, y, dist, 1, 12, "highest_weights", Ridge(alpha=0.5)),
        ours.explain_instance_with_data(x, y, dist, 1, 12, "highest_weights", Ridge(alpha=0.5)),
    )
    w = doc_kernel(dist)
    np.testing.assert_array_equal(
        ref.feature_selection(x, y[:, 0], w, 25, "highest_weights"),
        ours.feature_selection(x, y[:, 0], w, 25, "highest_weights"),
    )


def test_wide_binary_bad_labels_are_named():
    x, y, dist = document(600, 600, seed=1)
    y[5, 1] = np.nan
    with pytest.raises(ValueError, match="neighborhood_labels"):
        LimeBase(doc_kernel).explain_instance_with_data(x, y, dist, 1, 10, "highest_weights")


def test_static_and_instance_helpers_match_lime():
    x, y, dist = neighbourhood("gaussian", 300, 10, seed=2)
    w = kernel_for(10)(dist)
    ref, ours = RefBase(kernel_for(10)), LimeBase(kernel_for(10))
    for method, nf in [
        ("none", 3),
        ("highest_weights", 4),
        ("forward_selection", 4),
        ("lasso_path", 4),
    ]:
        np.testing.assert_array_equal(
            ref.feature_selection(x, y[:, 0], w, nf, method),
            ours.feature_selection(x, y[:, 0], w, nf, method),
        )
    np.testing.assert_array_equal(
        ref.forward_selection(x, y[:, 0], w, 3), ours.forward_selection(x, y[:, 0], w, 3)
    )
    wx = (x - np.average(x, axis=0, weights=w)) * np.sqrt(w[:, None])
    wy = (y[:, 0] - np.average(y[:, 0], weights=w)) * np.sqrt(w)
    ra, rc = RefBase.generate_lars_path(wx, wy)
    oa, oc = LimeBase.generate_lars_path(wx, wy)
    np.testing.assert_allclose(oa, ra, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(oc, rc, rtol=1e-8, atol=1e-10)


def test_negative_label_index_is_python_style():
    x, y, dist = neighbourhood("gaussian", 200, 5, seed=4)
    kern = kernel_for(5)
    assert_same(
        RefBase(kern).explain_instance_with_data(x, y, dist, -1, 3, "none"),
        LimeBase(kern).explain_instance_with_data(x, y, dist, -1, 3, "none"),
    )


def test_verbose_prints_like_lime(capsys):
    x, y, dist = neighbourhood("gaussian", 100, 4, seed=4)
    LimeBase(kernel_for(4), verbose=True).explain_instance_with_data(x, y, dist, 1, 2, "none")
    out = capsys.readouterr().out
    assert "Intercept" in out and "Prediction_local" in out and "Right:" in out


# ---- bad input: clear errors naming the argument, never a crash ----


@pytest.fixture
def good():
    x, y, dist = neighbourhood("gaussian", 50, 4, seed=0)
    return x, y, dist


@pytest.mark.parametrize(
    "mutate, match",
    [
        (
            lambda x, y, d: (np.where(np.arange(x.size).reshape(x.shape) == 5, np.nan, x), y, d),
            "neighborhood_data",
        ),
        (
            lambda x, y, d: (x, np.where(np.arange(y.size).reshape(y.shape) == 7, np.inf, y), d),
            "neighborhood_labels",
        ),
        (lambda x, y, d: (x, y, np.where(np.arange(d.size) == 3, np.nan, d)), "distances"),
        # an infinite distance gives a zero weight, but is still an error
        (lambda x, y, d: (x, y, np.where(np.arange(d.size) == 3, np.inf, d)), "distances"),
        (lambda x, y, d: (x, y[:-1], d), "neighborhood_labels"),
        (lambda x, y, d: (x, y, d[:-1]), "distances|weights"),
        (lambda x, y, d: (x[0], y, d), "neighborhood_data"),
    ],
)
def test_bad_arrays_raise_value_error(good, mutate, match):
    x, y, d = mutate(*good)
    with pytest.raises(ValueError, match=match):
        LimeBase(kernel_for(4)).explain_instance_with_data(x, y, d, 1, 2, "none")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("path", ["native", "regressor", "sparse"])
def test_non_finite_distances_are_named_on_every_path(good, bad, path):
    from sklearn.linear_model import Ridge

    x, y, d = good
    d = d.copy()
    d[7] = bad
    regressor = Ridge(alpha=1.0) if path == "regressor" else None
    data = sp.csr_matrix(x) if path == "sparse" else x
    with pytest.raises(ValueError, match=r"distances.*first at (flat )?index \(?7"):
        LimeBase(kernel_for(4)).explain_instance_with_data(
            data, y, d, 1, 2, "highest_weights", model_regressor=regressor
        )


def test_bad_scalars(good):
    x, y, d = good
    base = LimeBase(kernel_for(4))
    with pytest.raises(ValueError, match="label"):
        base.explain_instance_with_data(x, y, d, 3, 2)
    with pytest.raises(ValueError, match="num_features"):
        base.explain_instance_with_data(x, y, d, 1, 0)
    with pytest.raises(TypeError, match="num_features"):
        base.explain_instance_with_data(x, y, d, 1, 2.5)
    with pytest.raises(ValueError, match="feature_selection"):
        base.explain_instance_with_data(x, y, d, 1, 2, "bogus")
    with pytest.raises(TypeError, match="random_state"):
        LimeBase(kernel_for(4), random_state="seed")


def test_all_zero_or_negative_weights(good):
    x, y, d = good
    with pytest.raises(ValueError, match="all zero"):
        LimeBase(lambda z: np.zeros_like(z)).explain_instance_with_data(x, y, d, 1, 2)
    with pytest.raises(ValueError, match="non-negative"):
        LimeBase(lambda z: -np.ones_like(z)).explain_instance_with_data(x, y, d, 1, 2)


def test_lime_error_is_a_value_error():
    assert issubclass(LimeError, ValueError)
