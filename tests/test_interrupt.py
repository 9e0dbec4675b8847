"""Ctrl-C during a long native call: the bindings run Python's signal
handlers every ~50 ms of work, so a handler runs while the call works (not
once after it returns), KeyboardInterrupt stops the call, and the explainer
works afterwards.

Each case runs in a child process that prints ``started`` when the long
native call begins (each call takes several seconds uninterrupted). The test
counts handler runs and checks outcomes, not times.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")

# A char-level document without bag of words: every character is a feature,
# and num_features <= 6 selects forward_selection, which builds the d x d
# weighted Gram matrix of the 5000 x 5000 neighbourhood in one native call
# (~10 s uninterrupted on 2 cores; the batch below ~6 s).
TEXT = """
import random, sys, time
import numpy as np
from lime_rs.lime_text import LimeTextExplainer

random.seed(0)
words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa"]
doc = " ".join(random.choice(words) for _ in range(1200))[:5000]

announced = False

def model(texts):
    global announced
    out = np.array([[1 - t.count("a") % 7 / 7, t.count("a") % 7 / 7] for t in texts])
    if len(texts) > 100 and not announced:
        announced = True
        print("started", flush=True)  # the native fit follows
    return out

explainer = LimeTextExplainer(char_level=True, bow=False, random_state=0)
def long_call():
    global announced
    announced = False
    explainer.explain_instance(doc, model, num_features=5)
def short_call():
    return explainer.explain_instance(doc[:200], model, num_features=5, num_samples=100)
"""

# Many wide neighbourhoods fitted in one native call, in parallel over rows
# on the pool's threads (which never call Python).
BATCH = """
import numpy as np
from lime_rs import _native

rng = np.random.default_rng(0)
n, d, rows = 2500, 2500, 60
data = (rng.random((n, d)) < rng.random((n, 1))).astype(np.float64)
data[0] = 1.0
labels = np.c_[data[:, :50].sum(axis=1), data[:, 50:100].sum(axis=1)] / 50
weights = np.exp(-((1 - data.mean(axis=1)) ** 2) * 4)

def long_call():
    print("started", flush=True)
    _native.explain_with_data_many(
        [data] * rows, [labels] * rows, [weights] * rows, [[0, 1]] * rows, 10, "highest_weights"
    )
def short_call():
    return _native.explain_with_data(data[:300, :300], labels[:300], weights[:300], [1], 5, "auto")
"""

# Quick shift of a large image (~10 s uninterrupted on 2 cores): the density
# and link passes run over row blocks on the pool's threads.
IMAGE = """
import numpy as np
from lime_rs.wrappers.scikit_image import quickshift_rs

image = np.random.default_rng(0).random((2400, 2400, 3))

def long_call():
    print("started", flush=True)
    quickshift_rs(image, kernel_size=10, max_dist=200, ratio=0.2)
def short_call():
    return quickshift_rs(image[:64, :64], kernel_size=4, max_dist=200, ratio=0.2)
"""

RUN = """
import signal

# 1. Handlers run during the call: a handler that does not raise is called for
# each SIGINT the parent sends while the call runs (signals pending at once
# coalesce, so a core that only returns at its end would call it once), and
# the call completes.
handled = 0
def count(signum, frame):
    global handled
    handled += 1
signal.signal(signal.SIGINT, count)
long_call()
print("handled", handled, flush=True)

# 2. Python's own handler raises KeyboardInterrupt out of the call, and the
# explainer works afterwards.
signal.signal(signal.SIGINT, signal.default_int_handler)
try:
    long_call()
    print("completed", flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
short_call()
print("usable", flush=True)
"""


def _wait_for(child: subprocess.Popen, word: str) -> list[str]:
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.split()[:1] == [word], line + (child.stderr.read() if child.stderr else "")
    return line.split()


@pytest.mark.parametrize(
    "case", [TEXT, BATCH, IMAGE], ids=["char_level_text", "batch", "quickshift"]
)
def test_ctrl_c_reaches_a_long_native_call(case: str) -> None:
    script = textwrap.dedent(case) + RUN
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        _wait_for(child, "started")
        time.sleep(0.7)  # well inside the native call
        for _ in range(3):  # spaced apart, all within the call's first two seconds
            time.sleep(0.3)
            child.send_signal(signal.SIGINT)
        handled = int(_wait_for(child, "handled")[1])
        _wait_for(child, "started")
        time.sleep(0.3)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=300)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert handled >= 2, f"the handler ran {handled} time(s): only after the call returned"
    lines = out.split()
    assert child.returncode == 0, err
    assert lines == ["interrupted", "usable"], out + err
