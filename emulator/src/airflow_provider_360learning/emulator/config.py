"""Configuration of the 360Learning API emulator (one frozen dataclass shared by the CLI, the server and tests)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from airflow_provider_360learning.emulator.rate_limit import RateLimit, parse_rate_limit

SERVICES = ("all", "360learning", "scim", "edx")
"""Values of ``--service``: ``all`` mounts every emulated service (the SCIM server at ``/scim/v2``, the edX
gateway at ``/oauth2`` and ``/enterprise``)."""

DEFAULT_EDX_CLIENT_ID = "emulator-edx-client-id"
DEFAULT_EDX_CLIENT_SECRET = "emulator-edx-client-secret"
"""Credentials the edX emulator accepts (``--edx-client-id`` / ``--edx-client-secret``)."""

DEFAULT_SCIM_TOKEN = "emulator-scim-token"
"""Initial bearer token of the SCIM emulator (``--scim-token``); a new one is issued at ``POST /_emulator/scim/token``."""

FAULT_KINDS = ("500", "502", "503", "drop")
"""Injected faults rotate through these kinds: three HTTP statuses and a dropped connection."""

DEFAULT_ANCHOR = "2026-01-01T00:00:00.000Z"
"""Fixed "now" of the generated data, so that the same seed gives the same bytes on any day."""


def all_scopes() -> tuple[str, ...]:
    """Every OAuth scope that the official documents require for some operation (the default grant)."""
    from airflow_provider_360learning.actions import ACTIONS

    return tuple(sorted({a.scope for a in ACTIONS.values() if a.scope}))


@dataclass(frozen=True)
class EmulatorConfig:
    """How an emulator instance behaves; every field maps to a CLI flag except the test-only ones.

    ``scopes=None`` grants every scope of :data:`ACTIONS`. ``record_exchanges`` keeps the last
    ``exchange_log_size`` API exchanges (secrets and tokens redacted) for contract checks in tests.
    ``anchor`` is the fixed "now" of the generated data (dates spread over the two years before it).
    ``fault_kinds`` restricts the rotation of injected faults (default: all of :data:`FAULT_KINDS`).
    """

    host: str = "127.0.0.1"
    port: int = 8360
    client_id: str = "emulator-client-id"
    client_secret: str = field(default="emulator-client-secret", repr=False)
    scopes: tuple[str, ...] | None = None
    seed: int = 42
    scale: int = 1
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    rate_limit: RateLimit = 0.0
    """Requests per second per client id (0: off), or ``"documented"``: 360Learning's documented per-company
    model (:mod:`~airflow_provider_360learning.emulator.rate_limit`)."""
    token_ttl: float = 3600.0
    service: str = "all"
    record_exchanges: bool = False
    exchange_log_size: int = 10_000
    anchor: str = DEFAULT_ANCHOR
    scim_token: str = field(default=DEFAULT_SCIM_TOKEN, repr=False)
    edx_client_id: str = DEFAULT_EDX_CLIENT_ID
    edx_client_secret: str = field(default=DEFAULT_EDX_CLIENT_SECRET, repr=False)
    bulk_seconds_per_state: float = 1.0
    """Seconds a bulk operation spends in each state (pending, queued, running); 0 completes it at the first read."""
    response_cache_mb: float = 512.0
    """Memory for encoded answers of ``GET`` list actions, reused until the state changes; 0 turns the cache off."""

    def __post_init__(self) -> None:
        if self.scopes is not None and not isinstance(self.scopes, tuple):
            object.__setattr__(self, "scopes", tuple(self.scopes))
        if not isinstance(self.fault_kinds, tuple):
            object.__setattr__(self, "fault_kinds", tuple(self.fault_kinds))
        object.__setattr__(self, "rate_limit", parse_rate_limit(self.rate_limit))
        check_runtime_values(
            fault_rate=self.fault_rate,
            fault_kinds=self.fault_kinds,
            latency_ms=self.latency_ms,
            rate_limit=self.rate_limit,
            token_ttl=self.token_ttl,
        )
        if not isinstance(self.scale, int) or self.scale < 1:
            raise ValueError(f"scale must be an integer >= 1, got {self.scale!r}")
        if self.service not in SERVICES:
            raise ValueError(f"service must be one of {SERVICES}, got {self.service!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be in 0..65535, got {self.port}")
        if self.exchange_log_size < 1:
            raise ValueError("exchange_log_size must be >= 1")
        if not self.client_id or not self.client_secret:
            raise ValueError("client_id and client_secret must not be empty")
        if not self.scim_token:
            raise ValueError("scim_token must not be empty")
        if not self.edx_client_id or not self.edx_client_secret:
            raise ValueError("edx_client_id and edx_client_secret must not be empty")
        if not math.isfinite(self.response_cache_mb) or self.response_cache_mb < 0:
            raise ValueError(f"response_cache_mb must be a finite number >= 0, got {self.response_cache_mb}")
        if not math.isfinite(self.bulk_seconds_per_state) or self.bulk_seconds_per_state < 0:
            raise ValueError(f"bulk_seconds_per_state must be a finite number >= 0, got {self.bulk_seconds_per_state}")

    @property
    def granted_scopes(self) -> frozenset[str]:
        return frozenset(all_scopes() if self.scopes is None else self.scopes)

    def with_changes(self, **changes: Any) -> EmulatorConfig:
        """A copy with some fields changed (validated again)."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown emulator config field(s): {sorted(unknown)}")
        return replace(self, **changes)


def check_runtime_values(**values: Any) -> None:
    """Validate the settings that can also change at run time (``POST /_emulator/config``)."""
    for name, value in values.items():
        if value is None:
            continue
        if name == "scopes":
            if isinstance(value, str) or not all(isinstance(s, str) for s in value):
                raise ValueError("scopes must be a list of strings")
            continue
        if name == "rate_limit":
            parse_rate_limit(value)
            continue
        if name == "fault_kinds":
            kinds = [value] if isinstance(value, str) else list(value)
            if not kinds or any(k not in FAULT_KINDS for k in kinds):
                raise ValueError(f"fault_kinds must be a non-empty subset of {FAULT_KINDS}, got {value!r}")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
        if name == "fault_rate" and not 0 <= value <= 1:
            raise ValueError(f"fault_rate must be within 0..1, got {value}")
        if name == "latency_ms" and value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
        if name == "token_ttl" and value <= 0:
            raise ValueError(f"token_ttl must be > 0, got {value}")
