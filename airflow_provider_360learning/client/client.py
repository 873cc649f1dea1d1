"""The client core: one request pipeline for every hook (360Learning API v2 sync and async, edX, SCIM).

``ApiClient.request`` does, in this order and nowhere else: origin pinning, the tenant-wide rate limit, the
token (cached, refreshed ahead of expiry, refreshed once on a 401), the HTTP attempt under its deadline and
size cap, redirects (same origin only; never for the token request), retries, and the mapping of every
failure to one of the provider's exceptions, with secrets masked. A service (:class:`Service`) supplies only
what differs between APIs: the token request, the auth scheme, error bodies and error classes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import aiohttp
import msgspec

from airflow_provider_360learning.client import tokens, transport
from airflow_provider_360learning.client.origin import Origin, host_of, resolve
from airflow_provider_360learning.client.redaction import Redactor
from airflow_provider_360learning.client.retry import (
    CONNECTION_ERRORS,
    IDEMPOTENT_METHODS,
    RetryableResponse,
    raise_if_retryable,
    retrying,
)
from airflow_provider_360learning.client.settings import ClientSettings
from airflow_provider_360learning.client.tokens import AccessToken, TokenCache
from airflow_provider_360learning.client.transport import (
    REDIRECT_STATUSES,
    BodyTooLarge,
    DeadlineExceeded,
    Response,
    UnsupportedEncoding,
)
from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningOriginError,
    ThreeSixtyLearningRedirectError,
    ThreeSixtyLearningResponseTooLargeError,
    ThreeSixtyLearningTimeoutError,
    ThreeSixtyLearningUnsafeResponseError,
)

MAX_REDIRECTS = 5
BudgetKind = Literal["read", "write", "exempt"]


@dataclass(frozen=True)
class Call:
    """What a request is, for the rate limit and for messages: action, request line and ids."""

    action: str
    method: str
    path: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    scope: str | None = None
    endpoint_rate: float | None = None
    """The action's own limit (requests/s) on top of the read or write budget (360Learning: 1 for some)."""
    budgeted: bool = True
    """False where the API documents no per-request limit (360Learning's Bulk API)."""
    hint: Callable[[int], str | None] | None = None
    """Extra advice for an HTTP status (edX: which UUID the credentials administer)."""

    @property
    def line(self) -> dict[str, str]:
        """The request line as error keyword arguments (``method``, ``path``)."""
        return {"method": self.method, "path": self.path}

    @property
    def idempotent(self) -> bool:
        return self.method in IDEMPOTENT_METHODS

    @property
    def budget(self) -> BudgetKind:
        if not self.budgeted:
            return "exempt"
        return "read" if self.method in ("GET", "HEAD") else "write"


class Service(Protocol):
    """What differs between the APIs the core talks to."""

    name: str
    auth_scheme: str
    """``Bearer`` or ``JWT``."""
    token_path: str | None
    """``None``: the connection's secret is a static token (SCIM)."""

    @property
    def static_headers(self) -> Mapping[str, str]:
        """Headers of every request (API version, Accept, User-Agent)."""

    def token_request(self, settings: ClientSettings) -> dict[str, Any]:
        """``{"json": ...}`` or ``{"form": ...}`` for the token endpoint."""

    def token_from(
        self, settings: ClientSettings, status: int, body: bytes, requested_at: float, clean: Redactor
    ) -> AccessToken:
        """The token of the token endpoint's answer, or the typed error saying what is wrong."""

    def is_stale_token(self, status: int, body: bytes) -> bool:
        """Whether a 401 means "fetch a new token and try once more"."""

    def parse_error_body(self, body: bytes) -> tuple[str | None, str | None]:
        """``(code, message)`` of an error answer."""

    def http_error(self, call: Call, status: int, code: str | None, message: str | None) -> Exception:
        """The typed error for an HTTP error answer (``code``/``message`` already masked and truncated)."""

    def invalid_response(self, call: Call, status: int, problem: str) -> Exception:
        """The typed error for a success answer that is not what the API documents (not JSON...)."""

    def connection_error(self, call: Call, settings: ClientSettings, reason: str) -> Exception:
        """The typed error for a server that could not be reached after retries."""


def encode_json(value: Any) -> bytes:
    return msgspec.json.encode(value)


class ApiClient:
    """Settings, service, token cache, budget and transport of one hook; async, with a sync bridge for tasks.

    ``session`` may be set by an async hook used as a context manager (one pool per trigger run); otherwise
    the sync bridge's shared session is used on the bridge loop, and a short-lived one elsewhere.
    """

    def __init__(self, settings: ClientSettings, service: Service, *, log: logging.Logger | Any) -> None:
        self.settings = settings
        self.service = service
        self.log = log
        self.origin: Origin = settings.origin
        self.redactor = Redactor(settings.secret)
        self.tokens = TokenCache()
        self.session: aiohttp.ClientSession | None = None
        self.request_count = 0
        self._budget: Any = None

    # --- pieces -----------------------------------------------------------------------------------
    def url(self, path_and_query: str) -> str:
        return self.settings.base_url.rstrip("/") + path_and_query

    def unsafe(
        self, call: Call, cls: type[ThreeSixtyLearningUnsafeResponseError], problem: str, **extra: Any
    ) -> Exception:
        return cls(service=self.service.name, action=call.action, problem=problem, **call.line, **extra)

    def pin(self, call: Call, url: str, *, what: str) -> str:
        """``url`` if it is on the connection's origin; else the typed error (nothing is sent there)."""
        try:
            same = Origin.of(url) == self.origin
        except ValueError:
            same = False
        if not same:
            host = host_of(url)
            raise self.unsafe(
                call,
                ThreeSixtyLearningOriginError,
                f"{what} points to {host}, not to the connection's origin {self.origin}; nothing was sent there",
                host=host,
            )
        return url

    def budget(self) -> Any:
        if self._budget is None:
            from airflow_provider_360learning.client.rate_limit import budget_key, tenant_budget

            settings = self.settings
            key = settings.rate_limit_key or budget_key(settings.client_id, str(self.origin))
            self._budget = tenant_budget(
                key=key,
                reads_per_second=settings.requests_per_second,
                writes_per_second=settings.writes_per_second,
                backend=settings.rate_limit_backend or None,
            )
        return self._budget

    async def _session(self) -> tuple[aiohttp.ClientSession, bool]:
        """The session to use and whether the caller must close it."""
        if self.session is not None and not self.session.closed:
            return self.session, False
        if transport.in_bridge():
            return transport.bridge().session(self.service.static_headers), False
        return transport.new_session(self.service.static_headers), True

    async def _attempt(self, method: str, url: str, headers: Mapping[str, str], data: Any) -> Response:
        session, owned = await self._session()
        settings = self.settings
        try:
            self.request_count += 1
            return await transport.exchange(
                session,
                method,
                url,
                headers=headers,
                data=data,
                total_timeout=settings.total_timeout,
                connect_timeout=settings.connect_timeout,
                read_timeout=settings.timeout,
                max_bytes=settings.max_response_bytes,
            )
        finally:
            if owned:
                await session.close()

    # --- token ------------------------------------------------------------------------------------
    async def token(self) -> AccessToken:
        return await self.tokens.get(self._fetch_token)

    async def _fetch_token(self) -> AccessToken:
        settings, service = self.settings, self.service
        if service.token_path is None:
            return AccessToken.static(settings.secret)
        call = Call(action="token request", method="POST", path=service.token_path, budgeted=False)
        url = self.pin(call, self.url(service.token_path), what="the token endpoint")
        request = service.token_request(settings)
        if "json" in request:
            headers, data = {"Content-Type": "application/json"}, encode_json(request["json"])
        else:
            headers, data = {"Content-Type": "application/x-www-form-urlencoded"}, request["form"]

        async def attempt() -> tuple[Response, float]:
            started = tokens.clock()
            response = await self._guarded(call, "POST", url, headers, data)
            if response.status in REDIRECT_STATUSES:
                raise self.unsafe(
                    call,
                    ThreeSixtyLearningRedirectError,
                    f"the token endpoint answered HTTP {response.status} (a redirect to "
                    f"{host_of(response.headers.get('Location', ''))}); the token request never follows a redirect, "
                    "since its body carries the client secret. Check the connection's host",
                )
            raise_if_retryable(response, response.headers)
            return response, started

        response, started = await self._retry(call, attempt)
        token = service.token_from(settings, response.status, response.body, started, self.redactor)
        self.redactor.add(token.value)
        return token

    # --- requests ---------------------------------------------------------------------------------
    async def _guarded(self, call: Call, method: str, url: str, headers: Mapping[str, str], data: Any) -> Response:
        """One attempt whose transport-level refusals become typed errors (deadline stays retryable)."""
        try:
            return await self._attempt(method, url, headers, data)
        except BodyTooLarge:
            raise self.unsafe(
                call,
                ThreeSixtyLearningResponseTooLargeError,
                f"the answer is larger than max_response_mb={self.settings.max_response_mb:g} "
                "(after decompression); it was not read whole. Raise the connection's max_response_mb if it is legitimate",
            ) from None
        except UnsupportedEncoding as exc:
            raise self.unsafe(
                call,
                ThreeSixtyLearningUnsafeResponseError,
                f"the answer uses Content-Encoding {self.redactor.clean(str(exc), 40)!r}, which was not asked for",
            ) from None

    async def _retry(self, call: Call, attempt: Callable[[], Any], *, return_exhausted: bool = False) -> Any:
        """Run ``attempt`` under the retry policy; exhausted retries become typed errors (or, with
        ``return_exhausted``, the last answer is returned for the caller to read).

        The typed error is raised outside the ``except`` block: no ``__context__`` keeps the raw answer (whose
        body may echo a token) attached to it."""
        settings = self.settings
        what = f"{self.service.name} {call.action} ({call.method} {call.path})"
        failure: Exception
        try:
            return await retrying(settings, idempotent=call.idempotent, log=self.log, what=what)(attempt)
        except RetryableResponse as exc:
            if return_exhausted:
                return exc.response
            failure = self.error_for(call, exc.response)
        except DeadlineExceeded:
            failure = ThreeSixtyLearningTimeoutError(
                f"{what}: no complete answer from {self.origin} within total_timeout={settings.total_timeout:g} s "
                f"(after {settings.max_retries} retries at most)"
            )
        except CONNECTION_ERRORS as exc:
            failure = self.service.connection_error(call, settings, type(exc).__name__)
        raise failure

    def error_for(self, call: Call, response: Response) -> Exception:
        """The typed error of an HTTP error answer, its server fields masked and truncated."""
        code, message = self.service.parse_error_body(response.body)
        return self.service.http_error(call, response.status, self.redactor.clean(code), self.redactor.clean(message))

    async def request(
        self,
        call: Call,
        url: str,
        *,
        json: Any = None,
        content: tuple[bytes, str] | None = None,
        headers: Mapping[str, str] | None = None,
        raise_for_status: bool = True,
    ) -> Response:
        """Send ``call`` to ``url`` (on the connection's origin) with the token, under every rule of the core.

        ``json`` is encoded here; ``content`` is a ready body and its content type (multipart forms).
        With ``raise_for_status`` false (SCIM: scim2-client reads its own errors) an error answer is returned.
        """
        url = self.pin(call, url, what="the request URL")
        extra = dict(headers or {})
        data: Any = None
        if content is not None:
            data, extra["Content-Type"] = content
        elif json is not None:
            data, extra["Content-Type"] = encode_json(json), "application/json"
        budget = self.budget() if call.budget != "exempt" else None

        for refresh in (False, True):
            token = await self.token()
            auth = {**extra, "Authorization": f"{self.service.auth_scheme} {token.value}"}

            async def attempt(auth: Mapping[str, str] = auth) -> Response:
                if budget is not None:
                    await budget.aacquire(call.budget, call.action if call.endpoint_rate else None, call.endpoint_rate)
                response = await self._follow(call, call.method, url, auth, data)
                raise_if_retryable(response, response.headers)  # the retry policy decides what is resent
                return response

            response: Response = await self._retry(call, attempt, return_exhausted=not raise_for_status)
            if response.status == 401 and not refresh and self.service.is_stale_token(response.status, response.body):
                self.tokens.invalidate(token)
                continue
            if response.status >= 400 and raise_for_status:
                raise self.error_for(call, response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def _follow(self, call: Call, method: str, url: str, headers: Mapping[str, str], data: Any) -> Response:
        """One attempt, following redirects on the connection's origin only (GET and HEAD only)."""
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._guarded(call, method, url, headers, data)
            if response.status not in REDIRECT_STATUSES or "Location" not in response.headers:
                return response
            target = resolve(url, response.headers["Location"])
            self.pin(call, target, what=f"a redirect (HTTP {response.status})")
            if method not in ("GET", "HEAD"):
                raise self.unsafe(
                    call,
                    ThreeSixtyLearningRedirectError,
                    f"the server answered HTTP {response.status}; a {method} is never redirected (it could apply twice)",
                )
            url = target
        raise self.unsafe(call, ThreeSixtyLearningRedirectError, f"more than {MAX_REDIRECTS} redirects")

    def check_json(self, call: Call, response: Response) -> Any:
        """The decoded JSON body of a success answer, or the typed error for one that is not JSON."""
        try:
            return msgspec.json.decode(response.body)
        except (msgspec.DecodeError, UnicodeDecodeError):
            kind = response.content_type.split(";")[0].strip() or "no content type"
            problem = f"the answer is not JSON ({self.redactor.clean(kind, 60)}, {len(response.body)} bytes)"
            raise self.service.invalid_response(call, response.status, problem) from None
