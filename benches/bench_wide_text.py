"""A char-level explanation without bag of words of a 5,000-character
document: as many features as samples (5000 x 5000), the shape that makes
lime_rs solve the ridge in the sample space (issue 19). lime and lime_rs each
run in a fresh process; the bench reports wall time and the peak memory the
explanation adds, and their ratios.

    .venv/bin/python -m pytest benches/bench_wide_text.py -q -s
"""

import json
import subprocess
import sys

from conftest import PEAK_RSS

SCRIPT = r"""
import json, random, sys, time
import numpy as np

module, num_features = sys.argv[1], int(sys.argv[2])
if module == "lime_rs":
    from lime_rs.lime_text import LimeTextExplainer
else:
    from lime.lime_text import LimeTextExplainer
random.seed(0)
words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa", "lambda"]
doc = " ".join(random.choice(words) for _ in range(1200))[:5000]

def model(texts):
    share = np.array([t.count("a") for t in texts]) / doc.count("a")
    return np.c_[1 - share, share]

explainer = LimeTextExplainer(char_level=True, bow=False, random_state=0)
explainer.explain_instance(doc[:300], model, num_features=num_features, num_samples=50)

base = reset_peak()
t = time.perf_counter()
exp = explainer.explain_instance(doc, model, num_features=num_features, num_samples=5000)
seconds = time.perf_counter() - t
top = [str(w) for w, _ in exp.as_list()[:5]]
print(json.dumps({"seconds": seconds, "peak_delta": peak_delta(base), "top": top}))
"""


def run(module: str, num_features: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PEAK_RSS + SCRIPT, module, str(num_features)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_char_level_without_bow(benchmark):
    ours = run("lime_rs", 10)
    theirs = run("lime", 10)
    mb = 2**20
    benchmark.extra_info.update(
        lime_rs_seconds=ours["seconds"],
        lime_seconds=theirs["seconds"],
        lime_rs_peak_mb=ours["peak_delta"] / mb,
        lime_peak_mb=theirs["peak_delta"] / mb,
    )
    benchmark.pedantic(lambda: None, rounds=1)
    print(
        f"\nchar-level bow=False, 5000 chars x 5000 samples, nf=10: "
        f"lime_rs {ours['seconds']:.2f} s / {ours['peak_delta'] / mb:.0f} MB, "
        f"lime {theirs['seconds']:.2f} s / {theirs['peak_delta'] / mb:.0f} MB; "
        f"time ratio lime / lime_rs = {theirs['seconds'] / ours['seconds']:.1f}x, "
        f"memory ratio = {theirs['peak_delta'] / max(ours['peak_delta'], 1):.2f}x"
    )
    # the same document explained the same way: the model counts the a's
    assert set(ours["top"]) == set(theirs["top"]) == {"a"}, (ours["top"], theirs["top"])
