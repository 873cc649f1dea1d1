"""The warehouse load against broken and hostile answers (the emulator's anomalies), on real PostgreSQL,
DuckDB and SQLite: a truncated full answer keeps every row, drifted rows keep their old copies, a far-future
date leaves the watermark alone, and each row-level case that used to block every retry now loads its good
rows, quarantines the bad one, and changes nothing when run again."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_360learning.exceptions import ThreeSixtyLearningMassDeleteError
from airflow_provider_360learning.transfers.tabular import OVERFLOW_COLUMN
from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import ThreeSixtyLearningToSqlOperator

STATS = "list_courses_statistics"  # 1,250 rows in pages of 500 on the default emulator
STATS_PATH = "/api/v2/courses/stats"
POSTGRES_URI = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["postgres", "duckdb", "sqlite"])
def warehouse(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """A destination connection id and a unique table, on each real database."""
    table = f"safety_{uuid.uuid4().hex[:10]}"
    kind = request.param
    if kind == "postgres":
        pytest.importorskip("airflow.providers.postgres")
        monkeypatch.setenv("AIRFLOW_CONN_SAFETY_WH", POSTGRES_URI)
        embedded = None
    elif kind == "sqlite":
        monkeypatch.setenv(
            "AIRFLOW_CONN_SAFETY_WH", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "wh.sqlite")})
        )
        embedded = None
    else:  # the embedded default: a DuckDB file, the connection left undefined
        monkeypatch.delenv("AIRFLOW_CONN_SAFETY_WH", raising=False)
        embedded = str(tmp_path / "wh.duckdb")
    yield SimpleNamespace(kind=kind, conn_id="safety_wh", table=table, embedded=embedded)
    if kind == "postgres":
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        hook = PostgresHook(postgres_conn_id="safety_wh")
        hook.run(f"DROP TABLE IF EXISTS {table}", autocommit=True)
        for service in ("_360learning_rejects", "_360learning_loads"):
            if hook.get_first("SELECT to_regclass(%s)", parameters=(service,))[0]:
                hook.run(f"DELETE FROM {service} WHERE table_name = %s", parameters=(table,), autocommit=True)


@pytest.fixture
def load(warehouse: Any, emulator: Any, connection: str) -> Callable[..., dict[str, Any]]:
    """Run the transfer once into the warehouse's table (a new try number each call)."""
    tries = iter(range(1, 1_000))

    def run(action: str = STATS, mode: str = "full", run_id: str | None = None, **kwargs: Any) -> dict[str, Any]:
        operator = ThreeSixtyLearningToSqlOperator(
            task_id="load",
            action=action,
            table=warehouse.table,
            destination_conn_id=warehouse.conn_id,
            embedded_default_path=warehouse.embedded,
            mode=mode,
            hook_params={"requests_per_second": 0},
            **kwargs,
        )
        context = {"ti": SimpleNamespace(try_number=next(tries)), "run_id": run_id or f"run_{uuid.uuid4().hex[:6]}"}
        return operator.execute(context)  # type: ignore[arg-type]

    run.warehouse = warehouse  # type: ignore[attr-defined]
    return run


def _hook(warehouse: Any) -> Any:
    from airflow_provider_360learning.transfers.three_sixty_learning_to_sql import destination_hook

    return destination_hook(warehouse.conn_id, warehouse.embedded)


def rows(warehouse: Any, columns: str = "id, progress, time_spent, score") -> list[tuple[Any, ...]]:
    """The table's content, sorted (bookkeeping columns left out: they change with every load)."""
    return sorted(tuple(r) for r in _hook(warehouse).get_records(f"SELECT {columns} FROM {warehouse.table}"))


def rejects(warehouse: Any) -> list[tuple[str, str]]:
    if "_360learning_rejects" not in _tables(warehouse):
        return []
    return sorted(
        (str(k), str(r))
        for k, r in _hook(warehouse).get_records(
            f"SELECT row_key, reason FROM _360learning_rejects WHERE table_name = '{warehouse.table}'"
        )
    )


def _tables(warehouse: Any) -> set[str]:
    hook = _hook(warehouse)
    if warehouse.kind == "sqlite":
        return {r[0] for r in hook.get_records("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {r[0] for r in hook.get_records("SELECT table_name FROM information_schema.tables")}


def columns_of(warehouse: Any) -> list[str]:
    hook = _hook(warehouse)
    conn = hook.get_conn()
    try:
        cursor = conn.cursor()
        cursor.execute(f"SELECT * FROM {warehouse.table} WHERE 1 = 0")
        return [d[0] for d in cursor.description]
    finally:
        conn.close()


def stat_ids(emulator: Any, count: int) -> list[str]:
    """The first ``count`` ids of the stats answer, in the order the emulator serves them."""
    from itertools import islice

    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

    return [row["_id"] for row in islice(ThreeSixtyLearningHook(requests_per_second=0).iter_action(STATS), count)]


# --- full refresh ---------------------------------------------------------------------------------------


def test_a_truncated_full_answer_keeps_every_row(load: Any, emulator: Any) -> None:
    first = load()
    assert first["rows"] == 1250
    before = rows(load.warehouse)
    emulator.arm_anomaly(path=STATS_PATH, truncate_after_pages=1)
    with pytest.raises(ThreeSixtyLearningMassDeleteError) as refused:
        load()
    message = str(refused.value)
    assert "60.0%" in message and "allow_mass_delete" in message and load.warehouse.table in message
    assert rows(load.warehouse) == before  # the upserts of page 1 stay; nothing was deleted

    # Asked for explicitly, the sweep runs: the 750 rows the truncated answer did not hold go.
    result = load(allow_mass_delete=True)
    assert result["deleted"] == 750 and len(rows(load.warehouse)) == 500


def test_drifted_rows_keep_their_old_copies(load: Any, emulator: Any) -> None:
    load()
    before = rows(load.warehouse)
    drifted = stat_ids(emulator, 4)
    emulator.arm_anomaly(path=STATS_PATH, ids=drifted, values={"progress": "abc"})
    result = load(run_id="run_drift")
    assert result["rejected"] == 4 and result["deleted"] == 0
    assert rows(load.warehouse) == before  # the drifted rows keep their previous, good copies
    assert [key for key, _ in rejects(load.warehouse)] == sorted(drifted)
    assert all("'progress'" in reason for _, reason in rejects(load.warehouse))

    load(run_id="run_drift")  # a retry changes nothing and records no second copy of the rejects
    assert rows(load.warehouse) == before and len(rejects(load.warehouse)) == 4


# --- watermark --------------------------------------------------------------------------------------------


def test_a_far_future_date_leaves_the_watermark_alone(load: Any, emulator: Any) -> None:
    [late] = stat_ids(emulator, 1)
    emulator.arm_anomaly(path=STATS_PATH, ids=[late], values={"completedAt": "9999-12-31T00:00:00.000Z"})
    result = load(mode="incremental")
    assert result["future_rows"] == 1 and result["rows"] == 1250
    watermark = dt.datetime.fromisoformat(result["watermark"])
    assert watermark < dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    second = load(mode="incremental")  # the next load filters from the real watermark, not from 9999
    assert second["watermark"] == result["watermark"]


# --- nothing row-level blocks a load ----------------------------------------------------------------------


def _twice(load: Any, **kwargs: Any) -> tuple[dict[str, Any], list[Any], list[Any]]:
    """Load, then retry the same run: the retry must change neither the table nor the rejects."""
    run_id = f"run_{uuid.uuid4().hex[:6]}"
    result = load(run_id=run_id, **kwargs)
    content, quarantined = rows(load.warehouse), rejects(load.warehouse)
    again = load(run_id=run_id, **kwargs)
    assert again["rows"] == result["rows"] and again["rejected"] == result["rejected"]
    assert rows(load.warehouse) == content and rejects(load.warehouse) == quarantined
    return result, content, quarantined


def test_a_field_that_changes_type_never_blocks_the_load(load: Any, emulator: Any) -> None:
    first, second = stat_ids(emulator, 2)
    emulator.arm_anomaly(path=STATS_PATH, ids=[first], values={"newCounter": 5})
    load()
    emulator.clear_anomalies()
    emulator.arm_anomaly(path=STATS_PATH, ids=[first], values={"newCounter": "s0"})
    emulator.arm_anomaly(path=STATS_PATH, ids=[second], values={"newCounter": 7})
    result, _, quarantined = _twice(load)
    assert result["rows"] == 1250 and quarantined == []
    values = dict(_hook(load.warehouse).get_records(f"SELECT id, new_counter FROM {load.warehouse.table}"))
    assert values[first] == "s0" and values[second] == "7"


def test_two_fields_sharing_their_first_63_characters_get_two_columns(load: Any, emulator: Any) -> None:
    emulator.arm_anomaly(path=STATS_PATH, first=3, extra_fields=2, extra_prefix="a" * 70)
    result, _, quarantined = _twice(load)
    assert result["rows"] == 1250 and quarantined == []
    extra = [c for c in columns_of(load.warehouse) if c.startswith("a" * 20)]
    assert len(extra) == 2 and len(set(extra)) == 2 and all(len(c) <= 63 for c in extra)


def test_two_keys_differing_only_by_a_nul_load_one_and_quarantine_the_other(load: Any, emulator: Any) -> None:
    first, second = stat_ids(emulator, 2)
    emulator.arm_anomaly(path=STATS_PATH, ids=[second], values={"_id": first + "\u0000"})
    result, content, quarantined = _twice(load)
    assert result["rows"] == 1249 and result["rejected"] == 1
    assert [key for key, _ in quarantined] == [first + "\\u0000"] and "NUL" in quarantined[0][1]
    assert [r for r in content if r[0] == first] and all("\u0000" not in r[0] for r in content)


def test_1700_new_fields_overflow_into_one_json_column(load: Any, emulator: Any) -> None:
    emulator.arm_anomaly(path=STATS_PATH, first=2, extra_fields=1_700)
    result, _, quarantined = _twice(load)
    assert result["rows"] == 1250 and quarantined == []
    columns = columns_of(load.warehouse)
    assert OVERFLOW_COLUMN in columns and len(columns) <= 400 + 3  # the limit, the overflow and bookkeeping columns
    [(overflow,)] = _hook(load.warehouse).get_records(
        f"SELECT {OVERFLOW_COLUMN} FROM {load.warehouse.table} WHERE {OVERFLOW_COLUMN} IS NOT NULL LIMIT 1"
    )
    held = json.loads(overflow) if isinstance(overflow, str) else overflow
    assert len(held) + sum(c.startswith("extra_field") for c in columns) == 1_700


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "1e999"])
def test_a_non_finite_literal_quarantines_only_its_row(load: Any, emulator: Any, literal: str) -> None:
    [bad] = stat_ids(emulator, 1)
    emulator.arm_anomaly(path=STATS_PATH, ids=[bad], literals={"timeSpent": literal})
    result, content, quarantined = _twice(load)
    assert result["rows"] == 1249 and result["rejected"] == 1
    assert [key for key, _ in quarantined] == [bad] and "'timeSpent'" in quarantined[0][1]
    assert bad not in {r[0] for r in content}
