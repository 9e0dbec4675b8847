"""LimeTextExplainer.explain_instances: one Explanation per text, equal to
explain_instance called text by text, one classifier call per chunk."""

import numpy as np
import pytest
from _batch_helpers import TEXTS, outputs_per_thread_count, same_explanation, signature, text_model

from lime_rs.lime_text import LimeTextExplainer

KW = {"num_samples": 300, "num_features": 4}


def explainer(seed=7, **kw):
    return LimeTextExplainer(random_state=seed, **kw)


def one_by_one(exp, texts, **kw):
    return [exp.explain_instance(t, text_model, **kw) for t in texts]


@pytest.mark.parametrize("batch_size", [None, 1, 300, 900, 1000, 10**6])
def test_batch_equals_one_by_one(batch_size):
    serial = one_by_one(explainer(), TEXTS, labels=(0, 2), **KW)
    batch = explainer().explain_instances(
        TEXTS, text_model, labels=(0, 2), batch_size=batch_size, **KW
    )
    assert len(batch) == len(TEXTS)
    for a, b in zip(serial, batch):
        same_explanation(a, b)


@pytest.mark.parametrize(
    "kw",
    [
        {"top_labels": 2},
        {"distance_metric": "euclidean"},
        {"labels": (1,), "num_features": 2},
    ],
)
def test_batch_equals_one_by_one_options(kw):
    args = {**KW, **kw}
    serial = one_by_one(explainer(), TEXTS, **args)
    batch = explainer().explain_instances(TEXTS, text_model, batch_size=600, **args)
    for a, b in zip(serial, batch):
        same_explanation(a, b)


def test_model_regressor_and_custom_kernel_match():
    from sklearn.linear_model import Ridge

    def kernel(d, kernel_width):
        return np.exp(-d / kernel_width)

    kw = dict(KW, model_regressor=Ridge(alpha=0.5))
    serial = one_by_one(explainer(kernel=kernel), TEXTS[:3], **kw)
    batch = explainer(kernel=kernel).explain_instances(TEXTS[:3], text_model, **kw)
    for a, b in zip(serial, batch):
        same_explanation(a, b)


def test_random_state_advances_as_one_by_one():
    a, b = explainer(), explainer()
    a.explain_instances(TEXTS, text_model, **KW)
    one_by_one(b, TEXTS, **KW)
    same_explanation(
        a.explain_instance(TEXTS[0], text_model, **KW),
        b.explain_instance(TEXTS[0], text_model, **KW),
    )


def test_model_called_once_per_chunk():
    calls = []

    def model(docs):
        calls.append(len(docs))
        return text_model(docs)

    # deduplicate=False: every perturbed document counts toward the chunks
    explainer().explain_instances(TEXTS, model, batch_size=600, deduplicate=False, **KW)
    assert calls == [600, 600, 300]
    calls.clear()
    explainer().explain_instances(TEXTS, model, deduplicate=False, **KW)
    assert calls == [1500]


def test_results_do_not_depend_on_thread_count():
    code = (
        "import pickle, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from _batch_helpers import TEXTS, signature, text_model\n"
        "from lime_rs.lime_text import LimeTextExplainer\n"
        "e = LimeTextExplainer(random_state=3)\n"
        "out = e.explain_instances(TEXTS, text_model, num_samples=300, num_features=4)\n"
        "sys.stdout.buffer.write(pickle.dumps(signature(out)))\n"
    )
    results = outputs_per_thread_count(code)
    assert results[0] == results[1]
    serial = one_by_one(explainer(3), TEXTS, **KW)
    assert results[0] == signature(serial)


def test_empty_batch_returns_empty_list():
    def model(docs):
        raise AssertionError("must not be called")

    assert explainer().explain_instances([], model, **KW) == []
    assert explainer().explain_instances(iter(()), model, **KW) == []


def test_bad_input():
    with pytest.raises(TypeError, match="texts: expected a list of str, got a single str"):
        explainer().explain_instances("one text", text_model)
    with pytest.raises(TypeError, match=r"texts\[1\]: expected a str, got int"):
        explainer().explain_instances(["ok", 3], text_model)
    with pytest.raises(TypeError, match="texts: expected a list of str"):
        explainer().explain_instances(5, text_model)
    with pytest.raises(ValueError, match=r"texts\[1\]: text_instance: is an empty string"):
        explainer().explain_instances(["ok text", ""], text_model, **KW)
    with pytest.raises(ValueError, match="batch_size: must be at least 1"):
        explainer().explain_instances(TEXTS, text_model, batch_size=0)
    with pytest.raises(TypeError, match="classifier_fn: expected a callable"):
        explainer().explain_instances(TEXTS, "model")

    def short(docs):
        return text_model(docs)[:-1]

    with pytest.raises(ValueError, match="classifier_fn: returned 1499 rows for 1500 texts"):
        explainer().explain_instances(TEXTS, short, deduplicate=False, **KW)


def test_model_failing_mid_batch_propagates():
    class Boom(RuntimeError):
        pass

    calls = []

    def model(docs):
        calls.append(1)
        if len(calls) == 2:
            raise Boom("model failed")
        return text_model(docs)

    with pytest.raises(Boom, match="model failed"):
        explainer().explain_instances(TEXTS, model, batch_size=600, **KW)
    assert len(calls) == 2


def test_progress_bar(capsys):
    out = explainer().explain_instances(TEXTS, text_model, progress_bar=True, batch_size=600, **KW)
    assert len(out) == len(TEXTS)
    err = capsys.readouterr().err
    assert "5/5" in err
