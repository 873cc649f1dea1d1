"""Hook for the edX for Business (Enterprise) API behind the ``api.edx.org`` gateway.

Reads what a daily sync into 360Learning needs: the enterprise customer's catalogs and their content
(v2 routes) and the learner summary (v3). OAuth2 client credentials asking for a JWT
(``token_type=jwt``, then ``Authorization: JWT <token>``), one cached token per hook, page-number
pagination that follows the gateway's ``next`` URLs at the largest page size each route allows, and the
360Learning hook's machinery for the rest: the client-side rate limiter, tenacity retries honouring
``Retry-After``, the token cache with its refresh lead, typed errors. Records are yielded raw, one page
in memory at a time: validating them is the consuming DAG's job (a malformed record stays visible).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import jwt
import requests
from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret
from tenacity import Retrying

from airflow_provider_360learning.hooks import token as tokens
from airflow_provider_360learning.hooks.edx_errors import (
    EdxAPIError,
    EdxAuthenticationError,
    EdxBadRequestError,
    EdxConnectionConfigError,
    EdxConnectionError,
    EdxError,
    EdxNotFoundError,
    error_class_for,
    parse_error_body,
)
from airflow_provider_360learning.hooks.edx_settings import (
    DEFAULT_BASE_URL,
    ENTERPRISE_FIELD,
    EdxSettings,
    canonical_uuid,
    edx_settings_from_connection,
)
from airflow_provider_360learning.hooks.rate_limit import shared_limiter
from airflow_provider_360learning.hooks.retry import (
    SYNC_CONNECTION_ERRORS,
    SYNC_UNSENT_ERRORS,
    RetryableResponse,
    raise_if_retryable,
    retry_kwargs,
)
from airflow_provider_360learning.hooks.three_sixty_learning import user_agent
from airflow_provider_360learning.hooks.token import AccessToken, TokenCache, decode_access_token, token_request_body

T = TypeVar("T")

TOKEN_PATH = "/oauth2/v1/access_token"
CATALOGS_PATH = "/enterprise/v2/enterprise-catalogs"
LEARNER_SUMMARY_PATH = "/enterprise/v3/enterprise-customer/{enterprise_customer_uuid}/learner-summary"
NON_COURSE_CONTENT_TYPES = frozenset({"courserun", "program", "learnerpathway"})
"""Catalog content types that are not courses; anything else (a record without one included) is a course."""


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


def follow_next(base_url: str, next_url: Any) -> str | None:
    """The URL of the next page, or ``None`` when ``next`` says there is none (null, empty, not a URL).

    The gateway writes its own host into ``next``; a host other than the connection's is replaced by it,
    so the token is only ever sent to the configured base URL.
    """
    if not isinstance(next_url, str) or not next_url.startswith(("http://", "https://")):
        return None
    following, base = urlsplit(next_url), urlsplit(base_url)
    if (following.scheme, following.netloc) == (base.scheme, base.netloc):
        return next_url
    prefix = base.path.rstrip("/")
    path = following.path if following.path.startswith(prefix + "/") else prefix + following.path
    return urlunsplit((base.scheme, base.netloc, path, following.query, ""))


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


class EdxHook(BaseHook):
    """
    Read an edX enterprise customer's catalogs and learner summary.

    ``iter_catalogs()``, ``iter_catalog_content(uuid)``, ``iter_catalog_courses(uuid)`` and
    ``iter_learner_summary()`` stream records across pages (one page in memory); each request is rate
    limited client-side (``requests_per_second``, default 1: the gateway's services throttle at
    60/minute), retried on 429 (``Retry-After``), 5xx and connection errors, and refreshes the token
    once on 401. Errors are :class:`~airflow_provider_360learning.hooks.edx_errors.EdxError` subclasses.

    :param edx_conn_id: Airflow connection of type ``edx``.
    :param settings_overrides: per-hook values of the connection's extra fields (``enterprise_customer_uuid``,
        ``timeout``, ``connect_timeout``, ``max_retries``, ``max_retry_wait``, ``requests_per_second``,
        ``backoff_initial``, ``backoff_max``).
    """

    conn_name_attr = "edx_conn_id"
    default_conn_name = "edx_default"
    conn_type = "edx"
    hook_name = "edX"

    def __init__(self, edx_conn_id: str = default_conn_name, **settings_overrides: Any) -> None:
        super().__init__()
        self.edx_conn_id = edx_conn_id
        self.settings_overrides = settings_overrides
        self._tokens = TokenCache()
        self._session: requests.Session | None = None
        self._enterprise: str | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        from airflow_provider_360learning.get_provider_info import EDX_UI_FIELD_BEHAVIOUR

        return EDX_UI_FIELD_BEHAVIOUR

    @cached_property
    def settings(self) -> EdxSettings:
        conn = self.get_connection(self.edx_conn_id)
        if conn.password:
            mask_secret(conn.password)
        return edx_settings_from_connection(conn, self.settings_overrides)

    def get_conn(self) -> requests.Session:
        """One pooled session per hook (never carries the token: it is added per request)."""
        if self._session is None:
            session = requests.Session()
            session.headers.update({"Accept": "application/json", "User-Agent": user_agent()})
            self._session = session
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # --- retries and errors -------------------------------------------------------------------------
    def _retrying(self, attempt: Callable[..., T], *args: Any, what: str, method: str, path: str) -> T:
        """Run ``attempt`` under the shared retry policy; exhausted retries become typed errors."""
        settings = self.settings
        kwargs = retry_kwargs(
            settings, idempotent=True, connection_errors=SYNC_CONNECTION_ERRORS,
            unsent_errors=SYNC_UNSENT_ERRORS, log=self.log, what=f"edX {what}",
        )  # fmt: skip
        try:
            return Retrying(**kwargs)(attempt, *args)
        except RetryableResponse as exc:
            raise self._api_error(what, method, path, exc.status, exc.body) from None
        except SYNC_CONNECTION_ERRORS as exc:
            raise EdxConnectionError(
                f"edX {what} ({method} {path}): could not reach {settings.base_url} after retries ({type(exc).__name__})"
            ) from None

    def _api_error(self, what: str, method: str, path: str, status: int, body: bytes, hint: str | None = None) -> EdxAPIError:
        code, message = parse_error_body(body)
        if hint is None:
            hint = {
                401: "edX rejected the token even after a new one was fetched: check the API credentials' status "
                "in the edX enterprise admin portal",
                429: "Rate limit still exceeded after all retries: lower requests_per_second on the connection",
            }.get(status) or ("The edX API kept failing after all retries" if status >= 500 else None)
        return error_class_for(status)(what=what, method=method, path=path, status=status, code=code,
                                       message=message, hint=hint)  # fmt: skip

    # --- token --------------------------------------------------------------------------------------
    def _fetch_token(self) -> AccessToken:
        settings = self.settings
        body = {**token_request_body(settings.client_id, settings.client_secret), "token_type": "jwt"}

        def attempt() -> tuple[requests.Response, float]:
            started = tokens.clock()
            response = self.get_conn().post(
                settings.base_url + TOKEN_PATH, data=body, timeout=(settings.connect_timeout, settings.timeout)
            )
            raise_if_retryable(response.status_code, response.headers, response.content)
            return response, started

        response, started = self._retrying(attempt, what="token request", method="POST", path=TOKEN_PATH)
        status, content = response.status_code, response.content
        decoded = decode_access_token(content, requested_at=started) if status == 200 else None
        if decoded is not None:
            token, answer = decoded
            mask_secret(token.value)
            if str(answer.get("token_type", "")).lower() != "jwt":
                raise EdxAuthenticationError(
                    what="token request", method="POST", path=TOKEN_PATH, status=status,
                    message=f"the token endpoint issued a {answer.get('token_type')!r} token, not a JWT",
                    hint="The enterprise API accepts JWTs only; check the base URL points at the edX API gateway",
                )  # fmt: skip
            return token
        if status == 200:
            raise EdxAPIError(what="token request", method="POST", path=TOKEN_PATH, status=status,
                              message="the token endpoint answered 200 without a usable access_token/expires_in")  # fmt: skip
        code, _ = parse_error_body(content)
        if status == 401 or code == "invalid_client":
            raise EdxAuthenticationError(
                what="token request", method="POST", path=TOKEN_PATH, status=status, code=code,
                message=f"bad credentials: {settings.base_url} rejected the client ID / client secret pair",
                hint=f"Check login (client ID) and password (client secret) of connection {settings.conn_id!r}: "
                "they are the API credentials of the edX enterprise admin portal",
            )  # fmt: skip
        raise self._api_error("token request", "POST", TOKEN_PATH, status, content)

    def get_token(self) -> AccessToken:
        """The cached JWT, fetched or refreshed when missing or close to expiry."""
        return self._tokens.get(self._fetch_token)

    def token_claims(self) -> dict[str, Any]:
        """The current JWT's claims, decoded without verification (only edX can verify it); ``{}`` if opaque."""
        try:
            claims = jwt.decode(self.get_token().value, options={"verify_signature": False})
        except jwt.PyJWTError:
            return {}
        return claims if isinstance(claims, dict) else {}

    # --- requests -----------------------------------------------------------------------------------
    def _get(self, what: str, path: str, url: str, *, hint: Callable[[int], str | None] = lambda status: None) -> Any:
        """GET ``url`` (path ``path``, for messages) with the token; the decoded JSON body."""
        settings = self.settings
        session = self.get_conn()
        limiter = shared_limiter(settings.base_url, settings.client_id, settings.requests_per_second)

        def attempt(token: AccessToken) -> requests.Response:
            limiter.acquire()
            response = session.get(url, headers={"Authorization": f"JWT {token.value}"},
                                   timeout=(settings.connect_timeout, settings.timeout))  # fmt: skip
            raise_if_retryable(response.status_code, response.headers, response.content)
            return response

        for refresh in (False, True):
            token = self.get_token()
            response = self._retrying(attempt, token, what=what, method="GET", path=path)
            if response.status_code == 401 and not refresh:
                self._tokens.invalidate(token)
                continue
            if response.status_code >= 400:
                status = response.status_code
                raise self._api_error(what, "GET", path, status, response.content, hint(status))
            try:
                return response.json()
            except ValueError:
                raise EdxAPIError(what=what, method="GET", path=path, status=response.status_code,
                                  message="the answer is not JSON") from None  # fmt: skip
        raise AssertionError("unreachable")  # pragma: no cover

    def iter_pages(
        self, route: Route, path: str, *, page_size: int | None = None, hint: Callable[[int], str | None] = lambda s: None
    ) -> Iterator[list[Any]]:
        """Yield the ``results`` of each page of ``path``, following the gateway's ``next`` URLs.

        Stops at a null/empty/non-URL ``next``, an empty page, once ``count`` records were received, or at
        404 ``Invalid page.`` after the first page (what the gateway does past the end).
        """
        size = page_size or route.page_size
        base_url = self.settings.base_url
        url: str | None = f"{base_url}{path}?page=1&page_size={size}"
        received = pages = 0
        while url:
            try:
                body = self._get(route.what, path, url, hint=hint)
            except EdxNotFoundError as exc:
                if pages and exc.api_message == "Invalid page.":
                    break
                raise
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise EdxAPIError(what=route.what, method="GET", path=path, status=200,
                                  message="expected a page {count, next, previous, results}")  # fmt: skip
            results: list[Any] = body["results"]
            pages += 1
            received += len(results)
            yield results
            count = body.get("count")
            following = follow_next(base_url, body.get("next"))
            if following == url:
                raise EdxAPIError(what=route.what, method="GET", path=path, status=200,
                                  message="the next URL points to the same page again")  # fmt: skip
            done = not results or (isinstance(count, int) and received >= count)
            url = None if done else following
        self.log.debug("edX %s: %d page(s), %d record(s)", route.what, pages, received)

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
        chosen, source = settings.enterprise_customer_uuid, f"connection {settings.conn_id!r}"
        if chosen is None:
            in_token = self.enterprise_customer_uuids_in_token()
            if len(in_token) > 1:
                self.log.warning("The edX token names %d enterprise customers; using the first (%s). Set extra %r "
                                 "of connection %r to choose", len(in_token), in_token[0], ENTERPRISE_FIELD,
                                 settings.conn_id)  # fmt: skip
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
            known = self.enterprise_customer_uuids_in_token()
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
        result: dict[str, Any] = self._get("catalog course", path, self.settings.base_url + path)
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
            raise EdxBadRequestError(what=name, method="-", path="-", status=400,
                                     message=f"{name} must be a UUID, got {value!r}")  # fmt: skip
        return canonical

    # --- connection test ----------------------------------------------------------------------------
    def test_connection(self) -> tuple[bool, str]:
        """Fetch a token, find the enterprise customer and read one learner-summary row; say what is wrong."""
        try:
            settings = replace(self.settings, max_retries=1, max_retry_wait=10)
        except EdxError as exc:
            return False, str(exc)
        self.__dict__["settings"] = settings  # bounded retries while the UI waits
        self._tokens.invalidate()
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
