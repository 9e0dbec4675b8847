"""Image explanation views: ImageExplanation.as_html (the image and the image
with its explaining superpixels outlined, numbered and charted; embedded PNGs,
no JavaScript), save_to_file / show_in_notebook / _repr_html_, and the
as_pyplot_figure helper."""

import base64
import io
import re
import sys
import types

import numpy as np
import pytest
from test_views import NASTY, Page, check_self_contained

from lime_rs import _html
from lime_rs.lime_image import ImageExplanation, LimeImageExplainer

GREEN, RED = _html.IMAGE_POSITIVE, _html.IMAGE_NEGATIVE
H, W = 48, 72  # 4 x 6 blocks of 12 pixels


def grid_segments(image):
    rows, cols = np.indices(image.shape[:2])
    return (rows // 12) * 6 + cols // 12


def make_image():
    rng = np.random.RandomState(0)
    img = 0.35 + 0.3 * rng.rand(H, W, 3)
    img[:12, :12] = [0.9, 0.6, 0.1]  # segment 0
    img[36:, 60:] = [0.1, 0.4, 0.9]  # segment 23
    return img


def classifier(batch):
    """Class 1 likes segment 0 lit and segment 23 hidden; class 2 is noise."""
    b = np.asarray(batch, dtype=float)
    s0 = b[:, :12, :12].mean(axis=(1, 2, 3))
    s23 = b[:, 36:, 60:].mean(axis=(1, 2, 3))
    z = 6 * s0 - 6 * s23 + 0.3 * b[:, 12:24, 12:24].mean(axis=(1, 2, 3))
    p1 = 1 / (1 + np.exp(-z))
    p2 = 0.1 * np.ones_like(p1)
    return np.c_[0.9 - 0.9 * p1, 0.9 * p1, p2]


@pytest.fixture(scope="module")
def image_exp():
    explainer = LimeImageExplainer(random_state=0)
    return explainer.explain_instance(
        make_image(),
        classifier,
        top_labels=2,
        hide_color=0,
        num_samples=400,
        segmentation_fn=grid_segments,
        progress_bar=False,
    )


def decode_pngs(source):
    import matplotlib.image as mpimg

    out = []
    for uri in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', source):
        img = mpimg.imread(io.BytesIO(base64.b64decode(uri)), format="png")
        out.append(np.rint(img[..., :3] * 255).astype(int))
    return out


def near(img, color, tol=2):
    return np.all(np.abs(img - np.array(_html.rgb(color))) <= tol, axis=-1)


def test_image_view(image_exp):
    exp = image_exp
    assert exp.top_labels[0] == 1
    ranked = exp.local_exp[1]
    assert ranked[0][0] in (0, 23) and {ranked[0][0], ranked[1][0]} == {0, 23}
    weights = dict(ranked)
    assert weights[0] > 0 and weights[23] < 0
    source = exp.as_html(num_features=4)
    page = check_self_contained(source)
    assert source.startswith('<div class="lime-rs"')
    text = page.text
    assert "Superpixels explaining class 1" in text and "NOT class 1" in text
    # the chart: the four strongest superpixels, numbered in order of |weight|
    rows = re.findall(r'<tr title="#(\d+)\s+superpixel (\d+):', source)
    assert [int(s) for _, s in rows] == [f for f, _ in ranked[:4]]
    assert [int(r) for r, _ in rows] == [1, 2, 3, 4]
    badges = [a for t, a in page.tags if t == "div" and a.get("title", "").startswith("superpixel")]
    assert len(badges) == 4
    original, overlay = decode_pngs(source)
    # shown larger than the 48 x 72 image: drawn on upscaled pixels, outlines stay thin
    scale = _html._working_scale(H, W, 300)
    assert scale == 5
    assert overlay.shape == (scale * H, scale * W, 3) and original.shape == overlay.shape
    assert page.count("img") == 2
    seg = np.repeat(np.repeat(grid_segments(make_image()), scale, 0), scale, 1)
    # segment 0 (for) outlined in green, segment 23 (against) in red, both intact inside
    green, red = near(overlay, GREEN), near(overlay, RED)
    assert green[seg == 0].sum() > 40 and red[seg == 23].sum() > 40
    assert not green[seg == 23].any() and not red[seg == 0].any()
    centre0 = overlay[6 * scale, 6 * scale]
    assert np.abs(centre0 - np.array([0.9, 0.6, 0.1]) * 255).max() <= 2
    # superpixels not chosen are faded toward light grey
    chosen = [f for f, _ in ranked[:4]]
    other = next(f for f in range(24) if f not in chosen)
    assert overlay[seg == other].mean() > original[seg == other].mean() + 20
    # the original is untouched
    assert np.abs(original[seg == 23].mean(axis=0) - np.array([0.1, 0.4, 0.9]) * 255).max() <= 2


def test_image_view_options(image_exp):
    exp = image_exp
    pos = exp.as_html(num_features=3, positive_only=True)
    (overlay,) = decode_pngs(pos)[1:]
    assert near(overlay, GREEN).any() and not near(overlay, RED).any()
    neg = exp.as_html(num_features=3, negative_only=True)
    overlay = decode_pngs(neg)[1]
    assert near(overlay, RED).any() and not near(overlay, GREEN).any()
    with pytest.raises(ValueError, match="positive_only and negative_only"):
        exp.as_html(positive_only=True, negative_only=True)
    # min_weight drops the weak superpixels
    strong = abs(exp.local_exp[1][1][1]) * 0.99
    kept = re.findall(r'<tr title="#\d+\s+superpixel', exp.as_html(min_weight=strong))
    assert len(kept) == 2
    # one image only, other label, class names (escaped)
    one = exp.as_html(show_original=False)
    assert Page(one).count("img") == 1
    assert exp.top_labels[1] == 0
    named = exp.as_html(label=0, class_names=["<b>c</b>", NASTY, "x"])
    page = check_self_contained(named)
    assert "Superpixels explaining <b>c</b>" in page.text and page.count("b") == 0
    with pytest.raises(KeyError, match="not explained"):
        exp.as_html(label=2)
    dark = exp.as_html(dark_mode=True)
    assert "color:#f2f2f2" in dark


def test_image_file_notebook_and_repr(image_exp, tmp_path, monkeypatch):
    path = tmp_path / "img.html"
    image_exp.save_to_file(path, num_features=2)
    page = path.read_text(encoding="utf8")
    assert page.startswith("<html>") and image_exp.as_html(num_features=2) in page
    assert image_exp._repr_html_() == image_exp.as_html()
    shown = []
    fake = types.ModuleType("IPython.display")
    fake.HTML = lambda data: data
    fake.display = shown.append
    monkeypatch.setitem(sys.modules, "IPython", types.ModuleType("IPython"))
    monkeypatch.setitem(sys.modules, "IPython.display", fake)
    image_exp.show_in_notebook(num_features=3)
    assert shown == [image_exp.as_html(num_features=3)]


def test_image_pyplot_figure(image_exp):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        fig = image_exp.as_pyplot_figure(num_features=3, class_names=["x", "cat", "y"])
        ax = fig.axes[0]
        assert ax.get_title() == "Local explanation for cat"
        (im,) = ax.get_images()
        drawn = np.asarray(im.get_array())
        assert drawn.shape[2] == 3 and near(drawn, GREEN).any() and near(drawn, RED).any()
        assert [t.get_text() for t in ax.texts] == ["1", "2", "3"]
        assert tuple(fig.get_size_inches()) == (4, 4)
        with pytest.raises(KeyError):
            image_exp.as_pyplot_figure(label=2)
    finally:
        plt.close("all")


def test_large_small_and_odd_images():
    # a large image is drawn on fewer pixels (the page stays small)
    big = np.zeros((900, 1300, 3), np.uint8)
    big[:450] = 200
    seg = (np.indices(big.shape[:2])[0] >= 450).astype(np.int64) * 7 + 3  # labels 3 and 10
    exp = ImageExplanation(big, seg)
    exp.local_exp[0] = [(10, -0.5), (3, 0.25)]
    source = exp.as_html(label=0)
    original, overlay = decode_pngs(source)
    assert max(overlay.shape[:2]) <= 650 and len(source) < 200_000
    assert near(overlay, GREEN).any() and near(overlay, RED).any()
    assert re.search(r'<img[^>]*width="300" height="208"', source)  # shown 300 px wide
    # grayscale floats in [0, 1], a tiny image
    tiny = np.linspace(0, 1, 64).reshape(8, 8)
    seg = np.indices((8, 8))[1] // 4
    exp = ImageExplanation(tiny, seg)
    exp.local_exp[1] = [(1, 0.3), (0, -0.1)]
    original, overlay = decode_pngs(exp.as_html(label=1))
    assert original.shape == (304, 304, 3)  # nearest upscaling: 38 x
    assert original[0, 0, 0] == 0 and original[-1, -1, 0] == 255
    bad = ImageExplanation(tiny, seg[:4])
    bad.local_exp[1] = [(0, 1.0)]
    with pytest.raises(ValueError, match="segments"):
        bad.as_html(label=1)
