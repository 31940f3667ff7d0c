# The two commands of the README:
#   make demo   set everything up on a fresh machine and run examples/demo.py
#   make test   set everything up and run the Rust and Python test suites
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PYO3_PYTHON := $(abspath $(PY))

.PHONY: demo test setup setup-browser test-rust test-python bench lint fmt clean wheel docs

demo: setup
	$(PY) examples/demo.py

test: setup setup-browser test-rust test-python

setup:
	@scripts/setup-venv.sh

setup-browser:
	@scripts/setup-browser.sh

# Rust tests that touch Python objects link libpython: point the loader at the interpreter's.
test-rust:
	LD_LIBRARY_PATH="$$($(PY) -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))')$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}" \
		cargo test --quiet

test-python:
	$(PY) -m pytest -q tests

# The docs site (README, docs/, an API reference, search) in site/: open site/index.html.
docs: setup
	$(PY) scripts/build-docs.py --out site

# A wheel for the interpreter of .venv (README: "Use it in your project").
wheel: setup
	$(VENV)/bin/maturin build --release --interpreter $(PY) --out dist

bench: setup
	bench/run.sh

lint: setup
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	$(VENV)/bin/ruff check python tests bench examples
	$(VENV)/bin/ruff format --check python tests bench examples
	@# src/common's layers import one way: any cycle among them fails (tests/real/test_module_cycles.py too).
	python3 scripts/module-cycles.py src/common --max 1

fmt: setup
	cargo fmt
	$(VENV)/bin/ruff format python tests bench examples
	$(VENV)/bin/ruff check --fix python tests bench examples

clean:
	rm -rf target $(VENV)
