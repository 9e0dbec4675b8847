"""Run by `make wheel-test` inside a clean venv that has only the built wheel
(no Rust toolchain on PATH, no source tree on sys.path)."""

import pathlib
import sys
from importlib import metadata

import numpy as np

import lime_rs
from lime_rs.lime_base import LimeBase

here = pathlib.Path(lime_rs.__file__).resolve()
assert "site-packages" in str(here), f"lime_rs imported from the source tree: {here}"
assert (here.parent / "py.typed").exists() and (here.parent / "_native.pyi").exists()
# One version: the package metadata's is Cargo.toml's, which the extension reports.
assert metadata.version("lime-rs") == lime_rs.__version__, metadata.version("lime-rs")
shipped = {pathlib.PurePath(str(f)).name for f in metadata.files("lime-rs") or []}
missing = {"LICENSE", "NOTICE", "THIRD_PARTY_LICENSES"} - shipped
assert not missing, f"licence files missing from the installed wheel: {missing}"

rs = np.random.RandomState(0)
x = rs.randn(500, 6)
y = np.c_[x @ rs.randn(6), x @ rs.randn(6)]
dist = np.linalg.norm(x - x[0], axis=1)
intercept, exp, score, local_pred = LimeBase(
    lambda d: np.sqrt(np.exp(-(d**2) / 4.0))
).explain_instance_with_data(x, y, dist, 1, 3, "forward_selection")
assert len(exp) == 3 and 0.0 <= score <= 1.0 + 1e-12
print(
    f"wheel OK: lime_rs {lime_rs.__version__} on Python {sys.version.split()[0]}, top feature {int(exp[0][0])}"
)
