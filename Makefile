# The two commands of the README: `make demo` (main job) and `make test` (the test suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test test-e2e lint venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

venv: $(PY)

## demo: install the provider with its emulator and run the example DAGs against the local emulator
demo: $(PY)
	$(PY) -m pip install --quiet -e ".[emulator]"
	VENV=$(VENV) bash scripts/run_demo.sh

## test: install what the tests need and run the whole suite (lint and type checks included): the unit
## tests spread over the cores (pytest-xdist), then the real Airflow stack end to end (marker e2e), alone
## on the machine so that its heartbeat timeouts are not starved by the unit tests
test: $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	bash scripts/ensure_services.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy airflow_provider_360learning
	$(PY) -m pytest -n auto --dist worksteal
	$(PY) -m pytest -m e2e

## test-e2e: the real Airflow stack (Celery, triggerer, UI in Chromium) end to end, clean and chaos runs
test-e2e: $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	bash scripts/ensure_services.sh
	$(PY) -m pytest -m e2e

lint: $(PY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy airflow_provider_360learning
