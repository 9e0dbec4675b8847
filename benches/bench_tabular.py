"""lime_rs.lime_tabular against lime.lime_tabular, timed in the same run.

* explanation overhead (wall time minus the model's own time) on
  breast_cancer (30 features), 5000 samples, a LogisticRegression model:
  quartile num_features=10, quartile num_features=5 (forward selection),
  continuous num_features=10;
* explainer construction on 200,000 x 30 rows (quartile);
* peak memory (resident set) of one explanation, each library in a fresh process;
* issue #21: lime_rs's overhead with 20% missing values, two features held fixed and a
  group of 10 columns, against its overhead without them.

Run: ``make bench`` or ``python -m pytest benches/bench_tabular.py -s``.
Each test prints lime's and lime_rs's numbers and the ratio, and stores them in
``benchmark.extra_info``.
"""

import json
import statistics
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

lime_tabular = pytest.importorskip("lime.lime_tabular")

import lime_rs.lime_tabular as rs_tabular  # noqa: E402

NUM_SAMPLES = 5000


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    ds = load_breast_cancer()
    model = LogisticRegression(max_iter=5000).fit(ds.data, ds.target)
    return ds.data, [str(f) for f in ds.feature_names], model


class TimedModel:
    """predict_proba that accumulates its own time."""

    def __init__(self, model):
        self.model = model
        self.seconds = 0.0

    def __call__(self, x):
        start = time.perf_counter()
        out = self.model.predict_proba(x)
        self.seconds += time.perf_counter() - start
        return out


def overheads(explainer, row, model, num_features, calls):
    """Per-call overhead (seconds): wall time minus the model's time."""
    out = []
    for _ in range(calls + 1):  # the first call warms up
        timed = TimedModel(model)
        start = time.perf_counter()
        explainer.explain_instance(row, timed, num_features=num_features, num_samples=NUM_SAMPLES)
        out.append(time.perf_counter() - start - timed.seconds)
    return out[1:]


CASES = {
    "quartile-nf10": (dict(), 10),
    "quartile-nf5": (dict(), 5),
    "continuous-nf10": (dict(discretize_continuous=False), 10),
}


def _report(name, extra, lime_value, rs_value, unit):
    ratio = lime_value / rs_value if rs_value > 0 else float("inf")
    extra.update({"lime_" + unit: lime_value, "lime_rs_" + unit: rs_value, "ratio": ratio})
    print(
        f"\n{name}: lime {lime_value:.4g} {unit}, lime_rs {rs_value:.4g} {unit}, ratio {ratio:.1f}x"
    )
    return ratio


@pytest.mark.parametrize("case", list(CASES))
def test_explain_overhead(benchmark, cancer, case):
    X, names, model = cancer
    kwargs, num_features = CASES[case]
    row = X[3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lime's deprecation noise
        lime_explainer = lime_tabular.LimeTabularExplainer(
            X, feature_names=names, random_state=0, **kwargs
        )
        lime_calls = 3 if num_features <= 6 else 8
        lime_over = overheads(lime_explainer, row, model, num_features, lime_calls)
    rs_explainer = rs_tabular.LimeTabularExplainer(X, feature_names=names, random_state=0, **kwargs)
    rs_over = overheads(rs_explainer, row, model, num_features, 60)

    extra = benchmark.extra_info
    extra["lime_overhead_ms_median"] = 1e3 * statistics.median(lime_over)
    extra["lime_rs_overhead_ms_median"] = 1e3 * statistics.median(rs_over)
    extra["ratio_median"] = statistics.median(lime_over) / statistics.median(rs_over)
    _report(
        f"overhead {case} (best of runs)", extra, 1e3 * min(lime_over), 1e3 * min(rs_over), "ms"
    )
    print(
        f"  medians: lime {extra['lime_overhead_ms_median']:.3f} ms, "
        f"lime_rs {extra['lime_rs_overhead_ms_median']:.3f} ms, "
        f"ratio {extra['ratio_median']:.1f}x"
    )

    timed = TimedModel(model)
    benchmark.pedantic(
        rs_explainer.explain_instance,
        args=(row, timed),
        kwargs=dict(num_features=num_features, num_samples=NUM_SAMPLES),
        rounds=30,
        iterations=1,
        warmup_rounds=2,
    )


def test_construction_200k(benchmark):
    X = np.random.RandomState(0).normal(size=(200_000, 30))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        lime_tabular.LimeTabularExplainer(X, random_state=0)
        lime_seconds = time.perf_counter() - start
    rs_times = []
    for _ in range(5):
        start = time.perf_counter()
        rs_tabular.LimeTabularExplainer(X, random_state=0)
        rs_times.append(time.perf_counter() - start)
    _report(
        "construction 200000 x 30 (quartile)",
        benchmark.extra_info,
        lime_seconds,
        min(rs_times),
        "s",
    )
    benchmark.pedantic(
        rs_tabular.LimeTabularExplainer, args=(X,), kwargs=dict(random_state=0), rounds=3
    )


_MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, sys, warnings
    warnings.simplefilter("ignore")
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    if sys.argv[1] == "lime":
        from lime.lime_tabular import LimeTabularExplainer
    else:
        from lime_rs.lime_tabular import LimeTabularExplainer
    ds = load_breast_cancer()
    model = LogisticRegression(max_iter=5000).fit(ds.data, ds.target)
    kw = {} if sys.argv[2] == "quartile" else {"discretize_continuous": False}
    explainer = LimeTabularExplainer(ds.data, random_state=0, **kw)

    def status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])  # kB

    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak resident set size
    before = status("VmRSS:")
    exp = explainer.explain_instance(ds.data[3], model.predict_proba, num_samples=5000)
    peak = status("VmHWM:")
    print(json.dumps({"peak_increase_kb": peak - before}))
    """
)


def _peak_kb(library, case):
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT, library, case],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_increase_kb"]


@pytest.mark.parametrize("case", ["quartile", "continuous"])
def test_peak_memory_of_one_explanation(benchmark, case):
    lime_kb = min(_peak_kb("lime", case) for _ in range(2))
    rs_kb = min(_peak_kb("lime_rs", case) for _ in range(2))
    _report(
        f"peak memory increase, one explanation ({case})",
        benchmark.extra_info,
        lime_kb,
        rs_kb,
        "kB",
    )
    assert rs_kb <= lime_kb, (rs_kb, lime_kb)
    benchmark.pedantic(lambda: None, rounds=1)


# --- issue #21: missing values, feature groups, features held fixed ---


class TimedNanModel(TimedModel):
    """A model that takes NaN (mean-imputing), timed as the model."""

    def __call__(self, x):
        start = time.perf_counter()
        out = self.model.predict_proba(np.nan_to_num(x))
        self.seconds += time.perf_counter() - start
        return out


def _nan_overheads(explainer, row, model, calls, **kw):
    out = []
    for _ in range(calls + 1):
        timed = TimedNanModel(model)
        start = time.perf_counter()
        explainer.explain_instance(row, timed, num_samples=NUM_SAMPLES, **kw)
        out.append(time.perf_counter() - start - timed.seconds)
    return out[1:]


DATA_CASES = ["missing-20pct", "fixed-2", "group-10"]


@pytest.mark.parametrize("discretize", [True, False], ids=["quartile", "continuous"])
@pytest.mark.parametrize("case", DATA_CASES)
def test_data_options_overhead(benchmark, cancer, case, discretize):
    """lime_rs's overhead with each option against lime_rs's without it (lime
    has none of them), on breast_cancer; missing-20pct: 20% of the training
    values and of the row's set to NaN."""
    X, names, model = cancer
    kw = {} if discretize else {"discretize_continuous": False}
    base = rs_tabular.LimeTabularExplainer(X, feature_names=names, random_state=0, **kw)
    row, call = X[3], {}
    if case == "missing-20pct":
        Xm = X.copy()
        Xm[np.random.default_rng(0).random(X.shape) < 0.2] = np.nan
        explainer = rs_tabular.LimeTabularExplainer(Xm, feature_names=names, random_state=0, **kw)
        row = Xm[3]
    elif case == "fixed-2":
        explainer = base
        call = {"fixed_features": [0, 1]}
    else:
        groups = {"mean": names[:10]}
        explainer = rs_tabular.LimeTabularExplainer(
            X, feature_names=names, random_state=0, feature_groups=groups, **kw
        )
    base_over = _nan_overheads(base, X[3], model, 40)
    over = _nan_overheads(explainer, row, model, 40, **call)
    extra = benchmark.extra_info
    extra["base_overhead_ms"] = 1e3 * min(base_over)
    extra["overhead_ms"] = 1e3 * min(over)
    extra["extra_percent"] = 100 * (min(over) / min(base_over) - 1)
    print(
        f"\n{case} ({'quartile' if discretize else 'continuous'}): overhead "
        f"{extra['overhead_ms']:.3f} ms vs {extra['base_overhead_ms']:.3f} ms without "
        f"(+{extra['extra_percent']:.0f}%)"
    )
    benchmark.pedantic(
        explainer.explain_instance,
        args=(row, TimedNanModel(model)),
        kwargs=dict(num_samples=NUM_SAMPLES, **call),
        rounds=20,
        iterations=1,
        warmup_rounds=2,
    )
