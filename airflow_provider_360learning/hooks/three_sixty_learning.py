"""Hooks for 360Learning API v2: any action by name, on the provider's client core.

``ThreeSixtyLearningHook`` (sync, for tasks) and ``ThreeSixtyLearningAsyncHook`` (for triggers) differ only in
how they wait: both hand their requests to the same :class:`~airflow_provider_360learning.client.client.ApiClient`
(OAuth2 token cache, tenant-wide rate limit, retries, deadline and size cap, origin pinning, typed errors,
masking) and page through the same walker. What is 360Learning-specific here is the registry of actions:
requests are built and checked by :func:`~airflow_provider_360learning.actions.requests.build_request`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from concurrent.futures import Future
from typing import Any, Unpack

import msgspec
from airflow.providers.http.hooks.http import HttpAsyncHook, HttpHook, SessionConfig

from airflow_provider_360learning.actions import Action
from airflow_provider_360learning.actions.partitions import partitioning_for
from airflow_provider_360learning.actions.requests import (
    ApiRequest,
    build_request,
    bulk_operation_id,
    next_page_url,
    resolve_action,
)
from airflow_provider_360learning.client import transport
from airflow_provider_360learning.client.client import ApiClient, Call
from airflow_provider_360learning.client.hook import ClientHookMixin, ThreeSixtyLearningSettings, given_settings
from airflow_provider_360learning.client.pagination import walk_pages
from airflow_provider_360learning.client.services import (
    REGION_HOSTS,
    ThreeSixtyLearningService,
    three_sixty_learning_settings,
    user_agent,
)
from airflow_provider_360learning.client.settings import ClientSettings
from airflow_provider_360learning.client.tokens import AccessToken
from airflow_provider_360learning.client.transport import Response
from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningAuthenticationError,
    ThreeSixtyLearningConnectionError,
    ThreeSixtyLearningError,
    ThreeSixtyLearningInvalidResponseError,
    ThreeSixtyLearningParameterError,
    ThreeSixtyLearningPermissionError,
)
from airflow_provider_360learning.hooks.partitioned_read import PartitionedRead, PartitionStats

__all__ = ["ThreeSixtyLearningAsyncHook", "ThreeSixtyLearningHook", "decode_json", "decode_page", "user_agent"]

CONNECTION_TEST_ACTION = "list_users"
SERVICE = ThreeSixtyLearningService()

decode_json = msgspec.json.Decoder().decode
"""JSON bytes -> Python objects, about 3x faster than ``json.loads`` on a 500-row page."""


def call_of(request: ApiRequest) -> Call:
    """How the core sees a request: the action, its request line, ids, scope and rate-limit class."""
    action = request.action
    return Call(
        action=action.name,
        method=action.method,
        path=action.path,
        path_params=request.path_params,
        scope=action.scope,
        endpoint_rate=action.endpoint_rate_limit,
        budgeted=action.counts_against_budget,
    )


def _not_a_list(action: Action) -> ThreeSixtyLearningParameterError:
    return ThreeSixtyLearningParameterError(action.name, None, "returns a single object, not a list: use call_action")


def _invalid(action: Action, status: int, problem: str) -> ThreeSixtyLearningInvalidResponseError:
    return ThreeSixtyLearningInvalidResponseError(
        action=action.name, method=action.method, path=action.path, status=status, message=problem
    )


def decode_page(action: Action, body: bytes) -> list[Any]:
    """A list action's page body as its items; an answer that is not a JSON array is a typed error."""
    try:
        page = decode_json(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        raise _invalid(action, 200, f"the page is not JSON ({len(body)} bytes)") from None
    if not isinstance(page, list):
        raise _invalid(action, 200, f"expected a JSON array page, got {type(page).__name__}")
    return page


def decode_answer(action: Action, response: Response) -> Any:
    """The decoded body of a success answer: JSON where the spec documents JSON, bytes for files."""
    if response.status == 204 or not response.body:
        return None
    documented = action.success_response.content_types if action.success_response else ()
    expects_json = any("json" in kind for kind in documented) or not documented
    if "json" in response.content_type or expects_json:
        try:
            return decode_json(response.body)
        except (msgspec.DecodeError, UnicodeDecodeError):
            kind = response.content_type.split(";")[0].strip()[:60] or "no content type"
            raise _invalid(
                action, response.status, f"the answer is not JSON ({kind}, {len(response.body)} bytes)"
            ) from None
    return response.body


def _link_next(response: Response, _decoded: Any) -> str | None:
    return next_page_url(response.url, response.headers.get("Link"))


def _list_request(name: str | Action | ApiRequest, params: dict[str, Any]) -> ApiRequest:
    action = name.action if isinstance(name, ApiRequest) else resolve_action(name)
    if not action.returns_list:
        raise _not_a_list(action)
    return name if isinstance(name, ApiRequest) else build_request(action, params)


def _request(name: str | Action | ApiRequest, params: dict[str, Any]) -> ApiRequest:
    return name if isinstance(name, ApiRequest) else build_request(name, params)


async def _send(client: ApiClient, request: ApiRequest) -> Response:
    return await client.request(call_of(request), request.url(client.settings.base_url), **request.body_kwargs())


async def _page_bodies(client: ApiClient, request: ApiRequest, *, decode: bool) -> AsyncIterator[Any]:
    """Each page of a list action: its raw body, or (``decode``) its items."""
    decoder = (lambda response: decode_page(request.action, response.body)) if decode else None
    pages = walk_pages(
        client,
        call_of(request),
        request.url(client.settings.base_url),
        _link_next,
        decode=decoder,
        send=request.body_kwargs(),
    )
    async for response, items in pages:
        yield items if decode else response.body


class ThreeSixtyLearningHook(ClientHookMixin, HttpHook):
    """
    Call any 360Learning API v2 action (see ``airflow_provider_360learning.actions.ACTIONS``).

    The OAuth2 token is fetched once, reused across calls and pages, refreshed shortly before it expires and
    once more if the API answers 401. Requests share the company's rate-limit budget with every task using
    the same connection, are retried on 429 (honouring ``Retry-After``), 5xx and network errors, and are bounded
    by a total deadline and a size cap. Next-page URLs and redirects are followed on the connection's origin only.

    :param three_sixty_learning_conn_id: Airflow connection of type ``360learning``.
    :param region: this and the other keyword-only arguments are per-hook values of the connection's
        extra fields, ``None`` (the default) meaning the connection's value: ``region``,
        ``timeout``, ``connect_timeout``, ``total_timeout``, ``max_response_mb``, ``max_retries``, ``max_retry_wait``,
        ``backoff_initial``, ``backoff_max``, ``requests_per_second``, ``writes_per_second``, ``rate_limit_key``,
        ``rate_limit_backend`` (see the connection form for their meaning); a misspelt name is a ``TypeError``.
    """

    conn_name_attr = "three_sixty_learning_conn_id"
    default_conn_name = "360learning_default"
    conn_type = "360learning"
    hook_name = "360Learning"

    def __init__(
        self, three_sixty_learning_conn_id: str = default_conn_name, **settings: Unpack[ThreeSixtyLearningSettings]
    ) -> None:
        super().__init__(method="GET", http_conn_id=three_sixty_learning_conn_id)
        self.three_sixty_learning_conn_id = three_sixty_learning_conn_id
        self.settings_overrides = given_settings(type(self).__name__, ThreeSixtyLearningSettings, settings)

    service = SERVICE
    settings_from = staticmethod(three_sixty_learning_settings)

    def get_conn(self, headers: dict[Any, Any] | None = None, extra_options: dict[str, Any] | None = None) -> ApiClient:  # type: ignore[override]
        """The client core (not a ``requests`` session: every request goes through the core's rules)."""
        return self.client

    def get_token(self) -> AccessToken:
        """The cached token, fetched or refreshed when missing or close to expiry."""
        return transport.run_sync(self.client.token())

    def prefetch_token(self) -> None:
        """Start fetching the token without waiting: its round trip overlaps the caller's own set-up (a
        transfer's database work). A failure here is not raised: the first request fetches again and raises."""
        transport.start(self.client.token())

    def call_action(self, name: str | Action | ApiRequest, /, **params: Any) -> Any:
        """Perform one action and return its decoded body (one page, for a paginated list action).

        Parameters use the official spec's names: path and query parameters by name
        (``pathId="..."``, ``completedAt={"gte": some_datetime}``), the request body as ``body``. A request
        already built (and so checked) by ``build_request`` is sent as is.
        """
        request = _request(name, params)
        return decode_answer(request.action, transport.run_sync(_send(self.client, request)))

    def submit_bulk(self, name: str | Action | ApiRequest, /, **params: Any) -> str:
        """Submit one Bulk API request (answered 202 at once) and return its operation id (from ``Location``).

        The operation then runs in 360Learning: follow it with ``get_bulk_operation``. A request already
        built (and so checked) by ``build_request`` is sent as is.
        """
        request = _request(name, params)
        response = transport.run_sync(_send(self.client, request))
        return bulk_operation_id(request, response.status, response.headers.get("Location"))

    def iter_page_bodies(self, name: str | Action | ApiRequest, /, **params: Any) -> Iterator[bytes]:
        """Yield the raw JSON body of each page of a list action, following ``Link: rel="next"``.

        For consumers that decode pages themselves (the warehouse transfer decodes straight into typed
        rows, on another thread); :func:`decode_page` turns a body into its items. Cursor pages can only
        be fetched one after the other; the next page is read while the caller handles this one (two
        pages in memory at most).
        """
        request = _list_request(name, params)
        yield from transport.iterate_sync(_page_bodies(self.client, request, decode=False), read_ahead=True)

    def iter_pages(self, name: str | Action | ApiRequest, /, **params: Any) -> Iterator[list[Any]]:
        """Yield each page (a list of items) of a list action, following ``Link: rel="next"``."""
        request = _list_request(name, params)
        yield from transport.iterate_sync(_page_bodies(self.client, request, decode=True))

    def iter_action(
        self, name: str | Action, /, *, max_parallel_streams: int | None = None, **params: Any
    ) -> Iterator[Any]:
        """Yield every item of a list action across all pages; one page is in memory at a time.

        With ``max_parallel_streams`` above 1, an action the registry can partition
        (:data:`~airflow_provider_360learning.actions.partitions.PARTITIONINGS`) is read as that many disjoint
        streams at once, within the tenant's budget: items then come in no particular order. Other actions read
        as one stream (and say so in the log).
        """
        read = self.partitioned_read(name, max_parallel_streams=max_parallel_streams or 1, decode=True, **params)
        if read is None:
            for page in self.iter_pages(name, **params):
                yield from page
            return
        for _stats, page in self.iter_partitioned_pages(read):
            yield from page

    def partitioned_read(
        self,
        name: str | Action,
        /,
        *,
        max_parallel_streams: int,
        decode: bool = False,
        known_parents: Mapping[str, int] | Future[Mapping[str, int]] | None = None,
        **params: Any,
    ) -> PartitionedRead | None:
        """A read of a list action as ``max_parallel_streams`` disjoint streams (pages as raw bodies, or decoded
        items with ``decode``), or ``None`` when it reads as one stream: one stream asked for, an action with no
        partitioning, or params that already filter on the partitioning field. ``known_parents`` (parent id ->
        rows, from the previous load, or a future of them) starts those parents' partitions as soon as they are
        known, packed into whole pages; the parent list starts meanwhile."""
        action = resolve_action(name)
        if not action.returns_list:
            raise _not_a_list(action)
        if max_parallel_streams <= 1:
            return None
        if partitioning_for(action, params) is None:
            self.log.info("%s: no partitionable filter (or already filtered on it): one stream", action.describe())
            return None
        build_request(action, params)  # bad params fail here, naming the parameter, before any parent is listed

        def pages(decoded: bool) -> Callable[[str, Mapping[str, Any]], AsyncIterator[Any]]:
            return lambda act, p: _page_bodies(self.client, _list_request(act, dict(p)), decode=decoded)

        return PartitionedRead(
            action.name,
            params,
            max_parallel_streams,
            self.client.settings.base_url,
            read=pages(decode),
            parent_items=pages(True),
            known=known_parents,
        )

    def iter_partitioned_pages(self, read: PartitionedRead) -> Iterator[tuple[PartitionStats, Any]]:
        """Run a :meth:`partitioned_read` on the client core's loop: ``(partition, page)`` as pages arrive."""
        yield from transport.iterate_sync(read.pages(), read_ahead=True)

    # --- connection test ----------------------------------------------------------------------------
    def _credentials_accepted(self, settings: ClientSettings) -> bool:
        try:
            transport.run_sync(ApiClient(settings, SERVICE, log=self.log).token())
        except ThreeSixtyLearningError:
            return False
        return True

    def test_connection(self) -> tuple[bool, str]:
        """Fetch a token and make one cheap authenticated GET; say exactly what is wrong otherwise."""
        try:
            settings = self.settings.replace(max_retries=1, max_retry_wait=10)
        except ThreeSixtyLearningError as exc:
            return False, str(exc)
        self.reset_client(settings)  # bounded retries while the UI waits
        try:
            self.get_token()
        except ThreeSixtyLearningAuthenticationError:
            if settings.options.get("region_from_host"):
                region = str(settings.options["region"])
                other = next(r for r in REGION_HOSTS if r != region)
                if self._credentials_accepted(settings.replace(base_url=REGION_HOSTS[other])):
                    return False, (
                        f"Wrong region: the {region.upper()} host {settings.base_url} rejected these "
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
        """Nothing to release: the sync hooks of a process share the core's connection pool."""


class ThreeSixtyLearningAsyncHook(HttpAsyncHook):
    """Async twin of :class:`ThreeSixtyLearningHook` for triggers: same requests, same core, same errors.

    Resolves its connection with the async connection API only (never the sync one, which blocks
    the triggerer's event loop). Use as ``async with ThreeSixtyLearningAsyncHook(...) as hook:``
    to share one HTTP session; otherwise each request opens its own.
    """

    conn_name_attr = "three_sixty_learning_conn_id"
    default_conn_name = "360learning_default"
    conn_type = "360learning"
    hook_name = "360Learning (async)"

    def __init__(
        self, three_sixty_learning_conn_id: str = default_conn_name, **settings: Unpack[ThreeSixtyLearningSettings]
    ) -> None:
        super().__init__(method="GET", http_conn_id=three_sixty_learning_conn_id)
        self.three_sixty_learning_conn_id = three_sixty_learning_conn_id
        self.settings_overrides = given_settings(type(self).__name__, ThreeSixtyLearningSettings, settings)
        self._client: ApiClient | None = None
        self._entered = False

    async def aclient(self) -> ApiClient:
        if self._client is None:
            from airflow.providers.common.compat.connection import get_async_connection

            conn = await get_async_connection(conn_id=self.three_sixty_learning_conn_id, hook=self)
            self._client = ApiClient(
                three_sixty_learning_settings(conn, self.settings_overrides), SERVICE, log=self.log
            )
        if self._entered and (self._client.session is None or self._client.session.closed):
            self._client.session = transport.new_session(SERVICE.static_headers)
        return self._client

    async def asettings(self) -> ClientSettings:
        return (await self.aclient()).settings

    async def config(self) -> SessionConfig:
        """The HTTP provider's session config, without basic auth and without extras as headers."""
        settings = await self.asettings()
        return SessionConfig(
            base_url=settings.base_url, headers=dict(SERVICE.static_headers), auth=None, extra_options={}
        )

    async def __aenter__(self) -> ThreeSixtyLearningAsyncHook:
        self._entered = True
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._entered = False
        client = self._client
        if client is not None and client.session is not None:
            await client.session.close()
            client.session = None

    async def get_token(self) -> AccessToken:
        return await (await self.aclient()).token()

    async def acall_action(self, name: str | Action, /, **params: Any) -> Any:
        """Async :meth:`ThreeSixtyLearningHook.call_action`."""
        request = _request(name, params)
        return decode_answer(request.action, await _send(await self.aclient(), request))

    async def aiter_action(self, name: str | Action, /, **params: Any) -> AsyncIterator[Any]:
        """Async :meth:`ThreeSixtyLearningHook.iter_action`."""
        request = _list_request(name, params)
        async for page in _page_bodies(await self.aclient(), request, decode=True):
            for item in page:
                yield item
