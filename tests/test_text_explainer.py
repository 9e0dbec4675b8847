"""LimeTextExplainer: lime's API and results format, reproducibility,
pickling, HTML, and clear errors on bad input."""

import inspect
import io
import pickle
import subprocess
import sys
from contextlib import redirect_stdout

import numpy as np
import pytest
from lime import lime_text as lt

from lime_rs import _native
from lime_rs import lime_text as rt
from lime_rs.explanation import Explanation


@pytest.fixture(scope="module")
def sms(data_dir):
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    df = pd.read_csv(data_dir / "sms_spam.tsv", sep="\t")
    pipe = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
    pipe.fit(df.sms_message, df.label)
    return df, pipe


SPAM = "WINNER!! You have been selected to receive a £900 prize reward! To claim call 09061701461. Claim code KL341. Valid 12 hours only."


# ---- API ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "LimeTextExplainer.__init__",
        "LimeTextExplainer.explain_instance",
        "IndexedString.__init__",
        "IndexedCharacters.__init__",
        "TextDomainMapper.map_exp_ids",
        "TextDomainMapper.visualize_instance_html",
        "IndexedString.inverse_removing",
        "IndexedString.string_position",
    ],
)
def test_signatures_match_lime(name):
    def sig(module):
        obj = module
        for part in name.split("."):
            obj = getattr(obj, part)
        return list(inspect.signature(obj).parameters.values())

    ours, theirs = sig(rt), sig(lt)
    # lime_rs's additions (issue #17: deduplicate, max_samples, confidence) are
    # keyword-only, after lime's own parameters, so every lime call still binds
    extra = ours[len(theirs) :]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in extra)
    ours = ours[: len(theirs)]
    assert [(p.name, p.default) for p in ours] == [(p.name, p.default) for p in theirs]


def test_import_is_light():
    code = (
        "import sys, lime_rs.lime_text; "
        "bad = [m for m in ('sklearn', 'scipy', 'matplotlib', 'skimage') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_explanation_structure(sms):
    _, pipe = sms
    exp = rt.LimeTextExplainer(class_names=["ham", "spam"], random_state=1).explain_instance(
        SPAM, pipe.predict_proba, num_features=6, num_samples=1000
    )
    assert isinstance(exp, Explanation)
    assert list(exp.local_exp) == [1]
    assert len(exp.as_list()) == 6
    words = [w for w, _ in exp.as_list()]
    assert all(isinstance(w, str) and w in SPAM for w in words)
    assert all(isinstance(v, float) for _, v in exp.as_list())
    weights = [abs(v) for _, v in exp.as_list()]
    assert weights == sorted(weights, reverse=True)
    np.testing.assert_allclose(exp.predict_proba, pipe.predict_proba([SPAM])[0])
    assert isinstance(exp.intercept[1], np.floating)
    assert isinstance(exp.score[1], float) and 0 < exp.score[1] <= 1
    assert exp.local_pred[1].shape == (1,)
    for fid, w in exp.local_exp[1]:
        assert isinstance(fid, np.integer) and isinstance(w, np.floating)
    # positions=True: word_start1-start2, as lime
    for (word, w), (wp, wp_w) in zip(exp.as_list(), exp.as_list(positions=True)):
        assert wp.startswith(word + "_") and w == wp_w
        for start in wp[len(word) + 1 :].split("-"):
            assert SPAM[int(start) : int(start) + len(word)] == word


def test_labels_and_top_labels(sms):
    _, pipe = sms
    explainer = rt.LimeTextExplainer(random_state=0)
    exp = explainer.explain_instance(
        SPAM, pipe.predict_proba, labels=(0, 1), num_features=4, num_samples=500
    )
    assert sorted(exp.local_exp) == [0, 1]
    # two classes: the weights of the two labels are opposite
    w0, w1 = dict(exp.local_exp[0]), dict(exp.local_exp[1])
    for f in set(w0) & set(w1):
        assert w0[f] == pytest.approx(-w1[f])
    assert explainer.class_names == ["0", "1"]  # set on the explainer, as lime
    exp = explainer.explain_instance(
        SPAM, pipe.predict_proba, top_labels=1, num_features=4, num_samples=500
    )
    assert exp.top_labels == [1] and list(exp.local_exp) == [1]
    assert exp.available_labels() == [1]


def test_same_seed_same_explanation_and_different_seeds_differ(sms):
    _, pipe = sms

    def run(seed):
        return (
            rt.LimeTextExplainer(random_state=seed)
            .explain_instance(SPAM, pipe.predict_proba, num_features=6, num_samples=500)
            .as_map()
        )

    assert run(10) == run(10)
    assert run(10) != run(20)
    # successive calls advance the state
    explainer = rt.LimeTextExplainer(random_state=10)
    a = explainer.explain_instance(SPAM, pipe.predict_proba, num_samples=500).as_map()
    b = explainer.explain_instance(SPAM, pipe.predict_proba, num_samples=500).as_map()
    assert a != b


def test_generator_random_state(sms):
    _, pipe = sms
    exps = [
        rt.LimeTextExplainer(random_state=np.random.default_rng(3))
        .explain_instance(SPAM, pipe.predict_proba, num_samples=300)
        .as_map()
        for _ in range(2)
    ]
    assert exps[0] == exps[1]


def test_explainer_pickles_and_continues_identically(sms):
    _, pipe = sms
    explainer = rt.LimeTextExplainer(random_state=5, class_names=["ham", "spam"], bow=False)
    explainer.explain_instance(SPAM, pipe.predict_proba, num_samples=300)
    copy = pickle.loads(pickle.dumps(explainer))
    a = explainer.explain_instance(SPAM, pipe.predict_proba, num_samples=300)
    b = copy.explain_instance(SPAM, pipe.predict_proba, num_samples=300)
    assert a.as_map() == b.as_map()
    assert a.as_list() == b.as_list()
    # explanations pickle too
    c = pickle.loads(pickle.dumps(a))
    assert c.as_list(positions=True) == a.as_list(positions=True)
    assert "Text with highlighted words" in c.as_html()


def test_callable_tokenizer_explainer_pickles(sms):
    _, pipe = sms
    explainer = rt.LimeTextExplainer(random_state=2, split_expression=str.split)
    copy = pickle.loads(pickle.dumps(explainer))
    a = explainer.explain_instance(SPAM, pipe.predict_proba, num_samples=300)
    b = copy.explain_instance(SPAM, pipe.predict_proba, num_samples=300)
    assert a.as_list() == b.as_list()
    assert all(" " not in w for w, _ in a.as_list())
    assert set(a.domain_mapper.indexed_string.inverse_vocab) == set(SPAM.split())


def test_bow_false_explains_positions(sms):
    _, pipe = sms
    text = "free free call now free"
    exp = rt.LimeTextExplainer(bow=False, random_state=0).explain_instance(
        text, pipe.predict_proba, num_features=5, num_samples=500
    )
    named = exp.as_list(positions=True)
    assert sorted(n for n, _ in named) == ["call_10", "free_0", "free_19", "free_5", "now_15"]


def test_char_level(sms):
    _, pipe = sms
    text = "call now"
    seen = []

    def model(texts):
        seen.extend(texts[:50])
        return pipe.predict_proba(texts)

    exp = rt.LimeTextExplainer(char_level=True, random_state=0).explain_instance(
        text, model, num_features=3, num_samples=200
    )
    assert all(len(w) == 1 for w, _ in exp.as_list())
    assert seen[0] == text and all(len(s) < len(text) for s in seen[1:])
    exp = rt.LimeTextExplainer(char_level=True, bow=False, random_state=0).explain_instance(
        text, model, num_features=3, num_samples=200
    )
    assert all(len(s) == len(text) for s in seen[-49:])  # masked with chr(0), not removed
    assert any("\x00" in s for s in seen[-49:])


def test_mask_string_reaches_the_model(sms):
    _, pipe = sms
    seen = []

    def model(texts):
        seen.extend(texts)
        return pipe.predict_proba(texts)

    rt.LimeTextExplainer(bow=False, mask_string="<unk>", random_state=0).explain_instance(
        "call me now", model, num_samples=50
    )
    assert seen[0] == "call me now"
    assert all(s.count(" ") == 2 for s in seen)
    assert any("<unk>" in s for s in seen[1:])


def test_model_receives_a_list_of_str(sms):
    _, pipe = sms
    got = {}

    def model(texts):
        got["type"] = type(texts)
        got["types"] = {type(t) for t in texts}
        got["n"] = len(texts)
        return pipe.predict_proba(texts)

    # deduplicate=False: every perturbed document reaches the model, repeats too
    rt.LimeTextExplainer(random_state=0).explain_instance(SPAM, model, num_samples=123,
                                                          deduplicate=False)  # fmt: skip
    assert got == {"type": list, "types": {str}, "n": 123}


def test_feature_selection_methods_and_model_regressor(sms):
    from sklearn.linear_model import Ridge

    _, pipe = sms
    for method in ["forward_selection", "highest_weights", "none", "auto"]:
        exp = rt.LimeTextExplainer(feature_selection=method, random_state=0).explain_instance(
            SPAM, pipe.predict_proba, num_features=5, num_samples=400
        )
        n = len(exp.as_list())
        assert n == (rt.IndexedString(SPAM).num_words() if method == "none" else 5)
    a = rt.LimeTextExplainer(random_state=0).explain_instance(
        SPAM, pipe.predict_proba, num_features=5, num_samples=400
    )
    b = rt.LimeTextExplainer(random_state=0).explain_instance(
        SPAM,
        pipe.predict_proba,
        num_features=5,
        num_samples=400,
        model_regressor=Ridge(alpha=1, fit_intercept=True),
    )
    assert [w for w, _ in a.as_list()] == [w for w, _ in b.as_list()]
    np.testing.assert_allclose([v for _, v in a.as_list()], [v for _, v in b.as_list()], atol=1e-8)
    assert b.score[1] == pytest.approx(a.score[1])


def test_custom_kernel_and_metrics(sms):
    _, pipe = sms
    calls = []

    def kernel(d, kernel_width):
        calls.append(kernel_width)
        return np.sqrt(np.exp(-(d**2) / kernel_width**2))

    a = rt.LimeTextExplainer(kernel=kernel, kernel_width=30, random_state=0).explain_instance(
        SPAM, pipe.predict_proba, num_samples=300
    )
    b = rt.LimeTextExplainer(kernel_width=30, random_state=0).explain_instance(
        SPAM, pipe.predict_proba, num_samples=300
    )
    assert calls == [30]
    np.testing.assert_allclose(
        [v for _, v in a.as_list()], [v for _, v in b.as_list()], rtol=1e-9, atol=1e-12
    )
    for metric in ["euclidean", "manhattan"]:
        exp = rt.LimeTextExplainer(random_state=0).explain_instance(
            SPAM, pipe.predict_proba, num_samples=300, distance_metric=metric
        )
        assert len(exp.as_list()) == 10


def test_matches_lime_given_the_same_neighbourhood(sms):
    """The local models equal lime's LimeBase on our neighbourhood."""
    from lime.lime_base import LimeBase

    _, pipe = sms
    explainer = rt.LimeTextExplainer(random_state=4)
    ix = rt.IndexedString(SPAM)
    data, labels, distances = explainer._data_labels_distances(ix, pipe.predict_proba, 800)
    ours = rt.LimeTextExplainer(random_state=4).explain_instance(
        SPAM, pipe.predict_proba, labels=(0, 1), num_features=6, num_samples=800
    )
    base = LimeBase(lambda d: np.sqrt(np.exp(-(d**2) / 25**2)))
    for label in (0, 1):
        intercept, exp, score, local_pred = base.explain_instance_with_data(
            data, labels, distances, label, 6
        )
        assert [f for f, _ in ours.local_exp[label]] == [f for f, _ in exp]
        np.testing.assert_allclose(
            [w for _, w in ours.local_exp[label]], [w for _, w in exp], rtol=1e-8
        )
        assert ours.intercept[label] == pytest.approx(intercept, rel=1e-8)
        assert ours.score[label] == pytest.approx(score, rel=1e-8)


def test_verbose_prints_like_lime(sms):
    _, pipe = sms
    buf = io.StringIO()
    with redirect_stdout(buf):
        rt.LimeTextExplainer(verbose=True, random_state=0).explain_instance(
            SPAM, pipe.predict_proba, num_samples=200
        )
    lines = buf.getvalue().splitlines()
    assert [ln.split()[0] for ln in lines] == ["Intercept", "Prediction_local", "Right:"]


def test_thread_count_does_not_change_results(sms, tmp_path):
    _, pipe = sms
    model = tmp_path / "model.pkl"
    model.write_bytes(pickle.dumps(pipe))
    code = (
        "import pickle, sys; from lime_rs.lime_text import LimeTextExplainer; "
        f"pipe = pickle.load(open({str(model)!r}, 'rb')); "
        f"e = LimeTextExplainer(random_state=3).explain_instance({SPAM!r}, pipe.predict_proba, "
        "num_samples=700); print(repr(e.as_list()))"
    )
    outs = []
    for threads in ("1", "2"):
        env = {"LIME_RS_NUM_THREADS": threads, "PATH": "/usr/bin:/bin"}
        res = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        outs.append(res.stdout)
    assert outs[0] == outs[1]


# ---- HTML -------------------------------------------------------------------------


def test_visualize_instance_html(sms):
    _, pipe = sms
    text = "<b>FREE</b> entry & FREE prize: call now"
    exp = rt.LimeTextExplainer(random_state=0).explain_instance(
        text, pipe.predict_proba, num_features=3, num_samples=300
    )
    mapper = exp.domain_mapper
    html = mapper.visualize_instance_html(exp.local_exp[1], 1, "div", "exp")
    assert "<b>" not in html and "&lt;b&gt;" in html and "&amp;" in html
    assert "<script" not in html
    spans = html.count("<span")
    words = dict(exp.as_list())
    expected = sum(len(mapper.indexed_string.string_position(f)) for f, _ in exp.local_exp[1])
    assert spans == expected
    if "FREE" in words:
        assert html.count(">FREE</span>") == 2  # every occurrence
    assert mapper.visualize_instance_html(exp.local_exp[1], 1, "d", "e", text=False) == ""
    solid = mapper.visualize_instance_html(exp.local_exp[1], 1, "d", "e", opacity=False)
    assert ",1.000)" in solid
    page = exp.as_html()
    assert page.startswith("<html>") and "Text with highlighted words" in page
    assert page.count("border-radius:2px") == spans
    assert "<script" not in page and "http" not in page


def test_html_bow_false_highlights_one_occurrence():
    ix = rt.IndexedString("spam ham spam", bow=False)
    html = rt.TextDomainMapper(ix).visualize_instance_html([(2, 0.5)], 1, "d", "e")
    assert html.count("<span") == 1
    assert html.index("<span") > html.index("ham")


# ---- bad input ----------------------------------------------------------------------


def constant(p):
    return lambda texts: np.tile(p, (len(texts), 1))


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"text_instance": ""}, ValueError, "text_instance.*empty"),
        ({"text_instance": "!!! ... ?"}, ValueError, "text_instance.*no words"),
        ({"text_instance": b"bytes"}, TypeError, "text_instance"),
        ({"text_instance": None}, TypeError, "text_instance"),
        ({"num_samples": 1}, ValueError, "num_samples"),
        ({"num_samples": 0}, ValueError, "num_samples"),
        ({"num_samples": 2.5}, TypeError, "num_samples"),
        ({"num_features": 0}, ValueError, "num_features"),
        ({"labels": (2,)}, ValueError, "labels: 2 is not a class"),
        ({"labels": ("spam",)}, TypeError, "labels"),
        ({"labels": 1}, TypeError, "labels"),
        ({"classifier_fn": "predict"}, TypeError, "classifier_fn"),
        ({"top_labels": -1}, ValueError, "top_labels"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    args = {
        "text_instance": "call now for a free prize",
        "classifier_fn": constant([0.3, 0.7]),
        "num_samples": 50,
    }
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        rt.LimeTextExplainer(random_state=0).explain_instance(**args)


@pytest.mark.parametrize(
    "model, exc, match",
    [
        (
            lambda t: np.ones((len(t) - 1, 2)) / 2,
            ValueError,
            "classifier_fn: returned 49 rows for 50",
        ),
        (lambda t: np.ones(len(t)), ValueError, "classifier_fn: must return a 2-D array.*predict"),
        (lambda t: np.ones((len(t), 2, 1)), ValueError, "classifier_fn: must return a 2-D"),
        (lambda t: np.full((len(t), 2), np.nan), ValueError, "classifier_fn: returned NaN"),
        (lambda t: [["a", "b"]] * len(t), TypeError, "classifier_fn"),
        (lambda t: np.ones((len(t), 0)), ValueError, "classifier_fn.*no columns"),
    ],
)
def test_bad_classifier_output(model, exc, match):
    with pytest.raises(exc, match=match):
        rt.LimeTextExplainer(random_state=0).explain_instance(
            "call now for a free prize", model, num_samples=50, deduplicate=False
        )


def test_model_exception_propagates():
    class Boom(Exception):
        pass

    def model(texts):
        raise Boom("model failed")

    with pytest.raises(Boom, match="model failed"):
        rt.LimeTextExplainer().explain_instance("a b c", model, num_samples=10)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"feature_selection": "best"}, ValueError, "feature_selection"),
        ({"split_expression": 3}, TypeError, "split_expression"),
        ({"mask_string": 0}, TypeError, "mask_string"),
        ({"kernel_width": 0}, ValueError, "kernel_width"),
        ({"kernel_width": "wide"}, TypeError, "kernel_width"),
        ({"random_state": "seed"}, TypeError, "random_state"),
    ],
)
def test_bad_constructor_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        rt.LimeTextExplainer(**kwargs)


def test_tokenizer_errors_name_split_expression():
    explainer = rt.LimeTextExplainer(split_expression=lambda s: [1, 2])
    with pytest.raises(TypeError, match="split_expression"):
        explainer.explain_instance("a b", constant([0.5, 0.5]), num_samples=10)


def test_native_rejects_mismatched_data():
    ix = rt.IndexedString("a b c")._native()
    with pytest.raises(ValueError, match="columns"):
        ix.perturbed_strings(np.ones((3, 2)))
    assert _native.TextIndex.from_chars("ab", True, "").num_features() == 2
