"""The local-model engine (LimeBase.explain_instance_with_data) against lime's."""

import numpy as np
import pytest
from lime.lime_base import LimeBase as RefBase

from lime_rs.lime_base import LimeBase


def gaussian(n=5000, d=30, seed=0):
    rs = np.random.RandomState(seed)
    x = rs.randn(n, d)
    y = np.c_[x @ rs.randn(d), np.tanh(x @ rs.randn(d))]
    return x, y, np.linalg.norm(x - x[0], axis=1), 0.75 * np.sqrt(d)


def document(n=5000, d=1000, seed=0):
    """A long document's neighbourhood, as lime's text explainer builds it."""
    rs = np.random.RandomState(seed)
    x = np.ones((n, d))
    sizes = rs.randint(1, d, n - 1)
    for i, k in enumerate(sizes, start=1):
        x[i, rs.choice(d, k, replace=False)] = 0
    y = 1 / (1 + np.exp(-(x - 0.5) @ rs.randn(d) * 0.1))
    y = np.c_[1 - y, y]
    norms = np.linalg.norm(x, axis=1)
    dist = (1 - x.sum(axis=1) / (norms * np.sqrt(d))) * 100
    return x, y, dist, 25.0


def kernel(width):
    return lambda d: np.sqrt(np.exp(-(d**2) / width**2))


@pytest.mark.parametrize(
    "method, nf",
    [("highest_weights", 10), ("forward_selection", 6), ("lasso_path", 10), ("none", 10)],
)
def test_engine_5000x30(compare, method, nf):
    x, y, dist, width = gaussian()
    ours, ref = LimeBase(kernel(width)), RefBase(kernel(width))
    compare(
        f"explain_instance_with_data 5000x30 {method} nf={nf}",
        lambda: ours.explain_instance_with_data(x, y, dist, 1, nf, method),
        lambda: ref.explain_instance_with_data(x, y, dist, 1, nf, method),
        target=50,
    )


def test_engine_5000x1000_binary_highest_weights(compare):
    x, y, dist, width = document()
    ours, ref = LimeBase(kernel(width)), RefBase(kernel(width))
    compare(
        "explain_instance_with_data 5000x1000 binary highest_weights nf=10",
        lambda: ours.explain_instance_with_data(x, y, dist, 1, 10, "highest_weights"),
        lambda: ref.explain_instance_with_data(x, y, dist, 1, 10, "highest_weights"),
        target=5,
    )
