"""Test helpers for the emulator's broken answers (:mod:`airflow_provider_360learning.emulator.anomalies`).

``armed(emulator, path=..., ...)`` arms an anomaly for a ``with`` block, on an in-process
:class:`~airflow_provider_360learning.emulator.server.EmulatorServer` or on an emulator run elsewhere (its base
URL, through ``/_emulator/anomalies``). :func:`without_broken_rows` is what a contract check of recorded exchanges
validates instead of a broken answer: the same body without the rows broken on purpose, so every other row is
still checked against the documents.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from airflow_provider_360learning.emulator.anomalies import ROWS_HEADER

if TYPE_CHECKING:
    from airflow_provider_360learning.emulator.server import EmulatorServer

__all__ = ["arm_anomaly", "armed", "clear_anomalies", "without_broken_rows"]


def arm_anomaly(emulator: EmulatorServer | str, **spec: Any) -> dict[str, Any]:
    """Arm one anomaly (keys: ``SPEC_FIELDS``); returns it as armed, with its ``id``."""
    if isinstance(emulator, str):
        return _control(emulator, "POST", "/_emulator/anomalies", spec)
    return emulator.arm_anomaly(**spec)


def clear_anomalies(emulator: EmulatorServer | str, anomaly_id: str | None = None) -> None:
    """Disarm one anomaly, or all of them."""
    if isinstance(emulator, str):
        _control(emulator, "DELETE", "/_emulator/anomalies" + (f"/{anomaly_id}" if anomaly_id else ""))
    else:
        emulator.clear_anomalies(anomaly_id)


@contextmanager
def armed(emulator: EmulatorServer | str, **spec: Any) -> Iterator[dict[str, Any]]:
    """An anomaly armed for the ``with`` block, and disarmed after it (even if the block fails)."""
    anomaly = arm_anomaly(emulator, **spec)
    try:
        yield anomaly
    finally:
        clear_anomalies(emulator, anomaly["id"])


def without_broken_rows(headers: Mapping[str, str], body: bytes) -> bytes:
    """The answer's body without the rows an anomaly broke on purpose (the body itself when none was).

    The broken rows are named by the answer's ``X-Emulator-Anomaly-Rows`` header; Python's permissive parser reads
    the raw literals (``NaN``, ``1e999``) they may hold.
    """
    rows = next((v for k, v in headers.items() if k.lower() == ROWS_HEADER.lower()), None)
    if not rows:
        return body
    broken = {int(i) for i in rows.split(",")}
    page = json.loads(body)
    kept = [row for i, row in enumerate(page) if i not in broken]
    return json.dumps(kept, separators=(",", ":"), ensure_ascii=False).encode()


def _control(base_url: str, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base_url.rstrip("/") + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise ValueError(f"{method} {path}: {exc.code} {exc.read().decode(errors='replace')}") from None
    return json.loads(raw) if raw else None
