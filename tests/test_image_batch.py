"""LimeImageExplainer.explain_instances (many images, chunks across images)
and the seed each explanation records (threads sharing one explainer)."""

import math
import threading
import time

import numpy as np
import pytest
from _batch_helpers import grid
from skimage import data as skimage_data
from skimage import transform

from lime_rs import _native
from lime_rs.lime_image import LimeImageExplainer


def model(images):
    """Row by row (so batching cannot change a row's output): softmax of the
    mean colour of the four quadrants."""
    x = images.astype(np.float64) / 255.0
    h, w = x.shape[1] // 2, x.shape[2] // 2
    quads = [x[:, :h, :w], x[:, :h, w:], x[:, h:, :w], x[:, h:, w:]]
    feats = np.concatenate([q.mean(axis=(1, 2)) for q in quads], axis=1)
    z = 3 * np.stack([feats[i] @ np.linspace(-1, 1, 48).reshape(12, 4) for i in range(len(x))])
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Counter:
    def __init__(self, fn):
        self.fn, self.calls, self.sizes = fn, 0, []

    def __call__(self, images):
        self.calls += 1
        self.sizes.append(len(images))
        return self.fn(images)


@pytest.fixture(scope="module")
def pictures():
    """20 small textured crops of scikit-image's bundled photos."""
    out = []
    for k, name in enumerate(["astronaut", "chelsea", "coffee", "astronaut"] * 5):
        img = getattr(skimage_data, name)()
        top, left = 30 * k % 200, 50 * k % 250
        crop = img[top : top + 160, left : left + 160]
        out.append((transform.resize(crop, (64, 64), anti_aliasing=True) * 255).astype(np.uint8))
    return out


def same(a, b):
    assert np.array_equal(a.segments, b.segments)
    assert a.seed == b.seed and a.top_labels == b.top_labels
    assert a.local_exp.keys() == b.local_exp.keys()
    for label in a.local_exp:
        assert a.local_exp[label] == b.local_exp[label]
        assert a.intercept[label] == b.intercept[label]
        assert a.score[label] == b.score[label]
    assert a.explainer_settings == b.explainer_settings


@pytest.mark.parametrize("segmentation", [None, "grid"])
def test_equals_explain_instance_in_turn_with_full_batches(pictures, segmentation):
    kw = dict(num_samples=50, batch_size=15, top_labels=2, progress_bar=False)
    if segmentation:
        kw["segmentation_fn"] = grid(3)
    counter = Counter(model)
    many = LimeImageExplainer(random_state=5).explain_instances(pictures, counter, **kw)
    assert counter.calls <= math.ceil(len(pictures) * 50 / 15)
    assert counter.sizes[:-1] == [15] * (counter.calls - 1)
    one = LimeImageExplainer(random_state=5)
    for image, exp in zip(pictures, many, strict=True):
        same(exp, one.explain_instance(image, model, **kw))


def test_independent_of_thread_count_and_accepts_iterables(pictures, monkeypatch):
    kw = dict(num_samples=30, batch_size=7, progress_bar=False)
    runs = []
    for threads in ("1", "3"):
        monkeypatch.setenv("LIME_RS_NUM_THREADS", threads)
        explainer = LimeImageExplainer(random_state=2)
        runs.append(explainer.explain_instances(iter(pictures[:6]), model, **kw))
    for a, b in zip(*runs, strict=True):
        same(a, b)
    stacked = LimeImageExplainer(random_state=2).explain_instances(
        np.stack(pictures[:6]), model, **kw
    )
    for a, b in zip(runs[0], stacked, strict=True):
        same(a, b)


def test_images_of_other_shapes_and_dtypes_in_one_call(pictures):
    images = [pictures[0], pictures[1][:20], pictures[2].astype(np.float32), pictures[3][..., 0]]
    kw = dict(num_samples=25, batch_size=10, segmentation_fn=grid(2), progress_bar=False)
    counter = Counter(model)
    many = LimeImageExplainer(random_state=9).explain_instances(images, counter, **kw)
    one = LimeImageExplainer(random_state=9)
    for image, exp in zip(images, many, strict=True):
        same(exp, one.explain_instance(image, model, **kw))
    assert all(s <= 10 for s in counter.sizes)


def test_progress_bar_counts_every_sample(pictures, capsys):
    LimeImageExplainer(random_state=0).explain_instances(
        pictures[:3], model, num_samples=20, segmentation_fn=grid(2), progress_bar=True
    )
    assert "60/60" in capsys.readouterr().err


def test_errors_name_the_argument(pictures):
    explainer = LimeImageExplainer(random_state=0)
    with pytest.raises(TypeError, match="classifier_fn"):
        explainer.explain_instances(pictures[:2], "model", progress_bar=False)
    with pytest.raises(ValueError, match="batch_size"):
        explainer.explain_instances(pictures[:2], model, batch_size=0, progress_bar=False)
    with pytest.raises(ValueError, match="2-D .grayscale. or 3-D"):
        explainer.explain_instances([pictures[0], np.zeros(5)], model, progress_bar=False)
    with pytest.raises(ValueError, match="images: expected a sequence"):
        explainer.explain_instances(pictures[0], model, progress_bar=False)
    assert explainer.explain_instances([], model, progress_bar=False) == []


def test_threads_sharing_an_explainer_record_their_own_seeds():
    # A 4 x 4 grid over an image without zeros, hidden with 0: the classifier
    # reads each perturbed image's mask back, per thread.
    image = np.full((16, 16, 3), 100, np.uint8)
    local = threading.local()

    def classifier(images):
        local.masks.append(images[:, ::4, ::4, 0].reshape(len(images), 16) != 0)
        time.sleep(0.001)  # the other thread runs meanwhile
        return np.tile([0.3, 0.7], (len(images), 1))

    explainer = LimeImageExplainer(random_state=0)
    seen = []

    def work():
        for _ in range(8):
            local.masks = []
            exp = explainer.explain_instance(image, classifier, num_samples=40,
                                             segmentation_fn=grid(4), hide_color=0,
                                             top_labels=1, progress_bar=False)  # fmt: skip
            seen.append((exp.seed, np.concatenate(local.masks)))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 16
    for seed, masks in seen:
        assert np.array_equal(_native.image_masks(seed, 40, 16) == 1, masks)
