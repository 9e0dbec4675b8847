"""Helpers shared by several test files (not a test module)."""

import os
import pickle
import subprocess
import sys

import numpy as np

# Headless chromium as the browser tests run it (no GPU, no network, one pixel per CSS pixel).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]


def outputs_per_thread_count(code, counts=("1", "2")):
    """What ``code`` (a script that pickles its result to stdout; it finds this
    module through sys.argv[1]) returns in a fresh process per LIME_RS_NUM_THREADS."""
    here = os.path.dirname(__file__)
    results = []
    for threads in counts:
        env = dict(os.environ, LIME_RS_NUM_THREADS=threads)
        proc = subprocess.run(
            [sys.executable, "-c", code, here], env=env, capture_output=True, check=True
        )
        results.append(pickle.loads(proc.stdout))
    return results


def grid(n):
    """A segmentation function: an n x n grid, labels 0..n*n-1 row by row."""

    def segment(image):
        h, w = image.shape[:2]
        rows = np.minimum(np.arange(h) * n // h, n - 1)
        cols = np.minimum(np.arange(w) * n // w, n - 1)
        return rows[:, None] * n + cols[None, :]

    return segment


def text_model(docs):
    """A deterministic 3-class text model: scores from word counts."""
    out = np.empty((len(docs), 3))
    for i, doc in enumerate(docs):
        words = doc.lower().split()
        good = sum(w in ("good", "great", "fine") for w in words)
        bad = sum(w in ("bad", "awful", "poor") for w in words)
        z = np.array([bad - 0.5 * good, good - 0.5 * bad, 0.1 * len(words)])
        z = np.exp(z - z.max())
        out[i] = z / z.sum()
    return out


TEXTS = [
    "a good day with great food and fine wine",
    "bad service and awful food but good music",
    "poor choice of words, really bad",
    "nothing to say here at all",
    "great great great, good",
]


def same_explanation(a, b):
    """Exact equality of what an Explanation reports."""
    assert sorted(a.local_exp) == sorted(b.local_exp)
    for label in a.local_exp:
        fa = [(int(f), float(w)) for f, w in a.local_exp[label]]
        fb = [(int(f), float(w)) for f, w in b.local_exp[label]]
        assert fa == fb, label
        assert float(a.intercept[label]) == float(b.intercept[label])
        sa, sb = a.score, b.score
        if isinstance(sa, dict):
            assert sa.get(label) == sb.get(label)
            pa, pb = a.local_pred.get(label), b.local_pred.get(label)
            assert (pa is None and pb is None) or np.array_equal(pa, pb)
    pa, pb = getattr(a, "predict_proba", None), getattr(b, "predict_proba", None)
    if pa is not None or pb is not None:
        assert np.array_equal(pa, pb)
    assert getattr(a, "top_labels", None) == getattr(b, "top_labels", None)
    assert a.class_names == b.class_names


def signature(exps):
    """A picklable summary of explanations for cross-process comparisons."""
    return [
        {
            int(label): (
                [(int(f), float(w)) for f, w in e.local_exp[label]],
                float(e.intercept[label]),
            )
            for label in e.local_exp
        }
        for e in exps
    ]


def cancer_data():
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer().data


class LogisticModel:
    """A fixed logistic model on the breast-cancer columns (numpy only, picklable)."""

    def __init__(self, X):
        self.mean = X.mean(0)
        self.w = np.linspace(-1, 1, X.shape[1]) / X.std(0)

    def predict_proba(self, Z):
        if hasattr(Z, "toarray"):  # scipy.sparse
            Z = Z.toarray()
        p = 1 / (1 + np.exp(-(np.asarray(Z) - self.mean) @ self.w))
        return np.c_[1 - p, p]

    def predict(self, Z):
        return self.predict_proba(Z)[:, 1]


def explain_with(args):
    """Worker of the multiprocessing tests: (pickled explainer, rows, model, kw) -> signature."""
    import pickle

    explainer, rows, model, kw = pickle.loads(args)
    if isinstance(rows, list) and rows and isinstance(rows[0], str):
        return signature([explainer.explain_instance(t, model, **kw) for t in rows])
    return signature([explainer.explain_instance(r, model, **kw) for r in rows])


def grid_segments(image):
    """4 x 4 grid of superpixels (a picklable segmentation_fn)."""
    h, w = image.shape[:2]
    rows = np.minimum(np.arange(h) * 4 // h, 3)
    cols = np.minimum(np.arange(w) * 4 // w, 3)
    return rows[:, None] * 4 + cols[None, :]


def colour_model(images):
    """Two classes from the mean red - blue of each image (picklable)."""
    images = np.asarray(images, dtype=np.float64)
    z = (images[..., 0].mean(axis=(1, 2)) - images[..., 2].mean(axis=(1, 2))) / 32
    p = 1 / (1 + np.exp(-z))
    return np.c_[1 - p, p]


def small_image():
    rng = np.random.RandomState(0)
    return (rng.uniform(0, 255, size=(24, 24, 3))).astype(np.uint8)


def explain_image_with(args):
    import pickle

    explainer, kw = pickle.loads(args)
    exp = explainer.explain_instance(small_image(), colour_model, **kw)
    return {int(k): [(int(f), float(w)) for f, w in v] for k, v in exp.local_exp.items()}
