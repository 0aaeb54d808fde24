# Two set-up commands for a fresh machine: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
RUN_STAMP := $(VENV)/.installed

export PORT ?= 8080
export CDS_AUTH ?= off
export CDS_ALLOWED_FHIR_SERVERS ?= http://127.0.0.1,http://localhost
export CDS_DB_PATH ?= var/coverage-hooks.sqlite3

.PHONY: run test lint imports typecheck-scripts check bench fuzz conformance clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	touch $@

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[dev]'
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	@mkdir -p var
	$(PY) -m cds_service serve --host 127.0.0.1 --port $(PORT)

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(MAKE) --no-print-directory typecheck-scripts
	$(MAKE) --no-print-directory imports
	$(PY) -m cql_like check policies/
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(MAKE) --no-print-directory typecheck-scripts
	$(MAKE) --no-print-directory imports

# The layering contracts of pyproject.toml [tool.importlinter]: the engine imports nothing from the service, tools,
# bench or tests; the service's groups depend in one direction; no import cycles. PYTHONPATH=. checks this checkout.
imports: $(STAMP)
	PYTHONPATH=. $(VENV)/bin/lint-imports

# The build-time generators (value sets, questionnaires, test data, samples) are scripts run from their own folder,
# importing their neighbours by plain name: each folder is type-checked on its own, with the repository root on
# MYPYPATH for the shared tools (tools/generated_files.py, the writer they all use, and tools/terminology).
SCRIPT_DIRS := tools/cases/sotorasib tools/questionnaires tools/everolimus sample_bundles
typecheck-scripts: $(STAMP)
	$(PY) -m mypy --strict --explicit-package-bases tools/generated_files.py tools/terminology
	@for dir in $(SCRIPT_DIRS); do \
	  (cd $$dir && MYPYPATH=$(CURDIR) $(CURDIR)/$(PY) -m mypy --strict --ignore-missing-imports \
	    --cache-dir $(CURDIR)/.mypy_cache/scripts *.py) || exit 1; \
	done

# Issue 4: latency, throughput, scaling and memory as ratios against floors measured in the same run; writes
# bench/results/latest.json. `make bench BENCH_ARGS=--quick` is a smoke run; profile with `$(PY) -m bench.profile`.
bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

# The full hardening campaign (issue 5): `make test` runs the same tests with 1,000 fuzz cases and 20 s of load.
fuzz: $(STAMP)
	FUZZ_CASES=10000 $(PY) -m pytest tests/cds_service/test_fuzz.py -q -s
	LOAD_SECONDS=60 $(PY) -m pytest tests/hardening/test_load_held.py -q -s

conformance: $(STAMP)
	$(PY) -m pytest tests/conformance -q -s

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
