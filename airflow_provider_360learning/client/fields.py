"""The connection extras of every client, declared once (no Airflow import: the provider info reads them).

Each field has its type, bounds, default, label and help text: the table validates connection extras and hook
keyword arguments (see :mod:`airflow_provider_360learning.client.settings`) and feeds the connection forms in
``get_provider_info``. A service adds its own fields and defaults on top of :data:`COMMON_FIELDS`.
"""

from __future__ import annotations

import math
from typing import Any, Literal, NamedTuple


def _config_error(message: str) -> Exception:
    from airflow_provider_360learning.exceptions import ThreeSixtyLearningConnectionConfigError

    return ThreeSixtyLearningConnectionConfigError(message)


Kind = Literal["number", "integer", "string"]


class ExtraField(NamedTuple):
    """One connection extra: how it is validated and how the connection form shows it."""

    name: str
    kind: Kind
    default: Any
    label: str
    description: str
    minimum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple[str, ...] = ()

    def parse(self, conn_id: str, raw: Any) -> Any:
        """``raw`` checked and converted; ``None`` or an empty string means the default."""
        if raw is None or raw == "":
            return self.default
        where = f"Connection {conn_id!r}: extra field {self.name!r}"
        if self.kind == "string":
            if not isinstance(raw, str):
                raise _config_error(f"{where} must be a string, got {type(raw).__name__}")
            value = raw.strip()
            if self.choices and value.lower() not in self.choices:
                raise _config_error(f"{where} must be one of {list(self.choices)}, got {raw!r}")
            return value.lower() if self.choices else value
        if isinstance(raw, bool):
            raise _config_error(f"{where} must be a number, got {raw!r}")
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise _config_error(f"{where} must be a number, got {raw!r}") from None
        if not math.isfinite(number):
            raise _config_error(f"{where} must be a finite number, got {raw!r}")
        if self.kind == "integer":
            if number != int(number):
                raise _config_error(f"{where} must be a whole number, got {raw!r}")
            number = int(number)
        if self.minimum is not None:
            if self.exclusive_minimum and number <= self.minimum:
                raise _config_error(f"{where} must be > {self.minimum:g}, got {raw!r}")
            if number < self.minimum:
                raise _config_error(f"{where} must be >= {self.minimum:g}, got {raw!r}")
        return number

    def form_field(self) -> dict[str, Any]:
        """The ``conn-fields`` entry of the provider info (label, description, JSON schema)."""
        schema: dict[str, Any] = {"type": self.kind if self.default is not None else [self.kind, "null"]}
        schema["default"] = self.default
        if self.minimum is not None:
            schema["exclusiveMinimum" if self.exclusive_minimum else "minimum"] = self.minimum
        if self.choices:
            schema["enum"] = list(self.choices)
        return {"label": self.label, "description": self.description, "schema": schema}


def _positive(name: str, default: float, label: str, description: str) -> ExtraField:
    return ExtraField(name, "number", default, label, description, minimum=0, exclusive_minimum=True)


COMMON_FIELDS: tuple[ExtraField, ...] = (
    _positive("timeout", 60.0, "Read timeout (s)", "Longest wait for the next bytes of an answer, in seconds."),
    _positive("connect_timeout", 10.0, "Connect timeout (s)", "Longest wait to open a connection, in seconds."),
    _positive(
        "total_timeout",
        120.0,
        "Total deadline per request (s)",
        "Deadline of one request attempt, connection and whole body included; retries have their own bound.",
    ),
    _positive(
        "max_response_mb",
        64.0,
        "Response size cap (MB)",
        "Largest answer accepted, after decompression; a larger one is refused before it is read whole.",
    ),
    ExtraField(
        "max_retries",
        "integer",
        5,
        "Max retries",
        "Retries of a request after a network error, HTTP 429 or 5xx (0 disables).",
        minimum=0,
    ),
    ExtraField(
        "max_retry_wait",
        "number",
        300.0,
        "Max total retry wait (s)",
        "Upper bound on the time one request spends waiting between retries.",
        minimum=0,
    ),
    ExtraField(
        "backoff_initial",
        "number",
        1.0,
        "Initial backoff (s)",
        "First wait of the exponential backoff after a 5xx or network error.",
        minimum=0,
    ),
    ExtraField("backoff_max", "number", 60.0, "Max backoff (s)", "Longest single wait between retries.", minimum=0),
    ExtraField(
        "requests_per_second",
        "number",
        50.0,
        "Read budget (GET/s)",
        "GET requests per second shared by every task and worker using the same rate-limit key "
        "(360Learning allows 50 per company); 0 turns the client-side limit off.",
        minimum=0,
    ),
    ExtraField(
        "writes_per_second",
        "number",
        10.0,
        "Write budget (requests/s)",
        "POST, PUT, PATCH and DELETE requests per second shared like the read budget "
        "(360Learning allows 10 per company); 0 turns it off.",
        minimum=0,
    ),
    ExtraField(
        "rate_limit_key",
        "string",
        None,
        "Rate-limit key",
        "Tasks using the same key share one budget; default: the client ID and the API origin. Give two client "
        "IDs of one company the same key so that they share its budget.",
    ),
    ExtraField(
        "rate_limit_backend",
        "string",
        None,
        "Rate-limit backend",
        "Where the shared budget lives: empty = a file on this machine (every process of one host), "
        "'redis://host:6379/0' = a Redis every worker reaches (Celery), 'memory' = this process only.",
    ),
)
"""The fields every client's connection has."""


def with_defaults(fields: tuple[ExtraField, ...], **defaults: Any) -> tuple[ExtraField, ...]:
    """``fields`` with some defaults changed (edX throttles harder than 360Learning, SCIM documents no limit)."""
    unknown = set(defaults) - {f.name for f in fields}
    if unknown:
        raise ValueError(f"no such fields: {sorted(unknown)}")
    return tuple(f._replace(default=defaults[f.name]) if f.name in defaults else f for f in fields)


# --- per connection type -----------------------------------------------------------------------------------
REGION_HOSTS: dict[str, str] = {"eu": "https://app.360learning.com", "us": "https://app.us.360learning.com"}
DEFAULT_REGION = "eu"
THREE_SIXTY_LEARNING_FIELDS: tuple[ExtraField, ...] = (
    ExtraField(
        "region",
        "string",
        DEFAULT_REGION,
        "Region",
        "360Learning platform region; selects the API base URL unless Base URL is set.",
        choices=tuple(REGION_HOSTS),
    ),
    *COMMON_FIELDS,
)
"""Extras of the ``360learning`` connection."""

ENTERPRISE_FIELD = "enterprise_customer_uuid"
EDX_FIELDS: tuple[ExtraField, ...] = (
    ExtraField(
        ENTERPRISE_FIELD,
        "string",
        None,
        "Enterprise customer UUID",
        "UUID of the edX enterprise customer; when empty, taken from the token's enterprise roles or the "
        "first catalog.",
    ),
    # The services behind the gateway throttle a user at 60 requests/minute (DRF ``user`` rate); edX is read only.
    *with_defaults(COMMON_FIELDS, requests_per_second=1.0, writes_per_second=0.0),
)
"""Extras of the ``360learning_edx`` connection (formerly ``edx``)."""

DEFAULT_SCIM_PAGE_SIZE = 1000
SCIM_FIELDS: tuple[ExtraField, ...] = (
    ExtraField(
        "page_size",
        "integer",
        DEFAULT_SCIM_PAGE_SIZE,
        "Page size",
        "count of each page when listing users (the server may return fewer).",
        minimum=1,
    ),
    # 360Learning documents no rate limit for SCIM: the client-side limit is off unless set.
    *with_defaults(COMMON_FIELDS, requests_per_second=0.0, writes_per_second=0.0),
)
"""Extras of the ``360learning_scim`` connection."""
