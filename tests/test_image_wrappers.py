"""lime_rs.wrappers.scikit_image: lime's BaseWrapper / SegmentationAlgorithm
behaviour (parameter checking, filtering, overriding), as lime's
tests/test_scikit_image.py exercises it."""

import pickle
import subprocess
import sys

import numpy as np
import pytest

from lime_rs.wrappers.scikit_image import BaseWrapper, SegmentationAlgorithm, quickshift_rs

skimage_data = pytest.importorskip("skimage.data")
segmentation = pytest.importorskip("skimage.segmentation")


class Pipo:
    def __init__(self):
        self.name = "pipo"

    def __call__(self, message):
        return message


def test_base_wrapper_stores_function_and_parameters():
    def foo_fn():
        return "bar"

    assert BaseWrapper(a=10, b="message").target_params == {"a": 10, "b": "message"}
    assert BaseWrapper().target_params == {}
    assert BaseWrapper().target_fn is None
    assert BaseWrapper(foo_fn).target_fn() == "bar"


def test_check_params():
    def bar_fn(a):
        return str(a)

    with_fn = BaseWrapper(bar_fn, a=10, b="message")
    with_callable = BaseWrapper(Pipo(), c=10, d="message")
    with_invalid_fn = BaseWrapper([1, 2, 3], fn_name="invalid")

    # target_fn is neither a function nor callable
    with pytest.raises(AttributeError):
        with_invalid_fn._check_params("fn_name")
    # parameters that target_fn does not take
    with pytest.raises(ValueError, match="c is not a valid parameter"):
        with_fn._check_params(["c"])
    with pytest.raises(ValueError, match="e is not a valid parameter"):
        with_callable._check_params(["e"])
    # parameters it takes
    with_fn._check_params(["a"])
    with_callable._check_params(["message"])
    with_fn._check_params({"a": 1})
    # parameters neither a dict nor a list
    with pytest.raises(TypeError):
        with_fn._check_params(None)
    with pytest.raises(TypeError, match="list or dictionnary expected"):
        with_fn._check_params("param_name")
    # no target_fn and not callable itself
    with pytest.raises(TypeError, match="not callable"):
        BaseWrapper()._check_params(["a"])


def test_set_params():
    obj = BaseWrapper(Pipo())
    obj.set_params(message="OK")
    assert obj.target_params == {"message": "OK"}
    assert obj.target_fn(**obj.target_params) == "OK"

    obj = BaseWrapper(Pipo())
    with pytest.raises(ValueError, match="invalid is not a valid parameter"):
        obj.set_params(invalid="KO")
    assert obj.target_params == {}


def test_filter_params_keeps_known_and_applies_override():
    def baz_fn(a, b, c=True):
        return a + b if c else a

    obj = BaseWrapper(baz_fn, a=10, b=100, d=1000)
    assert obj.filter_params(baz_fn) == {"a": 10, "b": 100}
    assert obj.filter_params(baz_fn, override={"c": False}) == {"a": 10, "b": 100, "c": False}
    # filter_params does not change the wrapper
    assert obj.target_params == {"a": 10, "b": 100, "d": 1000}


def test_segmentation_algorithm_quickshift_equals_skimage():
    from skimage.util import img_as_float

    img = img_as_float(skimage_data.chelsea()[::4, ::4])
    fn = SegmentationAlgorithm("quickshift", kernel_size=3, max_dist=6, ratio=0.5, random_seed=133)
    # random_seed is not a parameter of this scikit-image's quickshift: filtered out.
    assert fn.target_params == {"kernel_size": 3, "max_dist": 6, "ratio": 0.5}
    assert fn.algo_type == "quickshift"
    assert np.array_equal(
        fn(img), segmentation.quickshift(img, kernel_size=3, max_dist=6, ratio=0.5)
    )


def test_segmentation_algorithm_slic_and_felzenszwalb_equal_skimage():
    img = skimage_data.astronaut()[::8, ::8]
    slic = SegmentationAlgorithm("slic", n_segments=20, compactness=10, not_a_param=1)
    assert "not_a_param" not in slic.target_params
    assert np.array_equal(slic(img), segmentation.slic(img, n_segments=20, compactness=10))
    felz = SegmentationAlgorithm("felzenszwalb", scale=50, sigma=0.5, min_size=10)
    assert np.array_equal(
        felz(img), segmentation.felzenszwalb(img, scale=50, sigma=0.5, min_size=10)
    )


def test_segmentation_algorithm_quickshift_rs():
    img = skimage_data.chelsea()[::4, ::4]
    fn = SegmentationAlgorithm(
        "quickshift_rs", kernel_size=4, max_dist=200, ratio=0.2, random_seed=3, bogus=1
    )
    assert fn.target_params == {"kernel_size": 4, "max_dist": 200, "ratio": 0.2, "random_seed": 3}
    assert fn.target_fn is quickshift_rs
    assert np.array_equal(
        fn(img), quickshift_rs(img, kernel_size=4, max_dist=200, ratio=0.2, rng=3)
    )
    # set_params overrides, and checks the names
    fn.set_params(kernel_size=2, max_dist=5)
    assert fn.target_params == {"kernel_size": 2, "max_dist": 5}
    with pytest.raises(ValueError, match="n_segments is not a valid parameter"):
        fn.set_params(n_segments=3)
    clone = pickle.loads(pickle.dumps(fn))
    assert np.array_equal(clone(img), fn(img))


def test_unknown_algorithm():
    with pytest.raises(ValueError, match="unknown segmentation algorithm 'watershed'"):
        SegmentationAlgorithm("watershed")


def test_skimage_is_imported_only_when_needed():
    code = (
        "import sys, numpy as np;"
        "from lime_rs.wrappers.scikit_image import SegmentationAlgorithm;"
        "SegmentationAlgorithm('quickshift_rs', kernel_size=2)(np.random.rand(16, 16, 3));"
        "a = 'skimage' in sys.modules;"
        "SegmentationAlgorithm('slic');"
        "print(a, 'skimage' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
