"""LimeTextExplainer against lime's on real documents and scikit-learn
pipelines. What is compared is the overhead: wall time minus the time spent
inside the model (the same model, on as many texts, in both), and the peak
memory of one explanation (measured in a fresh process for each).

    make bench   # or: .venv/bin/python -m pytest benches/bench_text.py -q -s
"""

import json
import pathlib
import pickle
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from conftest import PEAK_RSS  # noqa: E402
from lime.lime_text import LimeTextExplainer as RefExplainer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from lime_rs.lime_text import LimeTextExplainer

DATA = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data"
NUM_SAMPLES = 5000


class TimedModel:
    """Wraps predict_proba and accumulates the time spent in it."""

    def __init__(self, predict):
        self.predict = predict
        self.seconds = 0.0

    def __call__(self, texts):
        t = time.perf_counter()
        out = self.predict(texts)
        self.seconds += time.perf_counter() - t
        return out


def best_overhead(cls, doc, predict, num_features, rounds):
    """Smallest (wall - model) time of one explanation over ``rounds`` seeds."""
    best = float("inf")
    for seed in range(rounds):
        model = TimedModel(predict)
        explainer = cls(random_state=seed)
        t = time.perf_counter()
        explainer.explain_instance(doc, model, num_features=num_features, num_samples=NUM_SAMPLES)
        best = min(best, time.perf_counter() - t - model.seconds)
    return best


@pytest.fixture(scope="module")
def long_doc():
    """The longest of the first 50 Library Reference documents (730 words)."""
    df = pd.read_csv(DATA / "python_docs.csv")
    pipe = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
    pipe.fit(df.text, df.category)
    first = df.text[:50]
    doc = first[first.str.split().str.len().idxmax()]
    return doc, pipe


@pytest.fixture(scope="module")
def sms():
    df = pd.read_csv(DATA / "sms_spam.tsv", sep="\t")
    pipe = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
    pipe.fit(df.sms_message, df.label)
    doc = df.sms_message[df.sms_message.str.split().str.len() == 20].iloc[0]
    return doc, pipe


def run_compare(compare, name, doc, pipe, num_features, target, rounds=(3, 2)):
    def ours():
        LimeTextExplainer(random_state=0).explain_instance(
            doc, pipe.predict_proba, num_features=num_features, num_samples=NUM_SAMPLES
        )

    def reference():
        RefExplainer(random_state=0).explain_instance(
            doc, pipe.predict_proba, num_features=num_features, num_samples=NUM_SAMPLES
        )

    ratio = compare(
        name,
        ours,
        reference,
        target,
        ours_overhead=lambda: best_overhead(
            LimeTextExplainer, doc, pipe.predict_proba, num_features, rounds[0]
        ),
        reference_overhead=lambda: best_overhead(
            RefExplainer, doc, pipe.predict_proba, num_features, rounds[1]
        ),
    )
    print(f"\n{name}: overhead ratio lime / lime_rs = {ratio:.1f}x (target {target}x)")
    return ratio


@pytest.mark.parametrize("num_features", [10, 6])
def test_long_document_overhead(compare, long_doc, num_features):
    doc, pipe = long_doc
    run_compare(
        compare,
        f"text overhead: long document ({len(doc.split())} words) 5000 samples nf={num_features}",
        doc,
        pipe,
        num_features,
        target=20,
    )


def test_sms_overhead(compare, sms):
    doc, pipe = sms
    run_compare(
        compare,
        "text overhead: 20-word SMS 5000 samples nf=10",
        doc,
        pipe,
        10,
        target=20,
        rounds=(5, 3),
    )


PEAK_SCRIPT = r"""
import json, pickle, sys
module, model_path, doc_path, nf = sys.argv[1:5]
pipe = pickle.load(open(model_path, "rb"))
doc = open(doc_path, encoding="utf-8").read()
if module == "lime_rs":
    from lime_rs.lime_text import LimeTextExplainer
else:
    from lime.lime_text import LimeTextExplainer
explainer = LimeTextExplainer(random_state=0)
explainer.explain_instance(doc, pipe.predict_proba, num_features=int(nf), num_samples=50)

base = reset_peak()
explainer.explain_instance(doc, pipe.predict_proba, num_features=int(nf), num_samples=5000)
print(json.dumps({"peak_delta": peak_delta(base), "resettable": _resettable}))
"""


def peak_delta(module, model_path, doc_path, nf):
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            PEAK_RSS + PEAK_SCRIPT,
            module,
            str(model_path),
            str(doc_path),
            str(nf),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("which", ["long_doc", "sms"])
def test_peak_memory(request, tmp_path, benchmark, which):
    doc, pipe = request.getfixturevalue(which)
    model_path, doc_path = tmp_path / "model.pkl", tmp_path / "doc.txt"
    model_path.write_bytes(pickle.dumps(pipe))
    doc_path.write_text(doc, encoding="utf-8")
    ours = peak_delta("lime_rs", model_path, doc_path, 10)
    theirs = peak_delta("lime", model_path, doc_path, 10)
    benchmark.extra_info.update(
        lime_rs_peak_mb=ours["peak_delta"] / 2**20, lime_peak_mb=theirs["peak_delta"] / 2**20
    )
    benchmark.pedantic(lambda: None, rounds=1)
    print(
        f"\npeak memory of one explanation ({which}): lime_rs "
        f"{ours['peak_delta'] / 2**20:.1f} MB, lime {theirs['peak_delta'] / 2**20:.1f} MB "
        f"(peak reset: {ours['resettable']})"
    )
    assert ours["peak_delta"] <= max(theirs["peak_delta"], 0) * 1.05 + 2**20


def test_strings_are_what_lime_would_build(long_doc):
    """Sanity: the benchmark explains the same document the same way."""
    doc, pipe = long_doc
    a = LimeTextExplainer(random_state=0).explain_instance(
        doc, pipe.predict_proba, num_features=10, num_samples=NUM_SAMPLES
    )
    b = RefExplainer(random_state=0).explain_instance(
        doc, pipe.predict_proba, num_features=10, num_samples=NUM_SAMPLES
    )
    top_a = {w for w, _ in a.as_list()[:5]}
    top_b = {str(w) for w, _ in b.as_list()[:5]}
    assert len(top_a & top_b) >= 3
    assert np.isfinite([w for _, w in a.as_list()]).all()
