"""Print the ids of the DAGs in a folder, producers first: DAGs scheduled on Assets come after the
DAGs that update those Assets (used by run_demo.sh to run every example DAG in a sensible order)."""

from __future__ import annotations

import sys

from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder=sys.argv[1] if len(sys.argv) > 1 else "dags")
if bag.import_errors:
    for path, error in bag.import_errors.items():
        print(f"import error in {path}: {error}", file=sys.stderr)
    sys.exit(1)


def asset_scheduled(dag_id: str) -> bool:
    return type(bag.dags[dag_id].timetable).__name__ == "AssetTriggeredTimetable"


for dag_id in sorted(bag.dag_ids, key=lambda d: (asset_scheduled(d), d)):
    print(f"DAG_ID {dag_id}")
