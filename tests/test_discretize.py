"""lime_rs.discretize against lime.discretize: identical bin edges, names and
bin statistics; undiscretize draws inside the bins; subclassing and pickling."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import load_breast_cancer, load_iris, load_wine

import lime_rs.discretize as rs_discretize
from lime_rs import _native
from lime_rs.discretize import (
    BaseDiscretizer,
    EntropyDiscretizer,
    QuartileDiscretizer,
    StatsDiscretizer,
)

lime_discretize = pytest.importorskip("lime.discretize")

DATASETS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer}


def _data(name):
    ds = DATASETS[name]()
    return ds.data, ds.target, [str(f) for f in ds.feature_names]


def _assert_same_discretizer(ours, theirs):
    assert ours.to_discretize == theirs.to_discretize
    assert ours.names == theirs.names
    assert set(ours.lambdas) == set(theirs.lambdas)
    for f in ours.lambdas:
        np.testing.assert_array_equal(ours.lambdas[f].keywords["qts"], _qts(theirs, f))
        assert ours.mins[f] == pytest.approx(theirs.mins[f], rel=0, abs=0)
        assert ours.maxs[f] == pytest.approx(theirs.maxs[f], rel=0, abs=0)
        np.testing.assert_allclose(ours.means[f], theirs.means[f], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ours.stds[f], theirs.stds[f], rtol=1e-9, atol=1e-12)


def _qts(lime_disc, f):
    fn = lime_disc.lambdas[f]
    if hasattr(fn, "keywords"):
        return fn.keywords["qts"]
    return fn.__defaults__[0]  # lime 0.2.0.1 stores a lambda with qts as default


@pytest.mark.parametrize("dataset", sorted(DATASETS))
@pytest.mark.parametrize("kind", ["Quartile", "Decile", "Entropy"])
def test_bins_names_and_stats_match_lime(dataset, kind):
    X, y, names = _data(dataset)
    cats = [1] if dataset == "wine" else []
    ours = getattr(rs_discretize, f"{kind}Discretizer")(X, cats, names, labels=y, random_state=1)
    theirs = getattr(lime_discretize, f"{kind}Discretizer")(
        X, cats, names, labels=y, random_state=1
    )
    _assert_same_discretizer(ours, theirs)
    np.testing.assert_array_equal(ours.discretize(X), theirs.discretize(X))
    np.testing.assert_array_equal(ours.discretize(X[7]), theirs.discretize(X[7]))


def test_names_format():
    X, y, names = _data("breast_cancer")
    d = QuartileDiscretizer(X, [], names, labels=y)
    assert d.names[0] == [
        "mean radius <= 11.70",
        "11.70 < mean radius <= 13.37",
        "13.37 < mean radius <= 15.78",
        "mean radius > 15.78",
    ]
    assert d.names[23][-1] == "worst area > 1084.00"


def test_ties_integer_data_and_constant_columns_match_lime():
    rng = np.random.RandomState(3)
    X = np.c_[
        rng.randint(0, 3, size=500),  # heavy ties: fewer than 3 unique edges
        np.full(500, 2.0),  # constant column: one edge
        rng.exponential(size=500),
        rng.randint(-5, 50, size=500),
    ].astype(float)
    names = ["a", "b", "c", "d"]
    for kind in ("Quartile", "Decile"):
        ours = getattr(rs_discretize, f"{kind}Discretizer")(X, [], names)
        theirs = getattr(lime_discretize, f"{kind}Discretizer")(X, [], names)
        _assert_same_discretizer(ours, theirs)


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 300), st.integers(1, 3)),
        elements=st.floats(-1e6, 1e6, allow_nan=False, width=64),
    )
)
def test_percentiles_bitwise_equal_to_numpy(x):
    q = [10.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 70.0, 75.0, 80.0, 90.0]
    ours = _native.tabular_percentiles(np.ascontiguousarray(x), list(range(x.shape[1])), q)
    for j in range(x.shape[1]):
        expected = np.percentile(x[:, j], q)
        np.testing.assert_array_equal(ours[j], expected)


def test_stats_discretizer_uses_given_bins_and_stats():
    X, y, names = _data("iris")
    base = QuartileDiscretizer(X, [], names, labels=y)
    stats = {
        "means": base.means,
        "stds": base.stds,
        "mins": base.mins,
        "maxs": base.maxs,
        "bins": {f: base.lambdas[f].keywords["qts"].tolist() for f in base.lambdas},
    }
    ours = StatsDiscretizer(np.zeros((2, 4)), [], names, data_stats=stats)
    theirs = lime_discretize.StatsDiscretizer(np.zeros((2, 4)), [], names, data_stats=stats)
    assert ours.names == theirs.names == base.names
    assert ours.means is stats["means"]
    np.testing.assert_array_equal(ours.discretize(X), base.discretize(X))


def test_undiscretize_stays_in_bins_and_follows_bin_means():
    X, y, names = _data("wine")
    d = QuartileDiscretizer(X, [], names, random_state=0)
    bins = np.tile(np.arange(4), 2500).astype(float)
    data = np.tile(bins[:, None], (1, X.shape[1]))
    out = d.undiscretize(data)
    for f in range(X.shape[1]):
        for b in range(4):
            vals = out[bins == b, f]
            lo, hi = d.mins[f][b], d.maxs[f][b]
            assert vals.min() >= lo and vals.max() <= hi
            # truncated normal around the bin mean: the sample mean lies between
            # the bin mean and the middle of the interval, within noise
            centre = 0.5 * (lo + hi)
            m = vals.mean()
            slack = 0.1 * (hi - lo) + 1e-9
            assert min(d.means[f][b], centre) - slack <= m <= max(d.means[f][b], centre) + slack


def test_undiscretize_row_and_reproducibility():
    X, _, names = _data("iris")
    a = QuartileDiscretizer(X, [], names, random_state=5)
    b = QuartileDiscretizer(X, [], names, random_state=5)
    row = a.discretize(X[10])
    ra, rb = a.undiscretize(row), b.undiscretize(row)
    np.testing.assert_array_equal(ra, rb)
    assert ra.shape == (4,)
    for f in range(4):
        k = int(row[f])
        assert a.mins[f][k] <= ra[f] <= a.maxs[f][k]
    assert not np.array_equal(a.undiscretize(row), ra)  # the state advanced


def test_degenerate_bin_keeps_limes_behaviour():
    # a bin whose min equals its max: lime returns the standardised bound
    X = np.r_[np.zeros(60), np.arange(1, 41)].reshape(-1, 1).astype(float)
    d = QuartileDiscretizer(X, [], ["x"])
    assert d.mins[0][0] == d.maxs[0][0] == 0.0
    out = d.get_undiscretize_values(0, np.zeros(5, dtype=int))
    expected = (d.mins[0][0] - d.means[0][0]) / d.stds[0][0]
    np.testing.assert_array_equal(out, np.full(5, expected))


def test_subclass_with_custom_bins():
    class Halves(BaseDiscretizer):
        def bins(self, data, labels):
            return [np.array([np.median(data[:, f])]) for f in self.to_discretize]

    X, _, names = _data("iris")
    d = Halves(X, [2], names)
    assert d.to_discretize == [0, 1, 3]
    assert d.names[0] == [
        f"sepal length (cm) <= {np.median(X[:, 0]):.2f}",
        f"sepal length (cm) > {np.median(X[:, 0]):.2f}",
    ]
    assert set(np.unique(d.discretize(X)[:, 0])) == {0.0, 1.0}


def test_base_discretizer_bins_not_implemented():
    with pytest.raises(NotImplementedError, match="Must override bins"):
        BaseDiscretizer(np.ones((3, 2)), [], ["a", "b"])


def test_entropy_needs_labels():
    with pytest.raises(ValueError, match="Labels must be not None"):
        EntropyDiscretizer(np.ones((3, 2)), [], ["a", "b"])


def test_nan_in_training_data_is_a_clear_error():
    X = np.ones((20, 3))
    X[4, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        QuartileDiscretizer(X, [], ["a", "b", "c"])


def test_discretizers_pickle():
    X, y, names = _data("iris")
    for d in (
        QuartileDiscretizer(X, [], names, random_state=2),
        EntropyDiscretizer(X, [], names, labels=y, random_state=2),
    ):
        clone = pickle.loads(pickle.dumps(d))
        np.testing.assert_array_equal(clone.discretize(X), d.discretize(X))
        np.testing.assert_array_equal(clone.undiscretize(X[:5] * 0), d.undiscretize(X[:5] * 0))


@pytest.mark.parametrize("kind", ["Quartile", "Decile"])
def test_large_data_bins_match_lime(kind):
    # enough rows for the native single-pass quantile path
    rng = np.random.RandomState(11)
    n = 60_000
    X = np.c_[
        rng.normal(size=n),
        rng.randint(0, 7, size=n).astype(float),
        rng.lognormal(sigma=2.0, size=n),
        np.r_[np.zeros(n // 2), rng.uniform(size=n - n // 2)],
    ]
    names = ["a", "b", "c", "d"]
    ours = getattr(rs_discretize, f"{kind}Discretizer")(X, [], names)
    theirs = getattr(lime_discretize, f"{kind}Discretizer")(X, [], names)
    _assert_same_discretizer(ours, theirs)
    for f in range(4):
        counts = np.bincount(theirs.discretize(X)[:, f].astype(int), minlength=len(ours.means[f]))
        np.testing.assert_array_equal(ours._bin_counts[f], counts)
