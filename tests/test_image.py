"""LimeImageExplainer and ImageExplanation: lime's API, behaviour against lime
on the same inputs, and bad input."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from _batch_helpers import grid
from skimage import data as skimage_data
from skimage import transform

from lime_rs import _native
from lime_rs.lime_image import (
    ImageExplanation,
    LimeImageExplainer,
    _fudged_image,
    _segment_features,
)
from lime_rs.wrappers.scikit_image import SegmentationAlgorithm


@pytest.fixture(scope="module")
def chelsea():
    img = skimage_data.chelsea()
    return (transform.resize(img, (64, 64), anti_aliasing=True) * 255).astype(np.uint8)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def region_model(top, left, size, n_classes=3):
    """Class probabilities that depend only on the mean colour of one square."""
    weights = np.random.RandomState(0).randn(3, n_classes)

    def predict(images):
        patch = images[:, top : top + size, left : left + size].astype(np.float64) / 255.0
        return softmax(4 * patch.mean(axis=(1, 2)) @ weights)

    return predict


def colour_model(images):
    """A smooth model of the whole image: mean colour of four quadrants."""
    x = images.astype(np.float64) / 255.0
    h, w = x.shape[1] // 2, x.shape[2] // 2
    quads = [x[:, :h, :w], x[:, :h, w:], x[:, h:, :w], x[:, h:, w:]]
    feats = np.concatenate([q.mean(axis=(1, 2)) for q in quads], axis=1)
    weights = np.random.RandomState(1).randn(feats.shape[1], 4)
    return softmax(3 * feats @ weights)


class Recorder:
    """Wraps a classifier and keeps (copies of) every batch it sees."""

    def __init__(self, fn):
        self.fn = fn
        self.batches = []

    def __call__(self, images):
        self.batches.append(images.copy())
        return self.fn(images)

    @property
    def images(self):
        return np.concatenate(self.batches)


def test_explanation_has_lime_attributes(chelsea):
    explainer = LimeImageExplainer(random_state=0)
    exp = explainer.explain_instance(
        chelsea, colour_model, top_labels=3, num_samples=300, progress_bar=False
    )
    assert isinstance(exp, ImageExplanation)
    assert exp.image is not None and exp.image.shape == chelsea.shape
    assert exp.segments.shape == chelsea.shape[:2]
    probs = colour_model(chelsea[None])[0]
    assert exp.top_labels == list(np.argsort(probs)[::-1][:3])
    assert set(exp.local_exp) == set(exp.intercept) == set(exp.score) == set(exp.local_pred)
    assert set(exp.local_exp) == set(exp.top_labels)
    n_segments = len(np.unique(exp.segments))
    for label, pairs in exp.local_exp.items():
        assert len(pairs) == n_segments  # num_features=100000: every superpixel
        assert {f for f, _ in pairs} == set(range(n_segments))
        mags = [abs(w) for _, w in pairs]
        assert mags == sorted(mags, reverse=True)
        assert isinstance(exp.score[label], float)
        assert exp.local_pred[label].shape == (1,)
        assert 0 < exp.score[label] <= 1


def test_known_truth_grid(chelsea):
    # The model only looks at the top-left 32 x 32 pixels: grid cells 0, 1, 4, 5.
    model = region_model(0, 0, 32)
    explainer = LimeImageExplainer(random_state=1)
    exp = explainer.explain_instance(
        chelsea,
        model,
        top_labels=1,
        hide_color=0,
        num_samples=400,
        segmentation_fn=grid(4),
        progress_bar=False,
    )
    label = exp.top_labels[0]
    top4 = {int(f) for f, _ in exp.local_exp[label][:4]}
    assert top4 == {0, 1, 4, 5}
    others = [abs(w) for f, w in exp.local_exp[label][4:]]
    assert max(others) < 0.25 * abs(exp.local_exp[label][3][1])


def test_known_truth_default_segmentation():
    # A model that only sees one 40 x 40 square of a 128 x 128 image (the
    # default segmentation gives it ~17 superpixels): the superpixels it ranks
    # first overlap the square, the others get (almost) no weight.
    image = skimage_data.astronaut()
    image = (transform.resize(image, (128, 128), anti_aliasing=True) * 255).astype(np.uint8)
    top, left, size = 10, 40, 40
    model = region_model(top, left, size)
    explainer = LimeImageExplainer(random_state=2)
    exp = explainer.explain_instance(
        image, model, top_labels=1, hide_color=0, num_samples=500, progress_bar=False
    )
    assert len(np.unique(exp.segments)) >= 10
    inside = np.zeros(image.shape[:2], bool)
    inside[top : top + size, left : left + size] = True
    label = exp.top_labels[0]
    ranked = exp.local_exp[label]
    touching = {f for f, _ in ranked if inside[exp.segments == f].any()}
    assert len(touching) < len(ranked)
    assert {f for f, _ in ranked[: min(3, len(touching))]} <= touching
    untouched = [abs(w) for f, w in ranked if f not in touching]
    assert max(untouched) < 0.25 * abs(ranked[0][1])


def _weights(exp, label):
    return dict((int(f), w) for f, w in exp.local_exp[label])


def test_agrees_with_lime_across_seeds(chelsea):
    from lime import lime_image

    segmentation = SegmentationAlgorithm("quickshift", kernel_size=2, max_dist=20, ratio=0.5)
    segments = segmentation(chelsea)
    n = len(np.unique(segments))
    assert 8 <= n <= 60
    label = int(np.argmax(colour_model(chelsea[None])[0]))
    ours, theirs = np.zeros(n), np.zeros(n)
    for seed in range(3):
        kw = dict(labels=(label,), top_labels=None, num_samples=400, segmentation_fn=segmentation)
        a = LimeImageExplainer(random_state=seed).explain_instance(
            chelsea, colour_model, progress_bar=False, **kw
        )
        b = lime_image.LimeImageExplainer(random_state=seed).explain_instance(
            chelsea, colour_model, **kw
        )
        for f, w in _weights(a, label).items():
            ours[f] += w / 3
        for f, w in _weights(b, label).items():
            theirs[f] += w / 3
        assert abs(a.score[label] - b.score) < 0.1
        assert abs(a.intercept[label] - b.intercept[label]) < 0.1
    assert np.corrcoef(ours, theirs)[0, 1] > 0.95
    top_ours = set(np.argsort(-np.abs(ours))[:5])
    top_theirs = set(np.argsort(-np.abs(theirs))[:5])
    assert len(top_ours & top_theirs) >= 4


@pytest.mark.parametrize("dtype", [np.uint8, np.float64, np.float32])
@pytest.mark.parametrize("hide_color", [None, 0])
def test_perturbed_images_equal_lime_for_the_same_masks(chelsea, dtype, hide_color):
    """Given lime's masks, the Rust batch fill writes exactly lime's images."""
    from lime import lime_image

    image = chelsea.astype(dtype) if dtype == np.uint8 else (chelsea / 255.0).astype(dtype)
    segments = grid(5)(image)
    # lime's fudged image (its loop, as in lime.lime_image.explain_instance)
    fudged = image.copy()
    if hide_color is None:
        for x in np.unique(segments):
            fudged[segments == x] = (
                np.mean(image[segments == x][:, 0]),
                np.mean(image[segments == x][:, 1]),
                np.mean(image[segments == x][:, 2]),
            )
    else:
        fudged[:] = hide_color
    ids, pixel_feature = _segment_features(segments, image.shape[:2])
    ours_fudged = _fudged_image(image, pixel_feature, len(ids), hide_color)
    np.testing.assert_allclose(ours_fudged, fudged, rtol=1e-6 if dtype == np.float32 else 1e-12)
    assert ours_fudged.dtype == image.dtype

    rec = Recorder(colour_model)
    data, _ = lime_image.LimeImageExplainer(random_state=0).data_labels(
        image, fudged, segments, rec, num_samples=23, batch_size=7
    )
    h, w, c = image.shape
    out = np.empty((len(data), h, w, c), dtype=image.dtype)
    perturber = _native.ImagePerturber(
        image.reshape(h * w, c).view(np.uint8),
        fudged.reshape(h * w, c).view(np.uint8),
        pixel_feature,
        len(ids),
    )
    perturber.fill(data.astype(np.float64), out.reshape(len(data), h * w, c).view(np.uint8))
    assert np.array_equal(out, rec.images)


def test_reproducible_with_random_state(chelsea):
    kw = dict(top_labels=2, num_samples=200, segmentation_fn=grid(4), progress_bar=False)
    a = LimeImageExplainer(random_state=7).explain_instance(chelsea, colour_model, **kw)
    b = LimeImageExplainer(random_state=7).explain_instance(chelsea, colour_model, **kw)
    assert a.local_exp == b.local_exp and a.intercept == b.intercept
    explainer = LimeImageExplainer(random_state=7)
    first = explainer.explain_instance(chelsea, colour_model, **kw)
    second = explainer.explain_instance(chelsea, colour_model, **kw)
    assert first.local_exp == a.local_exp
    assert second.local_exp != first.local_exp  # the state advances, as in lime
    g1 = LimeImageExplainer(random_state=np.random.default_rng(3))
    g2 = LimeImageExplainer(random_state=np.random.default_rng(3))
    assert (
        g1.explain_instance(chelsea, colour_model, **kw).local_exp
        == g2.explain_instance(chelsea, colour_model, **kw).local_exp
    )
    # The default segmentation is seeded by random_seed (drawn from random_state).
    c = LimeImageExplainer(random_state=7).explain_instance(
        chelsea, colour_model, top_labels=1, num_samples=50, progress_bar=False
    )
    d = LimeImageExplainer(random_state=7).explain_instance(
        chelsea, colour_model, top_labels=1, num_samples=50, progress_bar=False
    )
    assert np.array_equal(c.segments, d.segments) and c.local_exp == d.local_exp


@pytest.mark.parametrize(
    "hide_color",
    [None, 0, 255, (255, 0, 0), "image"],
    ids=["mean", "zero", "white", "red", "background-image"],
)
def test_hide_color_variants(chelsea, hide_color):
    image = chelsea
    if hide_color == "image":
        hide_color = np.zeros_like(image)
        hide_color[::2] = 200
    segments = grid(4)(image)
    rec = Recorder(colour_model)
    LimeImageExplainer(random_state=0).explain_instance(
        image,
        rec,
        hide_color=hide_color,
        num_samples=40,
        batch_size=16,
        segmentation_fn=grid(4),
        progress_bar=False,
    )
    images = rec.images
    assert images.shape == (40,) + image.shape and images.dtype == image.dtype
    assert np.array_equal(images[0], image)
    if hide_color is None:
        fudge = np.empty_like(image)
        for s in np.unique(segments):
            fudge[segments == s] = image[segments == s].mean(axis=0)  # truncates like lime
    else:
        fudge = np.empty_like(image)
        fudge[:] = hide_color
    hidden = 0
    for img in images:
        for s in np.unique(segments):
            region = segments == s
            if np.array_equal(img[region], image[region]):
                continue
            assert np.array_equal(img[region], fudge[region])
            hidden += 1
    assert hidden > 0.3 * 39 * 16


def test_grayscale_image_is_converted_to_rgb(chelsea):
    gray = chelsea.mean(axis=2)
    rec = Recorder(colour_model)
    exp = LimeImageExplainer(random_state=0).explain_instance(
        gray, rec, top_labels=1, num_samples=30, progress_bar=False
    )
    assert exp.image.shape == gray.shape + (3,)
    assert np.array_equal(exp.image[..., 0], gray) and np.array_equal(exp.image[..., 2], gray)
    assert rec.images.shape[1:] == gray.shape + (3,)
    assert rec.images.dtype == gray.dtype


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.float32, np.float64, bool])
def test_image_dtypes_reach_the_classifier_unchanged(chelsea, dtype):
    image = (chelsea > 100) if dtype is bool else chelsea.astype(dtype)
    rec = Recorder(lambda x: colour_model(x.astype(np.float64)))
    LimeImageExplainer(random_state=0).explain_instance(
        image, rec, top_labels=1, num_samples=12, batch_size=5, segmentation_fn=grid(3),
        progress_bar=False,
    )  # fmt: skip
    assert [len(b) for b in rec.batches] == [5, 5, 2]
    assert all(b.dtype == image.dtype for b in rec.batches)
    assert np.array_equal(rec.batches[0][0], image)


def test_non_contiguous_images(chelsea):
    kw = dict(top_labels=2, num_samples=60, segmentation_fn=grid(4), progress_bar=False)
    flipped = chelsea[:, ::-1]
    fortran = np.asfortranarray(flipped)
    contiguous = np.ascontiguousarray(flipped)
    results = []
    for image in (flipped, fortran, contiguous):
        rec = Recorder(colour_model)
        exp = LimeImageExplainer(random_state=0).explain_instance(image, rec, **kw)
        results.append((exp.local_exp, rec.images))
    for local_exp, images in results[:2]:
        assert local_exp == results[2][0]
        assert np.array_equal(images, results[2][1])


def test_same_explanation_on_one_thread():
    code = (
        "import numpy as np;"
        "from lime_rs.lime_image import LimeImageExplainer;"
        "blocks = np.random.RandomState(0).rand(4, 4, 3);"
        "img = (np.kron(blocks, np.ones((12, 10, 1))) * 255).astype(np.uint8);"
        "w = np.random.RandomState(1).rand(3, 4);"
        "f = lambda x: np.exp(x.mean(axis=(1, 2)) / 255 @ w);"
        "e = LimeImageExplainer(random_state=3).explain_instance("
        "img, f, num_samples=300, progress_bar=False);"
        "print(e.segments.tobytes().hex(), repr(sorted(e.local_exp.items())))"
    )
    outs = []
    for threads in ("1", "2"):
        env = dict(os.environ, LIME_RS_NUM_THREADS=threads)
        run = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outs.append(run.stdout)
    assert outs[0] == outs[1]


def test_batches_survive_a_classifier_that_keeps_them(chelsea):
    kept = []

    def keeping(images):
        kept.append(images)  # no copy: the explainer must not overwrite it
        return colour_model(images)

    rec = Recorder(colour_model)
    kw = dict(num_samples=25, batch_size=10, segmentation_fn=grid(4), progress_bar=False)
    LimeImageExplainer(random_state=4).explain_instance(chelsea, keeping, **kw)
    LimeImageExplainer(random_state=4).explain_instance(chelsea, rec, **kw)
    assert len(kept) == 3
    assert np.array_equal(np.concatenate(kept), rec.images)


def test_model_regressor_and_custom_kernel_and_metric(chelsea):
    from sklearn.linear_model import Ridge

    kw = dict(top_labels=2, num_samples=300, segmentation_fn=grid(4), progress_bar=False)
    native = LimeImageExplainer(random_state=5).explain_instance(chelsea, colour_model, **kw)
    ridge = LimeImageExplainer(random_state=5).explain_instance(
        chelsea, colour_model, model_regressor=Ridge(alpha=1), **kw
    )
    for label in native.top_labels:
        a, b = _weights(native, label), _weights(ridge, label)
        assert a.keys() == b.keys()
        np.testing.assert_allclose([a[k] for k in a], [b[k] for k in a], rtol=1e-6, atol=1e-10)
        assert abs(native.score[label] - ridge.score[label]) < 1e-6
        assert abs(native.intercept[label] - ridge.intercept[label]) < 1e-6

    def kernel(d, kernel_width):
        return np.sqrt(np.exp(-(d**2) / kernel_width**2))

    custom = LimeImageExplainer(kernel=kernel, random_state=5).explain_instance(
        chelsea, colour_model, **kw
    )
    for label in native.top_labels:
        a, b = _weights(native, label), _weights(custom, label)
        np.testing.assert_allclose([a[k] for k in a], [b[k] for k in a], rtol=1e-9, atol=1e-12)
    # A kernel_fn set on base afterwards is used, as lime would.
    flat = LimeImageExplainer(random_state=5)
    flat.base.kernel_fn = np.ones_like
    flat_exp = flat.explain_instance(chelsea, colour_model, **kw)
    unweighted = LimeImageExplainer(kernel_width=1e9, random_state=5).explain_instance(
        chelsea, colour_model, **kw
    )
    for label in native.top_labels:
        a, b = _weights(flat_exp, label), _weights(unweighted, label)
        np.testing.assert_allclose([a[k] for k in a], [b[k] for k in a], rtol=1e-7, atol=1e-10)
    manhattan = LimeImageExplainer(random_state=5).explain_instance(
        chelsea, colour_model, distance_metric="manhattan", **kw
    )
    assert set(manhattan.local_exp) == set(native.local_exp)


def test_feature_selection_and_num_features(chelsea):
    kw = dict(top_labels=1, num_samples=300, segmentation_fn=grid(4), progress_bar=False)
    for method in ("forward_selection", "highest_weights", "none", "auto"):
        exp = LimeImageExplainer(random_state=0, feature_selection=method).explain_instance(
            chelsea, colour_model, num_features=4, **kw
        )
        n = len(exp.local_exp[exp.top_labels[0]])
        assert n == (16 if method == "none" else 4)


def test_labels_without_top_labels(chelsea):
    exp = LimeImageExplainer(random_state=0).explain_instance(
        chelsea, colour_model, labels=(0, 3, -1), top_labels=None, num_samples=100,
        segmentation_fn=grid(3), progress_bar=False,
    )  # fmt: skip
    assert set(exp.local_exp) == {0, 3, -1}
    assert not hasattr(exp, "top_labels")
    assert exp.local_exp[3] == exp.local_exp[-1]


@pytest.mark.parametrize("dtype", [np.uint8, np.uint64, np.int16, np.float32, bool])
def test_segment_label_dtypes(chelsea, dtype):
    segments = grid(2)(chelsea)
    if dtype is bool:
        segments = segments > 1
    ids, pixel_feature = _segment_features(segments.astype(dtype), chelsea.shape[:2])
    assert pixel_feature.dtype == np.int64 and pixel_feature.flags.c_contiguous
    assert np.array_equal(ids[pixel_feature], segments.astype(np.int64).ravel())
    with pytest.raises(ValueError, match="non-integer"):
        _segment_features(segments + 0.5, chelsea.shape[:2])
    with pytest.raises(TypeError, match="integer segment labels"):
        _segment_features(segments.astype(str), chelsea.shape[:2])
    huge = segments.astype(np.int64) * 10**12 - 7  # sparse and negative labels
    ids, pixel_feature = _segment_features(huge, chelsea.shape[:2])
    assert np.array_equal(ids[pixel_feature], huge.ravel()) and len(ids) == len(np.unique(huge))


def test_segment_labels_need_not_start_at_zero(chelsea):
    def from_one(image):
        return grid(3)(image) * 10 + 1  # labels 1, 11, ..., 81

    exp = LimeImageExplainer(random_state=0).explain_instance(
        chelsea, colour_model, top_labels=1, num_samples=100, segmentation_fn=from_one,
        progress_bar=False,
    )  # fmt: skip
    label = exp.top_labels[0]
    assert {int(f) for f, _ in exp.local_exp[label]} == set(range(1, 82, 10))
    _, mask = exp.get_image_and_mask(label, positive_only=False, num_features=9)
    assert (mask != 0).all()


def test_pickle(chelsea):
    explainer = LimeImageExplainer(random_state=3)
    clone = pickle.loads(pickle.dumps(explainer))
    kw = dict(top_labels=1, num_samples=100, segmentation_fn=grid(4), progress_bar=False)
    a = explainer.explain_instance(chelsea, colour_model, **kw)
    b = clone.explain_instance(chelsea, colour_model, **kw)
    assert a.local_exp == b.local_exp
    exp = pickle.loads(pickle.dumps(a))
    assert exp.local_exp == a.local_exp and exp.top_labels == a.top_labels
    got = exp.get_image_and_mask(exp.top_labels[0])
    want = a.get_image_and_mask(a.top_labels[0])
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    pickle.loads(pickle.dumps(explainer))  # after use too


def test_progress_bar_and_verbose(chelsea, capsys):
    LimeImageExplainer(random_state=0, verbose=True).explain_instance(
        chelsea, colour_model, top_labels=1, num_samples=30, segmentation_fn=grid(3)
    )
    captured = capsys.readouterr()
    assert "Intercept" in captured.out and "Prediction_local" in captured.out
    assert "Right:" in captured.out
    assert "30/30" in captured.err


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(positive_only=True),
        dict(positive_only=True, hide_rest=True, num_features=3),
        dict(positive_only=False, num_features=6),
        dict(positive_only=False, hide_rest=True, num_features=10, min_weight=0.01),
        dict(positive_only=False, negative_only=True, num_features=4),
        dict(positive_only=True, min_weight=0.02),
    ],
)
def test_get_image_and_mask_equals_lime(chelsea, kwargs):
    from lime import lime_image

    exp = LimeImageExplainer(random_state=0).explain_instance(
        chelsea, colour_model, top_labels=1, num_samples=300, segmentation_fn=grid(4),
        progress_bar=False,
    )  # fmt: skip
    ref = lime_image.ImageExplanation(exp.image, exp.segments)
    ref.local_exp = exp.local_exp
    label = exp.top_labels[0]
    got, want = exp.get_image_and_mask(label, **kwargs), ref.get_image_and_mask(label, **kwargs)
    assert np.array_equal(got[0], want[0]) and got[0].dtype == want[0].dtype
    assert np.array_equal(got[1], want[1]) and got[1].dtype == want[1].dtype


def test_get_image_and_mask_errors(chelsea):
    exp = ImageExplanation(chelsea, grid(2)(chelsea))
    exp.local_exp[1] = [(0, 0.5), (3, -0.2)]
    with pytest.raises(KeyError, match="Label not in explanation"):
        exp.get_image_and_mask(2)
    with pytest.raises(ValueError, match="cannot be true at the same time"):
        exp.get_image_and_mask(1, positive_only=True, negative_only=True)


def _single(image):
    return np.zeros(image.shape[:2], dtype=int)


def _wrong_shape(image):
    return np.zeros((3, 3), dtype=int)


@pytest.mark.parametrize(
    ("image", "kwargs", "error", "match"),
    [
        (np.zeros(10), {}, ValueError, "2-D .grayscale. or 3-D"),
        (np.zeros((2, 8, 8, 3)), {}, ValueError, "2-D .grayscale. or 3-D"),
        (np.zeros((0, 8, 3)), {}, ValueError, "empty"),
        (np.full((8, 8, 3), np.nan), {}, ValueError, "NaN"),
        (np.zeros((8, 8, 3), dtype=object), {}, TypeError, "dtype"),
        (None, {"segmentation_fn": _wrong_shape}, ValueError, "shape"),
        (None, {"segmentation_fn": _single}, ValueError, "single segment"),
        (None, {"batch_size": 0}, ValueError, "batch_size"),
        (None, {"num_samples": 0}, ValueError, "num_samples"),
        (None, {"top_labels": None, "labels": (7,)}, ValueError, "labels"),
        (None, {"classifier_fn": lambda x: colour_model(x)[:-1]}, ValueError, "rows"),
        (None, {"classifier_fn": lambda x: colour_model(x)[:, 0]}, ValueError, "2-D"),
        (None, {"classifier_fn": lambda x: colour_model(x) * np.nan}, ValueError, "NaN"),
        (None, {"classifier_fn": "model"}, TypeError, "classifier_fn"),
        (None, {"hide_color": "red"}, ValueError, "hide_color"),
        (None, {"hide_color": -1}, ValueError, "hide_color"),
        (None, {"hide_color": (1, 2)}, ValueError, "hide_color"),
    ],
)
def test_bad_input(chelsea, image, kwargs, error, match):
    kwargs = dict(kwargs)
    classifier = kwargs.pop("classifier_fn", colour_model)
    kwargs.setdefault("segmentation_fn", grid(3))
    with pytest.raises(error, match=match):
        LimeImageExplainer(random_state=0).explain_instance(
            chelsea if image is None else image,
            classifier,
            num_samples=kwargs.pop("num_samples", 20),
            progress_bar=False,
            **kwargs,
        )


def test_classifier_exceptions_propagate(chelsea):
    class Boom(Exception):
        pass

    def broken(images):
        raise Boom("model failed")

    with pytest.raises(Boom, match="model failed"):
        LimeImageExplainer().explain_instance(
            chelsea, broken, num_samples=10, segmentation_fn=grid(2), progress_bar=False
        )


def test_data_labels_is_public_and_shaped_like_lime(chelsea):
    segments = grid(4)(chelsea)
    data, labels = LimeImageExplainer(random_state=0).data_labels(
        chelsea, np.zeros_like(chelsea), segments, colour_model, 50, progress_bar=False
    )
    assert data.shape == (50, 16) and data.dtype == np.int64
    assert (data[0] == 1).all() and set(np.unique(data)) == {0, 1}
    assert labels.shape == (50, 4)


def test_importing_does_not_load_heavy_libraries():
    code = (
        "import sys, lime_rs.lime_image, lime_rs.wrappers.scikit_image;"
        "print(sorted(m for m in ('sklearn', 'scipy', 'matplotlib', 'skimage') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
