"""make demo: train scikit-learn models on bundled datasets, explain one
prediction each with lime_rs, print the explanations and write them as HTML
(into out/)."""

import pathlib
import time

import numpy as np

OUT = pathlib.Path(__file__).resolve().parents[1] / "out"
DATA = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data"


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return result, (time.perf_counter() - t) * 1e3


def show(title, exp, label, took_ms, filename):
    print(f"\n== {title} ({took_ms:.1f} ms)")
    for name, weight in exp.as_list(label=label):
        print(f"  {name:45s} {weight:+.4f}")
    exp.save_to_file(OUT / filename)
    print(f"  wrote {OUT / filename}")


def tabular_demo():
    from sklearn.datasets import load_breast_cancer, load_diabetes
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from lime_rs.lime_tabular import LimeTabularExplainer

    data = load_breast_cancer()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(
        data.data, data.target
    )
    explainer = LimeTabularExplainer(
        data.data,
        feature_names=list(data.feature_names),
        class_names=list(data.target_names),
        random_state=0,
    )
    exp, ms = timed(
        lambda: explainer.explain_instance(data.data[7], model.predict_proba, num_features=6)
    )
    proba = exp.predict_proba
    print(
        f"\nBreast cancer row 7: predicted {data.target_names[proba.argmax()]} ({proba.max():.3f})"
    )
    show(
        "tabular classification (breast cancer, quartile bins)",
        exp,
        1,
        ms,
        "tabular_breast_cancer.html",
    )

    reg = load_diabetes()
    forest = RandomForestRegressor(n_estimators=50, random_state=0).fit(reg.data, reg.target)
    explainer = LimeTabularExplainer(
        reg.data, mode="regression", feature_names=list(reg.feature_names), random_state=0
    )
    exp, ms = timed(lambda: explainer.explain_instance(reg.data[3], forest.predict, num_features=5))
    show(
        "tabular regression (diabetes, random forest)",
        exp,
        1,
        ms,
        "tabular_diabetes_regression.html",
    )


def text_demo():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from lime_rs.lime_text import LimeTextExplainer

    rows = [
        line.split("\t", 1)
        for line in (DATA / "sms_spam.tsv").read_text(encoding="utf8").splitlines()[1:]
    ]
    labels = np.array([r[0] == "spam" for r in rows], dtype=int)
    texts = [r[1] for r in rows]
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000)).fit(texts, labels)
    explainer = LimeTextExplainer(class_names=["ham", "spam"], random_state=0)
    doc = next(t for t, y in zip(texts, labels, strict=True) if y == 1 and len(t.split()) > 15)
    exp, ms = timed(lambda: explainer.explain_instance(doc, model.predict_proba, num_features=8))
    print(f"\nSMS: {doc!r}")
    show(
        "text classification (SMS spam, TF-IDF + logistic regression)",
        exp,
        1,
        ms,
        "text_sms_spam.html",
    )


def image_demo():
    from skimage import data as images
    from skimage.transform import resize

    from lime_rs.lime_image import LimeImageExplainer

    image = (resize(images.astronaut(), (160, 160), anti_aliasing=True) * 255).astype(np.uint8)
    yy, xx = np.mgrid[:160, :160]
    face = ((yy - 45) ** 2 + (xx - 80) ** 2 < 30**2)[None]

    def classifier(batch):
        """A cheap, transparent 'model': how much of the face region is left unperturbed."""
        visible = (batch == image).all(axis=3) & face
        p = visible.sum(axis=(1, 2)) / face.sum()
        return np.c_[1 - p, p]

    explainer = LimeImageExplainer(random_state=0)
    explainer.explain_instance(image, classifier, num_samples=50, progress_bar=False)  # warm-up
    exp, ms = timed(
        lambda: explainer.explain_instance(
            image, classifier, top_labels=2, num_samples=500, batch_size=100, progress_bar=False
        )
    )
    print(
        f"\n== image (astronaut 160x160, {len(np.unique(exp.segments))} quickshift segments, {ms:.1f} ms)"
    )
    for seg, weight in exp.local_exp[1][:5]:
        print(f"  superpixel {seg:4d} {weight:+.4f}")
    _, mask = exp.get_image_and_mask(1, positive_only=True, num_features=5, hide_rest=False)
    inside = (mask.astype(bool) & face[0]).sum() / max(mask.astype(bool).sum(), 1)
    print(f"  share of the top-5 superpixels' area inside the face region: {inside:.2f}")


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    tabular_demo()
    text_demo()
    image_demo()
