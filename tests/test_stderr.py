"""Standard errors of the local models' weights (sandwich, HC1).

The honest check: LIME's randomness is the sampled neighbourhood, so across
independent neighbourhoods (seeds) the spread of each weight must match the
standard error each single explanation reports. Features are fixed
(feature_selection='none') so the weights are comparable across seeds.
"""

import numpy as np
import pandas as pd
import pytest

from lime_rs import _native
from lime_rs.lime_tabular import LimeTabularExplainer
from lime_rs.lime_text import LimeTextExplainer

N_SEEDS = 20


def spread_ratio(explain):
    """Median over features of std(weight across seeds) / mean(reported stderr)."""
    weights, errors = {}, {}
    for seed in range(N_SEEDS):
        exp = explain(seed)
        assert list(exp.local_exp) == list(exp.local_exp_stderr)
        for label in exp.local_exp:
            ids = [f for f, _ in exp.local_exp[label]]
            assert ids == [f for f, _ in exp.local_exp_stderr[label]]
        label = next(iter(exp.local_exp))
        for (f, w), (_, s) in zip(exp.local_exp[label], exp.local_exp_stderr[label]):
            weights.setdefault(f, []).append(w)
            errors.setdefault(f, []).append(s)
    assert all(len(v) == N_SEEDS for v in weights.values()), "features changed across seeds"
    ratios = [
        np.std(weights[f], ddof=1) / np.mean(errors[f]) for f in weights if np.mean(errors[f]) > 0
    ]
    return float(np.median(ratios)), ratios


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(data.data, data.target)
    return data, model


@pytest.mark.parametrize("discretize", [False, True])
def test_tabular_stderr_matches_spread_across_seeds(cancer, discretize):
    data, model = cancer
    explainer = LimeTabularExplainer(
        data.data,
        feature_names=list(data.feature_names),
        class_names=list(data.target_names),
        discretize_continuous=discretize,
        feature_selection="none",
        random_state=0,
    )
    row = data.data[7]
    median, ratios = spread_ratio(
        lambda seed: explainer.explain_instance(
            row, model.predict_proba, num_features=30, num_samples=1000
        )
    )
    assert 0.5 < median < 2.0, (median, ratios)


def test_text_stderr_matches_spread_across_seeds(data_dir):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    df = pd.read_csv(data_dir / "sms_spam.tsv", sep="\t")
    y = (df.label == "spam").astype(int).to_numpy()
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(C=10, max_iter=1000))
    model.fit(df.sms_message.tolist()[:3000], y[:3000])
    doc = next(t for t, c in zip(df.sms_message, y) if c == 1 and 15 <= len(t.split()) <= 25)
    explainer = LimeTextExplainer(feature_selection="none", random_state=0)
    median, ratios = spread_ratio(
        lambda seed: explainer.explain_instance(
            doc, model.predict_proba, num_features=50, num_samples=1000
        )
    )
    assert 0.5 < median < 2.0, (median, ratios)


def test_engine_default_keeps_five_tuples():
    rng = np.random.RandomState(0)
    x = rng.normal(size=(200, 4))
    y = np.column_stack([x @ [1.0, -2.0, 0.5, 0.0] + rng.normal(size=200), rng.normal(size=200)])
    w = np.exp(-rng.uniform(size=200))
    plain = _native.explain_with_data(x, y, w, [0, 1], 4, "none")
    with_se = _native.explain_with_data(x, y, w, [0, 1], 4, "none", return_stderr=True)
    assert all(len(t) == 5 for t in plain) and all(len(t) == 6 for t in with_se)
    for a, b in zip(plain, with_se):
        assert np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])
        assert b[5].shape == b[2].shape and (b[5] > 0).all()


def test_engine_stderr_matches_a_direct_sandwich():
    """HC1 sandwich written out in numpy on the selected columns."""
    rng = np.random.RandomState(1)
    n = 400
    x = rng.normal(size=(n, 5))
    y = (np.sin(x[:, 0]) + 0.3 * x[:, 1] ** 2 + 0.2 * rng.normal(size=n))[:, None]
    w = np.exp(-0.5 * (x**2).sum(axis=1) / 4)
    (_, feats, coefs, _, _, se), = _native.explain_with_data(
        x, y, w, [0], 3, "forward_selection", return_stderr=True
    )  # fmt: skip
    xs = x[:, feats]
    mx = np.average(xs, axis=0, weights=w)
    my = np.average(y[:, 0], weights=w)
    xc = xs - mx
    a = (xc * w[:, None]).T @ xc + np.eye(len(feats))
    b = np.linalg.solve(a, (xc * w[:, None]).T @ (y[:, 0] - my))
    assert np.allclose(b, coefs)
    u = xc * (w * (y[:, 0] - my - xc @ b))[:, None]
    meat = u.T @ u - np.outer(u.sum(0), u.sum(0)) / n
    ainv = np.linalg.inv(a)
    want = np.sqrt(np.diag(ainv @ meat @ ainv) * n / (n - len(feats) - 1))
    assert np.allclose(se, want, rtol=1e-9)


@pytest.mark.parametrize(
    "d, method, nf", [(30, "none", 30), (30, "highest_weights", 10), (20, "lasso_path", 15)]
)
def test_engine_stderr_matches_a_direct_sandwich_wide(d, method, nf):
    """Both meat paths (narrow selections gathered feature-major, wide ones
    row-major) against the sandwich written out in numpy, two labels."""
    rng = np.random.RandomState(2)
    n = 700
    x = rng.normal(size=(n, d))
    x[:, 3] = (x[:, 3] > 0.5).astype(float)
    t = np.tanh(x @ rng.normal(size=d) / 3)
    y = np.column_stack([1 - t, t + 0.1 * rng.normal(size=n)])
    w = np.exp(-0.5 * ((x - x[0]) ** 2).sum(axis=1) / d)
    (_, feats, coefs, _, _, se), = _native.explain_with_data(
        x, y, w, [1], nf, method, return_stderr=True
    )  # fmt: skip
    xs = x[:, feats]
    mx = np.average(xs, axis=0, weights=w)
    my = np.average(y[:, 1], weights=w)
    xc = xs - mx
    a = (xc * w[:, None]).T @ xc + np.eye(len(feats))
    b = np.linalg.solve(a, (xc * w[:, None]).T @ (y[:, 1] - my))
    assert np.allclose(b, coefs)
    u = xc * (w * (y[:, 1] - my - xc @ b))[:, None]
    meat = u.T @ u - np.outer(u.sum(0), u.sum(0)) / n
    ainv = np.linalg.inv(a)
    want = np.sqrt(np.diag(ainv @ meat @ ainv) * n / (n - len(feats) - 1))
    assert np.allclose(se, want, rtol=1e-9)


def test_regression_and_user_regressor_stderr(cancer):
    from sklearn.linear_model import Ridge

    data, _ = cancer
    target = data.data[:, 0] * 2 + data.data[:, 1]
    explainer = LimeTabularExplainer(
        data.data[:, :6], mode="regression", discretize_continuous=False, random_state=0
    )
    predict = lambda x: x[:, 0] * 2 + x[:, 1] + np.sin(x[:, 2])  # noqa: E731
    del target
    exp = explainer.explain_instance(data.data[3, :6], predict, num_features=4, num_samples=800)
    assert set(exp.local_exp_stderr) == {0, 1}
    assert exp.local_exp_stderr[0] == exp.local_exp_stderr[1]
    assert [f for f, _ in exp.local_exp[1]] == [f for f, _ in exp.local_exp_stderr[1]]
    frame = exp.as_frame(label=1)
    assert frame["stderr"].notna().all()
    # a user-supplied regressor has no sandwich errors: NaN in the frame
    exp2 = explainer.explain_instance(
        data.data[3, :6], predict, num_features=4, num_samples=800, model_regressor=Ridge()
    )
    assert exp2.as_frame(label=1)["stderr"].isna().all()


def test_stderr_does_not_depend_on_thread_count():
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from lime_rs import _native\n"
        "rs = np.random.RandomState(0)\n"
        "x = rs.randn(9000, 12)\n"
        "y = np.c_[np.tanh(x @ rs.randn(12)), rs.rand(9000)]\n"
        "w = np.exp(-rs.rand(9000))\n"
        "out = _native.explain_with_data(x, y, w, [0, 1], 12, 'none', return_stderr=True)\n"
        "print([m[5].tobytes().hex() for m in out])\n"
    )
    outs = []
    for threads in ("1", "2", "5"):
        env = dict(os.environ, LIME_RS_NUM_THREADS=threads)
        run = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outs.append(run.stdout)
    assert outs[0] == outs[1] == outs[2]


def test_batch_paths_report_the_same_stderr(cancer):
    data, model = cancer
    kwargs = dict(num_features=5, num_samples=500)
    a = LimeTabularExplainer(data.data, random_state=4)
    b = LimeTabularExplainer(data.data, random_state=4)
    singles = [a.explain_instance(r, model.predict_proba, **kwargs) for r in data.data[:3]]
    batch = b.explain_instances(data.data[:3], model.predict_proba, **kwargs)
    for s, t in zip(singles, batch):
        assert t.local_exp_stderr == s.local_exp_stderr and t.local_exp_stderr
        assert t.seed == s.seed and t.explainer_settings == s.explainer_settings

    def predict(texts):
        p = np.array([0.2 + 0.6 * ("good" in t) for t in texts])
        return np.column_stack([1 - p, p])

    docs = ["a good day", "not good at all", "plain words here"]
    a, b = LimeTextExplainer(random_state=2), LimeTextExplainer(random_state=2)
    singles = [a.explain_instance(d, predict, num_samples=300) for d in docs]
    batch = b.explain_instances(docs, predict, num_samples=300)
    for s, t in zip(singles, batch):
        assert t.local_exp_stderr == s.local_exp_stderr and t.local_exp_stderr
        assert t.seed == s.seed and t.explainer_settings == s.explainer_settings


@pytest.mark.parametrize("method, nf", [("highest_weights", 8), ("none", 24)])
def test_engine_stderr_does_not_depend_on_memory_layout(method, nf):
    """Fortran-ordered data or labels (other code paths) give the same errors."""
    rng = np.random.RandomState(3)
    x = rng.normal(size=(600, 24))
    y = np.column_stack([np.sin(x[:, 0]), x[:, 1] * x[:, 2] + rng.normal(size=600)])
    w = np.exp(-rng.uniform(size=600))
    want = _native.explain_with_data(x, y, w, [1, 0], nf, method, return_stderr=True)
    for xs, ys in [(x, np.asfortranarray(y)), (np.asfortranarray(x), y)]:
        got = _native.explain_with_data(xs, ys, w, [1, 0], nf, method, return_stderr=True)
        for a, b in zip(got, want):
            assert np.array_equal(a[1], b[1])
            assert np.allclose(a[5], b[5], rtol=1e-10, atol=0)
