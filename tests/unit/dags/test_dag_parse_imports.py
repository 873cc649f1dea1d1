"""Parsing an example DAG file imports nothing heavy: SCIM's client and models, pandas, numpy and PyJWT are
imported by the tasks that use them, when they run (the DAG processor parses every file every 30 s).

An import check, not a timing: each file is parsed by a DagBag of its own in a fresh interpreter, and the
modules it left in ``sys.modules`` are read. The parse times are in benchmarks/README.md.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

HEAVY = ("scim2_client", "scim2_models", "pandas", "numpy", "jwt")
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
    result = subprocess.run([sys.executable, "-c", PARSE, str(REPO / "dags" / name), *HEAVY], cwd=REPO,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    parsed = json.loads(result.stdout.strip().splitlines()[-1])
    assert parsed["dags"] and parsed["errors"] == {}, parsed
    assert parsed["heavy"] == [], f"{name} imports {parsed['heavy']} at parse time"

