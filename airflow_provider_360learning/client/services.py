"""The three APIs the core talks to: their connections, token requests, error bodies and error classes.

Only what truly differs between 360Learning API v2, edX's enterprise API and 360Learning's SCIM endpoint
lives here; everything else (sending, retries, tokens, limits, paging, masking) is the core's.
"""

from __future__ import annotations

import json
import platform
import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from airflow_provider_360learning import __version__
from airflow_provider_360learning.client.client import Call
from airflow_provider_360learning.client.fields import (
    EDX_FIELDS,
    ENTERPRISE_FIELD,
    REGION_HOSTS,
    SCIM_FIELDS,
    THREE_SIXTY_LEARNING_FIELDS,
)
from airflow_provider_360learning.client.redaction import Redactor
from airflow_provider_360learning.client.settings import ClientSettings, base_url_from, settings_from
from airflow_provider_360learning.client.tokens import AccessToken, decode_access_token
from airflow_provider_360learning.exceptions import (
    EdxAPIError,
    EdxAuthenticationError,
    EdxConnectionConfigError,
    EdxConnectionError,
    ThreeSixtyLearningAPIError,
    ThreeSixtyLearningAuthenticationError,
    ThreeSixtyLearningBadRequestError,
    ThreeSixtyLearningConnectionConfigError,
    ThreeSixtyLearningConnectionError,
    ThreeSixtyLearningInvalidResponseError,
    ThreeSixtyLearningPermissionError,
    ThreeSixtyLearningScimAuthenticationError,
    ThreeSixtyLearningScimConnectionError,
    ThreeSixtyLearningScimError,
    edx_error_class_for,
    error_class_for,
)


def user_agent() -> str:
    try:
        from airflow import __version__ as airflow_version
    except ImportError:  # pragma: no cover - airflow is a dependency
        airflow_version = "unknown"
    return (
        f"airflow-provider-360learning/{__version__} apache-airflow/{airflow_version} "
        f"python/{platform.python_version()}"
    )


def _decode(body: bytes | str | None) -> Any:
    try:
        return json.loads(body) if body else None
    except (ValueError, TypeError, UnicodeDecodeError):
        return _NOT_JSON


_NOT_JSON = object()


def _text(body: bytes | str) -> str | None:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return text.strip()[:200] or None


def _string(value: Any) -> str | None:
    return None if value is None else value if isinstance(value, str) else json.dumps(value)[:1000]


# --- 360Learning API v2 -----------------------------------------------------------------------------------
API_VERSION = "v2.0"
API_VERSION_HEADER = "360-api-version"
TOKEN_PATH = "/api/v2/oauth2/token"


def three_sixty_learning_settings(conn: Any, overrides: Mapping[str, Any] | None = None) -> ClientSettings:
    """Settings of a ``360learning`` connection: login = client ID, password = client secret, host = optional
    base URL (overrides the region), extras as in :data:`THREE_SIXTY_LEARNING_FIELDS`."""
    conn_id = conn.conn_id
    if not conn.login:
        raise ThreeSixtyLearningConnectionConfigError(f"Connection {conn_id!r}: login (client ID) is empty")
    if not conn.password:
        raise ThreeSixtyLearningConnectionConfigError(f"Connection {conn_id!r}: password (client secret) is empty")
    explicit = base_url_from(conn_id, conn.host, conn.port, conn.schema, example=REGION_HOSTS["eu"])
    extra = conn.extra_dejson
    region = THREE_SIXTY_LEARNING_FIELDS[0].parse(conn_id, (overrides or {}).get("region") or extra.get("region"))
    settings = settings_from(
        service="360Learning",
        conn_id=conn_id,
        base_url=explicit or REGION_HOSTS[region],
        client_id=conn.login,
        secret=conn.password,
        fields=THREE_SIXTY_LEARNING_FIELDS,
        extra=extra,
        overrides=overrides,
    )
    return settings.replace(options={**settings.options, "region_from_host": explicit is None})


def parse_api_error_body(body: bytes | str | None) -> tuple[str | None, str | None]:
    """``(code, message)`` of the API's two error shapes: ``{"error": "code"}`` and
    ``{"error": {"code": ..., "message": ...}}``; a non-JSON body gives its first 200 characters."""
    if not body:
        return None, None
    decoded = _decode(body)
    if decoded is _NOT_JSON:
        return None, _text(body)
    error = decoded.get("error") if isinstance(decoded, dict) else None
    if isinstance(error, str):
        return error, _string(decoded.get("error_description") or decoded.get("message"))
    if isinstance(error, dict):
        return _string(error.get("code")), _string(error.get("message"))
    return None, None


class BaseService:
    """Name, auth scheme, token endpoint and headers of a service (see the ``Service`` protocol)."""

    name = ""
    auth_scheme = "Bearer"
    token_path: str | None = None
    accept = "application/json"
    headers: Mapping[str, str] = MappingProxyType({})

    token_encoding = "json"
    """How the token request's body is sent: ``json`` (360Learning) or ``form`` (edX)."""
    token_fields: Mapping[str, str] = MappingProxyType({})
    """Fields of the token request beside the client credentials."""

    @property
    def static_headers(self) -> Mapping[str, str]:
        return {**self.headers, "Accept": self.accept, "User-Agent": user_agent()}

    def token_request(self, settings: ClientSettings) -> dict[str, Any]:
        """The OAuth 2.0 client-credentials request (RFC 6749, 4.4), as ``{"json": ...}`` or ``{"form": ...}``."""
        credentials = {
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.secret,
        }
        return {self.token_encoding: {**credentials, **self.token_fields}}


class ThreeSixtyLearningService(BaseService):
    name = "360Learning"
    token_path: str | None = TOKEN_PATH
    headers: Mapping[str, str] = MappingProxyType({API_VERSION_HEADER: API_VERSION})

    def token_from(
        self, settings: ClientSettings, status: int, body: bytes, requested_at: float, clean: Redactor
    ) -> AccessToken:
        call: dict[str, Any] = {"action": "generate_token", "method": "POST", "path": TOKEN_PATH, "status": status}
        if status == 200:
            decoded = decode_access_token(body, requested_at=requested_at)
            if decoded is None:
                raise ThreeSixtyLearningAPIError(
                    message="the token endpoint answered 200 without a usable access_token/expires_in", **call
                )
            return decoded[0]
        code = clean.clean(parse_api_error_body(body)[0])
        if status == 401:
            raise ThreeSixtyLearningAuthenticationError(
                message=f"bad credentials: {settings.base_url} rejected the client ID / client secret pair",
                hint="Check login (client ID) and password (client secret) of the connection, and its region",
                code=code,
                **call,
            )
        if status == 400:
            raise ThreeSixtyLearningBadRequestError(message="the token request was refused", code=code, **call)
        raise ThreeSixtyLearningAPIError(message="unexpected answer from the token endpoint", code=code, **call)

    def is_stale_token(self, status: int, body: bytes) -> bool:
        return status == 401 and parse_api_error_body(body)[0] in ("invalid_token", None)

    def parse_error_body(self, body: bytes) -> tuple[str | None, str | None]:
        return parse_api_error_body(body)

    def http_error(self, call: Call, status: int, code: str | None, message: str | None) -> Exception:
        common: dict[str, Any] = {"action": call.action, "status": status, "code": code, "message": message}
        common.update(call.line, path_params=call.path_params)
        if status == 403:
            hint = (
                f"This action needs the OAuth scope '{call.scope}': grant it to the API client in 360Learning's "
                "API v2 settings"
                if call.scope
                else None
            )
            return ThreeSixtyLearningPermissionError(scope=call.scope, hint=hint, **common)
        hints = {
            401: "The API rejected the access token even after a refresh: check the client's status in 360Learning",
            404: "An id in the request does not exist (or is not visible to this API client)",
            429: "Rate limit still exceeded after all retries: lower requests_per_second on the connection or use a pool",
        }
        hint = hints.get(status) or ("The API kept failing after all retries" if status >= 500 else None)
        return error_class_for(status)(hint=hint, **common)

    def invalid_response(self, call: Call, status: int, problem: str) -> Exception:
        line = {"action": call.action, **call.line}
        return ThreeSixtyLearningInvalidResponseError(
            status=status, message=problem, path_params=call.path_params, **line
        )

    def connection_error(self, call: Call, settings: ClientSettings, reason: str) -> Exception:
        what = "token request" if call.action == "token request" else f"action {call.action!r}"
        return ThreeSixtyLearningConnectionError(
            f"360Learning {what} ({call.method} {call.path}): could not reach {settings.base_url} after retries ({reason})"
        )


# --- edX enterprise API ----------------------------------------------------------------------------------
EDX_DEFAULT_BASE_URL = "https://api.edx.org"
EDX_TOKEN_PATH = "/oauth2/v1/access_token"


def canonical_uuid(value: str) -> str | None:
    """``value`` as a lower-case hyphenated UUID, or ``None`` when it is not a UUID."""
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        return None


def edx_settings(conn: Any, overrides: Mapping[str, Any] | None = None) -> ClientSettings:
    """Settings of an ``edx`` connection; a missing or malformed field raises :class:`EdxConnectionConfigError`."""
    conn_id = conn.conn_id
    if not conn.login:
        raise EdxConnectionConfigError(f"Connection {conn_id!r}: login (edX API client ID) is empty")
    if not conn.password:
        raise EdxConnectionConfigError(f"Connection {conn_id!r}: password (edX API client secret) is empty")
    try:
        base_url = base_url_from(conn_id, conn.host, conn.port, conn.schema, example=EDX_DEFAULT_BASE_URL)
        settings = settings_from(
            service="edX",
            conn_id=conn_id,
            base_url=base_url or EDX_DEFAULT_BASE_URL,
            client_id=conn.login,
            secret=conn.password,
            fields=EDX_FIELDS,
            extra=conn.extra_dejson,
            overrides=overrides,
        )
    except ThreeSixtyLearningConnectionConfigError as exc:
        raise EdxConnectionConfigError(str(exc)) from None
    raw = settings.options.get(ENTERPRISE_FIELD)
    enterprise = canonical_uuid(raw) if raw else None
    if raw and enterprise is None:
        raise EdxConnectionConfigError(
            f"Connection {conn_id!r}: extra field {ENTERPRISE_FIELD!r} must be a UUID such as "
            f"4a3d7eae-fbf9-4786-b648-f7565289aeb7, got {raw!r}"
        )
    return settings.replace(options={**settings.options, ENTERPRISE_FIELD: enterprise})


def parse_edx_error_body(body: bytes | str | None) -> tuple[str | None, str | None]:
    """``(code, message)`` from edX's error shapes: OAuth ``{"error", "error_description"}``, DRF
    ``{"detail"}`` and the gateway's own ``{"message"}``; a non-JSON body gives its first 200 characters."""
    if not body:
        return None, None
    decoded = _decode(body)
    if decoded is _NOT_JSON:
        return None, _text(body)
    if not isinstance(decoded, dict):
        return None, str(decoded)[:200]
    error = decoded.get("error")
    message = decoded.get("error_description") or decoded.get("detail") or decoded.get("message")
    return (error if isinstance(error, str) else None), _string(message)


EDX_HINTS = {
    401: "edX rejected the token even after a new one was fetched: check the API credentials' status "
    "in the edX enterprise admin portal",
    429: "Rate limit still exceeded after all retries: lower requests_per_second on the connection",
}


class EdxService(BaseService):
    name = "edX"
    auth_scheme = "JWT"
    token_path: str | None = EDX_TOKEN_PATH
    token_encoding = "form"
    token_fields: Mapping[str, str] = MappingProxyType({"token_type": "jwt"})

    def token_from(
        self, settings: ClientSettings, status: int, body: bytes, requested_at: float, clean: Redactor
    ) -> AccessToken:
        call: dict[str, Any] = {"what": "token request", "method": "POST", "path": EDX_TOKEN_PATH, "status": status}
        decoded = decode_access_token(body, requested_at=requested_at) if status == 200 else None
        if decoded is not None:
            token, answer = decoded
            clean.add(token.value)
            if str(answer.get("token_type", "")).lower() != "jwt":
                raise EdxAuthenticationError(
                    message=f"the token endpoint issued a {clean.clean(str(answer.get('token_type')), 40)!r} token, "
                    "not a JWT",
                    hint="The enterprise API accepts JWTs only; check the base URL points at the edX API gateway",
                    **call,
                )
            return token
        if status == 200:
            raise EdxAPIError(
                message="the token endpoint answered 200 without a usable access_token/expires_in", **call
            )
        code, message = (clean.clean(v) for v in parse_edx_error_body(body))
        if status == 401 or code == "invalid_client":
            raise EdxAuthenticationError(
                code=code,
                message=f"bad credentials: {settings.base_url} rejected the client ID / client secret pair",
                hint=f"Check login (client ID) and password (client secret) of connection {settings.conn_id!r}: "
                "they are the API credentials of the edX enterprise admin portal",
                **call,
            )
        raise self._error("token request", "POST", EDX_TOKEN_PATH, status, code, message, None)

    def is_stale_token(self, status: int, body: bytes) -> bool:
        return status == 401

    def parse_error_body(self, body: bytes) -> tuple[str | None, str | None]:
        return parse_edx_error_body(body)

    def _error(
        self, what: str, method: str, path: str, status: int, code: str | None, message: str | None, hint: str | None
    ) -> EdxAPIError:
        hint = (
            hint or EDX_HINTS.get(status) or ("The edX API kept failing after all retries" if status >= 500 else None)
        )
        return edx_error_class_for(status)(
            what=what, method=method, path=path, status=status, code=code, message=message, hint=hint
        )

    def http_error(self, call: Call, status: int, code: str | None, message: str | None) -> Exception:
        hint = call.hint(status) if call.hint is not None else None
        return self._error(call.action, call.method, call.path, status, code, message, hint)

    def invalid_response(self, call: Call, status: int, problem: str) -> Exception:
        return EdxAPIError(what=call.action, method=call.method, path=call.path, status=status, message=problem)

    def connection_error(self, call: Call, settings: ClientSettings, reason: str) -> Exception:
        return EdxConnectionError(
            f"edX {call.action} ({call.method} {call.path}): could not reach {settings.base_url} after retries ({reason})"
        )


# --- 360Learning SCIM ------------------------------------------------------------------------------------


def scim_settings(conn: Any, overrides: Mapping[str, Any] | None = None) -> ClientSettings:
    """Settings of a ``360learning_scim`` connection: host = the SCIM Endpoint URL, password = the SCIM token."""
    conn_id = conn.conn_id

    def config_error(detail: str) -> ThreeSixtyLearningScimError:
        return ThreeSixtyLearningScimError(conn_id=conn_id, method="-", path="-", status=None, detail=detail)

    if not conn.host:
        raise config_error(
            "the connection has no host: set it to the SCIM Endpoint URL shown in 360Learning "
            "(Settings > Integrations > SCIM)"
        )
    if not conn.password:
        raise config_error(
            "the connection has no password: store the SCIM token generated in 360Learning as its password"
        )
    base_url = base_url_from(conn_id, conn.host, conn.port, conn.schema, example="https://app.360learning.com/scim/v2")
    return settings_from(
        service="SCIM",
        conn_id=conn_id,
        base_url=base_url or "",
        client_id="scim",
        secret=conn.password,
        fields=SCIM_FIELDS,
        extra=conn.extra_dejson,
        overrides=overrides,
    )


class ScimService(BaseService):
    """SCIM: a static bearer token (no token endpoint); scim2-client reads the error answers itself."""

    name = "SCIM"
    accept = "application/scim+json, application/json"

    def token_from(
        self, settings: ClientSettings, status: int, body: bytes, requested_at: float, clean: Redactor
    ) -> AccessToken:  # pragma: no cover
        raise NotImplementedError

    def is_stale_token(self, status: int, body: bytes) -> bool:
        return False

    def parse_error_body(self, body: bytes) -> tuple[str | None, str | None]:
        decoded = _decode(body)
        if isinstance(decoded, dict):
            return _string(decoded.get("scimType")), _string(decoded.get("detail"))
        return None, _text(body) if body else None

    @staticmethod
    def _where(call: Call) -> dict[str, Any]:
        return {"conn_id": call.path_params.get("conn_id", "?"), **call.line}

    def http_error(self, call: Call, status: int, code: str | None, message: str | None) -> Exception:
        cls = ThreeSixtyLearningScimAuthenticationError if status == 401 else ThreeSixtyLearningScimError
        return cls(status=status, scim_type=code, detail=message, **self._where(call))

    def invalid_response(self, call: Call, status: int, problem: str) -> Exception:
        return ThreeSixtyLearningScimError(status=status, detail=problem, **self._where(call))

    def connection_error(self, call: Call, settings: ClientSettings, reason: str) -> Exception:
        detail = f"could not reach {settings.base_url} after retries ({reason})"
        return ThreeSixtyLearningScimConnectionError(status=None, detail=detail, **self._where(call))
