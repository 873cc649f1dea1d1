"""How an ``edx`` Airflow connection maps to API settings.

login = client ID, password = client secret (from the edX enterprise admin portal's API credentials),
host = base URL (default: the edX API gateway ``https://api.edx.org``), extra ``enterprise_customer_uuid``
(optional: discovered from the token or the catalogs when empty) plus the tuning fields of the form.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_360learning.hooks import connection_settings
from airflow_provider_360learning.hooks.connection_settings import (
    ThreeSixtyLearningConnectionConfigError,
    base_url_from,
    tuning_values,
)
from airflow_provider_360learning.hooks.edx_errors import EdxConnectionConfigError

DEFAULT_BASE_URL = "https://api.edx.org"
ENTERPRISE_FIELD = "enterprise_customer_uuid"
# Same tuning fields as the 360Learning connection; the services behind the gateway throttle a user
# at 60 requests/minute (DRF ``user`` rate), hence one request per second by default.
DEFAULTS: dict[str, float] = {**connection_settings.DEFAULTS, "requests_per_second": 1.0}


@dataclass(frozen=True)
class EdxSettings:
    """What the edX hook needs from its connection; holds the secret, so ``repr`` hides it."""

    conn_id: str
    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    enterprise_customer_uuid: str | None
    timeout: float
    connect_timeout: float
    max_retries: int
    max_retry_wait: float
    requests_per_second: float
    backoff_initial: float
    backoff_max: float


def canonical_uuid(value: str) -> str | None:
    """``value`` as a lower-case hyphenated UUID, or ``None`` when it is not a UUID."""
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        return None


def edx_settings_from_connection(conn: Any, overrides: Mapping[str, Any] | None = None) -> EdxSettings:
    """Validated settings of an Airflow connection (``conn_id``, ``login``, ``password``, ``host``, ``port``,
    ``schema``, ``extra_dejson``) and hook keyword overrides; a missing or malformed field raises
    :class:`EdxConnectionConfigError` naming it."""
    conn_id, login, password, extra = conn.conn_id, conn.login, conn.password, conn.extra_dejson
    if not login:
        raise EdxConnectionConfigError(f"Connection {conn_id!r}: login (edX API client ID) is empty")
    if not password:
        raise EdxConnectionConfigError(f"Connection {conn_id!r}: password (edX API client secret) is empty")
    overrides = overrides or {}
    raw_uuid = overrides.get(ENTERPRISE_FIELD) or extra.get(ENTERPRISE_FIELD) or None
    enterprise: str | None = None
    if raw_uuid is not None:
        enterprise = canonical_uuid(str(raw_uuid))
        if enterprise is None:
            raise EdxConnectionConfigError(
                f"Connection {conn_id!r}: extra field {ENTERPRISE_FIELD!r} must be a UUID such as "
                f"4a3d7eae-fbf9-4786-b648-f7565289aeb7, got {raw_uuid!r}"
            )
    try:
        base_url = base_url_from(conn_id, conn.host, conn.port, conn.schema, example=DEFAULT_BASE_URL) or DEFAULT_BASE_URL
        tuning: dict[str, Any] = tuning_values(conn_id, extra, overrides, DEFAULTS)
        tuning["max_retries"] = int(tuning["max_retries"])
    except ThreeSixtyLearningConnectionConfigError as exc:
        raise EdxConnectionConfigError(str(exc)) from None
    return EdxSettings(
        conn_id=conn_id,
        base_url=base_url,
        client_id=login,
        client_secret=password,
        enterprise_customer_uuid=enterprise,
        **tuning,
    )
