"""``--rate-limit documented``: 360Learning's documented per-company limits in the emulator, and its counters.

Every timing here runs on a fake clock (``state.rate_clock``), so no test depends on how fast the machine is.
"""

from __future__ import annotations

import bisect
import json
import random
import re
from typing import Any

import pytest

from airflow_provider_360learning.actions import ACTIONS, load_document
from airflow_provider_360learning.emulator.__main__ import config_from_args
from airflow_provider_360learning.emulator.config import EmulatorConfig
from airflow_provider_360learning.emulator.rate_limit import (
    BULK_UNFINISHED_DEFAULT,
    BULK_UNFINISHED_DOCUMENTED,
    DOCUMENTED,
    READS_PER_SECOND,
    WRITES_PER_SECOND,
    CompanyBudget,
    endpoint_rate_limits,
    max_unfinished_bulk_operations,
)
from airflow_provider_360learning.emulator.state import EmulatorState
from tests.unit.emulator.conftest import API_VERSION, Api, send

GROUPS = "/api/v2/groups"
TAGS = "/api/v2/tags"
ELEARNING = "/api/v2/courses/elearning-standard"


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def documented_emulator(factory: Any, **config: Any) -> tuple[Any, FakeClock]:
    server = factory(rate_limit=DOCUMENTED, **config)
    clock = FakeClock()
    server.state.rate_clock = clock
    return server, clock


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **API_VERSION}


def write(api: Api, path: str = TAGS) -> int:
    """One write (an empty body: a 400 when it gets through, which still counts against the write budget)."""
    return send(api, "POST", path, json={}).status_code


def traffic(server: Any) -> dict[str, Any]:
    """The counters as the control interface reports them."""
    stats = server.state.stats()
    assert stats == json.loads(json.dumps(stats))  # what GET /_emulator/stats serialises
    counters: dict[str, Any] = stats["traffic"]
    return counters


# -- the company's budgets ------------------------------------------------------------------------
def test_the_read_budget_is_shared_by_every_client_id(learning360_emulator_factory: Any, make_api: Any) -> None:
    server, clock = documented_emulator(learning360_emulator_factory)
    api = make_api(server)
    other, _ = server.state.issue_token("another-client-of-the-company")
    tokens = [api.token, other]
    statuses = [api.http.get(GROUPS, headers=bearer(tokens[i % 2])).status_code for i in range(READS_PER_SECOND)]
    assert statuses == [200] * READS_PER_SECOND
    for token in tokens:  # the 51st GET of the second, whichever client sends it
        refused = api.http.get(GROUPS, headers=bearer(token))
        assert refused.status_code == 429 and refused.json() == {"error": "tooManyRequests"}
        assert "retry-after" not in refused.headers  # 360Learning documents no Retry-After
    counters = traffic(server)
    assert counters["get_requests"] == READS_PER_SECOND + 2 and counters["write_requests"] == 0
    assert counters["limited"]["read"] == 2 and counters["limited_total"] == 2
    assert counters["max_get_accepted_per_second"] == READS_PER_SECOND
    assert counters["max_get_received_per_second"] == READS_PER_SECOND + 2
    assert server.state.stats()["rate_limited"] == 2
    clock.advance(1.0)  # the window has moved on: the whole budget again
    assert api.http.get(GROUPS, headers=bearer(other)).status_code == 200
    assert traffic(server)["max_get_accepted_per_second"] == READS_PER_SECOND


def test_reads_and_writes_have_separate_budgets(learning360_emulator_factory: Any, make_api: Any) -> None:
    server, clock = documented_emulator(learning360_emulator_factory)
    api = make_api(server)
    assert [write(api) for _ in range(WRITES_PER_SECOND)] == [400] * WRITES_PER_SECOND
    refused = send(api, "DELETE", f"{TAGS}/0123456789abcdef01234567")
    assert refused.status_code == 429 and "retry-after" not in refused.headers
    assert api.get(GROUPS).status_code == 200, "a spent write budget leaves the reads alone"
    clock.advance(1.0)
    assert all(api.get(GROUPS).status_code == 200 for _ in range(READS_PER_SECOND))
    assert api.get(GROUPS).status_code == 429
    assert write(api) == 400, "a spent read budget leaves the writes alone"
    counters = traffic(server)
    assert counters["limited"] == {"read": 1, "write": 1, "endpoint": 0, "per_client": 0, "bulk_concurrency": 0}
    assert (counters["get_requests"], counters["write_requests"]) == (READS_PER_SECOND + 2, WRITES_PER_SECOND + 2)
    assert counters["max_write_accepted_per_second"] == WRITES_PER_SECOND
    assert counters["max_write_received_per_second"] == WRITES_PER_SECOND + 1


def test_a_faulted_answer_counts_against_the_budget(learning360_emulator_factory: Any, make_api: Any) -> None:
    """The budget is taken before fault injection: no 1-second window holds more than 50 non-429 answers."""
    server, _ = documented_emulator(learning360_emulator_factory, fault_rate=1.0, fault_kinds=("503",))
    api = make_api(server)
    statuses = [api.get(GROUPS).status_code for _ in range(READS_PER_SECOND + 1)]
    assert statuses == [503] * READS_PER_SECOND + [429]
    assert traffic(server)["max_get_accepted_per_second"] == READS_PER_SECOND


def test_the_token_endpoint_and_the_control_interface_are_not_counted(
    learning360_emulator_factory: Any, make_api: Any
) -> None:
    server, _ = documented_emulator(learning360_emulator_factory)
    api = make_api(server)
    assert all(api.get(GROUPS).status_code == 200 for _ in range(READS_PER_SECOND))
    assert all(api.token_request().status_code == 200 for _ in range(5))
    assert all(api.http.get("/_emulator/stats").status_code == 200 for _ in range(5))
    assert api.get(GROUPS).status_code == 429
    assert traffic(server)["get_requests"] == READS_PER_SECOND + 1


def test_bulk_operations_are_not_limited_per_request(learning360_emulator_factory: Any, make_api: Any) -> None:
    server, _ = documented_emulator(learning360_emulator_factory)
    api = make_api(server)
    polls = [api.get("/api/v2/bulk/operations").status_code for _ in range(READS_PER_SECOND + 5)]
    assert polls == [200] * (READS_PER_SECOND + 5)
    assert api.get(GROUPS).status_code == 200, "bulk reads take nothing from the read budget"
    assert traffic(server)["limited_total"] == 0


# -- the windows are strict -------------------------------------------------------------------------
def _most_in_any_second(times: list[float]) -> int:
    """The most events any half-open 1-second window holds (the busiest window starts at an event)."""
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def test_no_one_second_window_holds_more_than_the_budget() -> None:
    budget = CompanyBudget()
    accepted = [t / 100 for t in range(READS_PER_SECOND) if budget.take("GET", None, t / 100) is None]
    assert len(accepted) == READS_PER_SECOND  # 0.00 .. 0.49
    assert budget.take("GET", None, 0.999) == "read"
    assert budget.take("GET", None, 1.0) is None  # 0.00 left the window (1.0 - 1 s, 1.0]
    assert budget.take("GET", None, 1.005) == "read"  # 0.01 is still in it
    assert budget.take("GET", None, 1.01) is None

    state = EmulatorState(EmulatorConfig(rate_limit=DOCUMENTED))
    rng = random.Random(14)
    now, accepted = 0.0, []
    for _ in range(3_000):  # bursts and gaps of a few clients, about 150 requests/s on average
        now += rng.choice((0.0, 0.0, 0.001, 0.002, 0.005, 0.02, 0.1))
        kind = state.take_company_budget("GET", ACTIONS["list_groups"], now)
        state.count_request("list_groups", 429 if kind else 200, "GET", now)
        if kind is None:
            accepted.append(now)
    assert state.traffic.limited["read"] == 3_000 - len(accepted) > 0
    assert _most_in_any_second(accepted) == READS_PER_SECOND
    assert state.traffic.get_accepted.peak == READS_PER_SECOND
    assert state.traffic.get_received.peak > READS_PER_SECOND


# -- the endpoints with their own limit ----------------------------------------------------------
_PHRASE = re.compile(r"specific rate limit of 1 request per second", re.IGNORECASE)


def test_the_endpoints_with_their_own_limit_come_from_the_documents() -> None:
    limits = endpoint_rate_limits()
    assert limits and set(limits.values()) == {1.0}
    described = set()
    for action in ACTIONS.values():
        operation = load_document(action.api).contents["paths"][action.path][action.method.lower()]
        if _PHRASE.search(operation.get("description", "")):
            described.add(action.name)
    assert set(limits) == described
    assert {ACTIONS[name].path for name in limits} >= {ELEARNING}


def test_an_endpoint_limit_comes_on_top_of_the_write_budget(learning360_emulator_factory: Any, make_api: Any) -> None:
    server, clock = documented_emulator(learning360_emulator_factory)
    api = make_api(server)
    assert write(api, ELEARNING) != 429
    refused = send(api, "POST", ELEARNING, json={})
    assert refused.status_code == 429 and refused.json() == {"error": "tooManyRequests"}
    assert "retry-after" not in refused.headers
    assert write(api) == 400, "other writes still have budget"
    clock.advance(1.0)
    assert write(api, ELEARNING) != 429
    counters = traffic(server)
    assert counters["limited"]["endpoint"] == 1 and counters["limited"]["write"] == 0
    assert counters["write_requests"] == 4


def test_an_endpoint_limit_takes_nothing_when_the_write_budget_refuses() -> None:
    budget = CompanyBudget()
    create = ACTIONS["create_e_learning_standard_course"]
    assert all(budget.take("POST", ACTIONS["create_tag"], 0.0) is None for _ in range(WRITES_PER_SECOND))
    assert budget.take("POST", create, 0.5) == "write"
    assert budget.take("POST", create, 1.0) is None, "the refused request left the endpoint's budget untouched"


# -- bulk submissions -------------------------------------------------------------------------------
def _submit(api: Api) -> Any:
    return send(api, "POST", "/api/v2/bulk/groups/catalog", json={"input": []})


def test_a_bulk_submission_while_three_are_unfinished_gets_429(
    learning360_emulator_factory: Any, make_api: Any
) -> None:
    server, _ = documented_emulator(learning360_emulator_factory, bulk_seconds_per_state=100)
    api = make_api(server)
    assert [_submit(api).status_code for _ in range(BULK_UNFINISHED_DOCUMENTED)] == [202] * 3
    refused = _submit(api)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "bulkOperationsConcurrencyLimitReached"
    assert "retry-after" not in refused.headers
    assert traffic(server)["limited"]["bulk_concurrency"] == 1
    assert server.state.stats()["rate_limited"] == 0, "rate_limited keeps counting request budgets only"
    server.state.advance_time(300)  # the three operations end
    assert _submit(api).status_code == 202


def test_without_documented_ten_bulk_operations_may_be_unfinished(
    learning360_emulator_factory: Any, make_api: Any
) -> None:
    assert max_unfinished_bulk_operations(0.0) == BULK_UNFINISHED_DEFAULT == 10
    assert max_unfinished_bulk_operations(DOCUMENTED) == 3
    server = learning360_emulator_factory(rate_limit=100, bulk_seconds_per_state=100)
    api = make_api(server)
    assert [_submit(api).status_code for _ in range(BULK_UNFINISHED_DEFAULT)] == [202] * 10
    refused = _submit(api)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert traffic(server)["limited"]["bulk_concurrency"] == 1


# -- numeric mode, settings ---------------------------------------------------------------------------
def test_a_number_keeps_its_per_client_meaning(learning360_emulator_factory: Any, make_api: Any) -> None:
    server = learning360_emulator_factory(rate_limit=1)
    clock = FakeClock()
    server.state.rate_clock = clock
    api = make_api(server)
    other, _ = server.state.issue_token("another-client")
    assert api.get(GROUPS).status_code == 200
    refused = api.get(GROUPS)
    assert refused.status_code == 429 and refused.json() == {"error": "tooManyRequests"}
    assert refused.headers["retry-after"] == "1"
    assert api.http.get(GROUPS, headers=bearer(other)).status_code == 200, "each client id has its own bucket"
    clock.advance(1.0)
    assert api.get(GROUPS).status_code == 200
    counters = traffic(server)
    assert counters["limited"]["per_client"] == 1 and counters["limited"]["read"] == 0
    assert counters["get_requests"] == 4 and counters["max_get_accepted_per_second"] == 2


def test_documented_is_settable_at_run_time(learning360_emulator_factory: Any, make_api: Any) -> None:
    server = learning360_emulator_factory(bulk_seconds_per_state=100)
    api = make_api(server)
    assert [_submit(api).status_code for _ in range(BULK_UNFINISHED_DOCUMENTED)] == [202] * 3
    changed = api.http.post("/_emulator/config", json={"rate_limit": "documented"})
    assert changed.status_code == 200 and changed.json()["rate_limit"] == DOCUMENTED
    assert api.http.get("/_emulator/stats").json()["settings"]["rate_limit"] == DOCUMENTED
    assert _submit(api).status_code == 429
    assert server.state.take_rate_token("edx:client") is None, "documented limits 360Learning only"
    bad = api.http.post("/_emulator/config", json={"rate_limit": "lots"})
    assert bad.status_code == 400 and "documented" in bad.json()["error"]["message"]
    assert api.http.post("/_emulator/config", json={"rate_limit": 0}).json()["rate_limit"] == 0
    assert _submit(api).status_code == 202
    server.state.update_config(rate_limit="documented")
    assert server.state.documented_rate_limit


def test_cli_and_config_accept_documented() -> None:
    assert config_from_args(["--rate-limit", "documented"]).rate_limit == DOCUMENTED
    assert config_from_args(["--rate-limit", "5"]).rate_limit == 5.0
    assert config_from_args([]).rate_limit == 0
    for bad in ("lots", "-1", "nan"):
        with pytest.raises(SystemExit):
            config_from_args(["--rate-limit", bad])
    assert EmulatorConfig(rate_limit="documented").rate_limit == DOCUMENTED
    assert EmulatorConfig(rate_limit=3).with_changes(rate_limit=DOCUMENTED).rate_limit == DOCUMENTED
    with pytest.raises(ValueError, match="documented"):
        EmulatorConfig(rate_limit="documentd")  # type: ignore[arg-type]
    assert EmulatorState(EmulatorConfig(rate_limit=DOCUMENTED)).stats()["settings"]["rate_limit"] == DOCUMENTED
