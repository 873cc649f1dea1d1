"""Hooks for 360Learning API v2: OAuth2 client credentials, paging, filters, retries, rate limits.

``ThreeSixtyLearningHook`` (sync, for tasks) and ``ThreeSixtyLearningAsyncHook`` (for triggers) build
on the HTTP provider's hooks for connection handling and share every piece of request building and
response parsing (``api_request``, ``token``, ``retry``); only the transport differs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import platform
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from functools import cached_property
from typing import Any

import aiohttp
import msgspec
import requests
from airflow.providers.http.hooks.http import HttpAsyncHook, HttpHook, SessionConfig
from airflow.sdk.log import mask_secret
from tenacity import AsyncRetrying, Retrying

from airflow_provider_360learning import __version__
from airflow_provider_360learning.actions import Action
from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningAPIError,
    ThreeSixtyLearningAuthenticationError,
    ThreeSixtyLearningConnectionError,
    ThreeSixtyLearningError,
    ThreeSixtyLearningParameterError,
    ThreeSixtyLearningPermissionError,
)
from airflow_provider_360learning.hooks import token as tokens
from airflow_provider_360learning.hooks.api_request import (
    API_VERSION,
    API_VERSION_HEADER,
    IDEMPOTENT_METHODS,
    TOKEN_PATH,
    ApiRequest,
    api_error,
    build_request,
    bulk_operation_id,
    next_page_url,
    parse_error_body,
    resolve_action,
    retry_after_seconds,
)
from airflow_provider_360learning.hooks.connection_settings import (
    REGION_HOSTS,
    ConnectionSettings,
    settings_from_connection,
)
from airflow_provider_360learning.hooks.rate_limit import shared_limiter
from airflow_provider_360learning.hooks.retry import (
    ASYNC_CONNECTION_ERRORS,
    ASYNC_UNSENT_ERRORS,
    SYNC_CONNECTION_ERRORS,
    SYNC_UNSENT_ERRORS,
    RetryableResponse,
    retry_kwargs,
)
from airflow_provider_360learning.hooks.token import AccessToken, parse_token_response, token_request_body

CONNECTION_TEST_ACTION = "list_users"


def user_agent() -> str:
    try:
        from airflow import __version__ as airflow_version
    except ImportError:  # pragma: no cover - airflow is a dependency
        airflow_version = "unknown"
    return (
        f"airflow-provider-360learning/{__version__} apache-airflow/{airflow_version} "
        f"python/{platform.python_version()}"
    )


decode_json = msgspec.json.Decoder().decode
"""JSON bytes -> Python objects, about 3x faster than ``json.loads`` on a 500-row page (msgspec comes with
Airflow's task SDK); its ``DecodeError`` is a ``ValueError``."""


def _static_headers() -> dict[str, str]:
    return {API_VERSION_HEADER: API_VERSION, "Accept": "application/json", "User-Agent": user_agent()}


def _is_stale_token(status: int, body: bytes) -> bool:
    return status == 401 and parse_error_body(body)[0] in ("invalid_token", None)


def _decode(status: int, content_type: str, body: bytes) -> Any:
    if status == 204 or not body:
        return None
    if "json" in content_type:
        return decode_json(body)
    return body


def _connection_failure(request: ApiRequest, base_url: str, exc: BaseException) -> ThreeSixtyLearningConnectionError:
    return ThreeSixtyLearningConnectionError(
        f"360Learning action {request.action.name!r} ({request.method} {request.action.path}): "
        f"could not reach {base_url} after retries ({type(exc).__name__})"
    )


def _not_a_list(action: Action) -> ThreeSixtyLearningParameterError:
    return ThreeSixtyLearningParameterError(action.name, None, "returns a single object, not a list: use call_action")


def decode_page(action: Action, body: bytes) -> list[Any]:
    """A list action's page body as its items; an answer that is not a JSON array is an API error."""
    page = decode_json(body)
    if not isinstance(page, list):
        raise ThreeSixtyLearningAPIError(
            action=action.name, method=action.method, path=action.path, status=200,
            message=f"expected a JSON array page, got {type(page).__name__}",
        )
    return page


class ThreeSixtyLearningHook(HttpHook):
    """
    Call any 360Learning API v2 action (see ``airflow_provider_360learning.actions.ACTIONS``).

    The OAuth2 token is fetched once, reused across calls and pages, refreshed shortly before it
    expires and once more if the API answers 401. Each request is rate limited client-side, retried
    on 429 (honouring ``Retry-After``), 5xx and connection errors, and bounded by a timeout.

    :param three_sixty_learning_conn_id: Airflow connection of type ``360learning``.
    :param settings_overrides: per-hook values for the connection's tuning fields
        (``timeout``, ``connect_timeout``, ``max_retries``, ``max_retry_wait``, ``requests_per_second``,
        ``backoff_initial``, ``backoff_max``).
    """

    conn_name_attr = "three_sixty_learning_conn_id"
    default_conn_name = "360learning_default"
    conn_type = "360learning"
    hook_name = "360Learning"

    def __init__(self, three_sixty_learning_conn_id: str = default_conn_name, **settings_overrides: Any) -> None:
        super().__init__(method="GET", http_conn_id=three_sixty_learning_conn_id)
        self.three_sixty_learning_conn_id = three_sixty_learning_conn_id
        self.settings_overrides = settings_overrides
        self._token: AccessToken | None = None
        self._token_lock = threading.Lock()
        self._session: requests.Session | None = None

    @cached_property
    def settings(self) -> ConnectionSettings:
        conn = self.get_connection(self.three_sixty_learning_conn_id)
        return settings_from_connection(
            self.three_sixty_learning_conn_id,
            login=conn.login,
            password=conn.password,
            host=conn.host,
            port=conn.port,
            schema=conn.schema,
            extra=conn.extra_dejson,
            overrides=self.settings_overrides,
        )

    # --- HttpHook hook points: base URL from the region, no basic auth, never extras as headers ----
    def _set_base_url(self, connection: Any) -> None:
        self.base_url = self.settings.base_url
        self._base_url_initialized = True

    def _configure_session_from_auth(self, session: requests.Session, connection: Any) -> requests.Session:
        session.auth = None  # bearer token is added per request, from the token cache
        return session

    def _configure_session_from_extra(
        self, session: requests.Session, connection: Any, extra_options: dict[str, Any]
    ) -> requests.Session:
        return session

    def get_conn(self, headers: dict[Any, Any] | None = None, extra_options: dict[str, Any] | None = None) -> requests.Session:
        """One pooled session per hook, with the API version header on every request."""
        if self._session is None:
            session = super().get_conn(headers={**_static_headers(), **(headers or {})})
            self._session = session
        return self._session

    # --- token --------------------------------------------------------------------------------------
    def _fetch_token(self, settings: ConnectionSettings) -> AccessToken:
        def attempt() -> AccessToken:
            started = tokens.clock()
            response = self.get_conn().post(
                settings.base_url + TOKEN_PATH,
                json=token_request_body(settings.client_id, settings.client_secret),
                timeout=(settings.connect_timeout, settings.timeout),
            )
            if response.status_code == 429 or response.status_code >= 500:
                raise RetryableResponse(
                    response.status_code, response.content, retry_after_seconds(response.headers.get("Retry-After"))
                )
            return parse_token_response(response.status_code, response.content, base_url=settings.base_url, requested_at=started)

        kwargs = retry_kwargs(
            settings, idempotent=True, connection_errors=SYNC_CONNECTION_ERRORS,
            unsent_errors=SYNC_UNSENT_ERRORS, log=self.log, what="360Learning token request",
        )
        try:
            token = Retrying(**kwargs)(attempt)
        except RetryableResponse as exc:
            raise ThreeSixtyLearningAPIError(
                action="generate_token", method="POST", path=TOKEN_PATH, status=exc.status,
                message="the token endpoint kept failing",
            ) from None
        except SYNC_CONNECTION_ERRORS as exc:
            raise ThreeSixtyLearningConnectionError(
                f"360Learning token request: could not reach {settings.base_url} ({type(exc).__name__})"
            ) from None
        mask_secret(token.value)
        return token

    def get_token(self) -> AccessToken:
        """The cached token, fetched or refreshed when missing or close to expiry."""
        with self._token_lock:
            if self._token is None or not self._token.is_fresh():
                self._token = self._fetch_token(self.settings)
            return self._token

    def _invalidate_token(self, token: AccessToken) -> None:
        with self._token_lock:
            if self._token is token:
                self._token = None

    # --- requests -----------------------------------------------------------------------------------
    def _send(self, request: ApiRequest, url: str) -> requests.Response:
        settings = self.settings
        session = self.get_conn()
        limiter = shared_limiter(settings.base_url, settings.client_id, settings.requests_per_second)
        body = request.send_kwargs()
        body_headers = body.pop("headers", {})

        def attempt(token: AccessToken) -> requests.Response:
            limiter.acquire()
            response = session.request(
                request.method, url, timeout=(settings.connect_timeout, settings.timeout),
                headers={**body_headers, "Authorization": f"Bearer {token.value}"}, **body,
            )
            if response.status_code == 429 or response.status_code >= 500:
                raise RetryableResponse(
                    response.status_code, response.content, retry_after_seconds(response.headers.get("Retry-After"))
                )
            return response

        kwargs = retry_kwargs(
            settings, idempotent=request.method in IDEMPOTENT_METHODS, connection_errors=SYNC_CONNECTION_ERRORS,
            unsent_errors=SYNC_UNSENT_ERRORS, log=self.log, what=request.action.describe(),
        )
        for refresh in (False, True):
            token = self.get_token()
            try:
                response = Retrying(**kwargs)(attempt, token)
            except RetryableResponse as exc:
                raise api_error(request, exc.status, exc.body) from None
            except SYNC_CONNECTION_ERRORS as exc:
                raise _connection_failure(request, settings.base_url, exc) from None
            if _is_stale_token(response.status_code, response.content) and not refresh:
                self._invalidate_token(token)
                continue
            if response.status_code >= 400:
                raise api_error(request, response.status_code, response.content)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def call_action(self, name: str | Action | ApiRequest, /, **params: Any) -> Any:
        """Perform one action and return its decoded body (one page, for a paginated list action).

        Parameters use the official spec's names: path and query parameters by name
        (``pathId="..."``, ``completedAt={"gte": some_datetime}``), the request body as ``body``. A request
        already built (and so checked) by ``build_request`` is sent as is.
        """
        request = name if isinstance(name, ApiRequest) else build_request(name, params)
        response = self._send(request, request.url(self.settings.base_url))
        return _decode(response.status_code, response.headers.get("Content-Type", ""), response.content)

    def submit_bulk(self, name: str | Action | ApiRequest, /, **params: Any) -> str:
        """Submit one Bulk API request (answered 202 at once) and return its operation id (from ``Location``).

        The operation then runs in 360Learning: follow it with ``get_bulk_operation``. A request already
        built (and so checked) by ``build_request`` is sent as is.
        """
        request = name if isinstance(name, ApiRequest) else build_request(name, params)
        response = self._send(request, request.url(self.settings.base_url))
        return bulk_operation_id(request, response.status_code, response.headers.get("Location"))

    def _fetch_page(self, request: ApiRequest, url: str) -> tuple[bytes, str | None]:
        """One page's raw body and the URL of the next page (``None`` on the last page)."""
        response = self._send(request, url)
        following = next_page_url(url, response.headers.get("Link"))
        if following == url:
            action = request.action
            raise ThreeSixtyLearningAPIError(
                action=action.name, method=action.method, path=action.path, status=response.status_code,
                message="the Link header points to the same page again",
            )
        return response.content, following

    def iter_page_bodies(self, name: str | Action | ApiRequest, /, **params: Any) -> Iterator[bytes]:
        """Yield the raw JSON body of each page of a list action, following ``Link: rel="next"``.

        For consumers that decode pages themselves (the warehouse transfer decodes straight into typed
        rows, on another thread); :func:`decode_page` turns a body into its items. Cursor pages can only
        be fetched one after the other; one page is in memory at a time.
        """
        action = name.action if isinstance(name, ApiRequest) else resolve_action(name)
        if not action.returns_list:
            raise _not_a_list(action)
        request = name if isinstance(name, ApiRequest) else build_request(action, params)
        url: str | None = request.url(self.settings.base_url)
        pages = 0
        while url:
            body, url = self._fetch_page(request, url)
            pages += 1
            yield body
        self.log.debug("%s: %d page(s)", action.describe(), pages)

    def iter_pages(self, name: str | Action | ApiRequest, /, **params: Any) -> Iterator[list[Any]]:
        """Yield each page (a list of items) of a list action, following ``Link: rel="next"``."""
        action = name.action if isinstance(name, ApiRequest) else resolve_action(name)
        for body in self.iter_page_bodies(name if isinstance(name, ApiRequest) else action, **params):
            yield decode_page(action, body)

    def iter_action(self, name: str | Action, /, **params: Any) -> Iterator[Any]:
        """Yield every item of a list action across all pages; one page is in memory at a time."""
        for page in self.iter_pages(name, **params):
            yield from page

    # --- connection test ----------------------------------------------------------------------------
    def _credentials_accepted(self, settings: ConnectionSettings) -> bool:
        try:
            response = requests.post(
                settings.base_url + TOKEN_PATH,
                json=token_request_body(settings.client_id, settings.client_secret),
                headers=_static_headers(),
                timeout=(settings.connect_timeout, min(settings.timeout, 15)),
            )
        except requests.exceptions.RequestException:
            return False
        return response.status_code == 200

    def test_connection(self) -> tuple[bool, str]:
        """Fetch a token and make one cheap authenticated GET; say exactly what is wrong otherwise."""
        try:
            settings = dataclasses.replace(self.settings, max_retries=1, max_retry_wait=10)
        except ThreeSixtyLearningError as exc:
            return False, str(exc)
        self.__dict__["settings"] = settings  # bounded retries while the UI waits
        with self._token_lock:
            self._token = None
        try:
            self.get_token()
        except ThreeSixtyLearningAuthenticationError:
            if settings.region_from_host:
                other = next(r for r in REGION_HOSTS if r != settings.region)
                if self._credentials_accepted(settings.with_region(other)):
                    return False, (
                        f"Wrong region: the {settings.region.upper()} host {settings.base_url} rejected these "
                        f"credentials but the {other.upper()} host {REGION_HOSTS[other]} accepts them; "
                        f"set the connection's region to '{other}'"
                    )
            return False, f"Bad credentials: {settings.base_url} rejected the client ID / client secret pair"
        except ThreeSixtyLearningConnectionError:
            return False, f"Unreachable host: could not connect to {settings.base_url}"
        except ThreeSixtyLearningError as exc:
            return False, str(exc)
        try:
            self.call_action(CONNECTION_TEST_ACTION, mail={"eq": "airflow-connection-test@example.invalid"})
        except ThreeSixtyLearningPermissionError as exc:
            return True, (
                f"Connected to 360Learning at {settings.base_url}; note: this API client lacks the scope "
                f"'{exc.scope}' that user actions need"
            )
        except ThreeSixtyLearningError as exc:
            return False, str(exc)
        return True, f"Connected to 360Learning at {settings.base_url}"

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


class ThreeSixtyLearningAsyncHook(HttpAsyncHook):
    """Async twin of :class:`ThreeSixtyLearningHook` for triggers: same requests, same errors.

    Resolves its connection with the async connection API only (never the sync one, which blocks
    the triggerer's event loop). Use as ``async with ThreeSixtyLearningAsyncHook(...) as hook:``
    to share one HTTP session; otherwise each call opens its own.
    """

    conn_name_attr = "three_sixty_learning_conn_id"
    default_conn_name = "360learning_default"
    conn_type = "360learning"
    hook_name = "360Learning (async)"

    def __init__(self, three_sixty_learning_conn_id: str = default_conn_name, **settings_overrides: Any) -> None:
        super().__init__(method="GET", http_conn_id=three_sixty_learning_conn_id)
        self.three_sixty_learning_conn_id = three_sixty_learning_conn_id
        self.settings_overrides = settings_overrides
        self._settings: ConnectionSettings | None = None
        self._token: AccessToken | None = None
        self._token_lock = asyncio.Lock()
        self._client: aiohttp.ClientSession | None = None

    async def asettings(self) -> ConnectionSettings:
        if self._settings is None:
            from airflow.providers.common.compat.connection import get_async_connection

            conn = await get_async_connection(conn_id=self.three_sixty_learning_conn_id, hook=self)
            self._settings = settings_from_connection(
                self.three_sixty_learning_conn_id,
                login=conn.login,
                password=conn.password,
                host=conn.host,
                port=conn.port,
                schema=conn.schema,
                extra=conn.extra_dejson,
                overrides=self.settings_overrides,
            )
        return self._settings

    async def config(self) -> SessionConfig:
        """The HTTP provider's session config, without basic auth and without extras as headers."""
        settings = await self.asettings()
        return SessionConfig(base_url=settings.base_url, headers=_static_headers(), auth=None, extra_options={})

    async def __aenter__(self) -> ThreeSixtyLearningAsyncHook:
        self._client = aiohttp.ClientSession(headers=_static_headers())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def _request(
        self, method: str, url: str, *, settings: ConnectionSettings, body: Mapping[str, Any], headers: dict[str, str]
    ) -> tuple[int, str, Mapping[str, str], bytes]:
        """One HTTP exchange; ``body`` is ``{"json": ...}`` or ``ApiRequest.send_kwargs()``."""
        arguments = dict(body)
        headers = {**headers, **arguments.pop("headers", {})}
        timeout = aiohttp.ClientTimeout(total=settings.timeout, connect=settings.connect_timeout)
        client = self._client
        owned = client is None
        if client is None:
            client = aiohttp.ClientSession(headers=_static_headers())
        try:
            async with client.request(method, url, headers=headers, timeout=timeout, **arguments) as response:
                content = await response.read()
                return response.status, response.headers.get("Content-Type", ""), response.headers.copy(), content
        finally:
            if owned:
                await client.close()

    async def get_token(self) -> AccessToken:
        async with self._token_lock:
            if self._token is None or not self._token.is_fresh():
                settings = await self.asettings()

                async def attempt() -> AccessToken:
                    started = tokens.clock()
                    status, _, headers, body = await self._request(
                        "POST", settings.base_url + TOKEN_PATH, settings=settings,
                        body={"json": token_request_body(settings.client_id, settings.client_secret)}, headers={},
                    )
                    if status == 429 or status >= 500:
                        raise RetryableResponse(status, body, retry_after_seconds(headers.get("Retry-After")))
                    return parse_token_response(status, body, base_url=settings.base_url, requested_at=started)

                kwargs = retry_kwargs(
                    settings, idempotent=True, connection_errors=ASYNC_CONNECTION_ERRORS,
                    unsent_errors=ASYNC_UNSENT_ERRORS, log=self.log, what="360Learning token request",
                )
                try:
                    token: AccessToken = await AsyncRetrying(**kwargs)(attempt)
                except RetryableResponse as exc:
                    raise ThreeSixtyLearningAPIError(
                        action="generate_token", method="POST", path=TOKEN_PATH, status=exc.status,
                        message="the token endpoint kept failing",
                    ) from None
                except ASYNC_CONNECTION_ERRORS as exc:
                    raise ThreeSixtyLearningConnectionError(
                        f"360Learning token request: could not reach {settings.base_url} ({type(exc).__name__})"
                    ) from None
                mask_secret(token.value)
                self._token = token
            return self._token

    async def _send(self, request: ApiRequest, url: str) -> tuple[int, str, Mapping[str, str], bytes]:
        settings = await self.asettings()
        limiter = shared_limiter(settings.base_url, settings.client_id, settings.requests_per_second)

        async def attempt(token: AccessToken) -> tuple[int, str, Mapping[str, str], bytes]:
            await limiter.aacquire()
            answer = await self._request(
                request.method, url, settings=settings, body=request.send_kwargs(),
                headers={"Authorization": f"Bearer {token.value}"},
            )
            status, _, headers, body = answer
            if status == 429 or status >= 500:
                raise RetryableResponse(status, body, retry_after_seconds(headers.get("Retry-After")))
            return answer

        kwargs = retry_kwargs(
            settings, idempotent=request.method in IDEMPOTENT_METHODS, connection_errors=ASYNC_CONNECTION_ERRORS,
            unsent_errors=ASYNC_UNSENT_ERRORS, log=self.log, what=request.action.describe(),
        )
        for refresh in (False, True):
            token = await self.get_token()
            try:
                answer: tuple[int, str, Mapping[str, str], bytes] = await AsyncRetrying(**kwargs)(attempt, token)
            except RetryableResponse as exc:
                raise api_error(request, exc.status, exc.body) from None
            except ASYNC_CONNECTION_ERRORS as exc:
                raise _connection_failure(request, settings.base_url, exc) from None
            status, _, _, body = answer
            if _is_stale_token(status, body) and not refresh:
                async with self._token_lock:
                    if self._token is token:
                        self._token = None
                continue
            if status >= 400:
                raise api_error(request, status, body)
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    async def acall_action(self, name: str | Action, /, **params: Any) -> Any:
        """Async :meth:`ThreeSixtyLearningHook.call_action`."""
        request = build_request(name, params)
        settings = await self.asettings()
        status, content_type, _, body = await self._send(request, request.url(settings.base_url))
        return _decode(status, content_type, body)

    async def aiter_action(self, name: str | Action, /, **params: Any) -> AsyncIterator[Any]:
        """Async :meth:`ThreeSixtyLearningHook.iter_action`."""
        action = resolve_action(name)
        if not action.returns_list:
            raise _not_a_list(action)
        request = build_request(action, params)
        settings = await self.asettings()
        url: str | None = request.url(settings.base_url)
        while url:
            _, _, headers, body = await self._send(request, url)
            for item in decode_page(request.action, body):
                yield item
            following = next_page_url(url, headers.get("Link"))
            url = None if following == url else following
