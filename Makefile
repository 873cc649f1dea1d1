# The two commands of the README: `make demo` (main job) and `make test` (the test suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

venv: $(PY)

## demo: install the provider with its emulator and run the example DAGs against the local emulator
demo: $(PY)
	$(PY) -m pip install --quiet -e ".[emulator]"
	VENV=$(VENV) bash scripts/run_demo.sh

## test: install what the tests need and run the whole suite (lint and type checks included)
test: $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	bash scripts/ensure_services.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy airflow_provider_360learning
	$(PY) -m pytest

lint: $(PY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy airflow_provider_360learning
