# The two commands of the README: `make demo` (main job) and `make test` (the test suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test test-e2e lint venv

# The emulator (with its contract validator and pytest plugin) is its own distribution, the emulator/ folder: it is
# installed in the same pip command as the provider, so that no index needs to hold it.
INSTALL := $(PY) -m pip install --quiet
# The emulator's portion, type-checked from its own root (from the repository's root, mypy would see only the
# provider's directory of the package).
MYPY_EMULATOR := cd emulator/src && $(abspath $(VENV))/bin/mypy --config-file ../../pyproject.toml \
	-p airflow_provider_360learning.emulator -p airflow_provider_360learning.testing

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

venv: $(PY)

## demo: install the provider with its emulator and run the example DAGs against the local emulator
demo: $(PY)
	$(INSTALL) -e ".[emulator]" -e ./emulator
	VENV=$(VENV) bash scripts/run_demo.sh

## test: install what the tests need and run the whole suite (lint and type checks included): the unit
## tests spread over the cores (pytest-xdist), then the real Airflow stack end to end (marker e2e), alone
## on the machine so that its heartbeat timeouts are not starved by the unit tests
test: $(PY)
	$(INSTALL) -e ".[test]" -e ./emulator
	bash scripts/ensure_services.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy airflow_provider_360learning
	$(MYPY_EMULATOR)
	$(PY) -m pytest -n auto --dist worksteal
	$(PY) -m pytest -m e2e

## test-e2e: the real Airflow stack (Celery, triggerer, UI in Chromium) end to end, clean and chaos runs
test-e2e: $(PY)
	$(INSTALL) -e ".[test]" -e ./emulator
	bash scripts/ensure_services.sh
	$(PY) -m pytest -m e2e

lint: $(PY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy airflow_provider_360learning
	$(MYPY_EMULATOR)
