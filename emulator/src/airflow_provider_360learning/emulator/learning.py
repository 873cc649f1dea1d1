"""The 360Learning API v2 of the emulator (``/api/v2``), one of the services the emulator app mounts.

Request pipeline of the 360Learning API (``/api/v2``), in order: token endpoint (exempt
from faults and rate limiting), the company budgets of ``--rate-limit documented`` (429 without
``Retry-After``, :mod:`~airflow_provider_360learning.emulator.rate_limit`), fault injection, the per-client
rate limit of a numeric ``--rate-limit`` (429 with ``Retry-After``), routing (404/405),
authentication (401), scope (403), ``360-api-version`` (400), path and query validation (400),
handler (or 501 for actions not implemented yet), then latency before the answer leaves. The token is
judged when the request arrives, as a server does, so ``--latency-ms`` slows answers without making a
token that was fresh when sent look expired. Every answer can be recorded as an exchange.

The answer of a ``GET`` of a list action may come from the response cache instead of its handler
(``--response-cache-mb``, :mod:`~airflow_provider_360learning.emulator.page_cache`): every step but the
handler still runs. A list path with armed anomalies (:mod:`~airflow_provider_360learning.emulator.anomalies`)
bypasses the cache: its handler's answer is broken as armed and not kept.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.types import Receive, Scope, Send

from airflow_provider_360learning.actions import ACTIONS, Action
from airflow_provider_360learning.emulator.anomalies import Anomaly
from airflow_provider_360learning.emulator.asgi import answer_delay, base_url, drop_connection
from airflow_provider_360learning.emulator.bodies import read_body
from airflow_provider_360learning.emulator.broken_pages import break_page
from airflow_provider_360learning.emulator.errors import ApiError, documented, plain, undocumented
from airflow_provider_360learning.emulator.handlers import HANDLERS, Reply, RequestContext
from airflow_provider_360learning.emulator.handlers.base import Handler, encode_json, page_number
from airflow_provider_360learning.emulator.handlers.bulk import settle
from airflow_provider_360learning.emulator.handlers.webhooks import SECRET_ANSWERS
from airflow_provider_360learning.emulator.routing import ActionRouter, check_headers, check_path_params, parse_query
from airflow_provider_360learning.emulator.state import REDACTED, EmulatorState, Exchange

_FAULTS = {
    "500": ("internalServerError", "Internal server error (fault injected by the emulator)."),
    "502": ("badGateway", "Bad gateway (fault injected by the emulator)."),
    "503": ("serviceUnavailable", "Service unavailable (fault injected by the emulator)."),
}
_TOKEN_FIELDS = frozenset({"grant_type", "client_id", "client_secret", "user_id", "company_id"})


class LearningApi:
    """ASGI app of the 360Learning API v2: one generic pipeline for every action of :data:`ACTIONS`."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.router = ActionRouter(ACTIONS.values())
        self.token_action = ACTIONS["generate_token"]
        self.list_actions = frozenset(a.name for a in ACTIONS.values() if a.method == "GET" and a.returns_list)
        """Actions whose answers may be cached: ``GET`` of a list (an array in the documented success body)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        state = self.state
        action: Action | None = None
        fault: str | None = None
        match, allowed = self.router.match(request.method, scope["path"])
        arrived = state.rate_clock()
        if match is not None and match.action is self.token_action:
            action = match.action
            reply = self.token(body)
        elif state.take_company_budget(request.method, match.action if match else None, arrived) is not None:
            action = match.action if match else None
            reply = Reply(429, {"error": "tooManyRequests"})  # 360Learning documents no Retry-After
        else:
            fault = state.next_fault()
            if fault == "drop":
                state.count_request(match.action.name if match else None, 0, request.method, arrived)
                self.record(request, body, 0, (), b"", match.action if match else None, fault)
                await answer_delay(state.settings.latency_ms)
                await self.drop(scope, send)
                return
            if fault is not None:
                code, message = _FAULTS[fault]
                reply = Reply(int(fault), {"error": {"code": code, "message": message}}, {"X-Emulator-Fault": fault})
            else:
                try:
                    action = match.action if match else None
                    reply = self.api(request, match, allowed, body)
                except ApiError as exc:
                    reply = Reply(exc.status, exc.body, exc.headers)
        if action is not self.token_action:  # token requests have their own counter
            state.count_request(
                action.name if action else (match.action.name if match else None), reply.status, request.method, arrived
            )
        else:
            state.count_token_status(reply.status)
        payload = reply.payload()
        response = Response(payload, reply.status, reply.headers, media_type=reply.media_type)
        if state.record_exchanges:
            self.record(
                request,
                body,
                reply.status,
                tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers),
                payload,
                match.action if match else None,
                fault,
            )
        await answer_delay(state.settings.latency_ms)
        await response(scope, receive, send)

    # -- pipeline ------------------------------------------------------------------------------
    def api(self, request: Request, match: Any, allowed: tuple[str, ...], body: bytes = b"") -> Reply:
        state = self.state
        token = _bearer(request.headers.get("authorization", ""))
        client = state.known_token_client(token) if token else None
        retry_after = state.take_rate_token(client or "anonymous")
        if retry_after is not None:
            raise plain(429, "tooManyRequests", **{"Retry-After": str(retry_after)})
        if match is None:
            if allowed:
                raise undocumented(
                    "methodNotAllowed",
                    f"{request.method} is not allowed on {request.url.path}; allowed: {', '.join(allowed)}",
                    Allow=", ".join(allowed),
                )
            raise undocumented("notFound", f"no 360Learning API v2 operation matches {request.url.path}")
        action: Action = match.action
        client = state.token_client(token) if token else None
        if client is None:
            raise plain(401, "invalid_token")
        if action.scope and action.scope not in state.settings.scopes:
            message = (
                f"The {action.name} action ({action.method} {action.path}) requires scope {action.scope}, "
                f"which the client {client} was not granted."
            )
            raise documented(action, 403, "invalid_scope", message)
        check_headers(action, request.headers)
        path_params = check_path_params(action, match.path_params)
        query = parse_query(action, _query_pairs(request.scope.get("query_string", b"")))
        handler = HANDLERS.get(action.name)
        if handler is None:
            raise undocumented("notImplemented", f"the emulator does not implement {action.describe()} yet")
        settle(state)  # bulk operations whose time has come apply their effects first
        ctx = RequestContext(
            action=action,
            state=state,
            path=request.url.path,
            path_params=path_params,
            query=query,
            base_url=base_url(request.url.scheme, request.headers, request.scope.get("server")),
            body=read_body(action, request.headers.get("content-type"), body),
        )
        if action.name in self.list_actions:
            armed = state.anomalies.armed(action.name, ctx.path)
            if armed:
                return self.broken(ctx, handler, armed)
            if state.page_cache.max_bytes:
                return self.cached(ctx, handler, request.scope.get("query_string", b""))
        if action.method == "GET":
            return handler(ctx)
        try:
            return handler(ctx)
        finally:  # whatever a write changed, even in place or before failing, no cached answer predates it
            state.changed()

    def cached(self, ctx: RequestContext, handler: Handler, query_string: bytes) -> Reply:
        """The handler's answer, from the response cache when this request was answered at this data version.

        A miss runs the handler under the state's lock and keeps its encoded 200 unless it changed the state
        or read the clock or a side table (:meth:`EmulatorState.watch`): such an answer is not a function
        of the key.
        """
        state, cache = self.state, self.state.page_cache
        hit = cache.get((ctx.action.name, ctx.path, query_string, ctx.base_url, state.data_version))
        if hit is not None:
            return Reply(hit.status, hit.body, dict(hit.headers), hit.media_type)
        with state.lock:
            key = (ctx.action.name, ctx.path, query_string, ctx.base_url, state.data_version)
            mark = state.watch()
            reply = handler(ctx)
            keep = reply.status == 200 and state.unchanged_since(mark)
        if keep:
            reply = Reply(reply.status, reply.payload(), reply.headers, reply.media_type)
            cache.put(key, reply.status, reply.body, reply.headers, reply.media_type)
        return reply

    @staticmethod
    def broken(ctx: RequestContext, handler: Handler, armed: tuple[Anomaly, ...]) -> Reply:
        """The handler's answer with the armed anomalies applied; never from or into the response cache."""
        reply = handler(ctx)
        if reply.status != 200 or not isinstance(reply.body, list):
            return reply
        page = break_page(armed, reply.body, reply.headers, page_number(ctx), ctx.action.page_size)
        return reply if page is None else Reply(200, page.body, page.headers)

    def token(self, body: bytes) -> Reply:
        """``POST /api/v2/oauth2/token`` per ``GenerateTokenBody`` (JSON only, as documented)."""
        state, config, action = self.state, self.state.config, self.token_action
        state.count_token_request()
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = None
        try:
            if not isinstance(data, dict):
                raise documented(action, 400, "invalid_request")
            grant = data.get("grant_type")
            if isinstance(grant, str) and grant != "client_credentials":
                raise documented(action, 400, "unsupported_grant_type")
            if (
                set(data) - _TOKEN_FIELDS
                or any(not isinstance(data.get(k), str) for k in ("grant_type", "client_id", "client_secret"))
                or any(k in data and not _is_object_id(data[k]) for k in ("user_id", "company_id"))
            ):
                raise documented(action, 400, "invalid_request")
            id_ok = hmac.compare_digest(data["client_id"].encode(), config.client_id.encode())
            secret_ok = hmac.compare_digest(data["client_secret"].encode(), config.client_secret.encode())
            if not (id_ok and secret_ok):
                raise documented(action, 401, "invalid_client")
            if "user_id" in data and state.get_row("users", data["user_id"]) is None:
                raise documented(action, 400, "non_existing_user")
        except ApiError as exc:
            return Reply(exc.status, exc.body, exc.headers)
        token, ttl = state.issue_token(config.client_id)
        expires: int | float = int(ttl) if float(ttl).is_integer() else ttl
        return Reply(
            200, {"token_type": "Bearer", "access_token": token, "expires_in": expires}, {"Cache-Control": "no-store"}
        )

    drop = staticmethod(drop_connection)

    def record(
        self,
        request: Request,
        body: bytes,
        status: int,
        headers: tuple[tuple[str, str], ...],
        payload: bytes,
        action: Action | None,
        fault: str | None,
    ) -> None:
        state = self.state
        if not state.record_exchanges:
            return
        request_headers = tuple(
            (k, _redact_authorization(v) if k == "authorization" else v) for k, v in request.headers.items()
        )
        if action is self.token_action:
            body = _redact_json(body, "client_secret")
            payload = _redact_json(payload, "access_token")
        elif action is not None and action.name in SECRET_ANSWERS:
            payload = _redact_json(payload, "secret")  # webhook signing secrets stay out of the log too
        state.record(
            Exchange(
                method=request.method,
                url=str(request.url),
                request_headers=request_headers,
                request_body=state.redact(body),
                status=status,
                response_headers=headers,
                response_body=state.redact(payload),
                action=action.name if action else None,
                fault=fault,
            )
        )


def _bearer(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _redact_authorization(value: str) -> str:
    scheme, _, token = value.partition(" ")
    return f"{scheme} {REDACTED}" if token else REDACTED


def _redact_json(data: bytes, key: str) -> bytes:
    try:
        obj = json.loads(data)
    except ValueError:
        return data
    if isinstance(obj, dict) and key in obj:
        obj[key] = REDACTED
        return encode_json(obj)
    return data


def _is_object_id(value: object) -> bool:
    return isinstance(value, str) and len(value) == 24 and all(c in "0123456789abcdefABCDEF" for c in value)


def _query_pairs(raw: bytes) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(raw.decode("latin-1"), keep_blank_values=True)


def learning_routes(state: EmulatorState) -> list[BaseRoute]:
    """The 360Learning API's mount."""
    return [Mount("/api/v2", app=LearningApi(state))]
