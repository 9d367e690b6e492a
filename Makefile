# The two commands of the README:  `make demo`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit cli bench bench-scale outputs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## cli: build or find the Pulumi CLI (prints its bin directory)
cli:
	@scripts/install-pulumi

## demo: start the emulator, then `pulumi preview` and `pulumi up` of the example program
demo: $(STAMP)
	$(PY) scripts/demo.py

## outputs: show the demo stack's outputs again
outputs: $(STAMP)
	$(PY) scripts/demo.py --outputs

## lint: ruff and mypy
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## test: lint, then the whole suite (unit, emulator, contract, end-to-end with the real Pulumi CLI)
test: $(STAMP) lint
	PULUMI_BIN_DIR="$$(scripts/install-pulumi | tail -n 1)" $(PY) -m pytest

## bench: the benchmark table at 0 and 100 ms per API call, N up to 1,000 (see README)
bench: $(STAMP)
	PULUMI_BIN_DIR="$$(scripts/install-pulumi | tail -n 1)" $(PY) bench/run.py

## bench-scale: 5,000 organizations through every command, with memory and state size (see README)
bench-scale: $(STAMP)
	PULUMI_BIN_DIR="$$(scripts/install-pulumi | tail -n 1)" $(PY) bench/scale.py

clean:
	rm -rf .demo $(VENV) .pytest_cache .mypy_cache .ruff_cache
