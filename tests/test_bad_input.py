"""Bad input never kills the process (issue #19): each reproduction ends in a
clear ValueError/TypeError (or MemoryError) naming the argument, and the
explainer still works afterwards. Cases that used to abort the interpreter run
in a subprocess, so that a regression fails one test instead of killing pytest."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from lime_rs.lime_image import LimeImageExplainer
from lime_rs.lime_tabular import LimeTabularExplainer
from lime_rs.lime_text import LimeTextExplainer

N = 60


@pytest.fixture(scope="module")
def X():
    return np.random.RandomState(0).rand(100, 4)


def f(z):
    return np.c_[1 - z[:, 0], z[:, 0]]


def reg(z):
    return z[:, 0] * 2.0


def texts_model(docs):
    p = np.array([len(d) % 7 / 7.0 for d in docs])
    return np.c_[1 - p, p]


TEXT = "the quick brown fox jumps over the lazy dog"


def grid(image):
    h, w = image.shape[:2]
    return (np.arange(h)[:, None] // (h // 2)) * 2 + np.arange(w)[None, :] // (w // 2)


def image_model(batch):
    m = batch.reshape(len(batch), -1).mean(axis=1)
    return np.c_[1 - m, m]


@pytest.fixture(scope="module")
def picture():
    return np.random.RandomState(1).rand(8, 8, 3)


def explain_image(explainer, image, model=image_model, **kw):
    kw.setdefault("num_samples", 20)
    return explainer.explain_instance(image, model, segmentation_fn=grid, progress_bar=False,
                                      top_labels=None, labels=(1,), **kw)  # fmt: skip


def usable(explainer, X):
    """The explainer still explains after an error."""
    exp = explainer.explain_instance(X[0], f if explainer.mode == "classification" else reg,
                                     num_samples=N)  # fmt: skip
    assert exp.as_list()


# --- 3. complex numbers: a TypeError, as lime ---


def test_complex_training_data(X):
    with pytest.raises(TypeError, match="training_data: complex numbers are not supported"):
        LimeTabularExplainer(X + 1j)
    with pytest.raises(TypeError, match="training_data: complex numbers are not supported"):
        LimeTabularExplainer([list(r) for r in X.astype(complex)])


def test_complex_sparse_training_data(X):
    sp = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="training_data: complex numbers"):
        LimeTabularExplainer(sp.csr_matrix(X + 1j))


def test_complex_rows(X):
    explainer = LimeTabularExplainer(X, random_state=0)
    with pytest.raises(TypeError, match="data_row: complex numbers are not supported"):
        explainer.explain_instance(X[0] + 1j, f, num_samples=N)
    with pytest.raises(TypeError, match="data: complex numbers are not supported"):
        explainer.explain_instances(X[:3] + 1j, f, num_samples=N)
    usable(explainer, X)


@pytest.mark.parametrize("mode", ["classification", "regression"])
def test_complex_predictions_tabular(X, mode):
    explainer = LimeTabularExplainer(X, mode=mode, random_state=0)
    model = f if mode == "classification" else reg
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        with pytest.raises(TypeError, match="predict_fn: returned complex numbers"):
            explainer.explain_instance(X[0], lambda z: model(z) + 0j, num_samples=N)
    usable(explainer, X)


def test_complex_predictions_text():
    explainer = LimeTextExplainer(random_state=0)
    with pytest.raises(TypeError, match="classifier_fn: returned complex numbers"):
        explainer.explain_instance(TEXT, lambda d: texts_model(d) + 0j, num_samples=N)
    assert explainer.explain_instance(TEXT, texts_model, num_samples=N).as_list()


def test_complex_predictions_image(picture):
    explainer = LimeImageExplainer(random_state=0)
    with pytest.raises(TypeError, match="classifier_fn: returned complex numbers"):
        explain_image(explainer, picture, lambda b: image_model(b) + 0j)
    with pytest.raises(ValueError, match="hide_color: must be a real, finite colour"):
        explain_image(explainer, picture, hide_color=1j)
    assert explain_image(explainer, picture).local_exp


# --- 4. object-dtype probabilities: converted; strings refused naming the model ---


def test_object_probabilities_are_converted(X):
    a = LimeTabularExplainer(X, random_state=0).explain_instance(X[0], f, num_samples=N)
    b = LimeTabularExplainer(X, random_state=0).explain_instance(
        X[0], lambda z: f(z).astype(object), num_samples=N
    )
    assert a.as_list() == b.as_list()
    t1 = LimeTextExplainer(random_state=0).explain_instance(TEXT, texts_model, num_samples=N)
    t2 = LimeTextExplainer(random_state=0).explain_instance(
        TEXT, lambda d: texts_model(d).astype(object), num_samples=N
    )
    assert t1.as_list() == t2.as_list()


def test_string_outputs_are_refused(X, picture):
    explainer = LimeTabularExplainer(X, random_state=0)
    with pytest.raises(TypeError, match=r"predict_fn: returned an array of dtype <U"):
        explainer.explain_instance(X[0], lambda z: f(z).astype(str), num_samples=N)
    with pytest.raises(TypeError, match="predict_fn: returned an object array holding str"):
        explainer.explain_instance(X[0], lambda z: f(z).astype(str).astype(object), num_samples=N)
    usable(explainer, X)
    with pytest.raises(TypeError, match="classifier_fn: returned an array of dtype <U"):
        LimeTextExplainer().explain_instance(
            TEXT, lambda d: texts_model(d).astype(str), num_samples=N
        )
    with pytest.raises(TypeError, match="classifier_fn: returned an array of dtype <U"):
        explain_image(LimeImageExplainer(), picture, lambda b: image_model(b).astype(str))


# --- 5. errors that name the right cause ---


def test_huge_row_blames_data_row(X):
    explainer = LimeTabularExplainer(X, discretize_continuous=False, random_state=0)
    with pytest.raises(ValueError, match="data_row: values too large: the distances"):
        explainer.explain_instance(np.array([1e200, 0, 0, 0]), f, num_samples=N)
    rows = np.array([X[0], [1e200, 0, 0, 0]])
    with pytest.raises(ValueError, match=r"data\[1\]: values too large"):
        explainer.explain_instances(rows, f, num_samples=N)
    usable(explainer, X)


@pytest.mark.parametrize(
    "kwargs",
    [{"discretizer": "quartile"}, {"discretizer": "decile"}, {"discretize_continuous": False}],
)
def test_huge_training_data_fails_at_construction(X, kwargs):
    data = np.r_[X, [[2.4e297, 0, 0, 0]]]
    with pytest.raises(ValueError, match="training_data: values (are )?too large"):
        LimeTabularExplainer(data, **kwargs)


def test_huge_predictions_name_the_model(X):
    explainer = LimeTabularExplainer(X, random_state=0)
    with pytest.raises(ValueError, match="predict_fn: returned values too large"):
        explainer.explain_instance(X[0], lambda z: f(z) * 1e308, num_samples=N)
    regression = LimeTabularExplainer(X, mode="regression", random_state=0)
    with pytest.raises(ValueError, match="predict_fn: returned values too large"):
        regression.explain_instance(X[0], lambda z: z[:, 0] * 1e308, num_samples=N)
    usable(explainer, X)
    usable(regression, X)
    with pytest.raises(ValueError, match="classifier_fn: returned values too large"):
        LimeTextExplainer().explain_instance(TEXT, lambda d: texts_model(d) * 1e308, num_samples=N)


def test_kernel_width_not_a_number(X):
    with pytest.raises(TypeError, match=r"kernel_width: expected a number, got str \('abc'\)"):
        LimeTabularExplainer(X, kernel_width="abc")
    with pytest.raises(TypeError, match=r"kernel_width: expected a number, got str \('abc'\)"):
        LimeImageExplainer(kernel_width="abc")
    with pytest.raises(ValueError, match="kernel_width: must be a non-zero finite number"):
        LimeImageExplainer(kernel_width=float("nan"))
    # lime's float(kernel_width) still takes numeric strings
    assert (
        LimeTabularExplainer(X, kernel_width="0.5").base.kernel_fn.keywords["kernel_width"] == 0.5
    )


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_random_state_out_of_range(X, seed):
    match = f"random_state: an int seed must be between 0 and 2\\*\\*32 - 1, got {seed}"
    with pytest.raises(ValueError, match=match):
        LimeTabularExplainer(X, random_state=seed)
    with pytest.raises(ValueError, match=match):
        LimeTextExplainer(random_state=seed)
    with pytest.raises(ValueError, match=match):
        LimeImageExplainer(random_state=seed)


def test_regression_without_columns(X):
    explainer = LimeTabularExplainer(X, mode="regression", random_state=0)
    with pytest.raises(ValueError, match=r"predict_fn: returned an array of shape \(60, 0\)"):
        explainer.explain_instance(X[0], lambda z: np.zeros((len(z), 0)), num_samples=N)
    usable(explainer, X)


def test_hide_color_nan_blames_hide_color(picture):
    explainer = LimeImageExplainer(random_state=0)
    with pytest.raises(ValueError, match="hide_color: must be a real, finite colour"):
        explain_image(explainer, picture, hide_color=np.nan)
    with pytest.raises(ValueError, match="hide_color"):
        explain_image(explainer, picture, hide_color=(0, np.inf, 0))
    assert explain_image(explainer, picture, hide_color=0).local_exp


def test_get_image_and_mask_on_one_channel(picture):
    exp = explain_image(LimeImageExplainer(random_state=0), picture[:, :, :1])
    with pytest.raises(ValueError, match=r"get_image_and_mask: .*has shape \(8, 8, 1\)"):
        exp.get_image_and_mask(1, positive_only=False)
    image, mask = exp.get_image_and_mask(1, positive_only=True)
    assert image.shape == (8, 8, 1) and mask.shape == (8, 8)


# --- 7. inconsistent arguments ---


def test_class_names_shorter_than_the_outputs(X):
    explainer = LimeTabularExplainer(X, class_names=["only"], random_state=0)
    with pytest.raises(ValueError, match="class_names: has 1 names but predict_fn returns 2"):
        explainer.explain_instance(X[0], f, num_samples=N)
    with pytest.raises(ValueError, match="class_names: has 1 names but classifier_fn returns 2"):
        LimeTextExplainer(class_names=["only"]).explain_instance(TEXT, texts_model, num_samples=N)
    explainer.class_names = ["a", "b"]
    usable(explainer, X)


def test_duplicated_categorical_feature(X):
    with pytest.raises(ValueError, match="categorical_features: column 0 is listed twice"):
        LimeTabularExplainer(X, categorical_features=[0, 0])


@pytest.mark.parametrize("value", ["abc", "-3", "0", "2.5"])
def test_invalid_num_threads_warns_once(value):
    code = textwrap.dedent(
        """
        import warnings
        warnings.simplefilter("always")
        with warnings.catch_warnings(record=True) as caught:
            import lime_rs
            from lime_rs import _validation
            from lime_rs.lime_image import _num_threads
            _num_threads(); _num_threads()
        print(len(caught)); print(caught[0].message if caught else "")
        """
    )
    out = _run(code, LIME_RS_NUM_THREADS=value)
    count, message = out.stdout.splitlines()[:2]
    assert count == "1", out.stdout
    assert f"LIME_RS_NUM_THREADS={value!r} is not a positive integer and is ignored" in message


def test_valid_num_threads_does_not_warn():
    out = _run("import warnings; warnings.simplefilter('error'); import lime_rs; print('ok')",
               LIME_RS_NUM_THREADS="2")  # fmt: skip
    assert out.stdout.strip() == "ok"


# --- a failed explain_instances leaves the random state as it was ---


def _failing_after(calls, model):
    count = {"n": 0}

    def wrapped(z):
        count["n"] += 1
        if count["n"] > calls:
            raise RuntimeError("model down")
        return model(z)

    return wrapped


def test_failed_batch_rewinds_tabular(X):
    explainer = LimeTabularExplainer(X, random_state=0)
    with pytest.raises(RuntimeError, match="model down"):
        explainer.explain_instances(X[:6], _failing_after(2, f), num_samples=N, batch_size=N)
    retry = explainer.explain_instances(X[:6], f, num_samples=N, batch_size=N)
    first = LimeTabularExplainer(X, random_state=0).explain_instances(X[:6], f, num_samples=N)
    assert [e.as_list() for e in retry] == [e.as_list() for e in first]


def test_failed_batch_rewinds_text():
    texts = [TEXT, "a b c d e", "lorem ipsum dolor sit amet", "x y z"]
    explainer = LimeTextExplainer(random_state=0)
    with pytest.raises(RuntimeError, match="model down"):
        explainer.explain_instances(texts, _failing_after(1, texts_model), num_samples=N,
                                    batch_size=N)  # fmt: skip
    retry = explainer.explain_instances(texts, texts_model, num_samples=N)
    first = LimeTextExplainer(random_state=0).explain_instances(texts, texts_model, num_samples=N)
    assert [e.as_list() for e in retry] == [e.as_list() for e in first]


def test_failed_batch_rewinds_image(picture):
    images = [picture, picture[::-1], picture[:, ::-1]]
    kw = dict(num_samples=20, segmentation_fn=grid, progress_bar=False, batch_size=20)
    explainer = LimeImageExplainer(random_state=0)
    with pytest.raises(RuntimeError, match="model down"):
        explainer.explain_instances(images, _failing_after(1, image_model), **kw)
    retry = explainer.explain_instances(images, image_model, **kw)
    first = LimeImageExplainer(random_state=0).explain_instances(images, image_model, **kw)
    assert [e.local_exp for e in retry] == [e.local_exp for e in first]


# --- 1. huge num_samples: MemoryError naming num_samples, never an abort ---

_HUGE = textwrap.dedent(
    """
    import numpy as np, scipy.sparse as sp
    from lime_rs.lime_tabular import LimeTabularExplainer
    from lime_rs.lime_text import LimeTextExplainer
    from lime_rs.lime_image import LimeImageExplainer
    X = np.random.RandomState(0).rand(100, 4)
    f = lambda Z: np.c_[1 - Z[:, 0], Z[:, 0]]
    half = lambda docs: np.ones((docs.shape[0] if hasattr(docs, "shape") else len(docs), 2)) / 2
    seg = lambda im: np.arange(64).reshape(8, 8) // 16
    tab, text, image = LimeTabularExplainer(X), LimeTextExplainer(), LimeImageExplainer()
    calls = {
        "tabular": lambda n: tab.explain_instance(X[0], f, num_samples=n),
        "batch": lambda n: tab.explain_instances(X[:3], f, num_samples=n),
        "sparse": lambda n: LimeTabularExplainer(sp.csr_matrix(X)).explain_instance(
            sp.csr_matrix(X[0]), half, num_samples=n),
        "text": lambda n: text.explain_instance("a b c", half, num_samples=n),
        "text_batch": lambda n: text.explain_instances(["a b c", "d e"], half, num_samples=n),
        "image": lambda n: image.explain_instance(np.random.rand(8, 8, 3), half, num_samples=n,
                                                  segmentation_fn=seg, progress_bar=False),
    }
    call = calls[WHICH]
    try:
        call(N)
    except MemoryError as e:
        print("MemoryError:", e)
    call(50)  # still usable
    print("usable")
    """
)


@pytest.mark.parametrize("which", ["tabular", "batch", "sparse", "text", "text_batch", "image"])
@pytest.mark.parametrize("n", [10**12, 2**60, 2**61])
def test_huge_num_samples(which, n):
    out = _run(f"WHICH, N = {which!r}, {n}\n" + _HUGE)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"MemoryError: num_samples: {n} samples need at least" in out.stdout
    assert "usable" in out.stdout


def test_native_sampling_refuses_impossible_sizes():
    # the native layer itself checks (fallible allocation): a MemoryError naming
    # num_samples even when called directly, past the Python checks
    code = textwrap.dedent(
        """
        import numpy as np
        from lime_rs import _native
        from lime_rs.lime_text import IndexedString
        sampler = _native.TabularSampler([0.0] * 4, [1.0] * 4, {}, {}, {})
        index = IndexedString("a b c d")._native()
        for call in (
            lambda n: _native.image_masks(0, n, 4),
            lambda n: sampler.sample(np.zeros(4), n, 0, "gaussian", False),
            lambda n: index.sample(n, 0),
        ):
            for n in (2**60, 2**61, 10**15):
                try:
                    call(n)
                    print("no error")
                except MemoryError as e:
                    assert str(e).startswith("num_samples: "), e
        print("ok")
        """
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok", out.stdout


def test_num_samples_beyond_the_address_space_limit():
    # 10**9 samples (72 GB) under ulimit -v 6 GiB: a MemoryError, not an abort
    code = "import resource; resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))\n"
    out = _run(code + "WHICH, N = 'tabular', 10**9\n" + _HUGE)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "MemoryError: num_samples: 1000000000 samples need at least 67.1 GiB" in out.stdout


# --- 2. long texts without bag of words: never a features x features matrix ---


def _long_doc(words: int, seed: int = 0) -> str:
    vocab = [f"w{i}" for i in range(300)] + ["good", "bad"]
    return " ".join(np.random.RandomState(seed).choice(vocab, words))


def _sentiment(docs):
    p = np.array([(d.count("good") + 1) / (d.count("good") + d.count("bad") + 2) for d in docs])
    return np.c_[1 - p, p]


@pytest.mark.parametrize("samples", [300, 600, 700])
def test_long_text_without_bow_matches_lime_on_the_same_neighbourhood(samples):
    # 600 positions: with 300 or 600 samples highest_weights ranks from the ridge
    # solved in the sample space; with 700 from the 600 x 600 normal equations
    # (faer's blocked Cholesky). lime's LimeBase on the same neighbourhood must
    # give the same local model.
    from lime import lime_base as lb

    from lime_rs import _native

    explainer = LimeTextExplainer(bow=False, random_state=0)
    indexed = explainer._index(_long_doc(600))
    data, yss, distances = explainer._data_labels_distances(indexed, _sentiment, samples)
    yss = np.asarray(yss, dtype=np.float64)

    def kernel(d):
        return np.sqrt(np.exp(-(d**2) / 25**2))

    for method, k in [("auto", 10), ("highest_weights", 25)]:
        ref = lb.LimeBase(kernel, random_state=0).explain_instance_with_data(
            data, yss, distances, 1, k, feature_selection=method
        )
        intercept, feats, coefs, score, local_pred = _native.explain_with_data(
            np.ascontiguousarray(data), yss, kernel(distances), [1], k, method
        )[0]
        ref_feats, ref_coefs = zip(*ref[1])
        assert list(feats) == list(ref_feats)
        np.testing.assert_allclose(coefs, ref_coefs, rtol=1e-6, atol=1e-9)
        assert intercept == pytest.approx(ref[0], abs=1e-6)
        assert score == pytest.approx(ref[2], abs=1e-6)
        assert local_pred == pytest.approx(float(np.ravel(ref[3])[0]), abs=1e-6)


def test_very_long_text_without_bow_fits_in_the_sample_space():
    # 100,000 positions and 20 samples used to request 80 GB (a d x d matrix) and
    # panic; under a 6 GiB address-space limit it must simply work
    code = textwrap.dedent(
        """
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
        import numpy as np
        from lime_rs.lime_text import LimeTextExplainer
        rng = np.random.RandomState(0)
        doc = " ".join(rng.choice(["good", "bad"] + [f"w{i}" for i in range(500)], 100_000))
        def model(docs):
            p = np.array([(d.count("good") + 1) / (d.count("good") + d.count("bad") + 2)
                          for d in docs])
            return np.c_[1 - p, p]
        for seed in range(3):
            exp = LimeTextExplainer(bow=False, random_state=seed).explain_instance(
                doc, model, num_samples=20)
            assert len(exp.as_list()) == 10
        # a method that needs the d x d matrix says so instead of aborting
        try:
            LimeTextExplainer(bow=False, feature_selection="forward_selection").explain_instance(
                doc, model, num_samples=20, num_features=3)
        except MemoryError as e:
            print("MemoryError:", e)
        print("ok")
        """
    )
    out = _run(code, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ok" in out.stdout
    assert "MemoryError: neighborhood_data: 100000 features need a 100000 x 100000" in out.stdout


# --- helpers ---


def _run(code: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter (with this one's sys.path), so that an
    abort or a panic fails the test instead of killing pytest."""
    import os

    environ = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p), **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, env=environ)  # fmt: skip
