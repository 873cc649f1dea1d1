"""How a ``360learning`` Airflow connection maps to API settings (shared by the sync and async hooks).

login = client ID, password = client secret, host = optional base URL (scheme and port; overrides the
region), extra ``region`` = ``eu`` (default) or ``us``, plus the tuning fields of the connection form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from airflow_provider_360learning.exceptions import ThreeSixtyLearningError

REGION_HOSTS: dict[str, str] = {
    "eu": "https://app.360learning.com",
    "us": "https://app.us.360learning.com",
}
DEFAULT_REGION = "eu"
DEFAULTS: dict[str, float] = {
    "timeout": 60.0,
    "connect_timeout": 10.0,
    "max_retries": 5,
    "max_retry_wait": 300.0,
    "requests_per_second": 20.0,
    "backoff_initial": 1.0,
    "backoff_max": 60.0,
}


class ThreeSixtyLearningConnectionConfigError(ThreeSixtyLearningError):
    """The Airflow connection itself is incomplete or malformed; the message names the field."""


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything the hooks need from a connection; holds the secret, so never log or serialise it."""

    conn_id: str
    base_url: str
    region: str
    region_from_host: bool
    client_id: str
    client_secret: str
    timeout: float
    connect_timeout: float
    max_retries: int
    max_retry_wait: float
    requests_per_second: float
    backoff_initial: float
    backoff_max: float

    def __repr__(self) -> str:  # the dataclass repr would include the secret
        return f"ConnectionSettings(conn_id={self.conn_id!r}, base_url={self.base_url!r}, client_id={self.client_id!r})"

    def with_region(self, region: str) -> ConnectionSettings:
        """The same credentials against the other region's host (used to diagnose a wrong region)."""
        values = {**self.__dict__, "region": region, "base_url": REGION_HOSTS[region]}
        return ConnectionSettings(**values)


def _number(conn_id: str, name: str, raw: Any, minimum: float) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ThreeSixtyLearningConnectionConfigError(
            f"Connection {conn_id!r}: extra field {name!r} must be a number, got {raw!r}"
        ) from None
    if value < minimum:
        raise ThreeSixtyLearningConnectionConfigError(f"Connection {conn_id!r}: extra field {name!r} must be >= {minimum}")
    return value


def tuning_values(
    conn_id: str, extra: Mapping[str, Any], overrides: Mapping[str, Any] | None, defaults: Mapping[str, float]
) -> dict[str, float]:
    """The numeric tuning fields: hook keyword override, else connection extra, else default (all >= 0)."""
    values: dict[str, float] = {}
    for name, default in defaults.items():
        raw = (overrides or {}).get(name)
        if raw is None:
            raw = extra.get(name, default)
        values[name] = _number(conn_id, name, raw, 0)
    return values


def base_url_from(
    conn_id: str, host: str | None, port: int | None, schema: str | None, *, example: str = "https://app.360learning.com"
) -> str | None:
    """Base URL from ``host`` (with scheme, optionally port); ``None`` when host is empty."""
    if not host:
        return None
    url = host if "://" in host else f"{schema or 'https'}://{host}"
    if port:
        url = f"{url.rstrip('/')}:{port}"
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ThreeSixtyLearningConnectionConfigError(
            f"Connection {conn_id!r}: host {host!r} is not a base URL such as {example}"
        )
    return url.rstrip("/")


def settings_from_connection(
    conn_id: str,
    *,
    login: str | None,
    password: str | None,
    host: str | None,
    port: int | None,
    schema: str | None,
    extra: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
) -> ConnectionSettings:
    """Turn connection fields (and hook keyword overrides) into validated settings."""
    if not login:
        raise ThreeSixtyLearningConnectionConfigError(f"Connection {conn_id!r}: login (client ID) is empty")
    if not password:
        raise ThreeSixtyLearningConnectionConfigError(f"Connection {conn_id!r}: password (client secret) is empty")
    region = str(extra.get("region") or DEFAULT_REGION).lower()
    if region not in REGION_HOSTS:
        raise ThreeSixtyLearningConnectionConfigError(
            f"Connection {conn_id!r}: extra field 'region' must be one of {sorted(REGION_HOSTS)}, got {region!r}"
        )
    explicit = base_url_from(conn_id, host, port, schema)
    values = tuning_values(conn_id, extra, overrides, DEFAULTS)
    return ConnectionSettings(
        conn_id=conn_id,
        base_url=explicit or REGION_HOSTS[region],
        region=region,
        region_from_host=explicit is None,
        client_id=login,
        client_secret=password,
        timeout=values["timeout"],
        connect_timeout=values["connect_timeout"],
        max_retries=int(values["max_retries"]),
        max_retry_wait=values["max_retry_wait"],
        requests_per_second=values["requests_per_second"],
        backoff_initial=values["backoff_initial"],
        backoff_max=values["backoff_max"],
    )
