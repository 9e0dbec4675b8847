"""Runtime contracts: thread-count independence, fork safety, lazy imports,
random_state handling, type stubs."""

import multiprocessing
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from lime_rs import _native
from lime_rs._random import check_random_state, draw_seed

SCRIPT = textwrap.dedent(
    """
    import sys, numpy as np
    from lime_rs import _native
    rs = np.random.RandomState(1)
    x = (rs.rand(6000, 300) < 0.5).astype(float); x[0] = 1
    y = np.c_[rs.rand(6000), rs.rand(6000)]
    w = rs.rand(6000)
    out = _native.explain_with_data(x, y, w, [0, 1], 8, "highest_weights")
    d = _native.distances(x, x[0], "cosine")
    sys.stdout.write(repr([(m[0], m[1].tolist(), m[2].tolist(), m[3], m[4]) for m in out]) + repr(d.sum()))
    sys.stdout.write(" threads=%d" % _native.num_threads())
    """
)


def run_with_threads(n):
    env = dict(os.environ, LIME_RS_NUM_THREADS=str(n))
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    ).stdout
    result, threads = out.rsplit(" threads=", 1)
    assert int(threads) == n
    return result


def test_results_do_not_depend_on_thread_count():
    assert run_with_threads(1) == run_with_threads(2) == run_with_threads(5)


def _child(queue):
    rs = np.random.RandomState(0)
    x = rs.randn(5000, 200)
    y = rs.rand(5000, 2)
    queue.put(_native.explain_with_data(x, y, np.ones(5000), [1], 3, "none")[0][0])


def test_pool_works_in_a_forked_child():
    rs = np.random.RandomState(0)
    x = rs.randn(5000, 200)
    y = rs.rand(5000, 2)
    parent = _native.explain_with_data(x, y, np.ones(5000), [1], 3, "none")[0][
        0
    ]  # pool now running
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue,))
    proc.start()
    proc.join(timeout=60)
    assert proc.exitcode == 0, "the forked child hung or crashed"
    assert queue.get(timeout=5) == parent


@pytest.mark.parametrize(
    "module", ["lime_rs", "lime_rs.lime_base", "lime_rs.explanation", "lime_rs.submodular_pick"]
)
def test_heavy_libraries_are_not_imported(module):
    code = f"import sys, {module}; print(sorted(m for m in ('sklearn', 'scipy', 'matplotlib', 'skimage') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_random_state_forms():
    assert draw_seed(check_random_state(3)) == draw_seed(check_random_state(3))
    assert draw_seed(check_random_state(3)) != draw_seed(check_random_state(4))
    gen = check_random_state(np.random.default_rng(5))
    assert isinstance(gen, np.random.Generator)
    assert draw_seed(gen) != draw_seed(gen)  # successive draws advance the state
    np.random.seed(7)
    a = draw_seed(check_random_state(None))
    np.random.seed(7)
    assert draw_seed(check_random_state(None)) == a
    for bad in ("3", 2.5, True, object()):
        with pytest.raises(TypeError, match="random_state"):
            check_random_state(bad)


def test_native_stubs_match_the_compiled_module():
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "lime_rs._native"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_native_errors_raise_their_own_exception_classes():
    from lime_rs import exceptions
    from lime_rs.lime_base import LimeBase

    nan = np.array([[1.0, np.nan], [2.0, 3.0]])
    cases = [
        (exceptions.NonFiniteError, lambda: _native.tabular_column_moments(nan)),
        (exceptions.ShapeError, lambda: _native.tabular_column_moments(np.zeros((0, 2)))),
        (
            exceptions.InvalidValueError,
            lambda: _native.tabular_percentiles(np.ones((3, 2)), [0], [101.0]),
        ),
        (
            exceptions.NumericalError,
            # finite values whose weighted sums overflow
            lambda: LimeBase(lambda d: 1.0 + 0.0 * d).explain_instance_with_data(
                np.random.RandomState(0).rand(20, 3) * 1.7e308,
                np.random.RandomState(1).rand(20, 2),
                np.zeros(20),
                1,
                2,
                "none",
            ),
        ),
    ]
    for cls, call in cases:
        assert issubclass(cls, exceptions.LimeError) and issubclass(cls, ValueError)
        with pytest.raises(cls) as info:
            call()
        assert isinstance(info.value, ValueError)  # existing `except ValueError` still catch it
