"""What the edX sync DAGs do with each record: check it against the Bulk API's item schema, fingerprint it,
and report it with its id and the reason when it cannot be sent.

A record from edX is raw JSON the DAG did not write; a mapped object that the official item schema
refuses would fail its whole bulk chunk before the first request (the operator checks every chunk), so
each one is checked alone here and skipped with a reason instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from airflow_provider_360learning.actions.schemas import first_error
from airflow_provider_360learning.bulk import read_items

BULK_SCHEMAS = "/components/schemas/"


@dataclass(frozen=True)
class Rejected:
    """A source record that was skipped: which one (``id``), where it came from, and why."""

    id: str
    source: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class InvalidRecord(ValueError):
    """A record that cannot be mapped; the message is the reason a person reads."""


def schema_error(schema: str, item: Mapping[str, Any]) -> str | None:
    """Why ``item`` breaks the bulk document's component schema ``schema`` (e.g. ``ExternalCourseDTO``), or ``None``."""
    return first_error("bulk", BULK_SCHEMAS + schema, item)


def content_hash(item: Mapping[str, Any]) -> str:
    """A stable fingerprint of a mapped object: what the sync state compares to see a change."""
    canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def write_jsonl(path: str, items: Iterable[Mapping[str, Any]]) -> int:
    """Write ``items`` as JSON Lines to a local path or object-storage URL; returns how many."""
    from airflow.sdk import ObjectStoragePath

    count = 0
    with ObjectStoragePath(path).open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


def read_jsonl(path: str | None) -> Iterator[dict[str, Any]]:
    """The objects of a JSON Lines file; nothing when ``path`` is empty or the file does not exist."""
    if not path:
        return
    from airflow.sdk import ObjectStoragePath

    if ObjectStoragePath(path).exists():
        yield from read_items(None, path)


def run_work_dir(base: str, dag_id: str, run_id: str) -> str:
    """A folder for one run's files: ``base`` (local path or object-storage URL, default
    ``$AIRFLOW_HOME/edx_sync``) / DAG id / run id made safe for a path."""
    import os
    import re
    from pathlib import Path

    from airflow.sdk import ObjectStoragePath

    root = (
        base.rstrip("/") if base else str(Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow") / "edx_sync")
    )
    folder = f"{root}/{dag_id}/{re.sub(r'[^A-Za-z0-9_.-]+', '_', run_id)}"
    ObjectStoragePath(folder).mkdir(parents=True, exist_ok=True)
    return folder
