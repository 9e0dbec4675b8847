# lime_rs: every target does its own set-up on a fresh machine.
#   make demo   train models, explain predictions, write HTML and screenshots to out/
#   make test   cargo tests (core), pytest, wheel install check
#   make bench  pytest-benchmark: lime_rs against lime
#   make wheel  abi3 manylinux2014 wheel and sdist in dist/
#   make lint   rustfmt, clippy (x86_64 and aarch64), ruff, mypy, stubtest, workflow schema
#   make portability  the wheel under qemu-x86_64 -cpu Nehalem/Haswell against the native run
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(abspath $(VENV))/bin/python
PROFILE ?= release
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: demo test bench wheel wheel-test portability develop dev lint fmt clean chromium

$(VENV)/.deps: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "maturin>=1.9.4,<2" "ziglang>=0.13,<0.18" "auditwheel>=6.8" \
		"ruff>=0.6" "mypy>=1.10" "check-jsonschema>=0.29"
	$(PY) -m pip install --quiet "numpy>=1.24" "scipy>=1.10" "scikit-learn>=1.2" "scikit-image>=0.21" \
		"matplotlib>=3.6" "tqdm>=4.60" "pytest>=8" "pytest-benchmark>=4" "hypothesis>=6" \
		"lime==0.2.0.1" "pandas>=1.5" "dask[dataframe,distributed]>=2024.1"
	touch $@

# The extension, built in release mode into the venv.
develop: $(VENV)/.deps
	$(VENV)/bin/maturin develop --profile $(PROFILE)

# Faster build for iteration (no LTO).
dev:
	$(MAKE) develop PROFILE=dev-release

# Debian's chromium renders the HTML views (browser tests, demo screenshots).
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

demo: develop chromium
	$(PY) examples/demo.py
	$(PY) examples/views_demo.py

test: develop chromium
	cargo test --no-default-features --release
	@# once more with debug assertions on: the core's internal invariants are checked
	cargo test --no-default-features --profile dev
	$(PY) -m pytest -q
	$(MAKE) wheel-test

bench: develop
	$(PY) -m pytest benches -o python_files='bench_*.py' -q -s --benchmark-columns=min,median,rounds --benchmark-sort=name

# manylinux2014 (glibc 2.17): zig (PyPI's ziglang) links against old glibc symbols, so
# the wheel installs on any Linux from 2014 on, not only on ones as new as this host.
WHEEL_COMPAT ?= manylinux2014

wheel: $(VENV)/.deps
	rm -rf dist
	PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/maturin build --release --zig \
		--compatibility $(WHEEL_COMPAT) --out dist
	$(VENV)/bin/maturin sdist --out dist

# Check the wheel (auditwheel policy, no external libraries, licence files, stubs) and the
# sdist, then install the wheel into a clean venv without a Rust toolchain on PATH and use it.
wheel-test: wheel
	$(PY) scripts/check_wheel.py dist/lime_rs-*.whl dist/lime_rs-*.tar.gz
	rm -rf build/wheel-venv
	$(PYTHON) -m venv build/wheel-venv
	env -u VIRTUAL_ENV PATH=/usr/bin:/bin build/wheel-venv/bin/python -m pip install --quiet dist/lime_rs-*-abi3-*.whl
	cd build && env -u VIRTUAL_ENV PATH=/usr/bin:/bin wheel-venv/bin/python ../tests/wheel_smoke.py

# The wheel on older x86-64 CPUs, emulated by Debian's qemu-user: Nehalem (SSE4.2, no AVX,
# no FMA) and Haswell (AVX2, FMA) against this machine's native run (tests/portability_check.py).
portability: wheel-test
	@command -v qemu-x86_64 >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user >/dev/null)
	cd build && env -u VIRTUAL_ENV wheel-venv/bin/python ../tests/portability_check.py run native.json
	set -e; cd build && for cpu in Nehalem Haswell; do \
		env -u VIRTUAL_ENV qemu-x86_64 -cpu $$cpu wheel-venv/bin/python ../tests/portability_check.py run $$cpu.json; \
		$(PY) ../tests/portability_check.py compare native.json $$cpu.json --tol 1e-12; \
	done

# stubtest imports the compiled module, so lint builds it first (as make test does).
lint: develop
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	@# The aarch64 target comes from rustup's server; where it cannot be fetched, say so and go on.
	if rustup target add aarch64-unknown-linux-gnu; then \
		cargo clippy --target aarch64-unknown-linux-gnu --no-default-features -- -D warnings; \
	else echo "make lint: aarch64 target unavailable here; aarch64 clippy not run"; fi
	$(VENV)/bin/ruff check python tests benches examples scripts
	$(VENV)/bin/ruff format --check python tests benches examples scripts
	$(VENV)/bin/mypy python/lime_rs
	$(PY) -m mypy.stubtest lime_rs._native
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(PY) scripts/third_party_licenses.py --check

fmt:
	cargo fmt
	$(VENV)/bin/ruff format python tests benches examples scripts
	$(VENV)/bin/ruff check --fix python tests benches examples scripts

clean:
	rm -rf target dist build $(VENV)

# ---- documentation: Sphinx site from docs/ into docs/_build/html ----------------------
DOCS_DEPS := "sphinx>=8.1,<10" "pydata-sphinx-theme>=0.16,<1" "myst-parser>=4,<6"

$(VENV)/.docs-deps: $(VENV)/.deps
	$(PY) -m pip install --quiet $(DOCS_DEPS)
	touch $@

.PHONY: docs docs-deps
docs-deps: $(VENV)/.docs-deps

# Warnings are errors. tests/test_docs.py builds the same site (so `make test` checks it),
# runs every guide's code and looks at the pages in headless chromium.
docs: develop $(VENV)/.docs-deps
	$(PY) -m sphinx -b html -W --keep-going docs docs/_build/html
	@echo "open docs/_build/html/index.html"

test: $(VENV)/.docs-deps
