"""The image explainer and quick shift against lime and scikit-image.

* overhead of one explanation (wall time minus the model's own time,
  segmentation included) on scikit-image's astronaut at 224 x 224, 1000
  samples, a cheap numpy classifier, default segmentation;
* Rust quick shift against ``skimage.segmentation.quickshift`` on that image
  with lime's parameters;
* peak memory of one explanation (resident set high-water mark, measured in a
  fresh process for each library) at lime's batch_size, and of
  ``explain_instances`` on 100 images of 224 x 224 (streamed: it must stay
  near one explanation's, far below 100 explanations' perturbed images).
"""

import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from lime_rs.lime_image import LimeImageExplainer
from lime_rs.wrappers.scikit_image import quickshift_rs

lime_image = pytest.importorskip("lime.lime_image")
skimage_data = pytest.importorskip("skimage.data")
transform = pytest.importorskip("skimage.transform")
segmentation = pytest.importorskip("skimage.segmentation")

from conftest import RESULTS, best_time  # noqa: E402

LIME_QUICKSHIFT = {"kernel_size": 4, "max_dist": 200, "ratio": 0.2}


def astronaut():
    img = skimage_data.astronaut()
    return (transform.resize(img, (224, 224), anti_aliasing=True) * 255).astype(np.uint8)


class TimedModel:
    """A cheap numpy classifier (10 classes from a coarse colour grid) that
    accumulates its own run time."""

    def __init__(self):
        self.weights = np.random.RandomState(0).randn(14 * 14 * 3, 10) / 50
        self.seconds = 0.0

    def __call__(self, images):
        t = time.perf_counter()
        x = images[:, ::16, ::16].reshape(len(images), -1) / 255.0
        z = x @ self.weights
        e = np.exp(z - z.max(axis=1, keepdims=True))
        out = e / e.sum(axis=1, keepdims=True)
        self.seconds += time.perf_counter() - t
        return out


def overhead(explain, model, rounds):
    """Smallest (wall - model) time of ``explain()`` over ``rounds`` runs."""
    best = float("inf")
    for _ in range(rounds):
        model.seconds = 0.0
        t = time.perf_counter()
        explain()
        best = min(best, time.perf_counter() - t - model.seconds)
    return best


def test_explain_overhead_vs_lime(benchmark):
    image, model = astronaut(), TimedModel()
    ours = LimeImageExplainer(random_state=0)
    theirs = lime_image.LimeImageExplainer(random_state=0)

    def run_ours():
        return ours.explain_instance(image, model, num_samples=1000, progress_bar=False)

    def run_theirs():
        return theirs.explain_instance(image, model, num_samples=1000)

    benchmark.pedantic(run_ours, rounds=10, warmup_rounds=1, iterations=1)
    t_ours = overhead(run_ours, model, rounds=7)
    t_lime = overhead(run_theirs, model, rounds=2)
    ratio = t_lime / t_ours
    benchmark.extra_info.update(lime_overhead_s=t_lime, lime_rs_overhead_s=t_ours, ratio=ratio)
    RESULTS.append(
        dict(
            name="image explain overhead 224x224, 1000 samples, default segmentation",
            lime_ms=t_lime * 1e3,
            lime_rs_ms=t_ours * 1e3,
            ratio=ratio,
            target=15,
        )
    )
    print(
        f"\nimage overhead: lime {t_lime * 1e3:.1f} ms, lime_rs {t_ours * 1e3:.1f} ms, {ratio:.1f}x"
    )


def test_quickshift_vs_skimage(benchmark):
    image = astronaut()
    benchmark.pedantic(
        lambda: quickshift_rs(image, **LIME_QUICKSHIFT), rounds=20, warmup_rounds=2, iterations=1
    )
    t_ours = best_time(lambda: quickshift_rs(image, **LIME_QUICKSHIFT), min_rounds=10)
    t_sk = best_time(lambda: segmentation.quickshift(image, **LIME_QUICKSHIFT), min_rounds=3)
    ratio = t_sk / t_ours
    benchmark.extra_info.update(skimage_s=t_sk, lime_rs_s=t_ours, ratio=ratio)
    RESULTS.append(
        dict(
            name="quickshift 224x224 (kernel_size=4, max_dist=200, ratio=0.2) vs skimage",
            lime_ms=t_sk * 1e3,
            lime_rs_ms=t_ours * 1e3,
            ratio=ratio,
            target=10,
        )
    )
    print(f"\nquickshift: skimage {t_sk * 1e3:.1f} ms, lime_rs {t_ours * 1e3:.1f} ms, {ratio:.1f}x")


PEAK_SCRIPT = textwrap.dedent(
    """
    import sys, numpy as np
    from skimage import data, transform
    lib, batch_size, n_images = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if lib == "lime":
        from lime.lime_image import LimeImageExplainer
        extra = {}
    else:
        from lime_rs.lime_image import LimeImageExplainer
        extra = {"progress_bar": False}
    def picture(k):
        img = (data.astronaut(), data.chelsea(), data.coffee())[k % 3]
        top, left = 7 * k % 150, 11 * k % 150
        img = img[top : top + 300, left : left + 300]
        return (transform.resize(img, (224, 224), anti_aliasing=True) * 255).astype(np.uint8)
    images = [picture(k) for k in range(n_images)]
    w = np.random.RandomState(0).randn(14 * 14 * 3, 10) / 50
    def model(images):
        z = images[:, ::16, ::16].reshape(len(images), -1) / 255.0 @ w
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    explainer = LimeImageExplainer(random_state=0)
    def status():
        return dict(line.split(":", 1) for line in open("/proc/self/status"))
    open("/proc/self/clear_refs", "w").write("5")  # reset the high-water mark
    base = int(status()["VmRSS"].split()[0])
    if n_images == 1:
        explainer.explain_instance(images[0], model, num_samples=1000, batch_size=batch_size, **extra)
    else:
        explainer.explain_instances(images, model, num_samples=1000, batch_size=batch_size, **extra)
    print(int(status()["VmHWM"].split()[0]) - base)
    """
)


def peak_kib(lib, batch_size, n_images=1):
    out = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, lib, str(batch_size), str(n_images)],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ),
    )
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc")
@pytest.mark.parametrize("batch_size", [10, 100])
def test_peak_memory_vs_lime(batch_size):
    ours = peak_kib("lime_rs", batch_size)
    theirs = peak_kib("lime", batch_size)
    RESULTS.append(
        dict(
            name=f"image explain peak RSS growth (MiB, not ms), batch_size={batch_size}",
            lime_ms=theirs / 1024,
            lime_rs_ms=ours / 1024,
            ratio=theirs / max(ours, 1),
            target=1,
        )
    )
    print(f"\npeak memory, batch_size={batch_size}: lime {theirs} KiB, lime_rs {ours} KiB")


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc")
@pytest.mark.parametrize("batch_size", [10, 100])
def test_peak_memory_of_a_batch_of_100_images(batch_size):
    one = peak_kib("lime_rs", batch_size)
    many = peak_kib("lime_rs", batch_size, n_images=100)
    RESULTS.append(
        dict(
            name=f"explain_instances 100 x 224x224 peak RSS growth (MiB), batch_size={batch_size}",
            lime_ms=one / 1024,  # the column holds one explanation's figure
            lime_rs_ms=many / 1024,
            ratio=one / max(many, 1),
            target=0.2,
        )
    )
    print(f"\npeak memory, batch_size={batch_size}: one image {one} KiB, 100 images {many} KiB")
