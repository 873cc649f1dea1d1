"""Mutable side of the emulator: row overlay, issued tokens, counters, runtime settings and exchange log.

The generated tenant is immutable; every change a test makes (add, patch or delete a row) lives in
an overlay consulted while scanning, so a reset is O(1) and the base data never needs rebuilding.
All methods are thread-safe: tests call them from the main thread while the server thread serves.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from airflow_provider_360learning.emulator.anomalies import Anomalies
from airflow_provider_360learning.emulator.config import FAULT_KINDS, EmulatorConfig, check_runtime_values
from airflow_provider_360learning.emulator.page_cache import PageCache
from airflow_provider_360learning.emulator.rate_limit import (
    DOCUMENTED,
    CompanyBudget,
    RateLimit,
    TrafficCounters,
    parse_rate_limit,
)
from airflow_provider_360learning.emulator.tenant import Collection, CustomFields, Tenant, mix

if TYPE_CHECKING:
    from airflow_provider_360learning.actions import Action

REDACTED = "<redacted>"
_GOLDEN_FRACTION = 0.6180339887498949
_IMMUTABLE_FIELDS = frozenset({"_id"})


class RowError(ValueError):
    """A control-interface mutation that would break the contract (unknown collection, bad fields...)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Overlay:
    """Changes to one collection: added rows (by id, with their index), field patches and deletions."""

    added: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    patched: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    next_index: int = 0


@dataclass
class RuntimeSettings:
    """Settings that ``POST /_emulator/config`` may change while the server runs."""

    fault_rate: float
    latency_ms: float
    rate_limit: RateLimit
    token_ttl: float
    scopes: frozenset[str]
    fault_kinds: tuple[str, ...] = FAULT_KINDS

    @classmethod
    def from_config(cls, config: EmulatorConfig) -> RuntimeSettings:
        return cls(
            config.fault_rate,
            config.latency_ms,
            config.rate_limit,
            config.token_ttl,
            config.granted_scopes,
            config.fault_kinds,
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scopes"] = sorted(self.scopes)
        data["fault_kinds"] = list(self.fault_kinds)
        return data


@dataclass(frozen=True)
class Exchange:
    """One recorded API exchange; the bearer token, the client secret and issued tokens are redacted."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: bytes
    status: int
    response_headers: tuple[tuple[str, str], ...]
    response_body: bytes
    action: str | None = None
    fault: str | None = None

    def as_json(self) -> dict[str, Any]:
        def text(data: bytes) -> str:
            return data.decode("utf-8", errors="replace")

        return {
            "method": self.method,
            "url": self.url,
            "request_headers": [list(h) for h in self.request_headers],
            "request_body": text(self.request_body),
            "status": self.status,
            "response_headers": [list(h) for h in self.response_headers],
            "response_body": text(self.response_body),
            "action": self.action,
            "fault": self.fault,
        }


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class TokenGrant:
    client_id: str
    expires_at: float


@cache
def _row_validator(schema_name: str, document: str = "core") -> Any:
    """JSON Schema validator of one component of a document (for rows added or patched by tests)."""
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    from airflow_provider_360learning.actions import load_document

    doc = load_document(document)
    registry: Registry[Any] = Registry().with_resource(
        doc.uri, Resource.from_contents(dict(doc.contents), default_specification=DRAFT202012)
    )
    checker = jsonschema.FormatChecker()
    checker.checks("date-time")(_is_api_datetime)
    schema = {"$ref": f"{doc.uri}#/components/schemas/{schema_name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry, format_checker=checker)


def _is_api_datetime(value: object) -> bool:
    from airflow_provider_360learning.emulator.routing import parse_datetime

    return not isinstance(value, str) or parse_datetime(value) is not None


class EmulatorState:
    """Everything an emulator instance remembers between requests (see the module docstring)."""

    def __init__(self, config: EmulatorConfig | None = None, tenant: Tenant | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.tenant = tenant or Tenant(self.config.seed, self.config.scale, self.config.anchor)
        self.lock = threading.RLock()
        self.cursor_key = hashlib.blake2b(f"cursor:{self.config.seed}".encode(), digest_size=16).digest()
        self._fault_phase = mix(self.config.seed ^ 0xFA17) / 2.0**64
        self._exchanges: deque[Exchange] = deque(maxlen=self.config.exchange_log_size)
        self.record_exchanges = self.config.record_exchanges
        self._clock_offset = 0.0
        self._frozen_at: float | None = None
        self._issued: deque[str] = deque(maxlen=10_000)
        self._mutations = 0
        """Every mutation so far, resets included (never goes back): how a cached answer knows nothing moved."""
        self.data_version = 0
        """0 for the seeded state (again after each reset), a new number at every mutation: part of the key of
        cached answers (``page_cache``)."""
        self._volatile = False
        """Set by every read of the clock or of a side table (:meth:`now`, :meth:`relation`): see :meth:`watch`."""
        self.page_cache = PageCache(int(self.config.response_cache_mb * 1024 * 1024))
        self.rate_clock: Callable[[], float] = time.monotonic
        """Clock of the rate limits and traffic counters (seconds; a test may replace it with a fake clock)."""
        self.reset()
        threading.Thread(target=self._build_indexes, name="emulator-indexes", daemon=True).start()

    def _build_indexes(self) -> None:
        """The indexes of the filters partitioned reads use (:data:`~airflow_provider_360learning.actions.partitions.PARTITIONINGS`)."""
        from airflow_provider_360learning.actions.partitions import PARTITIONINGS

        self.tenant.build_indexes({p.filter for p in PARTITIONINGS.values()})

    # -- lifecycle ---------------------------------------------------------------------------
    def reset(self, *, keep_tokens: bool = False) -> None:
        """Drop the overlay, tokens, counters, exchange log and runtime changes: back to the seeded tenant.

        ``keep_tokens=True`` keeps the issued tokens valid (a client's cached token survives the reset).
        """
        with self.lock:
            self.resets = getattr(self, "resets", -1) + 1
            """Resets so far: how a service that mirrors the tenant (SCIM) knows its copy predates a reset."""
            self._mutations += 1
            self.data_version = 0  # the seeded state again: answers cached before any mutation are valid again
            self.page_cache.reset_counters()
            self.settings = RuntimeSettings.from_config(self.config)
            self._overlays: dict[str, Overlay] = {}
            self.anomalies = Anomalies()
            """Broken answers a test armed (``emulator.anomalies``): none after a reset."""
            self.relations: dict[str, dict[Any, Any]] = {}
            if not keep_tokens or not hasattr(self, "_tokens"):
                self._tokens: dict[str, TokenGrant] = {}
            self._buckets: dict[str, _Bucket] = {}
            self._company_budget = CompanyBudget()
            self.traffic = TrafficCounters()
            """Requests the 360Learning API received by method, 429s by kind and peaks per 1-second window."""
            self._sequence = 0
            self.requests: Counter[str] = Counter()
            self.statuses: Counter[int] = Counter()
            self.token_statuses: Counter[int] = Counter()
            self.faults: Counter[str] = Counter()
            self.token_requests = 0
            self.tokens_issued = 0
            self.rate_limited = 0
            self._exchanges.clear()
            self._clock_offset = 0.0
            self._frozen_at = None

    def _changed(self) -> None:
        """The state changes (under the lock): answers cached before are never served again (until a reset)."""
        self._mutations += 1
        self.data_version = self._mutations

    def changed(self) -> None:
        """Mark a change made outside this class's own methods (API writes, bulk operations settling)."""
        with self.lock:
            self._changed()

    # -- cached answers ----------------------------------------------------------------------
    def watch(self) -> int:
        """Start watching a handler (under the lock): the mark to give :meth:`unchanged_since` afterwards."""
        self._volatile = False
        return self._mutations

    def unchanged_since(self, mark: int) -> bool:
        """Whether, since :meth:`watch`, nothing changed and nothing read the clock or a side table.

        The rows (overlay) change only through :meth:`add_row`, :meth:`patch_row` and :meth:`delete_row`, each
        a new :attr:`data_version`; the clock and the side tables (:meth:`relation`: bulk operations, webhook
        events, memberships...) have no version, so an answer that read them is never cached.
        """
        return not self._volatile and self._mutations == mark

    def update_config(self, **changes: Any) -> RuntimeSettings:
        """Change fault rate, latency, rate limit, token ttl or scopes at run time.

        No new :attr:`data_version`: these settings act on every request before or after its handler (faults,
        rate limit, token, scope, latency), never on what a handler answers, so cached answers stay right.
        """
        allowed = {"fault_rate", "fault_kinds", "latency_ms", "rate_limit", "token_ttl", "scopes"}
        unknown = set(changes) - allowed
        if unknown:
            raise RowError(f"cannot change {sorted(unknown)} at run time; allowed: {sorted(allowed)}")
        if isinstance(changes.get("scopes"), str):
            changes["scopes"] = [s for s in changes["scopes"].split(",") if s]
        check_runtime_values(**changes)
        with self.lock:
            for name, value in changes.items():
                if name == "scopes":
                    value = frozenset(value)
                elif name == "fault_kinds":
                    value = (value,) if isinstance(value, str) else tuple(value)
                elif name == "rate_limit":
                    value = parse_rate_limit(value)
                elif isinstance(value, int):
                    value = float(value)
                setattr(self.settings, name, value)
            if "rate_limit" in changes:
                self._buckets.clear()
                self._company_budget = CompanyBudget()
            return self.settings

    # -- clock -------------------------------------------------------------------------------
    def now(self) -> float:
        """Wall clock (or the frozen instant) plus :meth:`advance_time` offsets (token expiry without sleeping)."""
        self._volatile = True
        base = time.time() if self._frozen_at is None else self._frozen_at
        return base + self._clock_offset

    def freeze_time(self) -> None:
        """Stop the wall clock at this instant: only :meth:`advance_time` moves it (tests of state timings
        that must not depend on how fast the machine runs). :meth:`reset` lets it run again."""
        with self.lock:
            self._changed()
            self._frozen_at = time.time()

    def today(self) -> int:
        """ "Now" of the platform for writes, in whole seconds: the clock, never before the data anchor."""
        return max(int(self.now()), self.tenant.anchor_ts)

    def advance_time(self, seconds: float) -> None:
        with self.lock:
            self._changed()
            self._clock_offset += seconds

    # -- tokens ------------------------------------------------------------------------------
    def issue_token(self, client_id: str) -> tuple[str, float]:
        token = secrets.token_urlsafe(32)
        with self.lock:
            ttl = self.settings.token_ttl
            self._tokens[token] = TokenGrant(client_id, self.now() + ttl)
            self._issued.append(token)
            self.tokens_issued += 1
        return token, ttl

    def issued_token_values(self) -> list[str]:
        """Every token issued by this instance (last 10,000, resets included): for leak checks in tests."""
        with self.lock:
            return list(self._issued)

    def token_client(self, token: str) -> str | None:
        """Client id of a valid token; ``None`` if unknown, expired or revoked."""
        grant = self._tokens.get(token)
        if grant is None or grant.expires_at <= self.now():
            return None
        return grant.client_id

    def known_token_client(self, token: str) -> str | None:
        """Client id of a token even if expired (rate limiting still counts it against its client)."""
        grant = self._tokens.get(token)
        return grant.client_id if grant else None

    def revoke_tokens(self) -> int:
        with self.lock:
            count = len(self._tokens)
            self._tokens.clear()
            return count

    def count_token_request(self) -> None:
        with self.lock:
            self.token_requests += 1

    # -- traffic shaping ---------------------------------------------------------------------
    def next_fault(self) -> str | None:
        """Decide whether the next API request gets a fault, from the seed and the request's sequence number.

        The decision is ``frac(phase(seed) + seq * golden ratio) < fault_rate``: a low-discrepancy
        (Weyl) sequence, so the share of faults matches the rate even over a handful of requests
        (at 0.5, never more than two clean requests in a row) while runs of faults stay irregular.
        """
        with self.lock:
            seq = self._sequence
            self._sequence += 1
            rate = self.settings.fault_rate
            if rate <= 0 or (self._fault_phase + seq * _GOLDEN_FRACTION) % 1.0 >= rate:
                return None
            kinds = self.settings.fault_kinds
            kind = kinds[sum(self.faults.values()) % len(kinds)]
            self.faults[kind] += 1
            return kind

    @property
    def documented_rate_limit(self) -> bool:
        """``--rate-limit documented``: 360Learning's per-company model (:mod:`.rate_limit`)."""
        return self.settings.rate_limit == DOCUMENTED

    def take_company_budget(self, method: str, action: Action | None, now: float) -> str | None:
        """``--rate-limit documented``: let a request of the 360Learning API in (``None``) or name the budget it
        exceeds (``"read"``, ``"write"`` or ``"endpoint"``: it gets a 429). ``None`` in any other mode."""
        if not self.documented_rate_limit:
            return None
        with self.lock:
            kind = self._company_budget.take(method, action, now)
            if kind is not None:
                self.rate_limited += 1
                self.traffic.limited[kind] += 1
            return kind

    def count_limited(self, kind: str) -> None:
        """Count a 429 decided elsewhere (``"bulk_concurrency"``: a bulk submission over the unfinished bound)."""
        with self.lock:
            self.traffic.limited[kind] += 1

    def take_rate_token(self, client: str) -> int | None:
        """Token bucket per client id (numeric ``--rate-limit``); returns ``Retry-After`` seconds when the request
        must get a 429. Never limits in ``documented`` mode (the company budget applies to 360Learning only)."""
        rate = self.settings.rate_limit
        if isinstance(rate, str) or rate <= 0:
            return None
        with self.lock:
            now = self.rate_clock()
            capacity = max(1.0, rate)
            bucket = self._buckets.setdefault(client, _Bucket(capacity, now))
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            self.rate_limited += 1
            self.traffic.limited["per_client"] += 1
            return max(1, math.ceil((1 - bucket.tokens) / rate))

    def count_request(
        self, action: str | None, status: int, method: str | None = None, arrived: float | None = None
    ) -> None:
        """Count one API request (token endpoint excluded) by action and by status (0: dropped).

        With its ``method`` and arrival time (:attr:`rate_clock`), it also counts in :attr:`traffic`.
        """
        with self.lock:
            self.requests[action or "(unrouted)"] += 1
            self.statuses[status] += 1
            if method is not None:
                self.traffic.count(method, status, self.rate_clock() if arrived is None else arrived)

    def count_token_status(self, status: int) -> None:
        with self.lock:
            self.token_statuses[status] += 1

    def stats(self) -> dict[str, Any]:
        """Counters since the last reset (what ``GET /_emulator/stats`` returns)."""
        with self.lock:
            return {
                "requests": dict(self.requests),
                "requests_total": sum(self.requests.values()),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "token_requests": self.token_requests,
                "token_statuses": {str(k): v for k, v in sorted(self.token_statuses.items())},
                "tokens_issued": self.tokens_issued,
                "active_tokens": sum(1 for g in self._tokens.values() if g.expires_at > self.now()),
                "faults": dict(self.faults),
                "faults_total": sum(self.faults.values()),
                "rate_limited": self.rate_limited,
                "traffic": self.traffic.as_dict(),
                "settings": self.settings.as_dict(),
            }

    # -- exchange log ------------------------------------------------------------------------
    def record(self, exchange: Exchange) -> None:
        with self.lock:
            self._exchanges.append(exchange)

    @property
    def exchanges(self) -> list[Exchange]:
        """The recorded exchanges, oldest first (empty unless ``record_exchanges`` is on)."""
        with self.lock:
            return list(self._exchanges)

    def clear_exchanges(self) -> None:
        with self.lock:
            self._exchanges.clear()

    def redact(self, data: bytes) -> bytes:
        """Remove the client secret from any recorded bytes (a safety net beyond per-field redaction)."""
        secret = self.config.client_secret.encode()
        return data.replace(secret, REDACTED.encode()) if secret in data else data

    # -- rows --------------------------------------------------------------------------------
    def collection(self, name: str) -> Collection:
        try:
            return self.tenant.collections[name]
        except KeyError:
            raise RowError(f"unknown collection {name!r}; known: {sorted(self.tenant.collections)}", 404) from None

    def overlay(self, name: str) -> Overlay:
        ov = self._overlays.get(name)
        if ov is None:
            ov = self._overlays[name] = Overlay(next_index=len(self.collection(name)))
        return ov

    def get_row(self, collection: str, oid: str) -> dict[str, Any] | None:
        """The current row with this id (overlay applied), or ``None`` if it does not exist."""
        coll = self.collection(collection)
        oid = oid.lower()
        ov = self._overlays.get(collection)
        if ov is not None:
            if oid in ov.deleted:
                return None
            if oid in ov.added:
                return ov.added[oid][1]
        i = coll.index_of(oid)
        if i is None or i >= len(coll):
            return None
        row = coll.item(i)
        if ov is not None and oid in ov.patched:
            row = apply_patch(row, ov.patched[oid])
        return row

    def add_row(
        self, collection: str, row: Mapping[str, Any], *, validate: bool = True, fill: bool = True
    ) -> dict[str, Any]:
        """Append a row; missing fields come from a generated template so the row stays contract-valid.

        ``validate=False`` lets a test serve a row that breaks the contract on purpose (to prove that a
        client quarantines what it cannot load); such responses fail the suite's contract check.
        ``fill=False`` takes the row as given (API writes build complete rows themselves).
        """
        coll = self.collection(collection)
        self._check_keys(coll, row)
        with self.lock:
            self._changed()
            ov = self.overlay(collection)
            index = ov.next_index
            new = {**(coll.template(index) if fill else {}), **row, **self._added_defaults(collection, row)}
            new["_id"] = str(new["_id"]).lower() if "_id" in row else coll.object_id(index)
            if self.get_row(collection, new["_id"]) is not None:
                raise RowError(f"{collection} row {new['_id']} already exists", 409)
            if validate:
                self._validate(coll, new)
            base = coll.index_of(new["_id"])
            if base is not None and base < len(coll):
                # Re-adding a deleted generated row: it comes back at its own position, as given.
                ov.deleted.discard(new["_id"])
                ov.patched[new["_id"]] = {**dict.fromkeys(coll.item(base), _MISSING), **new}
                return new
            ov.next_index += 1
            ov.added[new["_id"]] = (index, new)
            return new

    def patch_row(self, collection: str, oid: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``fields`` into an existing row (``None`` values remove optional fields)."""
        coll = self.collection(collection)
        self._check_keys(coll, fields)
        if _IMMUTABLE_FIELDS & set(fields):
            raise RowError(f"fields {sorted(_IMMUTABLE_FIELDS & set(fields))} cannot be changed")
        oid = oid.lower()
        with self.lock:
            current = self.get_row(collection, oid)
            if current is None:
                raise RowError(f"no {collection} row with id {oid}", 404)
            self._changed()
            merged = {k: v for k, v in {**current, **fields}.items() if v is not None}
            self._validate(coll, merged)
            ov = self.overlay(collection)
            if oid in ov.added:
                ov.added[oid] = (ov.added[oid][0], merged)
            else:
                marked = {k: _MISSING if v is None else v for k, v in fields.items()}
                ov.patched[oid] = {**ov.patched.get(oid, {}), **marked}
            return merged

    def delete_row(self, collection: str, oid: str) -> None:
        oid = oid.lower()
        with self.lock:
            if self.get_row(collection, oid) is None:
                raise RowError(f"no {collection} row with id {oid}", 404)
            self._changed()
            ov = self.overlay(collection)
            if oid in ov.added:
                del ov.added[oid]
            else:
                ov.deleted.add(oid)
                ov.patched.pop(oid, None)

    def rows(self, collection: str) -> Iterable[dict[str, Any]]:
        """Every current row of a small collection, generated ones first (a full scan: not for users)."""
        coll = self.collection(collection)
        for i in range(len(coll)):
            row = self.get_row(collection, coll.object_id(i))
            if row is not None:
                yield row
        yield from (row for _, row in list(self.overlay(collection).added.values()))

    def relation(self, name: str) -> dict[Any, Any]:
        """A named side table of API writes (tags of a path, managers of a user...), emptied by :meth:`reset`.

        Its content changes without a version: an answer that reads one is never cached (:meth:`watch`).
        """
        self._volatile = True
        with self.lock:
            return self.relations.setdefault(name, {})

    def authorized_values(self, field_id: str) -> list[str]:
        """The values a custom field accepts (empty: any): those set through the API, else the seeded ones."""
        stored = self.relation("authorized_values").get(field_id)
        if stored is not None:
            return list(stored)
        seeded = self.collection("custom_fields")
        index = seeded.index_of(field_id)
        if isinstance(seeded, CustomFields) and index is not None and index < len(seeded):
            return seeded.authorized_values(index)
        return []

    def _added_defaults(self, collection: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """Keep references consistent for rows that hang under a parent (session -> path)."""
        if collection == "path_session_user_stats":
            session_id = row.get("sessionId")
            if not isinstance(session_id, str) or self.get_row("path_sessions", session_id) is None:
                raise RowError("a path_session_user_stats row needs the sessionId of an existing path session")
            session = self.get_row("path_sessions", session_id)
            assert session is not None
            return {"pathId": session["pathId"], "sessionId": session_id.lower()}
        if collection == "path_sessions":
            path_id = row.get("pathId")
            if not isinstance(path_id, str) or self.get_row("paths", path_id) is None:
                raise RowError("a path_sessions row needs the pathId of an existing path")
            return {"pathId": path_id.lower()}
        return {}

    @staticmethod
    def _check_keys(coll: Collection, row: Mapping[str, Any]) -> None:
        if not isinstance(row, Mapping):
            raise RowError("a row must be a JSON object")
        unknown = set(row) - _schema_properties(coll.schema, coll.document) - coll.hidden
        if unknown:
            raise RowError(f"{coll.name} rows have no field(s) {sorted(unknown)} (schema {coll.schema})")

    @staticmethod
    def _validate(coll: Collection, row: Mapping[str, Any]) -> None:
        visible = {k: v for k, v in row.items() if k not in coll.hidden}
        errors = sorted(_row_validator(coll.schema, coll.document).iter_errors(visible), key=lambda e: list(e.path))
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.path) or "(row)"
            raise RowError(f"{coll.name} row does not satisfy {coll.schema} at {where}: {first.message}")


class _Missing:
    """Marker stored in a patch for a field the test removed from a generated row."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


@cache
def _schema_properties(schema_name: str, document: str = "core") -> frozenset[str]:
    from airflow_provider_360learning.actions import load_document

    schema = load_document(document).contents["components"]["schemas"][schema_name]
    return frozenset(schema.get("properties", ()))


def apply_patch(row: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """Merge a stored patch into a generated row, honouring removals."""
    merged = {**row, **patch}
    if any(v is _MISSING for v in patch.values()):
        merged = {k: v for k, v in merged.items() if v is not _MISSING}
    return merged


def iter_added(overlay: Overlay | None, start: int) -> Iterable[tuple[int, dict[str, Any]]]:
    """Added rows at or after position ``start`` (their index), in index order."""
    if overlay is None or not overlay.added:
        return ()
    return ((i, row) for i, row in overlay.added.values() if i >= start)
