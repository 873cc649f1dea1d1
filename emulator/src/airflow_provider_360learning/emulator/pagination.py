"""Cursor pagination over lazily generated rows: views, filters, ``next`` tokens and ``Link`` headers.

A page scans forward from the cursor position, applying the overlay and the filters row by row, so
it costs O(page size + skipped rows). Views are cut into segments whose attributes are constant
(a session's path and status...), which lets filters on those attributes skip whole segments.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import hmac
import json
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from airflow_provider_360learning.emulator.errors import ApiError, undocumented
from airflow_provider_360learning.emulator.routing import NEXT, Filter
from airflow_provider_360learning.emulator.state import Overlay, apply_patch, iter_added
from airflow_provider_360learning.emulator.tenant import Collection

Row = dict[str, Any]
Test = Callable[[Any], bool]


class Segment(NamedTuple):
    """Base positions ``[start, end)`` sharing ``attrs`` (filter values constant over the segment)."""

    start: int
    end: int
    attrs: Mapping[str, Any] = {}


@dataclass
class View:
    """What one list action scans: a collection, its overlay, the segments and how added rows fit in."""

    collection: Collection
    overlay: Overlay | None
    segments: Sequence[Segment]
    added_attrs: Callable[[Row], Mapping[str, Any] | None] = lambda row: {}
    """Attributes of an added row in this view, or ``None`` when the row does not belong to the view."""
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Filter name -> row field when they differ (``sessionId`` filters ``_id`` of sessions)."""
    transform: Callable[[Row], Row] | None = None
    """Rows of another shape derived from the collection's (enrolments from path statistics), filtered as such."""

    @classmethod
    def whole(cls, collection: Collection, overlay: Overlay | None, **kwargs: Any) -> View:
        return cls(collection, overlay, [Segment(0, len(collection))], **kwargs)


def _test(op: str, value: Any) -> Test:
    if op == "eq":
        return lambda v: v == value if not isinstance(v, list) else value in v
    if op == "ne":
        return lambda v: v != value if not isinstance(v, list) else value not in v
    if op == "in":
        return lambda v: (v in value) if not isinstance(v, list) else any(x in value for x in v)
    if op == "nin":
        return lambda v: (v not in value) if not isinstance(v, list) else not any(x in value for x in v)
    if op == "gte":
        return lambda v: v is not None and v >= value
    if op == "lt":
        return lambda v: v is not None and v < value
    if op == "lte":
        return lambda v: v is not None and v <= value
    if op == "gt":
        return lambda v: v is not None and v > value
    raise ValueError(f"unsupported filter operator {op!r}")


def compile_filters(filters: Iterable[Filter], aliases: Mapping[str, str]) -> list[tuple[str, Test]]:
    return [(aliases.get(f.name, f.name), _test(f.op, f.value)) for f in filters]


def _indexed(view: View, filters: Sequence[Filter]) -> Filter | None:
    """An ``in`` filter the collection's index can answer for this view, if any.

    Only on a plain view (one segment, rows as generated) and when no patch could move a row into the set: then
    the index gives exactly the base rows that may match, and the other filters still run on each of them.
    """
    if view.transform is not None or len(view.segments) != 1 or view.segments[0].attrs:
        return None
    patched = view.overlay.patched if view.overlay is not None else {}
    for f in filters:
        field = view.aliases.get(f.name, f.name)
        if (
            f.op == "in"
            and isinstance(f.value, (list, tuple, set, frozenset))
            and not any(field in p for p in patched.values())
        ):
            return Filter(field, f.op, f.value)
    return None


def scan_page(view: View, start: int, filters: Iterable[Filter], page_size: int) -> tuple[list[Row], int | None]:
    """Up to ``page_size`` matching rows from position ``start``, and the position of the next match.

    The next position is found by scanning ahead, so the last page never announces an empty one.
    """
    filters = list(filters)
    tests = compile_filters(filters, view.aliases)
    out: list[Row] = []
    ov = view.overlay
    deleted = ov.deleted if ov is not None and ov.deleted else None
    patched = ov.patched if ov is not None and ov.patched else None
    item = view.collection.item
    transform = view.transform
    indexed = _indexed(view, filters)
    for seg in view.segments:
        if seg.end <= start:
            continue
        if seg.attrs and not all(t(seg.attrs[name]) for name, t in tests if name in seg.attrs):
            continue
        row_tests = [(name, t) for name, t in tests if name not in seg.attrs]
        first = max(start, seg.start)
        if indexed is not None:
            candidates = view.collection.positions(indexed.name, indexed.value)
            positions: Iterable[int] = (i for i in candidates[bisect.bisect_left(candidates, first) :] if i < seg.end)
        else:
            positions = range(first, seg.end)
        for i in positions:
            row = item(i)
            if deleted is not None or patched is not None:
                oid = row["_id"]
                if deleted is not None and oid in deleted:
                    continue
                if patched is not None and oid in patched:
                    row = apply_patch(row, patched[oid])
            if transform is not None:
                row = transform(row)
            if not row_tests or all(t(row.get(name)) for name, t in row_tests):
                if len(out) == page_size:
                    return out, i
                out.append(row)
    for index, row in iter_added(ov, start):
        attrs = view.added_attrs(row)
        if attrs is None:
            continue
        if transform is not None:
            row = transform(row)
        if all(t(attrs[name] if name in attrs else row.get(name)) for name, t in tests):
            if len(out) == page_size:
                return out, index
            out.append(row)
    return out, None


# -- cursors -----------------------------------------------------------------------------------
class Cursor(NamedTuple):
    """What a ``next`` token carries: where the page starts, the filters, and which page (1-based) it is."""

    position: int
    filter_pairs: list[tuple[str, str]]
    page: int


def encode_cursor(
    key: bytes, action: str, path: str, position: int, filter_pairs: Sequence[tuple[str, str]], page: int
) -> str:
    """Opaque, URL-safe ``next`` token: base64url of the zlib-compressed JSON of action, path, position, filters
    and page, plus a MAC (compressed, so that a next-page URL stays as short as its first page's: an ``in`` filter
    of 190 ids would otherwise grow by a third, past the 8 KB a URL may have).

    The page number lets an anomaly stop an answer after page N (:mod:`~airflow_provider_360learning.emulator.anomalies`).
    """
    payload = json.dumps(
        {"a": action, "k": path, "p": position, "q": [list(p) for p in filter_pairs], "n": page}, separators=(",", ":")
    ).encode()
    body = base64.urlsafe_b64encode(zlib.compress(payload, 9)).rstrip(b"=").decode()
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:16]
    return f"{body}.{mac}"


def decode_cursor(key: bytes, token: str, action: str, path: str) -> Cursor:
    """The :class:`Cursor` of a ``next`` token issued for this action and path (else 400 naming ``next``)."""

    def bad(why: str) -> ApiError:
        return undocumented("invalidQueryParameter", f"invalid query parameter {NEXT!r}: {why}")

    body, _, mac = token.partition(".")
    expected = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:16]
    if not body or not hmac.compare_digest(mac, expected):
        raise bad("not a cursor issued by this server (use the URL of the Link header as is)")
    try:
        data = json.loads(zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))
        position = int(data["p"])
        pairs = [(str(k), str(v)) for k, v in data["q"]]
        page = int(data["n"])
    except (binascii.Error, zlib.error, ValueError, KeyError, TypeError) as exc:
        raise bad(f"malformed cursor ({exc})") from None
    if data.get("a") != action or data.get("k") != path or position < 0 or page < 2:
        raise bad(f"the cursor was issued for another request ({data.get('a')} {data.get('k')})")
    return Cursor(position, pairs, page)


def link_header(base: str, path: str, token: str) -> str:
    return f'<{base}{path}?{NEXT}={token}>; rel="next"'
