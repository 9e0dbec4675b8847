"""num_samples="auto" on the text and image explainers (issue #17): rounds,
certificate, exact small neighbourhoods, errors."""

from __future__ import annotations

import numpy as np
import pytest

from lime_rs._enumerate import image_space, max_enumerable_features, text_space
from lime_rs.lime_image import LimeImageExplainer
from lime_rs.lime_text import LimeTextExplainer

LONG = (
    "you have won a free prize call now to claim your cash reward before it expires tonight "
    "and enjoy the best offer of the year with friends and family at home"
)


def keyword_model(docs):
    """A deterministic, non-linear classifier of two keywords."""
    docs = list(docs)
    free = np.array(["free" in d.split() for d in docs], dtype=float)
    cash = np.array(["cash" in d.split() for d in docs], dtype=float)
    p = 1 / (1 + np.exp(-(2.5 * free + 1.5 * cash + 1.0 * free * cash - 2)))
    return np.c_[1 - p, p]


class Counting:
    def __init__(self, fn):
        self.fn, self.calls = fn, []

    def __call__(self, x):
        self.calls.append(len(x))
        return self.fn(x)


def assert_same(a, b):
    assert [f for f, _ in a.as_list()] == [f for f, _ in b.as_list()]
    np.testing.assert_allclose([w for _, w in a.as_list()], [w for _, w in b.as_list()],
                               atol=1e-12)  # fmt: skip


def weights(exp, label=1):
    return dict(exp.local_exp[label])


# ---- exact probabilities -----------------------------------------------------


def test_text_space_is_lime_scheme():
    """Mask frequencies of lime's own sampler match text_space's probabilities."""
    from lime.lime_text import IndexedString as LimeIndexed
    from lime.lime_text import LimeTextExplainer as Lime

    d, n = 4, 40001
    lime = Lime(random_state=0)
    data, _, _ = lime._LimeTextExplainer__data_labels_distances(
        LimeIndexed("a b c d"), lambda docs: np.ones((len(docs), 2)) / 2, n
    )
    masks, counts = text_space(d, n)
    assert counts.sum() == pytest.approx(n)
    codes = data[1:] @ (2 ** np.arange(d - 1, -1, -1))
    seen = np.bincount(codes.astype(int), minlength=2**d)
    expected = np.zeros(2**d)
    expected[(masks @ (2 ** np.arange(d - 1, -1, -1))).astype(int)] = counts
    expected[2**d - 1] -= 1  # the original row, not drawn
    # every cell within 5 binomial standard deviations
    sd = np.sqrt(np.maximum(expected * (1 - expected / n), 1))
    assert np.all(np.abs(seen - expected) < 5 * sd)
    assert seen[2**d - 1] == 0  # lime never draws the original again


def test_image_space_uniform():
    masks, counts = image_space(3, 1000)
    assert masks.shape == (8, 3) and np.all(masks[0] == 1)
    assert counts[0] == pytest.approx(1 + 999 / 8) and counts[1:] == pytest.approx(999 / 8)
    assert max_enumerable_features(5000) == 12 and max_enumerable_features(4096) == 12


# ---- exact = the limit of many seeds --------------------------------------------


def test_text_exact_is_the_many_seed_limit():
    text = "free cash now or later"
    kw = dict(num_features=5)
    exact = LimeTextExplainer(random_state=0, feature_selection="none").explain_instance(
        text, keyword_model, num_samples="auto", **kw
    )
    assert exact.sampling["exact"] and exact.sampling["certified"]
    assert exact.sampling["num_samples"] == 2**5
    explainer = LimeTextExplainer(random_state=1, feature_selection="none")
    runs = [weights(explainer.explain_instance(text, keyword_model, num_samples=5000, **kw))
            for _ in range(60)]  # fmt: skip
    for f, w in weights(exact).items():
        seeds = np.array([r[f] for r in runs])
        assert abs(seeds.mean() - w) < 4 * seeds.std() / np.sqrt(len(seeds)) + 1e-4, f


def test_image_exact_is_the_many_seed_limit():
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 1, (12, 12, 3))

    def segments(img):
        return (np.arange(12)[:, None] // 6) * 2 + np.arange(12)[None, :] // 6  # 4 superpixels

    def model(batch):
        b = np.asarray(batch)
        z = 8 * b[:, :6, :6, 0].mean(axis=(1, 2)) * b[:, 6:, 6:, 1].mean(axis=(1, 2)) - 1
        p = 1 / (1 + np.exp(-z - 3 * b[:, :6, 6:, 2].mean(axis=(1, 2))))
        return np.c_[1 - p, p]

    kw = dict(top_labels=None, segmentation_fn=segments, progress_bar=False, hide_color=0)
    exact = LimeImageExplainer(random_state=0, feature_selection="none").explain_instance(
        image, model, num_samples="auto", max_samples=1000, **kw
    )
    assert exact.sampling["exact"] and exact.sampling["num_samples"] == 16
    explainer = LimeImageExplainer(random_state=5, feature_selection="none")
    runs = [weights(explainer.explain_instance(image, model, num_samples=1000, **kw))
            for _ in range(60)]  # fmt: skip
    for f, w in weights(exact).items():
        seeds = np.array([r[f] for r in runs])
        assert abs(seeds.mean() - w) < 4 * seeds.std() / np.sqrt(len(seeds)) + 1e-4, f


# ---- rounds and certificate -------------------------------------------------------


def test_text_auto_certifies_clear_explanation():
    model = Counting(keyword_model)
    exp = LimeTextExplainer(random_state=3).explain_instance(
        LONG, model, num_samples="auto", num_features=2
    )
    s = exp.sampling
    assert set(s) >= {"num_samples", "rounds", "certified", "confidence", "max_samples"}
    assert s["certified"] and not s["exact"] and s["confidence"] == 0.95
    assert {f for f, _ in exp.as_list()} == {"free", "cash"}
    assert s["num_samples"] == sum(model.calls) <= s["rows"] <= 5000
    assert len(model.calls) == s["rounds"]
    assert exp.explainer_settings["num_samples"] == "auto"


def test_text_auto_gives_up_at_max_samples():
    # 10 features of a model that uses 2: the other 8 cannot be ordered
    exp = LimeTextExplainer(random_state=3).explain_instance(
        LONG, keyword_model, num_samples="auto", num_features=10, max_samples=1000
    )
    assert not exp.sampling["certified"] and exp.sampling["rows"] == 1000


def test_text_batch_auto_matches_single_and_batches_rounds():
    texts = [LONG, "free cash", LONG + " free", "nothing to see here at all today friends"]
    model = Counting(keyword_model)
    kw = dict(num_samples="auto", num_features=2, max_samples=2000)
    batch = LimeTextExplainer(random_state=9).explain_instances(texts, model, **kw)
    rounds = max(e.sampling["rounds"] for e in batch if not e.sampling["exact"])
    assert len(model.calls) <= rounds + 1  # one call per round (+ one for exact texts)
    single = LimeTextExplainer(random_state=9)
    for exp, text in zip(batch, texts):
        ref = single.explain_instance(text, keyword_model, **kw)
        assert exp.sampling == ref.sampling
        assert_same(exp, ref)
    # batch_size splits a round into chunks, never changes the result
    again = LimeTextExplainer(random_state=9).explain_instances(
        texts, keyword_model, batch_size=300, **kw
    )
    for a, b in zip(batch, again):
        assert_same(a, b)


def test_text_integer_num_samples_sampling_record():
    model = Counting(keyword_model)
    exp = LimeTextExplainer(random_state=3).explain_instance(LONG, model, num_samples=300)
    s = exp.sampling
    assert s["num_samples"] == sum(model.calls) < 300 and s["rows"] == 300
    assert not s["adaptive"] and not s["certified"] and s["rounds"] == 1


def test_image_auto_rounds():
    rng = np.random.default_rng(2)
    image = rng.uniform(0, 1, (32, 32, 3))

    def segments(img):
        return (np.arange(32)[:, None] // 8) * 4 + np.arange(32)[None, :] // 8  # 16 superpixels

    def model(batch):
        b = np.asarray(batch)
        p = 1 / (1 + np.exp(-(6 * b[:, :8, :8, 0].mean(axis=(1, 2)) - 3)))
        return np.c_[1 - p, p]

    counting = Counting(model)
    exp = LimeImageExplainer(random_state=1).explain_instance(
        image, counting, num_samples="auto", num_features=1, top_labels=None,
        segmentation_fn=segments, progress_bar=False, hide_color=0, batch_size=100,
    )  # fmt: skip
    s = exp.sampling
    assert not s["exact"] and s["certified"]
    assert exp.local_exp[1][0][0] == 0
    assert s["num_samples"] == sum(counting.calls) <= s["rows"]
    # the image view says it in one line, as the tabular and text views do
    assert f"certified at 95% after {s['num_samples']:,} model rows" in exp.as_html(label=1)


# ---- errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"num_samples": "many"}, ValueError, "num_samples.*'auto'"),
        ({"num_samples": 1.5}, TypeError, "num_samples"),
        ({"num_samples": "auto", "max_samples": 1}, ValueError, "max_samples"),
        ({"num_samples": "auto", "max_samples": 2.5}, TypeError, "max_samples"),
        ({"num_samples": "auto", "confidence": 1.0}, ValueError, "confidence"),
        ({"num_samples": "auto", "confidence": "high"}, TypeError, "confidence"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        LimeTextExplainer().explain_instance(LONG, keyword_model, **kwargs)
    with pytest.raises(exc, match=match):
        LimeImageExplainer().explain_instance(
            np.zeros((8, 8, 3)), lambda b: np.ones((len(b), 2)) / 2, progress_bar=False,
            **kwargs,
        )  # fmt: skip


def test_auto_with_model_regressor_is_refused():
    from sklearn.linear_model import Ridge

    with pytest.raises(ValueError, match="num_samples: 'auto'.*model_regressor"):
        LimeTextExplainer().explain_instance(
            LONG, keyword_model, num_samples="auto", model_regressor=Ridge()
        )
    with pytest.raises(ValueError, match="num_samples: 'auto'.*model_regressor"):
        LimeImageExplainer().explain_instance(
            np.zeros((8, 8, 3)), lambda b: np.ones((len(b), 2)) / 2, num_samples="auto",
            model_regressor=Ridge(), progress_bar=False,
        )  # fmt: skip


# ---- calibration ------------------------------------------------------------------


def graded_model(docs):
    """Keywords of graded effect, some close, so certificates are earned."""
    effects = {"free": 1.2, "cash": 0.9, "prize": 0.8, "call": -0.5, "now": 0.3, "win": 0.25}
    z = np.full(len(docs), -0.5)
    for i, d in enumerate(docs):
        words = set(d.split())
        z[i] += sum(v for w, v in effects.items() if w in words)
    p = 1 / (1 + np.exp(-z))
    return np.c_[1 - p, p]


def test_certified_text_explanations_are_right():
    """Certified explanations show the converged top-k set and signs (at least
    at the stated confidence, within binomial noise)."""
    text = "win a free prize and cash if you call now the offer is open to all of our friends"
    wrong = certified = 0
    for k in (2, 3, 4):
        ref = LimeTextExplainer(random_state=0).explain_instance(
            text, graded_model, num_features=k, num_samples=40_000
        )
        truth = {(f, np.sign(w)) for f, w in ref.as_list()}
        e = LimeTextExplainer(random_state=1)
        for _ in range(15):
            exp = e.explain_instance(text, graded_model, num_features=k, num_samples="auto")
            if exp.sampling["certified"]:
                certified += 1
                wrong += {(f, np.sign(w)) for f, w in exp.as_list()} != truth
    assert certified >= 15
    # P(wrong) <= 0.05: more than 0.05 n + 3 sd wrong would be a defect
    assert wrong <= 0.05 * certified + 3 * np.sqrt(0.05 * 0.95 * certified)
