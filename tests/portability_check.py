"""Same explanations on every x86-64 CPU (`make portability`).

    python tests/portability_check.py run OUT.json
    python tests/portability_check.py compare NATIVE.json OTHER.json [--tol 1e-12]

`run` explains a fixed set of small problems with the installed lime_rs and writes
every selected feature and every number (weights, intercepts, scores, local
predictions, segments, picks) to OUT.json; `make portability` runs it natively and
under `qemu-x86_64 -cpu Nehalem` (SSE4.2, no AVX, no FMA) and `-cpu Haswell` (AVX2,
FMA), then `compare` asks for identical features and numbers within `--tol`
(|a - b| <= tol * max(1, |a|)), printing the largest difference found.

The models below use only correctly rounded element-wise arithmetic (no BLAS, no
numpy `exp`, whose SIMD kernels differ by CPU), so any difference comes from lime_rs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from typing import Any

import numpy as np

Record = dict[str, Any]


def squash(z: np.ndarray) -> np.ndarray:
    """A sigmoid from +, *, / and abs only: the same bits on every CPU."""
    return 0.5 + 0.5 * z / (1.0 + np.abs(z))


def two_class(z: np.ndarray) -> np.ndarray:
    p = squash(z)
    return np.stack([1.0 - p, p], axis=1)


def record_explanation(exp: Any) -> Record:
    features, numbers = [], []
    for label in sorted(exp.local_exp):
        pairs = exp.local_exp[label]
        features.append([int(label), *(int(f) for f, _ in pairs)])
        numbers += [float(w) for _, w in pairs]
        numbers.append(float(np.asarray(exp.intercept[label]).ravel()[0]))
    score, local = exp.score, exp.local_pred
    numbers += [
        float(v) for v in np.ravel(list(score.values()) if isinstance(score, dict) else score)
    ]
    numbers += [
        float(v) for v in np.ravel(list(local.values()) if isinstance(local, dict) else local)
    ]
    return {"features": features, "numbers": numbers}


def tabular(records: dict[str, Record]) -> None:
    from lime_rs.lime_tabular import LimeTabularExplainer
    from lime_rs.submodular_pick import SubmodularPick

    rs = np.random.RandomState(0)
    n = 300
    x = np.c_[rs.randn(n, 4) * [1.0, 2.0, 0.5, 3.0], rs.randint(0, 3, n), rs.randint(0, 4, n)]
    weights = [1.5, -0.7, 2.0, 0.3]

    def predict(rows: np.ndarray) -> np.ndarray:
        z = rows[:, 0] * weights[0]
        for j in range(1, 4):
            z = z + rows[:, j] * weights[j]
        z = z + (rows[:, 4] == 1) * 1.25 - (rows[:, 5] == 3) * 0.75
        return two_class(z)

    for discretize in (True, False):
        name = "discretized" if discretize else "continuous"
        explainer = LimeTabularExplainer(
            x,
            categorical_features=[4, 5],
            discretize_continuous=discretize,
            random_state=1,
        )
        exp = explainer.explain_instance(x[3], predict, num_features=4, num_samples=1000)
        records[f"tabular {name} explain_instance"] = record_explanation(exp)
        many = explainer.explain_instances(x[5:9], predict, num_features=4, num_samples=1000)
        for i, e in enumerate(many):
            records[f"tabular {name} explain_instances[{i}]"] = record_explanation(e)

    explainer = LimeTabularExplainer(x, categorical_features=[4, 5], random_state=2)
    pick = SubmodularPick(
        explainer, x[:40], predict, method="full", num_exps_desired=3, num_features=3,
        num_samples=500,
    )  # fmt: skip
    records["submodular_pick"] = {
        "features": [[int(v) for v in pick.V]],
        "numbers": [w for e in pick.sp_explanations for w in record_explanation(e)["numbers"]],
    }


def lime_base(records: dict[str, Record]) -> None:
    from lime_rs.lime_base import LimeBase

    rs = np.random.RandomState(4)
    data = rs.randn(600, 12)
    labels = np.c_[squash(data[:, 0] * 2.0 - data[:, 3] + data[:, 7] * 0.5), rs.rand(600)]
    distances = np.sqrt(((data - data[0]) ** 2).sum(axis=1))
    base = LimeBase(lambda d: 1.0 / (1.0 + d**2), random_state=5)
    for method in ("none", "forward_selection", "highest_weights", "lasso_path", "auto"):
        for k in (3, 8):
            intercept, exp, score, local = base.explain_instance_with_data(
                data, labels, distances, 0, k, feature_selection=method
            )
            records[f"lime_base {method} k={k}"] = {
                "features": [[int(f) for f, _ in exp]],
                "numbers": [float(w) for _, w in exp]
                + [float(intercept), float(score), float(np.ravel(local)[0])],
            }


def text(records: dict[str, Record]) -> None:
    from lime_rs.lime_text import LimeTextExplainer

    docs = [
        "the service was great and the food was excellent, great value",
        "terrible food, slow service, never again; the worst evening",
        "an average place: good coffee, bad cake, friendly staff and great music",
    ]
    good, bad = ("great", "excellent", "good", "friendly"), ("terrible", "worst", "bad", "slow")

    def classify(texts: list[str]) -> np.ndarray:
        z = []
        for t in texts:
            words = t.replace(",", " ").replace(";", " ").replace(":", " ").split()
            z.append(sum(w in good for w in words) - 1.5 * sum(w in bad for w in words))
        return two_class(np.asarray(z, dtype=np.float64))

    explainer = LimeTextExplainer(random_state=6)
    exp = explainer.explain_instance(docs[0], classify, num_features=5, num_samples=500)
    records["text explain_instance"] = record_explanation(exp)
    for i, e in enumerate(
        explainer.explain_instances(docs, classify, num_features=5, num_samples=500)
    ):
        records[f"text explain_instances[{i}]"] = record_explanation(e)


def image(records: dict[str, Record]) -> None:
    from lime_rs.lime_image import LimeImageExplainer
    from lime_rs.wrappers.scikit_image import SegmentationAlgorithm

    rs = np.random.RandomState(7)
    img = np.zeros((32, 32, 3), dtype=np.uint8)
    img[:16, :16] = [200, 30, 30]
    img[16:, 8:] = [30, 180, 60]
    img[4:12, 18:30] = [40, 40, 220]
    img = np.clip(img.astype(np.int64) + rs.randint(-20, 21, img.shape), 0, 255).astype(np.uint8)

    def classify(images: np.ndarray) -> np.ndarray:
        # Integer sums are exact in any order; one division rounds them the same everywhere.
        red = images[:, :16, :16, 0].astype(np.int64).sum(axis=(1, 2))
        blue = images[:, 4:12, 18:30, 2].astype(np.int64).sum(axis=(1, 2))
        return two_class((red - blue) / 10000.0)

    segmenter = SegmentationAlgorithm(
        "quickshift_rs", kernel_size=2, max_dist=20, ratio=0.5, random_seed=8
    )
    segments = segmenter(img)
    explainer = LimeImageExplainer(random_state=9)
    exp = explainer.explain_instance(
        img, classify, top_labels=2, num_samples=300, segmentation_fn=segmenter,
        progress_bar=False,
    )  # fmt: skip
    rec = record_explanation(exp)
    digest = hashlib.sha256(np.ascontiguousarray(segments, dtype=np.int64).tobytes()).hexdigest()
    rec["features"].append([int(segments.max()) + 1, digest])
    records["image quickshift_rs"] = rec


def run(path: str) -> None:
    records: dict[str, Record] = {}
    for part in (tabular, lime_base, text, image):
        part(records)
    with open(path, "w") as f:
        json.dump(records, f, indent=0, sort_keys=True)
    print(f"{len(records)} explanations written to {path}")


def compare(native_path: str, other_path: str, tol: float) -> int:
    with open(native_path) as f:
        native = json.load(f)
    with open(other_path) as f:
        other = json.load(f)
    failures, worst, worst_at, identical = [], 0.0, "", 0
    for name in sorted(set(native) | set(other)):
        a, b = native.get(name), other.get(name)
        if a is None or b is None:
            failures.append(f"{name}: missing in one run")
            continue
        if a["features"] != b["features"]:
            failures.append(f"{name}: selected features differ: {a['features']} vs {b['features']}")
        if len(a["numbers"]) != len(b["numbers"]):
            failures.append(f"{name}: {len(a['numbers'])} vs {len(b['numbers'])} numbers")
            continue
        identical += a["numbers"] == b["numbers"]
        for x, y in zip(a["numbers"], b["numbers"]):
            diff = abs(x - y) / max(1.0, abs(x)) if math.isfinite(x) else float(x != y)
            if diff > worst:
                worst, worst_at = diff, name
            if diff > tol:
                failures.append(f"{name}: {x!r} vs {y!r} (relative {diff:.2e} > {tol:.0e})")
    print(
        f"{other_path}: {len(native)} explanations, {identical} bit-identical, largest relative "
        f"difference {worst:.2e}{f' ({worst_at})' if worst else ''}; features identical: "
        f"{not any('features' in f for f in failures)}"
    )
    for f in failures[:20]:
        print(f"FAIL: {f}")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("run").add_argument("out")
    cmp = sub.add_parser("compare")
    cmp.add_argument("native")
    cmp.add_argument("other")
    cmp.add_argument("--tol", type=float, default=1e-12)
    args = parser.parse_args(argv)
    if args.cmd == "run":
        run(args.out)
        return 0
    return compare(args.native, args.other, args.tol)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
