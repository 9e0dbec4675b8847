"""Writes example explanation views: HTML pages and PNG screenshots (headless
chromium) of a tabular, a text, a regression, a multiclass and an image
explanation, into ``out/views/``.

    python examples/views_demo.py            # all
    python examples/views_demo.py text image # some

The pages are self-contained (no JavaScript, no outside resource); the
screenshots are taken with JavaScript disabled.
"""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "out" / "views"
DATA = ROOT / "tests" / "data"

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]
# JavaScript off for the page through the profile's content setting (new headless
# chromium takes no screenshot under --blink-settings=scriptEnabled=false).
NO_JS_PREFERENCES = '{"profile":{"default_content_setting_values":{"javascript":2}}}'


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(html_path, png_path, width=1200, height=900):
    """Renders ``html_path`` in headless chromium into ``png_path``."""
    exe = chromium()
    if exe is None:
        print("  (chromium not found: no screenshot; `make test` installs it)")
        return False
    with tempfile.TemporaryDirectory() as profile:
        (pathlib.Path(profile) / "Default").mkdir()
        (pathlib.Path(profile) / "Default" / "Preferences").write_text(NO_JS_PREFERENCES)
        subprocess.run(
            [
                exe,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={png_path}",
                pathlib.Path(html_path).resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return True


def save_figure(name, fig):
    import matplotlib.pyplot as plt

    path = OUT / f"{name}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"  {path.relative_to(ROOT)}  (matplotlib)")


def write(name, exp, width=1200, height=900, **kwargs):
    html = OUT / f"{name}.html"
    png = OUT / f"{name}.png"
    if hasattr(exp, "save_to_file"):
        exp.save_to_file(html, **kwargs)
    else:
        html.write_text(exp.as_html(**kwargs), encoding="utf8")
    shot = screenshot(html, png, width, height)
    print(f"  {html.relative_to(ROOT)}" + (f"  {png.relative_to(ROOT)}" if shot else ""))


# ---------------------------------------------------------------------------


def tabular():
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    from lime_rs.lime_tabular import LimeTabularExplainer

    ds = load_breast_cancer()
    model = RandomForestClassifier(n_estimators=100, random_state=0).fit(ds.data, ds.target)
    explainer = LimeTabularExplainer(
        ds.data,
        feature_names=list(ds.feature_names),
        class_names=list(ds.target_names),
        discretize_continuous=True,
        random_state=0,
    )
    # a case the forest is unsure about: the features pull both ways
    proba = model.predict_proba(ds.data)[:, 1]
    row = int(np.flatnonzero((proba > 0.3) & (proba < 0.7))[0])
    exp = explainer.explain_instance(ds.data[row], model.predict_proba, num_features=8)
    print(f"tabular (breast cancer row {row}, random forest):")
    write("tabular", exp, height=620)
    save_figure("tabular_pyplot", exp.as_pyplot_figure(figsize=(6, 4)))


def multiclass():
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from lime_rs.lime_tabular import LimeTabularExplainer

    ds = load_wine()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(ds.data, ds.target)
    explainer = LimeTabularExplainer(
        ds.data,
        feature_names=list(ds.feature_names),
        class_names=[f"cultivar {c}" for c in "ABC"],
        random_state=0,
    )
    exp = explainer.explain_instance(ds.data[60], model.predict_proba, num_features=6, top_labels=2)
    print("multiclass (wine, top_labels=2):")
    write("multiclass", exp, height=700)


def regression():
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import RandomForestRegressor

    from lime_rs.lime_tabular import LimeTabularExplainer

    ds = load_diabetes()
    model = RandomForestRegressor(n_estimators=60, random_state=0).fit(ds.data, ds.target)
    explainer = LimeTabularExplainer(
        ds.data,
        mode="regression",
        feature_names=list(ds.feature_names),
        random_state=0,
    )
    exp = explainer.explain_instance(ds.data[5], model.predict, num_features=7)
    print("regression (diabetes, random forest):")
    write("regression", exp, height=560)


def text():
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from lime_rs.lime_text import LimeTextExplainer

    df = pd.read_csv(DATA / "sms_spam.tsv", sep="\t")
    pipe = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000, C=10))
    pipe.fit(df.sms_message, df.label)
    message = (
        "URGENT! You have WON a guaranteed £1000 cash prize or a free holiday. "
        "To claim your prize call 09061701461 now. Txt STOP to opt out & "
        "reply <YES> to claim. Cash awaits you!"
    )
    explainer = LimeTextExplainer(class_names=["ham", "spam"], random_state=0)
    exp = explainer.explain_instance(message, pipe.predict_proba, num_features=8)
    print("text (SMS spam, tf-idf + logistic regression):")
    write("text", exp, height=560)
    positions = LimeTextExplainer(class_names=["ham", "spam"], bow=False, random_state=0)
    exp = positions.explain_instance(message, pipe.predict_proba, num_features=8)
    print("text, bow=False:")
    write("text_positions", exp, height=560)


def image():
    try:
        from lime_rs.lime_image import ImageExplanation, LimeImageExplainer
    except ImportError:
        print("image: lime_rs.lime_image is not available in this checkout")
        return
    if not hasattr(ImageExplanation, "as_html"):
        print("image: ImageExplanation.as_html is not available in this checkout")
        return
    from skimage import data

    img = data.chelsea() / 255.0  # 300 x 451

    def predict(batch):
        # a toy "cat" detector: the cat's fur colour for, bright grey background against
        b = np.asarray(batch, dtype=float)
        r, bl = b[..., 0], b[..., 2]
        fur = (((r - bl) > 0.25) & (r > 0.35)).mean(axis=(1, 2))
        lo, hi = b.min(axis=-1), b.max(axis=-1)
        grey = ((lo > 0.6) & (hi - lo < 0.12)).mean(axis=(1, 2))
        p = 1 / (1 + np.exp(-(10 * (fur - 0.4) - 25 * (grey - 0.05))))
        return np.c_[1 - p, p]

    explainer = LimeImageExplainer(random_state=0)
    exp = explainer.explain_instance(
        img, predict, top_labels=2, hide_color=0, num_samples=600, progress_bar=False
    )
    print("image (chelsea, toy fur-colour classifier):")
    write(
        "image",
        exp,
        height=480,
        label=1,
        num_features=8,
        class_names=["background", "cat"],
    )
    fig = exp.as_pyplot_figure(
        label=1, num_features=8, class_names=["background", "cat"], figsize=(5, 4)
    )
    save_figure("image_pyplot", fig)


DEMOS = {
    "tabular": tabular,
    "multiclass": multiclass,
    "regression": regression,
    "text": text,
    "image": image,
}


def main(argv):
    OUT.mkdir(parents=True, exist_ok=True)
    names = argv or list(DEMOS)
    for name in names:
        if name not in DEMOS:
            sys.exit(f"unknown demo {name!r}; choose from {', '.join(DEMOS)}")
        DEMOS[name]()
    print(f"open {OUT / 'index.html'}")
    links = "".join(
        f'<li><a href="{p.name}">{p.stem}</a></li>'
        for p in sorted(OUT.glob("*.html"))
        if p.name != "index.html"
    )
    (OUT / "index.html").write_text(f"<html><body><ul>{links}</ul></body></html>")


if __name__ == "__main__":
    os.environ.setdefault("LIME_RS_NUM_THREADS", "2")
    os.environ.setdefault("MPLBACKEND", "Agg")
    main(sys.argv[1:])
