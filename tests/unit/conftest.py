"""Fixtures shared by the unit tests that run DAGs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.unit import dag_runs


@pytest.fixture
def dag_of(airflow_db: None, connection: str) -> Callable[..., Any]:
    """``dag_of(build)``: a fresh DAG whose tasks ``build()`` adds, against the test emulator."""
    return dag_runs.dag_of(airflow_db, connection)
