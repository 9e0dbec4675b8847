"""lime_rs._native.lars_path against scikit-learn's lars_path(method='lasso')
on the weighted 5000x30 problem lime's `lasso_path` selection solves (its
equality with scikit-learn's path is tests/test_lars.py's job).

    make bench   # or: .venv/bin/python -m pytest benches/bench_lars.py -q -s
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import lars_path

from lime_rs import _native


def weighted_problem():
    """tests/test_lars.py::test_weighted_gaussian_5000x30's data, centred and
    weighted as lime hands it to lars_path."""
    rng = np.random.default_rng(100)
    data = rng.normal(size=(5000, 30))
    width = 0.75 * np.sqrt(30)
    weights = np.sqrt(np.exp(-(np.linalg.norm(data, axis=1) ** 2) / width**2))
    labels = np.tanh(data @ rng.normal(size=30))
    X = (data - np.average(data, axis=0, weights=weights)) * np.sqrt(weights[:, np.newaxis])
    y = (labels - np.average(labels, weights=weights)) * np.sqrt(weights)
    return X, y


def test_lars_path_5000x30(compare):
    X, y = weighted_problem()

    def reference():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            lars_path(X, y, method="lasso", verbose=False)

    # was `assert ours < theirs` in the test suite: the target is "faster"
    ratio = compare(
        "lars_path 5000x30 (vs scikit-learn)", lambda: _native.lars_path(X, y), reference, 1
    )
    print(f"\nlars_path 5000x30: scikit-learn / lime_rs = {ratio:.1f}x")
