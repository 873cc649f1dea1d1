"""State of the edX emulator: JWTs it issued, the edX day, rows injected by tests, options and counters.

The day is whole days of the emulator clock (``EmulatorState.now()``, so ``advance_time`` moves it too)
since this state was created or reset, plus the days added by ``POST /_emulator/edx/advance-day``.
Tokens are HS256 JWTs signed with a per-reset key: ``revoke_tokens()`` changes the key, so every token
issued before fails to decode, as after a key rotation at edX.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import weakref
from collections import Counter, deque
from collections.abc import Mapping
from typing import Any

import jwt

from airflow_provider_360learning.emulator.edx.data import DAY, EdxData
from airflow_provider_360learning.emulator.edx.learners import AddedRows, added_learners

AUDIENCE = "lms-key"
SCOPES = ("read", "write", "email", "profile")


class EdxState:
    """Everything the edX emulator serves and counts (see the module docstring)."""

    def __init__(self, emulator_state: Any) -> None:
        self._emulator = weakref.ref(emulator_state)
        config = emulator_state.config
        self.client_id: str = config.edx_client_id
        self.client_secret: str = config.edx_client_secret
        self.data = EdxData(emulator_state.tenant)
        self.lock = threading.RLock()
        self._issued: deque[str] = deque(maxlen=10_000)
        self.reset()

    @property
    def emulator(self) -> Any:
        state = self._emulator()
        assert state is not None, "the emulator state is gone"
        return state

    def reset(self) -> None:
        """Day 0, a new signing key (earlier tokens stop working), no injected rows, default options."""
        with self.lock:
            self._started = self.emulator.now()
            self.day_offset = 0
            self._key = secrets.token_bytes(32)
            self.opaque_tokens: set[str] = set()
            self.extra_rows: dict[str, list[Any]] = {}
            self.options: dict[str, Any] = {"expires_in_as_string": False, "empty_next": False}
            self.requests: Counter[str] = Counter()
            self.statuses: Counter[int] = Counter()
            self.token_requests = 0
            self.tokens_issued = 0

    # -- day ---------------------------------------------------------------------------------------
    @property
    def day(self) -> int:
        elapsed = int((self.emulator.now() - self._started) // DAY)
        return max(0, elapsed) + self.day_offset

    def advance_day(self, days: int = 1) -> int:
        with self.lock:
            self.day_offset += days
            return self.day

    # -- tokens ------------------------------------------------------------------------------------
    def credentials_ok(self, client_id: str, client_secret: str) -> bool:
        id_ok = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        secret_ok = hmac.compare_digest(client_secret.encode(), self.client_secret.encode())
        return id_ok and secret_ok

    def issue_token(self, *, as_jwt: bool) -> tuple[str, float]:
        """A JWT with the claims edX's LMS puts in one (roles name the enterprise), or an opaque token."""
        now = self.emulator.now()
        ttl = float(self.emulator.settings.token_ttl)
        enterprise = self.data.enterprise_uuid
        with self.lock:
            if as_jwt:
                claims = {
                    "aud": AUDIENCE,
                    "iss": "https://courses.edx.org/oauth2",
                    "iat": int(now),
                    "exp": now + ttl,
                    "grant_type": "client-credentials",
                    "preferred_username": "acme_api_admin",
                    "sub": "6d6d3f1c4a9b4c5e8f7a2b1c0d9e8f7a",
                    "scopes": list(SCOPES),
                    "version": "1.2.0",
                    "filters": [],
                    "is_restricted": False,
                    "email_verified": True,
                    "email": "lms-admin@acme.example",
                    "name": "Acme API admin",
                    "given_name": "Acme",
                    "family_name": "Admin",
                    "administrator": False,
                    "superuser": False,
                    "roles": [f"enterprise_admin:{enterprise}", f"enterprise_learner:{enterprise}"],
                }
                token = jwt.encode(claims, self._key, algorithm="HS256")
            else:
                token = secrets.token_urlsafe(24)
                self.opaque_tokens.add(token)
            self._issued.append(token)
            self.tokens_issued += 1
        return token, ttl

    def check_token(self, token: str) -> tuple[dict[str, Any] | None, str]:
        """The claims of a valid JWT, else ``None`` and the 401 ``detail`` edX would give."""
        try:
            # times are judged on the emulator clock below (tests move it with advance_time), not on PyJWT's
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                audience=AUDIENCE,
                options={"verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            return None, "Error decoding signature."
        if float(claims.get("exp", 0)) <= self.emulator.now():
            return None, "Signature has expired."
        return claims, ""

    def revoke_tokens(self) -> None:
        with self.lock:
            self._key = secrets.token_bytes(32)
            self.opaque_tokens.clear()

    def issued_token_values(self) -> list[str]:
        """Every token issued (last 10,000, resets included): for leak checks in tests."""
        with self.lock:
            return list(self._issued)

    # -- the tenant's users ------------------------------------------------------------------------
    def added_rows(self) -> AddedRows:
        """The records of the tenant's users created after seeding (SCIM-provisioned ones included)."""
        emulator = self.emulator
        with emulator.lock:
            overlay = emulator.overlay("users")
            users = [row for _, row in sorted(overlay.added.values(), key=lambda item: item[0])]
        return AddedRows(self.data, added_learners(self.data, users))

    # -- injected rows -----------------------------------------------------------------------------
    def add_rows(self, listing: str, rows: list[Any]) -> int:
        """Append raw records (not checked: tests use this to serve malformed ones) to a listing."""
        with self.lock:
            self.extra_rows.setdefault(listing, []).extend(rows)
            return len(self.extra_rows[listing])

    def rows_of(self, listing: str) -> list[Any]:
        with self.lock:
            return list(self.extra_rows.get(listing, ()))

    def set_options(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(changes) - set(self.options)
        if unknown or not all(isinstance(v, bool) for v in changes.values()):
            raise ValueError(f"options are booleans among {sorted(self.options)}; got {dict(changes)!r}")
        with self.lock:
            self.options.update(changes)
            return dict(self.options)

    # -- counters ----------------------------------------------------------------------------------
    def count(self, route: str, status: int) -> None:
        with self.lock:
            if route == "token":
                self.token_requests += 1
            else:
                self.requests[route] += 1
            self.statuses[status] += 1

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": dict(self.requests),
                "requests_total": sum(self.requests.values()),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "token_requests": self.token_requests,
                "tokens_issued": self.tokens_issued,
                "day": self.day,
            }


_ATTACH_LOCK = threading.Lock()


def edx_state(emulator_state: Any) -> EdxState:
    """The edX state of an emulator's :class:`EmulatorState`, kept on it as ``edx`` (created on first use)."""
    with _ATTACH_LOCK:
        state: EdxState | None = getattr(emulator_state, "edx", None)
        if state is None:
            state = emulator_state.edx = EdxState(emulator_state)
        return state
