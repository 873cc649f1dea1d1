"""Injected faults, rate limiting and latency."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.unit.emulator.conftest import Api


def _outcomes(api: Api, n: int) -> list[str]:
    out = []
    for _ in range(n):
        try:
            response = api.get("/api/v2/groups")
        except httpx.TransportError:
            out.append("drop")
            continue
        out.append(str(response.status_code))
    return out


def test_same_seed_same_faults(learning360_emulator_factory: Any, make_api: Any) -> None:
    runs = [_outcomes(make_api(learning360_emulator_factory(seed=seed, fault_rate=0.3)), 40) for seed in (5, 5, 6)]
    assert runs[0] == runs[1], "the same seed gives the same faults"
    assert runs[0] != runs[2], "another seed gives other faults"


def test_fault_kinds_rotate_and_match_the_rate(learning360_emulator_factory: Any, make_api: Any) -> None:
    server = learning360_emulator_factory(fault_rate=0.25)
    outcomes = _outcomes(make_api(server), 80)
    faults = [o for o in outcomes if o != "200"]
    assert faults[:8] == ["500", "502", "503", "drop"] * 2
    assert 18 <= len(faults) <= 22, "a quarter of 80 requests"
    stats = server.state.stats()
    assert stats["faults"] == {kind: faults.count(kind) for kind in set(faults)}
    assert stats["faults_total"] == len(faults)


def test_fault_kinds_can_be_restricted(learning360_emulator_factory: Any, make_api: Any) -> None:
    server = learning360_emulator_factory(fault_rate=0.5, fault_kinds=("503",))
    outcomes = _outcomes(make_api(server), 10)
    assert set(outcomes) == {"200", "503"}
    assert server.state.stats()["faults"] == {"503": outcomes.count("503")}


def test_dropped_connection_sends_nothing(learning360_emulator_factory: Any, make_api: Any) -> None:
    server = learning360_emulator_factory(fault_rate=1.0, fault_kinds=("drop",))
    api = make_api(server)
    with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
        api.get("/api/v2/groups")
    assert server.state.stats()["statuses"] == {"0": 1}


def test_token_endpoint_is_never_faulted(learning360_emulator_factory: Any, make_api: Any) -> None:
    server = learning360_emulator_factory(fault_rate=1.0)
    api = make_api(server)
    assert all(api.token_request().status_code == 200 for _ in range(5))
    assert api.get("/api/v2/groups").status_code == 500
    assert server.state.stats()["faults_total"] == 1


def test_injected_errors_have_json_bodies(learning360_emulator_factory: Any, make_api: Any) -> None:
    api = make_api(learning360_emulator_factory(fault_rate=1.0, fault_kinds=("502",)))
    response = api.get("/api/v2/users")
    assert response.status_code == 502 and response.headers["x-emulator-fault"] == "502"
    assert response.json()["error"]["code"] == "badGateway"


def test_rate_limit_answers_429_with_retry_after(learning360_emulator_factory: Any, make_api: Any) -> None:
    server = learning360_emulator_factory(rate_limit=2)
    api = make_api(server)
    statuses = [api.get("/api/v2/groups") for _ in range(6)]
    limited = [r for r in statuses if r.status_code == 429]
    assert [r.status_code for r in statuses[:2]] == [200, 200]
    assert limited, "more than 2 requests in a burst are limited"
    assert all(r.json() == {"error": "tooManyRequests"} for r in limited)
    retry_after = int(limited[0].headers["retry-after"])
    assert retry_after >= 1
    assert server.state.stats()["rate_limited"] == len(limited)
    assert all(api.token_request().status_code == 200 for _ in range(5)), "the token endpoint is not limited"
    time.sleep(retry_after)
    assert api.get("/api/v2/groups").status_code == 200


def test_rate_limit_is_per_client(learning360_emulator_factory: Any, make_api: Any) -> None:
    server = learning360_emulator_factory(rate_limit=1)
    api = make_api(server)
    assert api.get("/api/v2/groups").status_code == 200
    assert api.get("/api/v2/groups").status_code == 429
    anonymous = api.http.get("/api/v2/groups", headers={"360-api-version": "v2.0"})
    assert anonymous.status_code == 401, "requests without a known token count against another bucket"


def test_latency_is_added_and_changes_at_run_time(learning360_emulator_factory: Any, make_api: Any) -> None:
    server = learning360_emulator_factory(latency_ms=250)
    api = make_api(server)
    api.token  # noqa: B018 - fetch the token first
    started = time.perf_counter()
    assert api.get("/api/v2/groups").status_code == 200
    assert time.perf_counter() - started >= 0.25
    api.http.post("/_emulator/config", json={"latency_ms": 0})
    started = time.perf_counter()
    api.get("/api/v2/groups")
    assert time.perf_counter() - started < 0.2


def test_fault_rate_changes_at_run_time(api: Api) -> None:
    assert api.get("/api/v2/groups").status_code == 200
    assert api.http.post("/_emulator/config", json={"fault_rate": 1, "fault_kinds": ["503"]}).status_code == 200
    assert api.get("/api/v2/groups").status_code == 503
    assert api.http.post("/_emulator/config", json={"fault_rate": 2}).status_code == 400
