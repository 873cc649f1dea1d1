"""What the edX sync DAGs last sent to 360Learning: one row per object, with the hash of what was sent.

No 360Learning endpoint lists an integration's external courses, so the catalog sync must remember
which external ids it imported to see, the next day, which ones left the edX catalog (archive them) and
which ones changed (upsert them again); the statistics sync remembers what it imported to send only
what changed. A run with no change in edX therefore sends no write.

The state is a table of the warehouse connection (any common.sql database; the embedded SQLite file
when none is defined), keyed on ``(scope, item_key)``, the scope being the 360Learning integration:

================  ==================================================================================
``scope``         the integration id (another integration starts from an empty state)
``item_key``      the external course id, or ``<course external id> TAB <user id>`` for a statistic
``content_hash``  SHA-256 of the object as sent (``edx.records.content_hash``)
``status``        ``active`` (imported), or ``archived`` for a course archived since
``_load_id``      the run that wrote the row; ``_loaded_at`` when
================  ==================================================================================

Rows are written only for objects 360Learning reported as succeeded, so a failed object is sent again
by the next run. Being a table, it is inspectable, travels with the warehouse's backups, and holds
100,000s of rows, which an Airflow state-store value (one JSON document) does not do well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_360learning.transfers.tabular import Column

if TYPE_CHECKING:  # the SQL writer (pandas) is imported when a state is opened, not when a DAG file is parsed
    from airflow.providers.common.sql.hooks.sql import DbApiHook

COURSES_TABLE = "_360learning_edx_courses"
STATISTICS_TABLE = "_360learning_edx_statistics"
Status = Literal["active", "archived"]
COLUMNS = (
    Column("scope", "scope", "text", True),
    Column("item_key", "item_key", "text", True),
    Column("content_hash", "content_hash", "text"),
    Column("status", "status", "text"),
)
WRITE_BATCH = 10_000


@dataclass(frozen=True)
class Synced:
    content_hash: str
    status: Status


class SyncState:
    """The synced objects of one scope (integration) in one table of a common.sql database."""

    def __init__(self, hook: DbApiHook, table: str, scope: str) -> None:
        from airflow_provider_360learning.transfers.sql_writer import SqlTableWriter

        self.writer = SqlTableWriter(hook, table, key=("scope", "item_key"))
        self.scope = scope

    def close(self) -> None:
        self.writer.close()

    def exists(self) -> bool:
        try:
            self.writer.table_columns()
        except LookupError:
            return False
        return True

    def load(self) -> dict[str, Synced]:
        """Every synced object of the scope; empty when nothing was ever synced."""
        if not self.exists():
            return {}
        w = self.writer
        with w.transaction() as cursor:
            cursor.execute(
                f"SELECT {w.quote('item_key')}, {w.quote('content_hash')}, {w.quote('status')} FROM {w.table_sql} "
                f"WHERE {w.quote('scope')} = {w.placeholder}",
                (self.scope,),
            )
            return {key: Synced(digest, status) for key, digest, status in cursor.fetchall()}

    def save(self, rows: Iterable[tuple[str, str, Status]], run_id: str) -> int:
        """Upsert ``(item_key, content_hash, status)`` rows, in batches of one transaction each; returns how many."""
        self.writer.ensure_table(COLUMNS)
        written = 0
        batch: list[tuple[str, str, str, str]] = []
        for key, digest, status in rows:
            batch.append((self.scope, key, digest, status))
            if len(batch) >= WRITE_BATCH:
                written += self._write(batch, run_id)
                batch = []
        return written + self._write(batch, run_id)

    def _write(self, batch: list[tuple[str, str, str, str]], run_id: str) -> int:
        if not batch:
            return 0
        import pandas as pd

        return self.writer.upsert(pd.DataFrame(batch, columns=[c.name for c in COLUMNS]), run_id)


def needs_sending(key: str, digest: str, synced: dict[str, Synced], *, full_resync: bool = False) -> bool:
    """Whether an object must be sent: new, changed since it was sent, archived since, or a full resync."""
    previous = synced.get(key)
    return full_resync or previous is None or previous.status != "active" or previous.content_hash != digest


def succeeded(
    items: Iterable[Mapping[str, Any]], failed_inputs: Iterable[Any], key_of: Callable[[Mapping[str, Any]], str]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(key, item)`` of the sent items that 360Learning did not report as failed (``failures_path`` inputs)."""
    failed = {key_of(i) for i in failed_inputs if isinstance(i, Mapping)}
    for item in items:
        key = key_of(item)
        if key not in failed:
            yield key, item


def open_state(warehouse_conn_id: str, table: str, scope: str) -> SyncState:
    """The sync state in the database of ``warehouse_conn_id``, or in the embedded default when it is not defined."""
    from airflow_provider_360learning.transfers.embedded import embedded_warehouse_path
    from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import destination_hook

    return SyncState(destination_hook(warehouse_conn_id, embedded_warehouse_path()), table, scope)
