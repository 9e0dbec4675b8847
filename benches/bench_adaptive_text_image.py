"""Certified adaptive sampling (issue #17) on text and images: for each case,
over SEEDS seeds, the classifier rows ``num_samples="auto"`` uses against a
fixed neighbourhood (text 5000, images 1000: lime's defaults; without and
with ``deduplicate``), its certified share, the top-k Jaccard of both
against a converged reference (REFERENCE rows, or the exact enumeration)
and the wall time with the model. A ratio table, not a timed test.

    PYTHONPATH=python .venv/bin/python -m pytest benches/bench_adaptive_text_image.py -q -s
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

SEEDS = 8
REFERENCE = 40_000
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


class Counting:
    def __init__(self, fn):
        self.fn, self.rows = fn, 0

    def __call__(self, x):
        self.rows += len(x)
        return self.fn(x)


def top_set(exp, label, k):
    return {f for f, _ in sorted(exp.local_exp[label], key=lambda t: -abs(t[1]))[:k]}


def jaccard(a, b):
    return len(a & b) / len(a | b) if a | b else 1.0


def _text_cases():
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    sms = pd.read_csv(DATA / "sms_spam.tsv", sep="\t")
    spam = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
    spam.fit(sms.sms_message, sms.label)
    docs = pd.read_csv(DATA / "python_docs.csv")
    topic = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
    topic.fit(docs.text, docs.category)
    msgs = [
        "Ok lar... Joking wif u oni...",  # 6 words: exact
        sms.sms_message[2],  # spam, ~28 words
        "WINNER!! As a valued network customer you have been selected to receivea £900 prize "
        "reward! To claim call 09061701461. Claim code KL341. Valid 12 hours only.",
        "I'm gonna be home soon and i don't want to talk about this stuff anymore tonight, k? "
        "I've cried enough today.",
    ]
    for i, m in enumerate(msgs):
        for k in (5, 10):
            yield f"sms {i} k={k}", m, spam.predict_proba, k, 1
    long_doc = docs.text[0]
    label = int(np.argmax(topic.predict_proba([long_doc])[0]))
    for k in (5, 10):
        yield f"python_docs[0] ({len(long_doc.split())} words) k={k}", long_doc, \
            topic.predict_proba, k, label  # fmt: skip


def _image_cases():
    from skimage import data
    from skimage.transform import resize

    img = (resize(data.chelsea(), (120, 180), anti_aliasing=True) * 255).astype(np.uint8)
    w = np.random.default_rng(0).normal(size=(6, 9, 3))

    def cheap_cnn(batch):
        # a fixed "network": colour means on a 6x9 grid, one linear layer, softmax
        b = np.asarray(batch, dtype=np.float64) / 255
        n, h, wd, _ = b.shape
        pooled = b.reshape(n, 6, h // 6, 9, wd // 9, 3).mean(axis=(2, 4))
        z = np.einsum("nijc,ijc->n", pooled, w)
        z2 = pooled[:, 2:4, 3:6, 0].mean(axis=(1, 2)) * 8
        logits = np.c_[np.zeros(n), z, z2 - 2]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def grid(im):
        return (np.arange(im.shape[0])[:, None] * 3 // im.shape[0]) * 3 + (
            np.arange(im.shape[1])[None, :] * 3 // im.shape[1]
        )

    for k in (3, 5):
        yield f"chelsea quickshift k={k}", img, cheap_cnn, None, k
        yield f"chelsea 3x3 grid k={k}", img, cheap_cnn, grid, k


def _row(name, ref, autos, fixeds, label, k, fixed_n):
    jac_a = [jaccard(top_set(e, label, k), ref) for e, _, _ in autos]
    jac_f = [jaccard(top_set(e, label, k), ref) for e, _, _ in fixeds]
    rows_a = [r for _, r, _ in autos]
    return {
        "case": name,
        "auto rows": float(np.median(rows_a)),
        "auto max rows": int(max(rows_a)),
        "fixed rows": fixed_n,
        "fixed+dedupe rows": float(np.median([r for _, r, _ in fixeds])),
        "certified": float(np.mean([e.sampling["certified"] for e, _, _ in autos])),
        "exact": bool(autos[0][0].sampling.get("exact")),
        "jaccard auto": float(np.mean(jac_a)),
        "jaccard fixed": float(np.mean(jac_f)),
        "time auto": float(np.median([t for _, _, t in autos])),
        "time fixed": float(np.median([t for _, _, t in fixeds])),
    }


def _print(table, title):
    print(f"\n{title}")
    print("| case | auto rows (median/max) | fixed rows (dedupe) | certified | exact | Jaccard auto "
          "| Jaccard fixed | time auto / fixed |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for r in table:
        print(f"| {r['case']} | {r['auto rows']:.0f} / {r['auto max rows']} | {r['fixed rows']} "
              f"({r['fixed+dedupe rows']:.0f}) | {r['certified']:.2f} | {r['exact']} | "
              f"{r['jaccard auto']:.2f} | {r['jaccard fixed']:.2f} | "
              f"{r['time auto'] * 1e3:.0f} / {r['time fixed'] * 1e3:.0f} ms |")  # fmt: skip
    ratio = np.median([r["fixed rows"] / max(r["auto rows"], 1) for r in table])
    print(f"median rows ratio fixed/auto: {ratio:.1f}x")


def _timed(model, explain, *args, **kwargs):
    """(explanation, classifier rows, seconds) of ``explain(*args, **kwargs)``."""
    model.rows = 0
    t = time.perf_counter()
    exp = explain(*args, **kwargs)
    return exp, model.rows, time.perf_counter() - t


def test_text_auto_rows_and_stability():
    from lime_rs._enumerate import max_enumerable_features
    from lime_rs.lime_text import IndexedString, LimeTextExplainer

    table = []
    for name, text, predict, k, label in _text_cases():
        model = Counting(predict)
        explainer = LimeTextExplainer(random_state=77)
        d = IndexedString(text).num_words()
        # the exact enumeration where it fits in REFERENCE rows, else REFERENCE samples
        ref_n = "auto" if d <= max_enumerable_features(REFERENCE) else REFERENCE
        ref_exp = explainer.explain_instance(text, predict, labels=(label,), num_features=k,
                                             num_samples=ref_n, max_samples=REFERENCE)  # fmt: skip
        name = f"{name} d={d}"
        ref = top_set(ref_exp, label, k)
        autos, fixeds = [], []
        for s in range(SEEDS):
            e = LimeTextExplainer(random_state=1000 + s)
            autos.append(
                _timed(
                    model,
                    e.explain_instance,
                    text,
                    model,
                    labels=(label,),
                    num_features=k,
                    num_samples="auto",
                )
            )
            e = LimeTextExplainer(random_state=1000 + s)
            fixeds.append(
                _timed(
                    model,
                    e.explain_instance,
                    text,
                    model,
                    labels=(label,),
                    num_features=k,
                    num_samples=5000,
                )
            )
        table.append(_row(name, ref, autos, fixeds, label, k, 5000))
    _print(table, "text: num_samples='auto' vs fixed 5000")


def test_image_auto_rows_and_stability():
    from lime_rs._enumerate import max_enumerable_features
    from lime_rs.lime_image import LimeImageExplainer

    table = []
    for name, img, predict, seg, k in _image_cases():
        model = Counting(predict)
        kw = dict(top_labels=None, labels=(1,), num_features=k, segmentation_fn=seg,
                  progress_bar=False, batch_size=500, random_seed=3)  # fmt: skip
        explainer = LimeImageExplainer(random_state=77)
        segments = explainer.explain_instance(img, predict, num_samples=2, **kw).segments
        d = len(np.unique(segments))
        ref_n = "auto" if d <= max_enumerable_features(REFERENCE) else REFERENCE
        ref_exp = explainer.explain_instance(img, predict, num_samples=ref_n,
                                             max_samples=REFERENCE, **kw)  # fmt: skip
        name = f"{name} d={d}"
        ref = top_set(ref_exp, 1, k)
        for budget in (1000, 5000):
            autos, fixeds = [], []
            for s in range(SEEDS):
                e = LimeImageExplainer(random_state=1000 + s)
                autos.append(
                    _timed(
                        model,
                        e.explain_instance,
                        img,
                        model,
                        num_samples="auto",
                        max_samples=budget,
                        **kw,
                    )
                )
                e = LimeImageExplainer(random_state=1000 + s)
                fixeds.append(
                    _timed(model, e.explain_instance, img, model, num_samples=budget, **kw)
                )
            table.append(_row(f"{name} (max {budget})", ref, autos, fixeds, 1, k, budget))
    _print(table, "image: num_samples='auto' (max_samples=budget) vs fixed budget")
