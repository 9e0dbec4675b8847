"""Check a built wheel (and the sdist) before anyone installs them (`make wheel-test`).

- `auditwheel show`: a Linux wheel must be manylinux_2_17 (manylinux2014) or older and
  need no shared library outside the manylinux policy.
- The wheel ships LICENSE, NOTICE, THIRD_PARTY_LICENSES (.dist-info/licenses/), the
  type stubs and py.typed; the sdist ships the licence files and the sources.

    python scripts/check_wheel.py dist/lime_rs-*.whl [dist/lime_rs-*.tar.gz]
"""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys
import tarfile
import zipfile

MAX_GLIBC = (2, 17)
LICENCE_FILES = ("LICENSE", "NOTICE", "THIRD_PARTY_LICENSES")


def check_auditwheel(wheel: pathlib.Path) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-m", "auditwheel", "show", "--json", str(wheel)],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        return [f"auditwheel show failed on {wheel.name}: {out.stderr.strip()}"]
    report = json.loads(out.stdout)
    tag, external = report["overall_tag"], report["external_libs"]
    print(f"auditwheel: {wheel.name}: policy {tag}, external libraries {external or 'none'}")
    problems = []
    policy = re.fullmatch(r"(manylinux|musllinux)_(\d+)_(\d+)_\w+", tag)
    if policy is None:
        problems.append(f"policy {tag} is no manylinux/musllinux policy")
    elif policy.group(1) == "manylinux" and (int(policy[2]), int(policy[3])) > MAX_GLIBC:
        problems.append(f"policy {tag} is newer than manylinux_2_17 (manylinux2014)")
    if external:
        problems.append(f"the wheel needs external shared libraries: {sorted(external)}")
    if report.get("unsupported_isa"):
        problems.append("the wheel needs ISA extensions beyond its platform's baseline")
    return problems


def check_wheel_files(wheel: pathlib.Path) -> list[str]:
    names = zipfile.ZipFile(wheel).namelist()
    wanted = [f".dist-info/licenses/{f}" for f in LICENCE_FILES]
    wanted += ["lime_rs/_native.pyi", "lime_rs/py.typed", "lime_rs/__init__.py"]
    missing = [w for w in wanted if not any(n.endswith(w) for n in names)]
    if not any(re.match(r"lime_rs/_native\.(abi3\.so|pyd)$", n) for n in names):
        missing.append("lime_rs/_native extension")
    return [f"{wheel.name} lacks {m}" for m in missing]


def check_sdist(sdist: pathlib.Path) -> list[str]:
    names = {n.split("/", 1)[1] for n in tarfile.open(sdist).getnames() if "/" in n}
    wanted = [*LICENCE_FILES, "Cargo.toml", "Cargo.lock", "pyproject.toml", "src/lib.rs"]
    return [f"{sdist.name} lacks {w}" for w in wanted if w not in names]


def main(paths: list[str]) -> int:
    problems: list[str] = []
    for p in map(pathlib.Path, paths):
        if p.suffix == ".whl":
            if "linux" in p.name:
                problems += check_auditwheel(p)
            problems += check_wheel_files(p)
        else:
            problems += check_sdist(p)
    for p in problems:
        print(f"FAIL: {p}")
    if not problems:
        print(f"OK: {', '.join(pathlib.Path(p).name for p in paths)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
