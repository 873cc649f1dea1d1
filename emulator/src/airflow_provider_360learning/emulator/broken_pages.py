"""The bytes of a page broken by armed anomalies (:mod:`~airflow_provider_360learning.emulator.anomalies`).

Raw literals (``NaN``, ``1e999``...) are not JSON, so no encoder writes them: the row is encoded with a placeholder
string in their place, then the quoted placeholder is replaced by the literal's bytes. Rows no anomaly chose are
encoded exactly as in a clean answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from airflow_provider_360learning.emulator.anomalies import ANOMALY_HEADER, ROWS_HEADER, Anomaly
from airflow_provider_360learning.emulator.handlers.base import encode_json

_PLACEHOLDER = "\ue000emulator-raw-literal-{}\ue000"
"""Stands for a raw literal while a row is encoded: private-use characters, in no generated row."""


class BrokenPage(NamedTuple):
    """A page after its anomalies: the exact bytes to serve and its headers."""

    body: bytes
    headers: dict[str, str]


def break_page(
    armed: Sequence[Anomaly], rows: Sequence[Any], headers: Mapping[str, str], page: int, page_size: int | None
) -> BrokenPage | None:
    """Apply the armed anomalies to page ``page`` (1-based) of an answer, or ``None`` when none changes it.

    Every page but the last is full, so row ``i`` of page ``n`` is row ``(n - 1) * page_size + i`` of the answer.
    """
    out_headers = dict(headers)
    applied: set[str] = set()
    for anomaly in armed:
        limit = anomaly.truncate_after_pages
        if limit is not None and page >= limit:
            applied.add(anomaly.id)
            out_headers.pop("Link", None)
            if page > limit:
                rows = []  # asked with a cursor issued before arming: the rest of the answer is never served
    offset = (page - 1) * (page_size or 0)
    chunks: list[bytes] = []
    broken: list[int] = []
    for i, row in enumerate(rows):
        chosen = [a for a in armed if a.breaks_rows and isinstance(row, Mapping) and a.selects(row, offset + i)]
        if not chosen:
            chunks.append(encode_json(row))
            continue
        broken.append(i)
        applied.update(a.id for a in chosen)
        chunks.append(break_row(chosen, row))
    if not applied:
        return None
    out_headers[ANOMALY_HEADER] = ",".join(a.id for a in armed if a.id in applied)
    if broken:
        out_headers[ROWS_HEADER] = ",".join(map(str, broken))
    return BrokenPage(b"[" + b",".join(chunks) + b"]", out_headers)


def break_row(chosen: Sequence[Anomaly], row: Mapping[str, Any]) -> bytes:
    """The row's bytes with the chosen anomalies applied in arming order (a later one wins on the same field)."""
    out = dict(row)
    literals: dict[str, str] = {}
    for anomaly in chosen:
        for n in range(anomaly.extra_fields):
            out[f"{anomaly.extra_prefix}{n:04d}"] = n
        for name, value in anomaly.values.items():
            out[name] = value
            literals.pop(name, None)
        literals.update(anomaly.literals)
    for index, name in enumerate(literals):
        out[name] = _PLACEHOLDER.format(index)
    data = encode_json(out)
    for index, literal in enumerate(literals.values()):
        data = data.replace(encode_json(_PLACEHOLDER.format(index)), literal.encode(), 1)
    return data
