"""Print what the example DAGs loaded into the warehouse: row counts per table and the report tables' first rows.

With no ``360learning_warehouse`` connection this is the embedded DuckDB file, read through the same lock
as the loads (each query opens it read-only, runs, and closes it), so it works while loads run.
"""

from __future__ import annotations

import sys

sys.path.insert(0, "dags")

from stats_to_warehouse import STREAMS, TABLE_PREFIX, WAREHOUSE_CONN_ID

from airflow_provider_360learning.transfers.embedded import embedded_warehouse_path
from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import destination_hook

REPORT_ROWS = 5
hook = destination_hook(WAREHOUSE_CONN_ID, embedded_warehouse_path())
embedded = getattr(hook, "path", None)  # the embedded hook's file
print(
    f"\nWarehouse: DuckDB file {embedded} (connection {WAREHOUSE_CONN_ID!r} not defined: the embedded default)"
    if embedded
    else f"\nWarehouse: connection {WAREHOUSE_CONN_ID!r} ({type(hook).__name__})"
)
for table in STREAMS:
    print(f"  {TABLE_PREFIX}{table:<16} {hook.get_first(f'SELECT COUNT(*) FROM {TABLE_PREFIX}{table}')[0]:>8,} rows")

try:
    reports = [r[0] for r in hook.get_records("SELECT table_name FROM information_schema.tables ORDER BY table_name")]
except Exception:  # SQLite has no information_schema
    reports = [r[0] for r in hook.get_records("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
for report in sorted(name for name in reports if name.startswith("report_")):
    count = hook.get_first(f'SELECT COUNT(*) FROM "{report}"')[0]
    print(f"\n{report}: {count:,} rows" + (f", the first {REPORT_ROWS}:" if count > REPORT_ROWS else ":"))
    names, rows = hook.run(
        f'SELECT * FROM "{report}" ORDER BY 1 LIMIT {REPORT_ROWS}',
        handler=lambda cursor: ([d[0] for d in cursor.description], cursor.fetchall()),
    )
    print("  " + "  ".join(names))
    for row in rows:
        print("  " + "  ".join(f"{value:.2f}" if isinstance(value, float) else str(value) for value in row))
