"""Print what the example DAGs loaded into the warehouse: row counts per table and a few report rows."""

from __future__ import annotations

import sys

sys.path.insert(0, "dags")

from stats_to_warehouse import STREAMS, TABLE_PREFIX, WAREHOUSE_CONN_ID, embedded_warehouse_path

from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import (
    ThreeSixtyLearningToSqlOperator,
)

hook = ThreeSixtyLearningToSqlOperator(
    task_id="show",
    action="list_users",
    table="-",
    destination_conn_id=WAREHOUSE_CONN_ID,
    embedded_default_path=embedded_warehouse_path(),
).destination_hook
print(f"\nWarehouse: {embedded_warehouse_path()} (connection {WAREHOUSE_CONN_ID!r} not defined: embedded default)")
for table in STREAMS:
    print(f"  {TABLE_PREFIX}{table:<16} {hook.get_first(f'SELECT COUNT(*) FROM {TABLE_PREFIX}{table}')[0]:>8,} rows")
print("\nCompletion per path (report_360learning_path_completion):")
for row in hook.get_records(
    "SELECT path_name, enrolled, completed, completion_rate FROM report_360learning_path_completion ORDER BY path_name"
):
    print(f"  {row[0]:<40} enrolled {row[1]:>5}  completed {row[2]:>5}  rate {row[3]:.0%}")
