# The two commands of the README:  `make demo`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# One pytest worker per core, plus one (pytest-xdist; tests/conftest.py says why); the packaging tests share
# one worker (their xdist_group).
PARALLEL ?= -n auto --dist loadgroup

.PHONY: demo demo-yaml demo-destroy test lint unit cli bench bench-scale outputs clean schema sdks plugin-archive

$(STAMP): pyproject.toml emulator/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' -e ./emulator
	touch $(STAMP)

## cli: build or find the Pulumi CLI (prints its bin directory)
cli:
	@scripts/install-pulumi

## demo: start the emulator, then `pulumi preview` and `pulumi up` of the example program
demo: $(STAMP)
	$(PY) scripts/demo.py

## demo-yaml: the same organizations from a YAML program (examples/yaml), through the provider plugin
##   (installs pulumi-resource-polytomic into the demo's Pulumi home with `pulumi plugin install --file`)
demo-yaml: $(STAMP)
	$(PY) scripts/demo.py --program yaml

## demo-destroy: delete the demo's organizations and its stack (the emulator starts again for it); the YAML
##   demo's: .venv/bin/python scripts/demo.py --program yaml --destroy
demo-destroy: $(STAMP)
	$(PY) scripts/demo.py --destroy

## outputs: show the demo stack's outputs again
outputs: $(STAMP)
	$(PY) scripts/demo.py --outputs

## schema: rewrite polytomic_provider/plugin/schema.json from the core's definitions (a test fails when stale)
schema: $(STAMP)
	$(PY) -m polytomic_provider.plugin.schema > polytomic_provider/plugin/schema.json.new
	mv polytomic_provider/plugin/schema.json.new polytomic_provider/plugin/schema.json

## sdks: the typed SDKs (Node.js, Python, Go) at the package's version, generated into sdk/
sdks: $(STAMP)
	@set -e; bin="$$(scripts/install-pulumi | tail -n 1)"; \
	version="$$($(PY) -c 'from polytomic_provider.version import __version__; print(__version__)')"; \
	for language in nodejs python go; do \
	  echo "pulumi package gen-sdk --language $$language --version $$version --out sdk"; \
	  "$$bin/pulumi" package gen-sdk polytomic_provider/plugin/schema.json --language $$language \
	    --version "$$version" --out sdk; \
	done

## plugin-archive: dist/pulumi-resource-polytomic-v<version>.tar.gz, for
##   `pulumi plugin install resource polytomic <version> --file <archive>` (needs only Python and the CLI)
plugin-archive: $(STAMP)
	$(PY) scripts/plugin-archive.py --out dist

## lint: ruff and mypy; gofmt and go vet for the language hosts (toolchain/) where Go is installed
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	@if command -v go >/dev/null; then \
	  unformatted="$$(cd toolchain && gofmt -l .)"; test -z "$$unformatted" || { echo "gofmt: $$unformatted" >&2; exit 1; }; \
	  echo "cd toolchain && go vet ./..."; cd toolchain && go vet ./...; \
	else echo "no Go: toolchain/ not linted"; fi

## test: lint, the language hosts' Go tests, then the whole suite (unit, emulator, contract, end-to-end with
##   the real Pulumi CLI)
test: $(STAMP) lint
	@if command -v go >/dev/null; then echo "cd toolchain && go test ./..."; cd toolchain && go test ./...; fi
	@# Bytecode of our own packages, written once: where PYTHONDONTWRITEBYTECODE is set (as on this project's
	@# machines) every provider, program and emulator process the tests start would compile them again.
	$(PY) -m compileall -q polytomic_provider emulator/polytomic_emulator > /dev/null
	PULUMI_BIN_DIR="$$(scripts/install-pulumi | tail -n 1)" $(PY) -m pytest $(PARALLEL)

## unit: the tests that need no Pulumi CLI (unit, emulator, provider methods, contract); the target is under a minute, not met: 60 s at the machine's best, 77 to 107 s when it runs slower (docs/testing.md)
unit: $(STAMP)
	$(PY) -m pytest $(PARALLEL) -m "not e2e" tests/unit tests/emulator tests/provider tests/contract

## bench: the benchmark table at 0 and 100 ms per API call, N up to 1,000, for the dynamic provider and the
##   plugin beside the no-op floor (see docs/benchmarks.md); a subset: make bench BENCH_ARGS="--sizes 100
##   --latencies 100 --kinds plugin,noop" (all options: .venv/bin/python bench/run.py --help)
bench: $(STAMP)
	PULUMI_BIN_DIR="$$(scripts/install-pulumi | tail -n 1)" $(PY) bench/run.py $(BENCH_ARGS)

## golden: write the golden stack of this checkout's version (tests/golden/<version>/; once per release)
golden: $(STAMP)
	PULUMI_BIN_DIR="$$(scripts/install-pulumi | tail -n 1)" $(PY) -m tests.golden.make_golden

# -- the same tests on every supported Python ---------------------------------------------------------------
.PHONY: test-matrix golden
MATRIX := 3.11 3.12 3.13
# Unit, provider, a short end-to-end set, the golden stacks and the built wheel: what each Python must pass.
MATRIX_TESTS := tests/unit tests/provider tests/e2e/test_toolchain.py tests/e2e/test_organization_lifecycle.py \
	tests/golden tests/packaging
# pyenv's newest 3.X.*, else python3.X on PATH; override with e.g. PYTHON_3.12=/usr/bin/python3.12
python_for = $(or $(PYTHON_$(1)),$(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/$(1).*/bin/python))),$(shell command -v python$(1)))

.venv-%/.installed: pyproject.toml emulator/pyproject.toml
	@test -n "$(call python_for,$*)" || { echo "no Python $* found: pyenv install $*, or set PYTHON_$*" >&2; exit 1; }
	$(call python_for,$*) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	.venv-$*/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' -e ./emulator
	touch $@

## test-matrix: unit, provider, short end-to-end, golden and wheel tests on Python 3.11, 3.12 and 3.13
test-matrix: $(foreach v,$(MATRIX),.venv-$(v)/.installed)
	@set -o pipefail; bin="$$(scripts/install-pulumi | tail -n 1)"; status=0; summary=""; \
	for v in $(MATRIX); do \
	  echo "== $$(.venv-$$v/bin/python --version)"; \
	  if PULUMI_BIN_DIR="$$bin" .venv-$$v/bin/python -m pytest -q $(MATRIX_TESTS) | tee .venv-$$v/pytest.log; \
	  then result=ok; else result=FAILED; status=1; fi; \
	  summary="$$summary  Python $$v ($$(.venv-$$v/bin/python --version)): $$result, $$(tail -n 1 .venv-$$v/pytest.log)\n"; \
	done; printf "== test-matrix\n$$summary"; exit $$status

## bench-scale: 5,000 organizations through every command, with memory and state size (see docs/benchmarks.md)
bench-scale: $(STAMP)
	PULUMI_BIN_DIR="$$(scripts/install-pulumi | tail -n 1)" $(PY) bench/scale.py

clean:
	rm -rf .demo $(VENV) .venv-3.* .pytest_cache .mypy_cache .ruff_cache dist sdk provider/venv
