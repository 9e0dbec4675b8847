"""deduplicate=True (issue #17): each distinct perturbed document or image
reaches the model once; for a deterministic model the explanation is the one
of sending every row."""

from __future__ import annotations

import numpy as np
import pytest

from lime_rs._enumerate import unique_rows
from lime_rs.lime_image import LimeImageExplainer
from lime_rs.lime_text import LimeTextExplainer

SHORT = "Free entry call now"
SPAM = "WINNER!! You have been selected to receive a £900 prize reward! To claim call now."


@pytest.fixture(scope="module")
def pipe(data_dir):
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    df = pd.read_csv(data_dir / "sms_spam.tsv", sep="\t").iloc[:2000]
    return make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000)).fit(
        df.sms_message, df.label
    )


class Counting:
    def __init__(self, fn):
        self.fn, self.rows, self.calls = fn, 0, 0

    def __call__(self, x):
        self.rows += len(x)
        self.calls += 1
        return self.fn(x)


def test_unique_rows_round_trip():
    rng = np.random.default_rng(0)
    data = rng.integers(0, 2, (500, 11)).astype(np.float64)
    data[0] = 1
    keep, inverse = unique_rows(data)
    assert keep[0] == 0 and inverse[0] == 0
    assert np.array_equal(data[keep][inverse], data)
    assert len(np.unique(data, axis=0)) == len(keep)
    assert np.all(np.diff(keep) > 0)  # first occurrences, in order


@pytest.mark.parametrize("text", [SHORT, SPAM])
def test_text_same_explanation_fewer_rows(pipe, text):
    on, off = Counting(pipe.predict_proba), Counting(pipe.predict_proba)
    a = LimeTextExplainer(random_state=4).explain_instance(text, on, num_samples=2000)
    b = LimeTextExplainer(random_state=4).explain_instance(
        text, off, num_samples=2000, deduplicate=False
    )
    assert off.rows == 2000 and on.rows < off.rows
    assert a.local_exp.keys() == b.local_exp.keys()
    for label in a.local_exp:
        assert [f for f, _ in a.local_exp[label]] == [f for f, _ in b.local_exp[label]]
        np.testing.assert_allclose([w for _, w in a.local_exp[label]],
                                   [w for _, w in b.local_exp[label]], rtol=0, atol=1e-12)  # fmt: skip
        assert a.score[label] == pytest.approx(b.score[label], abs=1e-12)
    np.testing.assert_array_equal(a.predict_proba, b.predict_proba)


def test_text_batch_same_as_single(pipe):
    texts = [SHORT, SPAM, "ok see you at home later"]
    model = Counting(pipe.predict_proba)
    batch = LimeTextExplainer(random_state=2).explain_instances(texts, model, num_samples=500)
    assert model.calls == 1 and model.rows < 1500
    single = LimeTextExplainer(random_state=2)
    for exp, text in zip(batch, texts):
        ref = single.explain_instance(text, pipe.predict_proba, num_samples=500, deduplicate=False)
        assert [f for f, _ in exp.as_list()] == [f for f, _ in ref.as_list()]
        np.testing.assert_allclose([w for _, w in exp.as_list()], [w for _, w in ref.as_list()],
                                   atol=1e-12)  # fmt: skip


def test_deduplicate_must_be_bool(pipe):
    with pytest.raises(TypeError, match="deduplicate"):
        LimeTextExplainer().explain_instance(SHORT, pipe.predict_proba, deduplicate="yes")
    with pytest.raises(TypeError, match="deduplicate"):
        LimeImageExplainer().explain_instance(
            np.zeros((8, 8, 3)), lambda b: np.ones((len(b), 2)) / 2, deduplicate=1
        )


def grid(image):
    # 2 x 3 = 6 superpixels: 64 distinct masks, so 1000 samples repeat a lot
    h, w = image.shape[:2]
    return (np.arange(h)[:, None] * 2 // h) * 3 + np.arange(w)[None, :] * 3 // w


def image_model(batch):
    b = np.asarray(batch, dtype=np.float64)
    p = 1 / (1 + np.exp(-(b[:, :8, :, 0].mean(axis=(1, 2)) - b[:, 8:, 12:, 1].mean(axis=(1, 2)))))
    return np.c_[1 - p, p]


def test_image_same_explanation_fewer_rows():
    rng = np.random.default_rng(1)
    image = rng.uniform(0, 3, (16, 24, 3))
    on, off = Counting(image_model), Counting(image_model)
    kw = dict(top_labels=None, labels=(0, 1), segmentation_fn=grid, progress_bar=False)
    a = LimeImageExplainer(random_state=3).explain_instance(image, on, **kw)
    b = LimeImageExplainer(random_state=3).explain_instance(image, off, deduplicate=False, **kw)
    assert off.rows == 1000 and on.rows <= 64
    assert a.sampling["num_samples"] == on.rows and a.sampling["rows"] == 1000
    assert b.sampling["num_samples"] == 1000
    for label in (0, 1):
        assert [f for f, _ in a.local_exp[label]] == [f for f, _ in b.local_exp[label]]
        np.testing.assert_allclose([w for _, w in a.local_exp[label]],
                                   [w for _, w in b.local_exp[label]], atol=1e-12)  # fmt: skip
    # batches: the same per image
    many = Counting(image_model)
    out = LimeImageExplainer(random_state=3).explain_instances(
        [image, image[::-1].copy()], many, batch_size=7, **kw
    )
    np.testing.assert_allclose([w for _, w in out[0].local_exp[1]],
                               [w for _, w in a.local_exp[1]], atol=1e-12)  # fmt: skip
    assert many.rows <= 128
