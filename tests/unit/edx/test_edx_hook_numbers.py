"""The edX hook reads a page whose rows carry ``NaN`` or ``Infinity`` tokens (what Python's ``json`` writes for
such floats): the page is not lost, and the DAG rejects the one row, naming the field (tests/unit/edx/test_mapping.py)."""

from __future__ import annotations

import json
import math

from airflow_provider_360learning.emulator.edx import LEARNER_SUMMARY
from tests.unit.edx.conftest import Edx, edx, edx_conn, edx_factory, make_hook

__all__ = ["edx", "edx_conn", "edx_factory"]  # fixtures


def test_nan_and_infinity_tokens_reach_the_dag_as_floats(edx_conn: Edx) -> None:
    rows = [{"enterprise_enrollment_id": 9_100_001, "course_progress": math.nan, "total_learning_time_hours": math.inf}]
    added = edx_conn.http.post(
        f"/_emulator/edx/rows/{LEARNER_SUMMARY}", content=json.dumps(rows), headers={"Content-Type": "application/json"}
    )
    assert added.status_code < 300, added.text
    summary = list(make_hook().iter_learner_summary())
    odd = next(r for r in summary if r.get("enterprise_enrollment_id") == 9_100_001)
    assert math.isnan(odd["course_progress"]) and odd["total_learning_time_hours"] == math.inf
    assert len(summary) > 200  # the rest of the page is there too
