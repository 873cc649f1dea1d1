"""Connection settings of every client (360Learning API v2, edX, SCIM): one declarative table of extras.

Each extra field is declared once, with its type, bounds, default, label and help text: the table validates
connection extras and hook keyword arguments (an unknown key or a bad value is an error naming the key) and
feeds the connection forms in ``get_provider_info``. A service adds its own fields and defaults on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_360learning.client.fields import COMMON_FIELDS, ExtraField
from airflow_provider_360learning.client.origin import Origin
from airflow_provider_360learning.exceptions import ThreeSixtyLearningConnectionConfigError


@dataclass(frozen=True)
class ClientSettings:
    """What the client core needs from a connection; holds secrets, so ``repr`` hides them."""

    conn_id: str
    service: str
    base_url: str
    client_id: str
    secret: str = field(repr=False)
    timeout: float = 60.0
    connect_timeout: float = 10.0
    total_timeout: float = 120.0
    max_response_mb: float = 64.0
    max_retries: int = 5
    max_retry_wait: float = 300.0
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    requests_per_second: float = 50.0
    writes_per_second: float = 10.0
    rate_limit_key: str | None = None
    rate_limit_backend: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    """The service's own fields (``region``, ``enterprise_customer_uuid``, ``page_size``...)."""

    @property
    def origin(self) -> Origin:
        return Origin.of(self.base_url)

    @property
    def max_response_bytes(self) -> int:
        return int(self.max_response_mb * 1024 * 1024)

    def replace(self, **changes: Any) -> ClientSettings:
        values = {**self.__dict__, **changes}
        return ClientSettings(**values)


def base_url_from(conn_id: str, host: str | None, port: int | None, schema: str | None, *, example: str) -> str | None:
    """The base URL a connection's ``host`` (with scheme, optionally port and path) gives; ``None`` when empty.

    A host with user information (``user:pw@``) is refused: it would send Basic credentials instead of the token.
    """
    if not host:
        return None
    host = host.strip()
    url = host if "://" in host else f"{schema if schema in ('http', 'https') else 'https'}://{host}"
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise ThreeSixtyLearningConnectionConfigError(
            f"Connection {conn_id!r}: host must not contain user information (user:password@); "
            "put the credentials in login and password"
        )
    if port and parts.port is None:
        url = parts._replace(netloc=f"{parts.netloc}:{port}").geturl()
    try:
        Origin.of(url)
    except ValueError:
        raise ThreeSixtyLearningConnectionConfigError(
            f"Connection {conn_id!r}: host {host!r} is not a base URL such as {example}"
        ) from None
    return url.rstrip("/")


def parse_fields(
    conn_id: str,
    fields: tuple[ExtraField, ...],
    extra: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Every field's value: hook keyword argument, else connection extra, else default; unknown keys refused."""
    known = {f.name: f for f in fields}
    for source, values in (("extra field", extra), ("hook argument", overrides or {})):
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ThreeSixtyLearningConnectionConfigError(
                f"Connection {conn_id!r}: unknown {source} {unknown[0]!r}; known fields: {sorted(known)}"
            )
    result: dict[str, Any] = {}
    for name, spec in known.items():
        raw = (overrides or {}).get(name)
        if raw is None:
            raw = extra.get(name)
        result[name] = spec.parse(conn_id, raw)
    return result


def settings_from(
    *,
    service: str,
    conn_id: str,
    base_url: str,
    client_id: str,
    secret: str,
    fields: tuple[ExtraField, ...],
    extra: Mapping[str, Any],
    overrides: Mapping[str, Any] | None,
) -> ClientSettings:
    """Validated settings: the common fields become attributes, the service's own fields ``options``."""
    values = parse_fields(conn_id, fields, extra, overrides)
    common = {f.name for f in COMMON_FIELDS}
    return ClientSettings(
        conn_id=conn_id,
        service=service,
        base_url=base_url,
        client_id=client_id,
        secret=secret,
        options={k: v for k, v in values.items() if k not in common},
        **{k: v for k, v in values.items() if k in common},
    )
