# lime_rs: every target does its own set-up on a fresh machine.
#   make demo   train models, explain predictions, write HTML and screenshots to out/
#   make test   cargo tests (core), pytest, wheel install check
#   make bench  pytest-benchmark: lime_rs against lime
#   make wheel  abi3 wheel in dist/
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(abspath $(VENV))/bin/python
PROFILE ?= release
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: demo test bench wheel wheel-test develop dev lint fmt clean chromium

$(VENV)/.deps: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "maturin>=1.9.4,<2" ruff mypy
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
	$(PY) -m pytest -q
	$(MAKE) wheel-test

bench: develop
	$(PY) -m pytest benches -o python_files='bench_*.py' -q -s --benchmark-columns=min,median,rounds --benchmark-sort=name

wheel: $(VENV)/.deps
	$(VENV)/bin/maturin build --release --out dist

# Install the wheel into a clean venv without a Rust toolchain on PATH and use it.
wheel-test: wheel
	rm -rf build/wheel-venv
	$(PYTHON) -m venv build/wheel-venv
	env -u VIRTUAL_ENV PATH=/usr/bin:/bin build/wheel-venv/bin/python -m pip install --quiet dist/lime_rs-*-abi3-*.whl
	cd build && env -u VIRTUAL_ENV PATH=/usr/bin:/bin wheel-venv/bin/python ../tests/wheel_smoke.py

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	$(VENV)/bin/ruff check python tests benches examples
	$(VENV)/bin/ruff format --check python tests benches examples

fmt:
	cargo fmt
	$(VENV)/bin/ruff format python tests benches examples
	$(VENV)/bin/ruff check --fix python tests benches examples

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
