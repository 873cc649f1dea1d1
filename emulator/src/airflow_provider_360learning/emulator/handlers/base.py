"""What every handler shares: the request context, replies, the registry, paging and documented errors.

Handlers only say *what* to read or write; paging, filtering, cursors, the projection onto the
documented response schema, success statuses and error bodies are generic and read the documents.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import msgspec

from airflow_provider_360learning.actions import ACTIONS, Action
from airflow_provider_360learning.actions.registry import deref, resolve
from airflow_provider_360learning.emulator.errors import ApiError, documented, documented_errors, undocumented
from airflow_provider_360learning.emulator.events import observed
from airflow_provider_360learning.emulator.pagination import (
    Row,
    View,
    compile_filters,
    decode_cursor,
    encode_cursor,
    link_header,
    scan_page,
)
from airflow_provider_360learning.emulator.routing import Filter, ParsedQuery, parse_query
from airflow_provider_360learning.emulator.state import EmulatorState
from airflow_provider_360learning.emulator.tenant import iso


@dataclass
class RequestContext:
    """What a handler needs from the request, already routed and validated (body included)."""

    action: Action
    state: EmulatorState
    path: str
    path_params: Mapping[str, Any]
    query: ParsedQuery
    base_url: str
    body: Any = None

    @property
    def fields(self) -> dict[str, Any]:
        """The request body as a dict (empty when there is none)."""
        return dict(self.body) if isinstance(self.body, Mapping) else {}

    def now(self) -> str:
        """The platform's "now" in the API's date format (timestamps of writes)."""
        return iso(self.state.today())


@dataclass
class Reply:
    """A response: JSON body by default; ``None`` for no content; bytes with another media type."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str | None = "application/json"

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return encode_json(self.body)


_ENCODE = msgspec.json.Encoder().encode


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON: the bytes of ``json.dumps(body, separators=(",", ":"), ensure_ascii=False)``.

    msgspec encodes a page of rows about 4x faster, with the same bytes (non-ASCII characters as they are,
    the same escapes) except for floats written with an exponent (``1e16`` for ``1e+16``, the same number)
    and NaN or infinities (``null``, where ``json.dumps`` writes what is not JSON). What msgspec cannot
    encode goes through ``json.dumps``.
    """
    try:
        return _ENCODE(body)
    except (TypeError, OverflowError, ValueError):
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


Handler = Callable[[RequestContext], Reply]
HANDLERS: dict[str, Handler] = {}


def handler(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler for actions (checked against :data:`ACTIONS` at import time)."""

    def register(fn: Handler) -> Handler:
        for name in names:
            if name not in ACTIONS:
                raise KeyError(f"no action named {name!r} in ACTIONS")
            HANDLERS[name] = observed(name, fn)  # writes with a webhook event record it
        return fn

    return register


# -- projection and success replies --------------------------------------------------------------
@cache
def _response_properties(action_name: str) -> frozenset[str] | None:
    """Properties of the documented success item schema (rows lose hidden or foreign keys)."""
    action = ACTIONS[action_name]
    ok = action.success_response
    if ok is None or ok.schema_pointer is None:
        return None
    doc = action.document.contents
    node = resolve(doc, ok.schema_pointer)
    if node.get("type") == "array":
        node = deref(doc, node.get("items", {}))
    props = node.get("properties")
    return frozenset(props) if props else None


def project(action: Action, row: Row) -> Row:
    allowed = _response_properties(action.name)
    if allowed is None or row.keys() <= allowed:
        return row
    return {k: v for k, v in row.items() if k in allowed}


def visible(ctx: RequestContext, collection: str, row: Row) -> Row:
    """A row without the fields its collection keeps for itself (for answers the projection cannot narrow)."""
    hidden = ctx.state.collection(collection).hidden
    return {k: v for k, v in row.items() if k not in hidden} if hidden & row.keys() else row


_UNDOCUMENTED_SUCCESS = {"POST": 201, "DELETE": 204}


def ok(ctx: RequestContext, body: Any = None) -> Reply:
    """The documented success answer: its status, and no body when the documents give it no content.

    Three operations document no success response at all (custom links); they answer 201 to a POST,
    204 to a DELETE and 200 otherwise, with the object written.
    """
    action = ctx.action
    spec = action.success_response
    if spec is None:
        status = _UNDOCUMENTED_SUCCESS.get(action.method, 200)
        return Reply(status, None, media_type=None) if status == 204 else Reply(status, project(action, body))
    if not spec.content_types:
        return Reply(int(spec.status), None, media_type=None)
    if isinstance(body, dict):
        body = project(action, body)
    elif isinstance(body, list) and body and isinstance(body[0], dict):
        body = [project(action, row) for row in body]
    return Reply(int(spec.status), body)


# -- documented errors ---------------------------------------------------------------------------
def fail(ctx: RequestContext, code: str, message: str) -> ApiError:
    """The error the action documents with this code, at whichever status documents it."""
    for status in sorted(ctx.action.responses):
        if status[0] == "4" and code in documented_errors(ctx.action.name, status):
            return documented(ctx.action, int(status), code, message)
    raise LookupError(f"{ctx.action.describe()} documents no error {code!r}")


def documents(ctx: RequestContext, code: str) -> bool:
    return any(code in documented_errors(ctx.action.name, s) for s in ctx.action.responses if s[0] == "4")


def require(ctx: RequestContext, collection: str, oid: str, code: str, label: str, name: str = "") -> Row:
    """The row with this id, or the documented 404 naming the id."""
    row = ctx.state.get_row(collection, oid)
    if row is None:
        raise fail(ctx, code, f"The given {name or 'id'} {oid} does not correspond to any existing {label}.")
    return row


def require_param(ctx: RequestContext, collection: str, param: str, code: str, label: str) -> Row:
    """The row named by a path parameter, or the documented 404 naming it."""
    return require(ctx, collection, ctx.path_params[param], code, label, param)


# -- paging --------------------------------------------------------------------------------------
def _start(ctx: RequestContext) -> tuple[int, ParsedQuery, int]:
    """Position, filters and number (1-based) of this page: from the ``next`` cursor, or the request's own."""
    action, query = ctx.action, ctx.query
    if query.next is None:
        return 0, query, 1
    position, pairs, number = decode_cursor(ctx.state.cursor_key, query.next, action.name, ctx.path)
    if query.filter_pairs and sorted(query.filter_pairs) != sorted(pairs):
        raise undocumented(
            "invalidQueryParameter",
            "query parameter 'next' already carries the filters of the first request; "
            "send the Link URL as is, without other filters",
        )
    return position, parse_query(action, pairs, allow_next=False), number


def page_number(ctx: RequestContext) -> int:
    """Which page (1-based) of its answer this request asks for."""
    return _start(ctx)[2]


def _page_reply(
    ctx: RequestContext, body: list[Any], next_position: int | None, query: ParsedQuery, number: int
) -> Reply:
    headers = {}
    if next_position is not None:
        token = encode_cursor(
            ctx.state.cursor_key, ctx.action.name, ctx.path, next_position, query.filter_pairs, number + 1
        )
        headers["Link"] = link_header(ctx.base_url, ctx.path, token)
    return Reply(200, body, headers)


def page(
    ctx: RequestContext, view: View, out: Callable[[Row], Any] | None = None, extra: Sequence[Filter] = ()
) -> Reply:
    """One page of a list action over a lazy view: cursor in, rows out, ``Link`` to the next page.

    ``extra`` filters come from the URL (rows under a parent), not from the query, so no cursor carries them.
    """
    position, query, number = _start(ctx)
    assert ctx.action.page_size is not None
    with ctx.state.lock:
        rows, next_position = scan_page(view, position, [*query.filters, *extra], ctx.action.page_size)
    body = [out(r) for r in rows] if out is not None else [project(ctx.action, r) for r in rows]
    return _page_reply(ctx, body, next_position, query, number)


def page_items(ctx: RequestContext, items: Iterable[Any], aliases: Mapping[str, str] | None = None) -> Reply:
    """One page of a list held in memory (bracket filters apply to dict items); all of it if not paginated."""
    position, query, number = _start(ctx)
    tests = compile_filters(query.filters, aliases or {})
    matching: Sequence[Any] = [x for x in items if not tests or all(t(x.get(name)) for name, t in tests)]
    size = ctx.action.page_size or max(1, len(matching))
    chunk = matching[position : position + size]
    body = [project(ctx.action, x) if isinstance(x, dict) else x for x in chunk]
    return _page_reply(ctx, body, position + size if position + size < len(matching) else None, query, number)
