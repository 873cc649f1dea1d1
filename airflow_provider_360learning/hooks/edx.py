"""Hook for the edX for Business (Enterprise) API behind the ``api.edx.org`` gateway.

Reads what a daily sync into 360Learning needs: the enterprise customer's catalogs and their content
(v2 routes) and the learner summary (v3). OAuth2 client credentials asking for a JWT
(``token_type=jwt``, then ``Authorization: JWT <token>``) and page-number pagination that follows the
gateway's ``next`` URLs at the largest page size each route allows; everything else (token cache, shared
rate limit, retries, deadline, size cap, origin pinning, typed errors) is the provider's client core.
Records are yielded raw, one page in memory at a time: validating them is the consuming DAG's job.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Unpack
from urllib.parse import quote

import jwt
from airflow.sdk import BaseHook

from airflow_provider_360learning.client import transport
from airflow_provider_360learning.client.client import ApiClient, Call
from airflow_provider_360learning.client.hook import ClientHookMixin, EdxSettings, given_settings
from airflow_provider_360learning.client.pagination import walk_pages
from airflow_provider_360learning.client.services import (
    EDX_DEFAULT_BASE_URL,
    ENTERPRISE_FIELD,
    EdxService,
    canonical_uuid,
    edx_settings,
)
from airflow_provider_360learning.client.tokens import AccessToken
from airflow_provider_360learning.client.transport import Response
from airflow_provider_360learning.exceptions import (
    EdxAPIError,
    EdxBadRequestError,
    EdxConnectionConfigError,
    EdxConnectionError,
    EdxError,
    EdxNotFoundError,
)

DEFAULT_BASE_URL = EDX_DEFAULT_BASE_URL
CATALOGS_PATH = "/enterprise/v2/enterprise-catalogs"
LEARNER_SUMMARY_PATH = "/enterprise/v3/enterprise-customer/{enterprise_customer_uuid}/learner-summary"
NON_COURSE_CONTENT_TYPES = frozenset({"courserun", "program", "learnerpathway"})
"""Catalog content types that are not courses; anything else (a record without one included) is a course."""
SERVICE = EdxService()


@dataclass(frozen=True)
class Route:
    """One paginated gateway route: what it is called in messages and the page size the hook asks for."""

    what: str
    page_size: int


CATALOG_LIST = Route("catalog list", 100)
"""No documented maximum (DRF default 10); a customer has a handful of catalogs."""
CATALOG_CONTENT = Route("catalog content", 100)
"""edx-drf-extensions ``DefaultPagination``: larger values are clamped to 100."""
LEARNER_SUMMARY = Route("learner summary", 1000)
"""``EnterpriseEnrollmentsPagination``: at most 1000."""


def enterprise_uuids_in_claims(claims: dict[str, Any]) -> list[str]:
    """Enterprise customer UUIDs named by the JWT's ``roles`` claim (``enterprise_admin:<uuid>``...), admin first."""
    found: list[tuple[int, str]] = []
    for role in claims.get("roles") or ():
        if not isinstance(role, str):
            continue
        name, _, context = role.partition(":")
        uuid = canonical_uuid(context) if name.startswith("enterprise") else None
        if uuid and uuid not in (u for _, u in found):
            found.append((0 if name == "enterprise_admin" else 1, uuid))
    return [u for _, u in sorted(found, key=lambda item: item[0])]


def _claims(token: AccessToken) -> dict[str, Any]:
    try:
        claims = jwt.decode(token.value, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def read_json(client: ApiClient, call: Call, response: Response) -> Any:
    """The decoded body; a body that is JSON but for ``NaN``/``Infinity`` tokens (what Python's ``json`` writes
    for such floats) is read too, so that the DAG rejects the one record carrying one, naming the field,
    instead of the whole page failing. Anything else that is not JSON is the client core's typed error."""
    try:
        return client.check_json(call, response)
    except EdxError as exc:
        try:
            return json.loads(response.body)
        except ValueError:
            raise exc from None


def _page_error(route: Route, path: str, problem: str) -> EdxAPIError:
    return EdxAPIError(what=route.what, method="GET", path=path, status=200, message=problem)


async def _pages(
    client: ApiClient, route: Route, path: str, size: int, hint: Callable[[int], str | None]
) -> AsyncIterator[list[Any]]:
    """The ``results`` of each page of ``path``, following the gateway's ``next`` URLs (on the connection's origin).

    Stops at a null/empty ``next``, an empty page, once ``count`` records were received, or at 404
    ``Invalid page.`` after the first page (what the gateway does past the end).
    """
    call = Call(action=route.what, method="GET", path=path, hint=hint)
    received = 0

    def decode(response: Response) -> list[Any]:
        body = read_json(client, call, response)
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise _page_error(route, path, "expected a page {count, next, previous, results}")
        results: list[Any] = body["results"]
        return [body, results]

    def following(response: Response, decoded: list[Any]) -> str | None:
        body, results = decoded
        count = body.get("count")
        if not results or (isinstance(count, int) and received + len(results) >= count):
            return None
        next_url = body.get("next")
        return next_url if isinstance(next_url, str) and next_url.strip() else None

    pages = walk_pages(
        client,
        call,
        f"{client.settings.base_url}{path}?page=1&page_size={size}",
        following,
        decode=decode,
        rows=lambda decoded: len(decoded[1]),
    )
    yielded = 0
    try:
        async for _, (_, results) in pages:
            yielded += 1
            received += len(results)
            yield results
    except EdxNotFoundError as exc:
        if not (yielded and exc.api_message == "Invalid page."):
            raise


class EdxHook(ClientHookMixin, BaseHook):
    """
    Read an edX enterprise customer's catalogs and learner summary.

    ``iter_catalogs()``, ``iter_catalog_content(uuid)``, ``iter_catalog_courses(uuid)`` and
    ``iter_learner_summary()`` stream records across pages (one page in memory); requests share the
    connection's rate-limit budget (``requests_per_second``, default 1: the gateway's services throttle at
    60/minute), are retried on 429 (``Retry-After``), 5xx and network errors, and refresh the token once on
    401. Next-page URLs are followed on the connection's origin only. Errors are
    :class:`~airflow_provider_360learning.exceptions.EdxError` subclasses or the core's hardening errors.

    :param edx_conn_id: Airflow connection of type ``360learning_edx`` (or the former ``edx``: the hook reads
        the fields, not the type).
    :param enterprise_customer_uuid: this and the other keyword-only arguments are per-hook values of the connection's
        extra fields, ``None`` (the default) meaning the connection's value: ``enterprise_customer_uuid``,
        ``timeout``, ``connect_timeout``, ``total_timeout``, ``max_response_mb``, ``max_retries``, ``max_retry_wait``,
        ``backoff_initial``, ``backoff_max``, ``requests_per_second``, ``writes_per_second``, ``rate_limit_key``,
        ``rate_limit_backend`` (see the connection form for their meaning); a misspelt name is a ``TypeError``.
    """

    conn_name_attr = "edx_conn_id"
    default_conn_name = "edx_default"
    conn_type = "360learning_edx"
    hook_name = "edX"

    def __init__(self, edx_conn_id: str = default_conn_name, **settings: Unpack[EdxSettings]) -> None:
        super().__init__()
        self.edx_conn_id = edx_conn_id
        self.settings_overrides = given_settings(type(self).__name__, EdxSettings, settings)
        self._enterprise: str | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        from airflow_provider_360learning.get_provider_info import EDX_UI_FIELD_BEHAVIOUR

        return EDX_UI_FIELD_BEHAVIOUR

    service = SERVICE
    settings_from = staticmethod(edx_settings)

    def get_conn(self) -> ApiClient:
        return self.client

    def close(self) -> None:
        """Nothing to release: the sync hooks of a process share the core's connection pool."""

    # --- token --------------------------------------------------------------------------------------
    def get_token(self) -> AccessToken:
        """The cached JWT, fetched or refreshed when missing or close to expiry."""
        return transport.run_sync(self.client.token())

    def token_claims(self) -> dict[str, Any]:
        """The current JWT's claims, decoded without verification (only edX can verify it); ``{}`` if opaque."""
        return _claims(self.get_token())

    # --- requests -----------------------------------------------------------------------------------
    def _get(self, what: str, path: str, *, hint: Callable[[int], str | None] | None = None) -> Any:
        """GET ``path`` with the token; the decoded JSON body."""
        call = Call(action=what, method="GET", path=path, hint=hint)
        client = self.client
        response = transport.run_sync(client.request(call, client.url(path)))
        return client.check_json(call, response)

    def iter_pages(
        self,
        route: Route,
        path: str,
        *,
        page_size: int | None = None,
        hint: Callable[[int], str | None] = lambda s: None,
    ) -> Iterator[list[Any]]:
        """Yield the ``results`` of each page of ``path``, following the gateway's ``next`` URLs."""
        yield from transport.iterate_sync(_pages(self.client, route, path, page_size or route.page_size, hint))

    # --- enterprise customer ------------------------------------------------------------------------
    def enterprise_customer_uuids_in_token(self) -> list[str]:
        """Enterprise customers the token's ``roles`` claim names (administered ones first)."""
        return enterprise_uuids_in_claims(self.token_claims())

    def get_enterprise_customer_uuid(self) -> str:
        """The connection's enterprise customer UUID; when not set, the first one of the token's
        enterprise roles, else the ``enterprise_customer`` of the first catalog listed."""
        if self._enterprise is not None:
            return self._enterprise
        settings = self.settings
        chosen, source = settings.options.get(ENTERPRISE_FIELD), f"connection {settings.conn_id!r}"
        if chosen is None:
            in_token = self.enterprise_customer_uuids_in_token()
            if len(in_token) > 1:
                self.log.warning(
                    "The edX token names %d enterprise customers; using the first (%s). Set extra %r "
                    "of connection %r to choose",
                    len(in_token),
                    in_token[0],
                    ENTERPRISE_FIELD,
                    settings.conn_id,
                )
            chosen, source = (in_token[0], "the token's enterprise roles") if in_token else (None, "")
        if chosen is None:
            first = next(self.iter_catalogs(), None)
            chosen = canonical_uuid(str(first.get("enterprise_customer"))) if isinstance(first, dict) else None
            source = "the first catalog"
        if chosen is None:
            raise EdxConnectionConfigError(
                f"Connection {settings.conn_id!r}: no enterprise customer UUID is set and none could be discovered "
                f"(no enterprise role in the token, no catalog listed): set extra field {ENTERPRISE_FIELD!r}"
            )
        self.log.info("edX enterprise customer %s (from %s)", chosen, source)
        self._enterprise = chosen
        return chosen

    def verify_enterprise_access(self) -> str:
        """The enterprise customer UUID, once one learner-summary row was read with it: wrong credentials and
        a UUID these credentials do not administer fail here, with a message naming the problem."""
        enterprise = self.get_enterprise_customer_uuid()
        path = LEARNER_SUMMARY_PATH.format(enterprise_customer_uuid=enterprise)
        next(self.iter_pages(LEARNER_SUMMARY, path, page_size=1, hint=self._enterprise_hint(enterprise)), None)
        return enterprise

    def _enterprise_hint(self, enterprise: str) -> Callable[[int], str | None]:
        def hint(status: int) -> str | None:
            if status not in (403, 404):
                return None
            # called on the core's loop while it builds the error: read the cached token, never fetch one
            token = self.client.tokens.current
            known = enterprise_uuids_in_claims(_claims(token)) if token is not None else []
            administered = f"they administer {', '.join(known)}" if known else "the token names no enterprise"
            return (
                f"Wrong enterprise customer UUID: these credentials cannot read enterprise customer {enterprise} "
                f"({administered}). Check extra field {ENTERPRISE_FIELD!r} of connection {self.settings.conn_id!r}, "
                "or leave it empty to use the credentials' own enterprise"
            )

        return hint

    # --- catalogs -----------------------------------------------------------------------------------
    def iter_catalogs(self) -> Iterator[dict[str, Any]]:
        """Every enterprise catalog the credentials can see (``uuid``, ``title``, ``enterprise_customer``...)."""
        for page in self.iter_pages(CATALOG_LIST, CATALOGS_PATH):
            yield from page

    def iter_catalog_content(self, catalog_uuid: str) -> Iterator[dict[str, Any]]:
        """Every item of a catalog's content (courses, course runs, programs), raw, 100 per request."""
        path = f"{CATALOGS_PATH}/{self._uuid_argument('catalog_uuid', catalog_uuid)}"

        def hint(status: int) -> str | None:
            return {
                404: f"No catalog {catalog_uuid} is visible to these credentials: list them with iter_catalogs()",
                403: f"Catalog {catalog_uuid} belongs to an enterprise customer these credentials do not administer",
            }.get(status)

        for page in self.iter_pages(CATALOG_CONTENT, path, hint=hint):
            yield from page

    def iter_catalog_courses(self, catalog_uuid: str) -> Iterator[dict[str, Any]]:
        """The courses of a catalog: its content but course runs, programs and learner pathways.

        An item without a ``content_type`` is yielded too, so the consumer's validation sees it.
        """
        for item in self.iter_catalog_content(catalog_uuid):
            if not (isinstance(item, dict) and item.get("content_type") in NON_COURSE_CONTENT_TYPES):
                yield item

    def get_catalog_course(self, catalog_uuid: str, course_key: str) -> dict[str, Any]:
        """One course of a catalog (``404`` :class:`EdxNotFoundError` when the catalog does not offer it today)."""
        path = f"{CATALOGS_PATH}/{self._uuid_argument('catalog_uuid', catalog_uuid)}/courses/{quote(course_key, safe='+:')}"
        result: dict[str, Any] = self._get("catalog course", path)
        return result

    # --- learner progress ---------------------------------------------------------------------------
    def iter_learner_summary(
        self, enterprise_customer_uuid: str | None = None, *, dedupe: bool = True
    ) -> Iterator[dict[str, Any]]:
        """Every learner-summary row of the enterprise customer (default: :meth:`get_enterprise_customer_uuid`),
        1000 per request, raw.

        Rows are ordered by a non-unique key (``-last_activity_date``), so a row may show on two pages:
        with ``dedupe`` a row whose ``enterprise_enrollment_id`` was already yielded is skipped.
        """
        if enterprise_customer_uuid is None:
            enterprise = self.get_enterprise_customer_uuid()
        else:
            enterprise = self._uuid_argument("enterprise_customer_uuid", enterprise_customer_uuid)
        path = LEARNER_SUMMARY_PATH.format(enterprise_customer_uuid=enterprise)
        seen: set[Any] = set()
        duplicates = 0
        for page in self.iter_pages(LEARNER_SUMMARY, path, hint=self._enterprise_hint(enterprise)):
            for row in page:
                key = row.get("enterprise_enrollment_id") if isinstance(row, dict) else None
                if dedupe and isinstance(key, int):
                    if key in seen:
                        duplicates += 1
                        continue
                    seen.add(key)
                yield row
        if duplicates:
            self.log.info("edX learner summary: skipped %d row(s) seen on an earlier page", duplicates)

    @staticmethod
    def _uuid_argument(name: str, value: str) -> str:
        canonical = canonical_uuid(value) if isinstance(value, str) else None
        if canonical is None:
            raise EdxBadRequestError(
                what=name, method="-", path="-", status=400, message=f"{name} must be a UUID, got {value!r}"
            )
        return canonical

    # --- connection test ----------------------------------------------------------------------------
    def test_connection(self) -> tuple[bool, str]:
        """Fetch a token, find the enterprise customer and read one learner-summary row; say what is wrong."""
        try:
            settings = self.settings.replace(max_retries=1, max_retry_wait=10)
        except EdxError as exc:
            return False, str(exc)
        self.reset_client(settings)  # bounded retries while the UI waits
        try:
            self.get_token()
        except EdxConnectionError:
            return False, f"Unreachable host: could not connect to {settings.base_url}"
        except EdxError as exc:
            return False, str(exc)
        try:
            enterprise = self.verify_enterprise_access()
        except EdxError as exc:
            return False, str(exc)
        where = "the edX API gateway" if settings.base_url == DEFAULT_BASE_URL else settings.base_url
        return True, f"Connected to {where} as enterprise customer {enterprise}"
