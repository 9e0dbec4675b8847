"""num_samples="auto" on the tabular explainers (issue #17): the public API
over lime_rs._adaptive. What a user sees: exp.sampling, fewer model rows when
the explanation is clear, one model call per round for a batch, results that
do not depend on batch_size or threads, clear errors and fallbacks, records
(schema version 2, version 1 still loads) and the HTML line."""

import json
import shutil

import numpy as np
import pytest
from _batch_helpers import outputs_per_thread_count, signature

from lime_rs import _adaptive, _html
from lime_rs.explanation import Explanation
from lime_rs.lime_tabular import LimeTabularExplainer, RecurrentTabularExplainer

KEYS = {"num_samples", "rounds", "certified", "confidence", "max_samples", "adaptive", "reason"}


@pytest.fixture(scope="module")
def iris():
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    x, y = load_iris(return_X_y=True)
    return x, RandomForestClassifier(n_estimators=30, random_state=0, n_jobs=1).fit(x, y)


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(x, y)
    return x, model


class Counting:
    """A model that records the number of rows of every call."""

    def __init__(self, fn):
        self.fn, self.calls = fn, []

    def __call__(self, z):
        self.calls.append(len(z))
        return self.fn(z)


def test_clear_explanation_is_certified_with_few_rows(iris):
    x, model = iris
    f = Counting(model.predict_proba)
    exp = LimeTabularExplainer(x, random_state=0).explain_instance(
        x[0], f, num_samples="auto", num_features=2, labels=(0,)
    )
    s = exp.sampling
    assert set(s) == KEYS
    assert s["certified"] and s["adaptive"] and s["reason"] is None
    assert s["confidence"] == 0.95 and s["max_samples"] == 5000
    assert s["num_samples"] == sum(f.calls) < 5000
    assert s["rounds"] == len(f.calls)
    assert len(exp.as_list(label=0)) == 2
    assert exp.explainer_settings["num_samples"] == "auto"
    assert exp.explainer_settings["max_samples"] == 5000


def test_first_round_is_the_fixed_neighbourhood(iris):
    # certified at round 1: the explanation of num_samples=250 with the same seed
    x, model = iris
    auto = LimeTabularExplainer(x, random_state=4).explain_instance(
        x[0], model.predict_proba, num_samples="auto", num_features=2, labels=(0,)
    )
    assert auto.sampling["rounds"] == 1 and auto.sampling["num_samples"] == 250
    fixed = LimeTabularExplainer(x, random_state=4).explain_instance(
        x[0], model.predict_proba, num_samples=250, num_features=2, labels=(0,)
    )
    assert auto.seed == fixed.seed
    assert signature([auto]) == signature([fixed])
    assert auto.local_exp_stderr == fixed.local_exp_stderr


def test_integer_num_samples_records_a_fixed_sampling(iris):
    x, model = iris
    exp = LimeTabularExplainer(x, random_state=0).explain_instance(
        x[0], model.predict_proba, num_samples=300
    )
    assert exp.sampling == _adaptive.fixed_sampling(300)
    assert exp.sampling["certified"] is False and exp.sampling["adaptive"] is False
    assert exp.explainer_settings["num_samples"] == 300
    assert "max_samples" not in exp.explainer_settings
    assert "lime-rs-sampling" not in exp.as_html()  # nothing claimed, nothing shown


def test_max_samples_caps_the_rows_and_says_so(cancer):
    x, model = cancer
    f = Counting(model.predict_proba)
    exp = LimeTabularExplainer(x, random_state=0).explain_instance(
        x[5], f, num_samples="auto", num_features=10, max_samples=600
    )
    s = exp.sampling
    assert sum(f.calls) == s["num_samples"] <= 600
    if not s["certified"]:
        assert s["num_samples"] == 600 and s["reason"] == _adaptive.REASON_MAX_SAMPLES


def test_batch_is_one_model_call_per_round_and_rows_drop_out(cancer):
    x, model = cancer
    f = Counting(model.predict_proba)
    exps = LimeTabularExplainer(x, random_state=2).explain_instances(
        x[:8], f, num_samples="auto", num_features=3, max_samples=2000
    )
    rounds = [e.sampling["rounds"] for e in exps]
    assert len(f.calls) == max(rounds)
    assert sum(f.calls) == sum(e.sampling["num_samples"] for e in exps)
    # round r asks about the rows still uncertified after round r - 1
    assert f.calls[0] == 8 * 250
    active = [sum(1 for e in exps if e.sampling["rounds"] > r) for r in range(max(rounds))]
    assert active == sorted(active, reverse=True)


@pytest.mark.parametrize("batch_size", [1, 3000, 100_000])
def test_batch_equals_rows_one_by_one_for_any_batch_size(cancer, batch_size):
    x, model = cancer
    kw = dict(num_samples="auto", num_features=3, max_samples=2000)
    e = LimeTabularExplainer(x, random_state=5)
    serial = [e.explain_instance(r, model.predict_proba, **kw) for r in x[10:16]]
    batch = LimeTabularExplainer(x, random_state=5).explain_instances(
        x[10:16], model.predict_proba, batch_size=batch_size, **kw
    )
    assert signature(batch) == signature(serial)
    assert [b.sampling for b in batch] == [s.sampling for s in serial]
    assert [b.seed for b in batch] == [s.seed for s in serial]


def test_results_do_not_depend_on_thread_count():
    code = (
        "import pickle, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from _batch_helpers import LogisticModel, cancer_data, signature\n"
        "from lime_rs.lime_tabular import LimeTabularExplainer\n"
        "X = cancer_data()\n"
        "e = LimeTabularExplainer(X, random_state=9)\n"
        "out = e.explain_instances(X[:6], LogisticModel(X).predict_proba, num_samples='auto',\n"
        "                          num_features=4, max_samples=3000)\n"
        "sys.stdout.buffer.write(pickle.dumps((signature(out), [o.sampling for o in out])))\n"
    )
    results = outputs_per_thread_count(code)
    assert results[0] == results[1]


def test_regression_top_labels_recurrent_and_options(iris):
    from sklearn.linear_model import Ridge

    x, model = iris
    reg = Ridge().fit(x[:, 1:], x[:, 0])
    e = LimeTabularExplainer(x[:, 1:], mode="regression", random_state=0)
    exp = e.explain_instance(x[3, 1:], reg.predict, num_samples="auto", num_features=2)
    assert exp.sampling["adaptive"] and set(exp.local_exp) == {0, 1}
    assert exp.predicted_value == pytest.approx(reg.predict(x[3:4, 1:])[0])
    assert exp.min_value <= exp.predicted_value <= exp.max_value

    exp = LimeTabularExplainer(x, random_state=0).explain_instance(
        x[60], model.predict_proba, num_samples="auto", num_features=2, top_labels=2
    )
    assert len(exp.top_labels) == 2 and set(exp.local_exp) == set(exp.top_labels)

    # no discretizer, cosine distances, samples around the instance
    e = LimeTabularExplainer(x, discretize_continuous=False, sample_around_instance=True,
                             random_state=0)  # fmt: skip
    exp = e.explain_instance(x[60], model.predict_proba, num_samples="auto", num_features=2,
                             distance_metric="cosine", max_samples=1000)  # fmt: skip
    assert exp.sampling["num_samples"] <= 1000

    series = np.random.default_rng(0).normal(size=(40, 3, 2))

    def rnn(z):
        p = 1 / (1 + np.exp(-z[:, :, 0].sum(axis=1)))
        return np.column_stack([1 - p, p])

    r = RecurrentTabularExplainer(series, random_state=0)
    one = r.explain_instance(series[0], rnn, num_samples="auto", num_features=2)
    many = RecurrentTabularExplainer(series, random_state=0).explain_instances(
        series[:1], rnn, num_samples="auto", num_features=2
    )
    assert one.sampling["adaptive"] and signature([one]) == signature(many)


def test_model_regressor_and_sparse_rows_fall_back_to_max_samples(iris):
    import scipy.sparse as sp
    from sklearn.linear_model import Ridge

    x, model = iris
    f = Counting(model.predict_proba)
    exp = LimeTabularExplainer(x, random_state=0).explain_instance(
        x[0], f, num_samples="auto", model_regressor=Ridge(), max_samples=400
    )
    assert f.calls == [400]
    s = exp.sampling
    assert s["num_samples"] == 400 and not s["certified"] and s["adaptive"]
    assert s["reason"].startswith("model_regressor")
    batch = LimeTabularExplainer(x, random_state=0).explain_instances(
        x[:2], model.predict_proba, num_samples="auto", model_regressor=Ridge(), max_samples=400
    )
    assert [b.sampling for b in batch] == [s, s]

    xs = sp.csr_matrix(x)
    e = LimeTabularExplainer(xs, discretize_continuous=False, random_state=0)
    exp = e.explain_instance(xs[0], model.predict_proba, num_samples="auto", max_samples=300)
    assert exp.sampling["num_samples"] == 300 and exp.sampling["reason"].startswith("sparse")


def test_bad_arguments_name_themselves(iris):
    x, model = iris
    e = LimeTabularExplainer(x, random_state=0)
    bad = [
        (dict(num_samples="Auto"), ValueError, "num_samples.*'auto'"),
        (dict(num_samples="5000"), ValueError, "num_samples.*'auto'"),
        (dict(num_samples=2.5), TypeError, "num_samples: expected an integer or 'auto'"),
        (dict(num_samples=1), ValueError, "num_samples: must be at least 2"),
        (dict(num_samples="auto", max_samples=1), ValueError, "max_samples: must be at least 2"),
        (dict(num_samples="auto", max_samples=100.0), TypeError, "max_samples"),
        (dict(num_samples="auto", confidence=1.0), ValueError, "confidence"),
        (dict(num_samples="auto", confidence=0), ValueError, "confidence"),
        (dict(num_samples="auto", confidence="0.9"), TypeError, "confidence"),
    ]
    for kwargs, exc, match in bad:
        with pytest.raises(exc, match=match):
            e.explain_instance(x[0], model.predict_proba, **kwargs)
        with pytest.raises(exc, match=match):
            e.explain_instances(x[:2], model.predict_proba, **kwargs)
    rows = x[:2].copy()
    rows[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"data\[1\]"):
        e.explain_instances(rows, model.predict_proba, num_samples="auto")


def test_sampling_is_in_the_record_and_v1_records_load(iris):
    x, model = iris
    exp = LimeTabularExplainer(x, random_state=0).explain_instance(
        x[0], model.predict_proba, num_samples="auto", num_features=2, labels=(0,)
    )
    record = json.loads(exp.to_json())
    assert record["schema_version"] == 2 and record["sampling"] == exp.sampling
    loaded = Explanation.from_json(exp.to_json())
    assert loaded.sampling == exp.sampling
    assert loaded.as_html() == exp.as_html()

    v1 = dict(record, schema_version=1)
    del v1["sampling"]
    old = Explanation.from_dict(v1)
    assert old.sampling is None and old.as_list(label=0) == exp.as_list(label=0)

    missing = dict(record)
    del missing["sampling"]
    with pytest.raises(ValueError, match="missing field 'sampling'"):
        Explanation.from_dict(missing)
    assert Explanation.from_dict(dict(record, sampling=None)).sampling is None
    bad_values = [
        ("num_samples", 0, "sampling.num_samples"),
        ("num_samples", "250", "sampling.num_samples"),
        ("rounds", None, "sampling.rounds"),
        ("certified", 1, "sampling.certified"),
        ("confidence", 1.5, "sampling.confidence"),
        ("max_samples", -1, "sampling.max_samples"),
        ("adaptive", "yes", "sampling.adaptive"),
        ("reason", 3, "sampling.reason"),
    ]
    for key, value, path in bad_values:
        with pytest.raises(ValueError, match=path.replace(".", r"\.")):
            Explanation.from_dict(dict(record, sampling=dict(record["sampling"], **{key: value})))
    with pytest.raises(ValueError, match=r"sampling\.confidence"):
        Explanation.from_dict(dict(record, sampling=dict(record["sampling"], confidence=None)))
    with pytest.raises(ValueError, match="'sampling'"):
        Explanation.from_dict(dict(record, sampling=[1]))


def test_html_shows_one_sampling_line(iris):
    x, model = iris
    exp = LimeTabularExplainer(x, random_state=0).explain_instance(
        x[0], model.predict_proba, num_samples="auto", num_features=2, labels=(0,)
    )
    n = exp.sampling["num_samples"]
    page = exp.as_html()
    assert page.count("lime-rs-sampling") == 1
    assert f"certified at 95% after {n:,} model rows" in page
    assert "lime-rs-sampling" in exp._repr_html_()
    s = _adaptive.sampling_record(5000, 6, False, 0.99, 5000, True, _adaptive.REASON_MAX_SAMPLES)
    assert _html.sampling_text(s) == (
        "not certified at 99%: 5,000 model rows (max_samples reached; 6 rounds)"
    )
    assert _html.sampling_text(_adaptive.fixed_sampling(5000)) is None
    assert _html.sampling_text(None) is None


@pytest.mark.browser
def test_sampling_line_renders_in_a_browser(iris, tmp_path):
    from test_browser import Dom, dump_dom

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("headless chromium is needed (apt-get install -y chromium)")
    x, model = iris
    exp = LimeTabularExplainer(x, random_state=0).explain_instance(
        x[0], model.predict_proba, num_samples="auto", num_features=2, labels=(0,)
    )
    exp.save_to_file(tmp_path / "auto.html")
    prof = tmp_path / "profile"
    (prof / "Default").mkdir(parents=True)
    (prof / "Default" / "Preferences").write_text(
        '{"profile":{"default_content_setting_values":{"javascript":2}}}'
    )
    text = Dom(dump_dom(path, prof, tmp_path / "auto.html")).text
    assert _html.sampling_text(exp.sampling) in text


def test_text_sampling_round_trips_through_the_record():
    # the text explainer's sampling (rows, exact) is part of the same record
    from lime_rs.lime_text import LimeTextExplainer

    def spam(texts):
        p = np.array([0.9 if "free" in t else 0.2 for t in texts])
        return np.column_stack([1 - p, p])

    exp = LimeTextExplainer(random_state=0).explain_instance(
        "free prize call now", spam, num_features=2, num_samples="auto"
    )
    assert exp.sampling["adaptive"]
    loaded = Explanation.from_json(exp.to_json())
    assert loaded.sampling == exp.sampling
    assert _html.sampling_text(exp.sampling) in loaded.as_html()
    record = json.loads(exp.to_json())
    with pytest.raises(ValueError, match=r"sampling\.rows"):
        Explanation.from_dict(dict(record, sampling=dict(record["sampling"], rows=0)))
