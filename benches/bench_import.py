"""Import time of lime_rs.lime_tabular against lime.lime_tabular, each in a
fresh interpreter (that the import loads no heavy library is
tests/test_tabular.py::test_import_is_light's job).

    make bench   # or: .venv/bin/python -m pytest benches/bench_import.py -q -s
"""

import subprocess
import sys


def import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True
    )
    return float(out.stdout.split()[-1])


def test_import_tabular(compare):
    # was asserted in the test suite: under 150 ms idle, or under a quarter of lime's time
    ratio = compare(
        "import lime_rs.lime_tabular (fresh interpreter)",
        lambda: import_seconds("lime_rs.lime_tabular"),
        None,
        4,
        ours_overhead=lambda: min(import_seconds("lime_rs.lime_tabular") for _ in range(3)),
        reference_overhead=lambda: min(import_seconds("lime.lime_tabular") for _ in range(2)),
        slow=True,
    )
    print(f"\nimport lime.lime_tabular / lime_rs.lime_tabular = {ratio:.1f}x")
