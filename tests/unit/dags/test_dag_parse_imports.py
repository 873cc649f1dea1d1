"""Parsing an example DAG file imports nothing heavy: SCIM's client and models, pandas, numpy, PyJWT and the
hooks (the HTTP provider under the 360Learning hook) are imported by the tasks that use them, when they run
(the DAG processor parses every file every 30 s).

An import check, not a timing: each file is parsed by a DagBag of its own in a fresh interpreter, and the
modules it left in ``sys.modules`` are read. The parse times are in benchmarks/README.md.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

HEAVY = ("scim2_client", "scim2_models", "pandas", "numpy", "jwt", "airflow.providers.http.hooks.http")
PARSE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({"dags": sorted(bag.dag_ids), "errors": {k: str(v) for k, v in bag.import_errors.items()},
                  "heavy": sorted(m for m in sys.argv[2:] if m in sys.modules)}))
"""
DAG_FILES = sorted(path.name for path in (REPO / "dags").glob("*.py"))


@pytest.mark.parametrize("name", DAG_FILES)
def test_parsing_a_dag_file_imports_no_heavy_module(name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PARSE, str(REPO / "dags" / name), *HEAVY],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    parsed = json.loads(result.stdout.strip().splitlines()[-1])
    assert parsed["dags"] and parsed["errors"] == {}, parsed
    assert parsed["heavy"] == [], f"{name} imports {parsed['heavy']} at parse time"


def test_the_default_connection_ids_spelt_out_for_lazy_imports_are_the_hooks() -> None:
    import inspect

    from airflow_provider_360learning.hooks.scim import ThreeSixtyLearningScimHook
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook
    from airflow_provider_360learning.operators.bulk import ThreeSixtyLearningBulkOperator
    from airflow_provider_360learning.operators.scim_provisioning import ThreeSixtyLearningScimProvisioningOperator
    from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator
    from airflow_provider_360learning.sensors.three_sixty_learning import ThreeSixtyLearningConditionSensor
    from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import ThreeSixtyLearningToSqlOperator
    from airflow_provider_360learning.triggers.three_sixty_learning import ThreeSixtyLearningConditionTrigger
    from airflow_provider_360learning.triggers.webhook_events import WebhookEventTrigger

    def default(cls: type, name: str) -> object:
        return inspect.signature(cls.__init__).parameters[name].default

    for cls in (
        ThreeSixtyLearningOperator,
        ThreeSixtyLearningBulkOperator,
        ThreeSixtyLearningConditionSensor,
        ThreeSixtyLearningToSqlOperator,
        ThreeSixtyLearningConditionTrigger,
        WebhookEventTrigger,
    ):
        assert default(cls, "three_sixty_learning_conn_id") == ThreeSixtyLearningHook.default_conn_name, cls
    scim_default = default(ThreeSixtyLearningScimProvisioningOperator, "scim_conn_id")
    assert scim_default == ThreeSixtyLearningScimHook.default_conn_name
