"""The saved HTML views rendered by a real browser (headless chromium).

With JavaScript disabled, the DOM chromium builds holds the text a user must
see (class names, probabilities, feature names and values, the document), and
the screenshot is drawn: not blank, both sides' colours present, nothing
running off the page. `make test` installs chromium (Debian's package); without
it these tests fail, they are never skipped.
"""

import html as htmllib
import pathlib
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest
from _batch_helpers import CHROMIUM_FLAGS

from lime_rs import _html
from lime_rs.lime_tabular import LimeTabularExplainer
from lime_rs.lime_text import LimeTextExplainer

pytestmark = pytest.mark.browser

N = 500
C10 = _html.CATEGORY10
NASTY = "<img src=x onerror=alert(1)>"
WIDTH, HEIGHT = 1200, 900
# Page JavaScript off through the profile's content setting: new headless chromium
# produces neither a DOM dump nor a screenshot under --blink-settings=scriptEnabled=false
# alone (its own DevTools scripts are blocked too), older ones do.
NO_JS_PREFERENCES = '{"profile":{"default_content_setting_values":{"javascript":2}}}'


@pytest.fixture(scope="module")
def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(
        "headless chromium is needed to check the HTML views in a real browser, and it is "
        "not installed (no `chromium` on PATH). Install it: `apt-get install -y chromium` "
        "(`make test` does this)."
    )


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    path = tmp_path_factory.mktemp("chromium-profile")
    (path / "Default").mkdir()
    (path / "Default" / "Preferences").write_text(NO_JS_PREFERENCES)
    return path


def _run(chromium, profile, *args):
    return subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )


def dump_dom(chromium, profile, path):
    """The DOM chromium builds for ``path`` with JavaScript disabled."""
    url = pathlib.Path(path).resolve().as_uri()
    res = _run(chromium, profile, "--blink-settings=scriptEnabled=false", "--dump-dom", url)
    if not res.stdout.strip():  # new headless: JavaScript off through the profile only
        res = _run(chromium, profile, "--dump-dom", url)
    assert res.returncode == 0 and res.stdout.strip(), res.stderr[-2000:]
    return res.stdout


def screenshot(chromium, profile, path, out, width=WIDTH, height=HEIGHT):
    """The page as drawn, an (h, w, 3) array of floats in [0, 1]."""
    import matplotlib.image as mpimg

    url = pathlib.Path(path).resolve().as_uri()
    res = _run(chromium, profile, f"--window-size={width},{height}", f"--screenshot={out}", url)
    assert res.returncode == 0 and pathlib.Path(out).is_file(), res.stderr[-2000:]
    img = mpimg.imread(out)
    assert img.shape[:2] == (height, width)
    return img[..., :3].astype(float)


class Dom(HTMLParser):
    def __init__(self, source):
        super().__init__(convert_charrefs=True)
        self.tags, self.texts = [], []
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.texts.append(data)

    @property
    def text(self):
        return re.sub(r"\s+", " ", "".join(self.texts))


def pixels_near(img, color, tol=4 / 255):
    target = np.array(_html.rgb(color), dtype=float) / 255
    return int(np.all(np.abs(img - target) <= tol, axis=-1).sum())


def ink(img):
    """Fraction of pixels that are not (near) white."""
    return float(np.mean(np.any(img < 0.94, axis=-1)))


def rightmost_ink(img):
    cols = np.nonzero(np.any(np.any(img < 0.94, axis=-1), axis=0))[0]
    return int(cols.max()) if cols.size else -1


def spam_model(texts):
    out = []
    for t in texts:
        words = re.findall(r"\w+", t.lower())
        z = 1.2 * words.count("free") + 0.8 * words.count("prize") - 1.5 * words.count("meeting")
        p = 1 / (1 + np.exp(-(z - 0.5)))
        out.append([1 - p, p])
    return np.array(out)


# ---- fixtures: explanations saved as pages ------------------------------------------


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    out = tmp_path_factory.mktemp("views")
    made = {}

    ds = load_breast_cancer()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(ds.data, ds.target)
    names = [str(f) for f in ds.feature_names]
    names[3] = NASTY
    names[4] = (
        "a rather long feature name that will not fit on one line of the chart " * 2
    ).strip()
    explainer = LimeTabularExplainer(
        ds.data, feature_names=names, class_names=list(ds.target_names), random_state=0
    )
    exp = explainer.explain_instance(
        ds.data[0], model.predict_proba, num_features=30, num_samples=N
    )
    exp.save_to_file(out / "tabular.html")
    made["tabular"] = exp

    wine = load_wine()
    Xw = (wine.data - wine.data.mean(0)) / wine.data.std(0)
    wmodel = LogisticRegression(max_iter=2000).fit(Xw, wine.target)
    classes = ["barolo", "grignolino", "barbera"]
    wexp = LimeTabularExplainer(
        Xw, feature_names=list(wine.feature_names), class_names=classes, random_state=0
    ).explain_instance(Xw[70], wmodel.predict_proba, num_features=5, top_labels=2, num_samples=N)
    wexp.save_to_file(out / "multiclass.html")
    made["multiclass"] = wexp

    dia = load_diabetes()
    rmodel = Ridge().fit(dia.data, dia.target)
    rexp = LimeTabularExplainer(
        dia.data, mode="regression", feature_names=list(dia.feature_names), random_state=0
    ).explain_instance(dia.data[3], rmodel.predict, num_features=6, num_samples=N)
    rexp.save_to_file(out / "regression.html")
    made["regression"] = rexp

    doc = 'FREE prize: reply <b>now</b> & win "free" cash; free meeting at 5 > 3'
    texp = LimeTextExplainer(class_names=["ham", "spam"], random_state=0).explain_instance(
        doc, spam_model, num_features=4, num_samples=N
    )
    texp.save_to_file(out / "text.html")
    made["text"] = texp
    made["doc"] = doc
    made["dir"] = out
    return made


# ---- the browser really runs with JavaScript off ----------------------------------------


def test_javascript_is_off(chromium, profile, tmp_path):
    page = tmp_path / "canary.html"
    page.write_text(
        "<html><body><p id=a>static text</p>"
        "<script>document.getElementById('a').textContent='script ran'</script></body></html>"
    )
    dom = dump_dom(chromium, profile, page)
    assert '<p id="a">static text</p>' in dom


# ---- text users must see ------------------------------------------------------------


def test_tabular_text_in_the_dom(chromium, profile, pages):
    exp = pages["tabular"]
    dom = Dom(dump_dom(chromium, profile, pages["dir"] / "tabular.html"))
    text = dom.text
    assert "Prediction probabilities" in text and "Feature values" in text
    for name, p in zip(exp.class_names, exp.predict_proba):
        assert name in text and f"{p:.2f}" in text
    for name, _ in exp.as_list():
        assert name in text  # long ones whole, the nasty one as text
    for fid, _ in exp.local_exp[1]:
        assert exp.domain_mapper.feature_values[fid] in text
    assert NASTY in text
    assert not any(tag == "img" for tag, _ in dom.tags)  # the name did not become an element
    assert not any(k.startswith("on") for _, a in dom.tags for k in a)
    assert not any(tag == "script" for tag, _ in dom.tags)


def test_multiclass_and_regression_text_in_the_dom(chromium, profile, pages):
    wexp = pages["multiclass"]
    text = Dom(dump_dom(chromium, profile, pages["dir"] / "multiclass.html")).text
    for label in wexp.available_labels():
        name = wexp.class_names[label]
        assert f"NOT {name}" in text
        for feature, _ in wexp.as_list(label):
            assert feature in text
    rexp = pages["regression"]
    text = Dom(dump_dom(chromium, profile, pages["dir"] / "regression.html")).text
    assert "Predicted value" in text and "(min)" in text and "(max)" in text
    for v in (rexp.predicted_value, rexp.min_value, rexp.max_value):
        assert f"{float(v):.2f}" in text
    assert "negative" in text and "positive" in text
    for feature, _ in rexp.as_list():
        assert feature in text


def test_text_document_in_the_dom(chromium, profile, pages):
    texp = pages["text"]
    dom = Dom(dump_dom(chromium, profile, pages["dir"] / "text.html"))
    assert pages["doc"] in dom.text  # the whole document, markup shown as text
    assert not any(tag == "b" for tag, _ in dom.tags)
    marked = [a for t, a in dom.tags if t == "span" and "background:rgba" in a.get("style", "")]
    ix = texp.domain_mapper.indexed_string
    assert len(marked) == sum(len(ix.string_position(f)) for f, _ in texp.local_exp[1])


# ---- the picture --------------------------------------------------------------------


def test_tabular_screenshot(chromium, profile, pages, tmp_path):
    exp = pages["tabular"]
    img = screenshot(
        chromium, profile, pages["dir"] / "tabular.html", tmp_path / "t.png", height=2000
    )
    assert ink(img) > 0.02  # drawn, not blank
    signs = {np.sign(w) for _, w in exp.local_exp[1]}
    assert signs == {1.0, -1.0}
    # both sides: class 1 (benign, orange) and class 0 (malignant, blue) bars
    assert pixels_near(img, C10[1]) > 300
    assert pixels_near(img, C10[0]) > 300
    # the tinted table rows are drawn too (30% of each colour over white)
    for color in (C10[0], C10[1]):
        tinted = "#" + "".join(f"{round(255 - 0.3 * (255 - c)):02x}" for c in _html.rgb(color))
        assert pixels_near(img, tinted, tol=6 / 255) > 1000
    # the layout wraps: nothing runs off the right edge
    assert rightmost_ink(img) < WIDTH - 8


def test_multiclass_screenshot(chromium, profile, pages, tmp_path):
    wexp = pages["multiclass"]
    img = screenshot(chromium, profile, pages["dir"] / "multiclass.html", tmp_path / "m.png")
    assert ink(img) > 0.02
    for label in wexp.available_labels():
        assert pixels_near(img, C10[label]) > 100  # the label's colour, in its chart
    assert pixels_near(img, _html.NOT_COLOR) > 100  # "NOT label" bars (cadet blue)
    assert rightmost_ink(img) < WIDTH - 8


def test_regression_screenshot(chromium, profile, pages, tmp_path):
    rexp = pages["regression"]
    img = screenshot(chromium, profile, pages["dir"] / "regression.html", tmp_path / "r.png")
    assert ink(img) > 0.02
    signs = {np.sign(w) for _, w in rexp.as_list()}
    assert pixels_near(img, C10[0]) > 150  # predicted-value bar (and negative weights)
    if 1.0 in signs:
        assert pixels_near(img, C10[1]) > 50


def test_text_screenshot(chromium, profile, pages, tmp_path):
    texp = pages["text"]
    img = screenshot(chromium, profile, pages["dir"] / "text.html", tmp_path / "x.png")
    assert ink(img) > 0.008
    words = dict(texp.as_list())
    assert any(w > 0 for w in words.values()) and any(w < 0 for w in words.values())
    assert pixels_near(img, C10[1]) > 100 and pixels_near(img, C10[0]) > 100
    # the strongest word is highlighted at full colour in the document (which
    # starts at the left, below the probabilities; the chart is to their right)
    lower = img[130:, :380]
    strongest = max(words.items(), key=lambda kv: abs(kv[1]))
    color = C10[1] if strongest[1] > 0 else C10[0]
    assert pixels_near(lower, color) > 50


def test_dark_mode_screenshot(chromium, profile, pages, tmp_path):
    exp = pages["tabular"]
    path = tmp_path / "dark.html"
    exp.save_to_file(path, dark_mode=True, show_table=False)
    img = screenshot(chromium, profile, path, tmp_path / "d.png", height=500)
    background = np.median(img.reshape(-1, 3), axis=0)
    assert background.max() < 0.2  # dark page
    light_text = np.all(img > 0.85, axis=-1).sum()
    assert light_text > 500  # white text drawn on it
    assert pixels_near(img, C10[1]) > 100 and pixels_near(img, C10[0]) > 100


def test_escaped_names_render_as_text(chromium, profile, tmp_path):
    from lime_rs.explanation import DomainMapper, Explanation

    exp = Explanation(DomainMapper(), class_names=[NASTY, "<b>yes</b>"])
    exp.predict_proba = np.array([0.3, 0.7])
    exp.local_exp[1] = [(NASTY, 0.4), ("<script>alert(2)</script>", -0.2)]
    path = tmp_path / "nasty.html"
    exp.save_to_file(path)
    dom = Dom(dump_dom(chromium, profile, path))
    assert dom.text.count(NASTY) >= 3 and "<b>yes</b>" in dom.text
    assert "<script>alert(2)</script>" in dom.text
    assert {t for t, _ in dom.tags} & {"img", "script", "b"} == set()
    assert htmllib.escape(NASTY) in path.read_text(encoding="utf8")


def test_image_view_in_the_browser(chromium, profile, tmp_path):
    from lime_rs.lime_image import LimeImageExplainer

    rows, cols = np.indices((48, 72))
    segments = (rows // 12) * 6 + cols // 12
    img = np.full((48, 72, 3), 0.5)
    img[:12, :12] = [0.9, 0.6, 0.1]
    img[36:, 60:] = [0.1, 0.4, 0.9]

    def classifier(batch):
        b = np.asarray(batch, dtype=float)
        z = 6 * b[:, :12, :12].mean(axis=(1, 2, 3)) - 6 * b[:, 36:, 60:].mean(axis=(1, 2, 3))
        p = 1 / (1 + np.exp(-z))
        return np.c_[1 - p, p]

    exp = LimeImageExplainer(random_state=0).explain_instance(
        img,
        classifier,
        labels=(1,),
        top_labels=None,
        hide_color=0,
        num_samples=300,
        segmentation_fn=lambda image: segments,
        progress_bar=False,
    )
    path = tmp_path / "image.html"
    exp.save_to_file(path, num_features=2, class_names=["dog", "cat"])
    dom = Dom(dump_dom(chromium, profile, path))
    assert "Superpixels explaining cat" in dom.text and "NOT cat" in dom.text
    srcs = [a.get("src", "") for t, a in dom.tags if t == "img"]
    assert len(srcs) == 2 and all(s.startswith("data:image/png;base64,") for s in srcs)
    shot = screenshot(chromium, profile, path, tmp_path / "image.png", height=500)
    # the embedded pictures are drawn (the orange and blue corners of the image) ...
    assert pixels_near(shot, "#e6991a", tol=6 / 255) > 200
    assert pixels_near(shot, "#1a66e6", tol=6 / 255) > 200
    # ... with the superpixel for the label outlined green and the one against red
    assert pixels_near(shot, _html.IMAGE_POSITIVE) > 100
    assert pixels_near(shot, _html.IMAGE_NEGATIVE) > 100
