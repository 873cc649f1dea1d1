"""The edX emulator as an ASGI app mounted at the gateway's own path prefixes, and its control routes.

Routes (as on ``https://api.edx.org``): ``POST /oauth2/v1/access_token`` (and the LMS's
``/oauth2/access_token``), ``GET /enterprise/v2/enterprise-catalogs``, ``.../{catalog_uuid}`` (its content),
``.../{catalog_uuid}/courses/{course_key}``, ``GET /enterprise/v3/enterprise-customer/{uuid}/learner-summary``.
Pipeline of an API request: fault injection (``--fault-rate``), rate limit (a numeric ``--rate-limit``, 429
with ``Retry-After``; ``documented`` is 360Learning's model and leaves edX unlimited), routing (the gateway's 403 ``Missing Authentication Token`` for unknown routes),
``Authorization: JWT``, enterprise access (403), pagination (404 ``Invalid page.``), then the latency
before the answer leaves (the token is judged on arrival). Bodies have the shapes
of ``edx-api.md`` §9; list bodies are exactly ``{count, next, previous, results}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send

from airflow_provider_360learning.emulator.asgi import answer_delay, base_url, drop_connection
from airflow_provider_360learning.emulator.edx.data import CatalogPlan
from airflow_provider_360learning.emulator.edx.state import EdxState, edx_state

PREFIXES = ("/oauth2", "/enterprise")
"""Where the edX routes are mounted on the emulator (the gateway's own prefixes)."""
LEARNER_SUMMARY = "learner-summary"
"""Name of the learner summary among the listings that ``POST /_emulator/edx/rows/{listing}`` extends."""

_FAULTS = {"500": "Internal server error", "502": "Internal server error", "503": "Service Unavailable"}
_UUID = r"[0-9a-fA-F-]{32,36}"
_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("token", re.compile(r"^/oauth2(?:/v1)?/access_token/?$")),
    ("catalogs", re.compile(r"^/enterprise/v2/enterprise-catalogs/?$")),
    ("catalog", re.compile(r"^/enterprise/v2/enterprise-catalogs/(?P<catalog>[^/]+)/?$")),
    ("catalog_course", re.compile(r"^/enterprise/v2/enterprise-catalogs/(?P<catalog>[^/]+)/courses/(?P<key>[^/]+)/?$")),
    ("learner_summary", re.compile(r"^/enterprise/v3/enterprise-customer/(?P<enterprise>[^/]+)/learner-summary/?$")),
)
PAGE_SIZE_DEFAULT = 10
MAX_PAGE_SIZES: dict[str, int | None] = {"catalogs": None, "catalog": 100, "learner_summary": 1000}


class Answer(Exception):
    """An HTTP answer (error or not) of the edX emulator."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def detail(status: int, text: str, **headers: str) -> Answer:
    """DRF's error shape: ``{"detail": "..."}``."""
    return Answer(status, {"detail": text}, headers)


def _page_bounds(kind: str, query: dict[str, str], count: int) -> tuple[int, int, int]:
    """``(page, page_size, offset)`` as DRF's page-number pagination reads them (past the end: 404)."""
    try:
        size = int(query.get("page_size", PAGE_SIZE_DEFAULT))
    except ValueError:
        size = PAGE_SIZE_DEFAULT
    if size <= 0:
        size = PAGE_SIZE_DEFAULT
    limit = MAX_PAGE_SIZES[kind]
    size = min(size, limit) if limit else size
    last = max(1, -(-count // size))
    raw = query.get("page", "1")
    page = last if raw == "last" else (int(raw) if raw.isdigit() else 0)
    if not 1 <= page <= last:
        raise detail(404, "Invalid page.")
    return page, size, (page - 1) * size


class EdxApi:
    """ASGI app of the emulated edX gateway (see the module docstring)."""

    def __init__(self, state: EdxState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        emulator = self.state.emulator
        route, params = self.route(scope["path"])
        try:
            if route == "token":
                answer = self.token(request, body)
            else:
                fault = emulator.next_fault()
                if fault == "drop":
                    self.state.count(route or "(unrouted)", 0)
                    await answer_delay(emulator.settings.latency_ms)
                    await drop_connection(scope, send)
                    return
                if fault is not None:
                    raise Answer(int(fault), {"message": _FAULTS[fault]}, {"X-Emulator-Fault": fault})
                answer = self.api(request, route, params)
        except Answer as exc:
            answer = exc
        self.state.count(route or "(unrouted)", answer.status)
        payload = json.dumps(answer.body, ensure_ascii=False, separators=(",", ":")).encode()
        response = Response(payload, answer.status, answer.headers, media_type="application/json")
        await answer_delay(emulator.settings.latency_ms)
        await response(scope, receive, send)

    @staticmethod
    def route(path: str) -> tuple[str | None, dict[str, str]]:
        for name, pattern in _ROUTES:
            match = pattern.match(path)
            if match:
                return name, {k: unquote(v) for k, v in match.groupdict().items()}
        return None, {}

    # -- token -----------------------------------------------------------------------------------
    def token(self, request: Request, body: bytes) -> Answer:
        """``POST /oauth2/v1/access_token``: form-encoded client credentials; a JWT with ``token_type=jwt``."""
        if request.method != "POST":
            raise detail(405, f'Method "{request.method}" not allowed.', Allow="POST")
        form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
        if not form.get("grant_type") or not form.get("client_id"):
            raise Answer(400, {"error": "invalid_request", "error_description": "Missing grant_type or client_id."})
        if form["grant_type"] != "client_credentials":
            raise Answer(400, {"error": "unsupported_grant_type"})
        if not self.state.credentials_ok(form["client_id"], form.get("client_secret", "")):
            raise Answer(401, {"error": "invalid_client"})
        as_jwt = form.get("token_type", "").lower() == "jwt" or request.headers.get("x-token-type", "").lower() == "jwt"
        token, ttl = self.state.issue_token(as_jwt=as_jwt)
        expires: int | float | str = int(ttl) if float(ttl).is_integer() else ttl
        if self.state.options["expires_in_as_string"]:
            expires = str(expires)
        return Answer(
            200,
            {
                "access_token": token,
                "expires_in": expires,
                "token_type": "JWT" if as_jwt else "Bearer",
                "scope": "read write email profile",
            },
            {"Cache-Control": "no-store"},
        )

    # -- API ---------------------------------------------------------------------------------------
    def api(self, request: Request, route: str | None, params: dict[str, str]) -> Answer:
        state = self.state
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        client = f"edx:{state.client_id}" if scheme == "JWT" and token else "edx:anonymous"
        retry_after = state.emulator.take_rate_token(client)
        if retry_after is not None:
            raise detail(
                429,
                f"Request was throttled. Expected available in {retry_after} seconds.",
                **{"Retry-After": str(retry_after)},
            )
        if route is None or request.method != "GET":
            raise Answer(403, {"message": "Missing Authentication Token"})
        if scheme != "JWT" or not token.strip():
            raise detail(401, "Authentication credentials were not provided.")
        claims, problem = state.check_token(token.strip())
        if claims is None:
            raise detail(401, problem)
        administered = {
            role.partition(":")[2] for role in claims.get("roles", []) if role.startswith("enterprise_admin:")
        }
        query = dict(parse_qsl(request.url.query, keep_blank_values=True))
        link = base_url(request.url.scheme, request.headers, request.scope.get("server")) + request.url.path.rstrip("/")
        data = state.data
        if route == "catalogs":
            plans = [p for p in data.catalogs if data.enterprise_uuid in administered]
            return self.page(
                "catalogs",
                query,
                link,
                len(plans),
                lambda o, n: [data.catalog_record(p, state.day) for p in plans[o : o + n]],
            )
        if route == "learner_summary":
            enterprise = params["enterprise"].lower()
            if not re.fullmatch(_UUID, enterprise):
                raise detail(404, "Not found.")
            if enterprise not in administered or enterprise != data.enterprise_uuid:
                raise detail(403, "You do not have permission to perform this action.")
            extra = state.rows_of(LEARNER_SUMMARY)
            added = state.added_rows()
            total = data.learner_row_count
            before_extra = total + added.count
            return self.page(
                "learner_summary",
                query,
                link,
                before_extra + len(extra),
                lambda o, n: (
                    [data.learner_row(r) for r in range(o, min(o + n, total))]
                    + added.slice(max(0, o - total), max(0, o + n - total))
                    + extra[max(0, o - before_extra) : max(0, o + n - before_extra)]
                ),
            )
        plan = data.catalog(params["catalog"].lower())
        if plan is None:
            raise detail(404, "Not found.")
        if data.enterprise_uuid not in administered:
            raise detail(403, "You do not have permission to perform this action.")
        if route == "catalog_course":
            return self.course(plan, params["key"])
        return self.content(plan, query, link)

    def content(self, plan: CatalogPlan, query: dict[str, str], link: str) -> Answer:
        state, data = self.state, self.state.data
        day = state.day
        extra = state.rows_of(plan.uuid)
        generated = data.content_count(plan, day)
        return self.page(
            "catalog",
            query,
            link,
            generated + len(extra),
            lambda o, n: (
                data.content_page(plan, day, o, max(0, min(n, generated - o)))
                + extra[max(0, o - generated) : max(0, o + n - generated)]
            ),
        )

    def course(self, plan: CatalogPlan, key: str) -> Answer:
        """The course detail route: the course if the catalog offers it today, else 404."""
        data, day = self.state.data, self.state.day
        for position in range(0, plan.courses, plan.step):
            if data.course(position).key == key:
                if position in data.retired(day):
                    break
                return Answer(200, data.course_item(position, plan))
        raise detail(404, "Not found.")

    def page(
        self, kind: str, query: dict[str, str], link: str, count: int, items: Callable[[int, int], list[Any]]
    ) -> Answer:
        """A gateway list body; ``next``/``previous`` are gateway-form URLs keeping the original query."""
        page, size, offset = _page_bounds(kind, query, count)
        last = max(1, -(-count // size))

        def url(number: int) -> str:
            kept = [f"{k}={v}" for k, v in query.items() if k != "page"]
            return f"{link}?{'&'.join([f'page={number}', *kept])}"

        empty = "" if self.state.options["empty_next"] else None
        return Answer(
            200,
            {
                "count": count,
                "next": url(page + 1) if page < last else empty,
                "previous": url(page - 1) if page > 1 else None,
                "results": items(offset, size),
            },
        )


def edx_routes(emulator_state: Any) -> list[BaseRoute]:
    """The edX gateway's routes of ``--service edx`` (and ``all``), at their real path prefixes."""
    api = EdxApi(edx_state(emulator_state))
    return [Mount(prefix, app=api) for prefix in PREFIXES]


def edx_control_routes(emulator_state: Any) -> list[BaseRoute]:
    """Routes to mount under ``/_emulator`` (see docs/emulator.md)."""
    state = edx_state(emulator_state)

    async def json_body(request: Request) -> Any:
        raw = await request.body()
        return json.loads(raw) if raw else {}

    def bad(message: str) -> JSONResponse:
        return JSONResponse({"error": {"code": "badRequest", "message": message}}, 400)

    async def advance_day(request: Request) -> Response:
        try:
            days = (await json_body(request)).get("days", 1)
        except (ValueError, AttributeError):
            return bad('body must be {} or {"days": n}')
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            return bad("days must be an integer >= 1")
        return JSONResponse(info(state.advance_day(days)))

    def info(day: int | None = None) -> dict[str, Any]:
        data = state.data
        day = state.day if day is None else day
        return {
            "day": day,
            "enterprise_customer_uuid": data.enterprise_uuid,
            "client_id": state.client_id,
            "catalogs": [
                {"uuid": p.uuid, "title": p.title, "count": data.content_count(p, day)} for p in data.catalogs
            ],
            "retired_course_keys": [data.course(c).key for c in data.retired_in_order(day)],
            "learner_summary_count": data.learner_row_count
            + state.added_rows().count
            + len(state.rows_of(LEARNER_SUMMARY)),
            "options": dict(state.options),
        }

    async def get_info(request: Request) -> Response:
        return JSONResponse(info())

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

    async def stats(request: Request) -> Response:
        return JSONResponse(state.stats())

    async def revoke(request: Request) -> Response:
        state.revoke_tokens()
        return JSONResponse({"revoked": True})

    async def options(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(dict(state.options))
        try:
            return JSONResponse(state.set_options(await json_body(request)))
        except (ValueError, TypeError) as exc:
            return bad(str(exc))

    async def rows(request: Request) -> Response:
        listing = request.path_params["listing"].lower()
        if listing != LEARNER_SUMMARY and state.data.catalog(listing) is None:
            return JSONResponse(
                {
                    "error": {
                        "code": "notFound",
                        "message": f"no listing {listing!r}: use {LEARNER_SUMMARY!r} or a catalog UUID",
                    }
                },
                404,
            )
        try:
            body = await json_body(request)
        except ValueError:
            return bad("body must be JSON: a record or a list of records")
        records = body if isinstance(body, list) else [body]
        return JSONResponse(
            {"listing": listing, "added": len(records), "extra_rows": state.add_rows(listing, records)}, 201
        )

    return [
        Mount(
            "/edx",
            routes=[
                Route("/advance-day", advance_day, methods=["POST"]),
                Route("/info", get_info, methods=["GET"]),
                Route("/reset", reset, methods=["POST"]),
                Route("/stats", stats, methods=["GET"]),
                Route("/tokens/revoke", revoke, methods=["POST"]),
                Route("/options", options, methods=["GET", "POST"]),
                Route("/rows/{listing}", rows, methods=["POST"]),
            ],
        ),
    ]
