"""Benchmarks time lime_rs and lime on the same inputs in the same run and
report the ratio (lime time / lime_rs time). Run with ``make bench``."""

import json
import pathlib
import time

import pytest

RESULTS = []

# Prepended to a child script that measures the peak memory one call adds:
# ``base = reset_peak()`` before the call, ``peak_delta(base)`` (bytes) after.
PEAK_RSS = """
import resource

def _status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

_resettable = True

def reset_peak():
    global _resettable
    base = _status("VmRSS")
    try:
        open("/proc/self/clear_refs", "w").write("5")  # reset the peak (VmHWM) to now
    except OSError:
        _resettable = False
    return base

def peak_delta(base):
    if _resettable:
        return _status("VmHWM") - base
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
"""


def best_time(fn, *, min_rounds=3, max_seconds=2.0, warmup=True):
    """Smallest wall time of ``fn()`` over rounds filling ``max_seconds`` (at
    least ``min_rounds``, at most 10,000): a window long enough that a slow
    spell of this shared machine does not cover every round, even for a
    function that takes 0.1 ms."""
    if warmup:
        fn()
    best, start, rounds = float("inf"), time.perf_counter(), 0
    while rounds < min_rounds or (time.perf_counter() - start < max_seconds and rounds < 10_000):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
        rounds += 1
    return best


@pytest.fixture
def compare(benchmark):
    """``compare(name, ours, lime, target=50)``: times both (ours through
    pytest-benchmark), records the ratio and checks nothing (speed is reported,
    not asserted). ``target`` is the issue's ratio, or None where none is set."""

    def run(
        name, ours, reference, target, *, ours_overhead=None, reference_overhead=None, slow=False
    ):
        """``*_overhead``: callables returning the time to compare instead of
        the wall time (e.g. wall minus model time). ``slow``: few rounds."""
        benchmark.pedantic(ours, rounds=3 if slow else 20, warmup_rounds=1, iterations=1)
        budget = dict(min_rounds=1, max_seconds=0, warmup=False) if slow else {}
        t_ours = (ours_overhead or (lambda: best_time(ours, **budget)))()
        t_ref = (
            reference_overhead or (lambda: best_time(reference, **(budget or dict(min_rounds=2))))
        )()
        ratio = t_ref / t_ours
        benchmark.extra_info.update(lime_s=t_ref, lime_rs_s=t_ours, ratio=ratio, target=target)
        RESULTS.append(
            dict(
                name=name, lime_ms=t_ref * 1e3, lime_rs_ms=t_ours * 1e3, ratio=ratio, target=target
            )
        )
        return ratio

    return run


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    tr = terminalreporter
    tr.section("lime_rs vs lime (best of several rounds; ratio = lime / lime_rs)")
    tr.write_line(
        f"{'benchmark':70s} {'lime ms':>10s} {'lime_rs ms':>11s} {'ratio':>8s} {'target':>7s}"
    )
    for r in RESULTS:
        if r["target"] is None:
            verdict = "  (no target)"
        else:
            ok = "ok" if r["ratio"] >= r["target"] else "MISS"
            verdict = f"{r['target']:6g}x {ok}"
        tr.write_line(
            f"{r['name']:70s} {r['lime_ms']:10.3f} {r['lime_rs_ms']:11.4f} {r['ratio']:7.1f}x {verdict}"
        )
    out = pathlib.Path(__file__).parent / "results.json"
    out.write_text(json.dumps(RESULTS, indent=1))
