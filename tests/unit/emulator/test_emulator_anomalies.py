"""Broken and hostile answers on demand (``/_emulator/anomalies``): each anomaly is served as armed, only on its
path, deterministically; untouched rows still satisfy the contract; clearing (or a reset) restores the clean answer
and the page cache never serves a stale one."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.emulator.anomalies import ANOMALY_HEADER, ROWS_HEADER, SPEC_FIELDS
from airflow_provider_360learning.emulator.server import EmulatorServer
from airflow_provider_360learning.testing.anomalies import arm_anomaly, armed, clear_anomalies, without_broken_rows
from airflow_provider_360learning.testing.contract import ContractValidator
from tests.conftest import contract_errors
from tests.unit.emulator.conftest import Api, exchange_errors, schema_errors

STATS = "/api/v2/courses/stats"  # 1,250 rows at scale 1: pages of 500, 500 and 250
PATH_STATS = "/api/v2/paths/stats"
FAR_FUTURE = "9999-12-31T00:00:00.000Z"


def _walk(api: Api, path: str, params: Any = None) -> list[httpx.Response]:
    """Every page's answer, following ``Link`` headers."""
    out = [api.get(path, params)]
    while True:
        assert out[-1].status_code == 200, out[-1].text
        url = out[-1].links.get("next", {}).get("url")
        if url is None:
            return out
        out.append(api.http.get(url, headers=api.headers()))


def _rows(responses: list[httpx.Response]) -> list[dict[str, Any]]:
    """The rows of every page, read by Python's permissive parser (``NaN``, ``Infinity``, ``1e999`` allowed)."""
    return [row for r in responses for row in json.loads(r.content)]


def _strict(data: bytes) -> Any:
    def reject(token: str) -> Any:
        raise ValueError(f"{token} is not JSON")

    return json.loads(data, parse_constant=reject)


# -- truncation --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("after", [1, 2])
def test_truncation_serves_n_pages_and_no_link(api: Api, learning360_emulator: EmulatorServer, after: int) -> None:
    clean = _walk(api, STATS)
    assert [len(r.json()) for r in clean] == [500, 500, 250]
    anomaly = learning360_emulator.arm_anomaly(path=STATS, truncate_after_pages=after)
    cut = _walk(api, STATS)
    assert len(cut) == after, "paging stops after page N"
    assert "link" not in cut[-1].headers
    assert cut[-1].headers[ANOMALY_HEADER] == anomaly["id"] and ROWS_HEADER not in cut[-1].headers
    assert [r.content for r in cut] == [r.content for r in clean[:after]], "the pages served are the clean ones"
    assert all(ANOMALY_HEADER not in r.headers for r in cut[:-1]), "pages before N are untouched"


def test_a_cursor_issued_before_truncation_gets_nothing_more(api: Api, learning360_emulator: EmulatorServer) -> None:
    third_page_url = api.http.get(api.get(STATS).links["next"]["url"], headers=api.headers()).links["next"]["url"]
    learning360_emulator.arm_anomaly(path=STATS, truncate_after_pages=1)
    late = api.http.get(third_page_url, headers=api.headers())
    assert late.status_code == 200 and late.json() == [] and "link" not in late.headers


# -- raw literals --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
def test_raw_literals_are_written_as_bytes(api: Api, learning360_emulator: EmulatorServer, literal: str) -> None:
    clean = api.get(STATS)
    target = clean.json()[3]
    learning360_emulator.arm_anomaly(path=STATS, ids=[target["_id"]], literals={"progress": literal, "score": literal})
    broken = api.get(STATS)
    assert f'"progress":{literal},'.encode() in broken.content and f'"score":{literal}'.encode() in broken.content
    if "Infinity" in literal or literal == "NaN":
        with pytest.raises(ValueError):
            _strict(broken.content)  # not JSON any more
    else:  # JSON's grammar, but no double holds it
        assert _strict(broken.content)[3]["progress"] == float(literal)
        assert json.loads(broken.content, parse_float=Decimal)[3]["progress"] == Decimal(literal)
    rows = json.loads(broken.content)
    value = rows[3]["progress"]
    if literal == "NaN":
        assert math.isnan(value) and math.isnan(rows[3]["score"])
    else:
        assert value == rows[3]["score"] == (-math.inf if literal.startswith("-") else math.inf)
    assert broken.headers[ROWS_HEADER] == "3"
    assert {k: v for k, v in rows[3].items() if k not in ("progress", "score")} == {
        k: v for k, v in target.items() if k not in ("progress", "score")
    }
    assert rows[:3] + rows[4:] == clean.json()[:3] + clean.json()[4:], "the other rows are the clean ones"
    assert "link" in broken.headers, "row anomalies keep paging"


def test_a_raw_literal_may_add_a_field(api: Api, learning360_emulator: EmulatorServer) -> None:
    learning360_emulator.arm_anomaly(path=STATS, first=1, literals={"bigNumber": "123456789012345678901234567890"})
    row = json.loads(api.get(STATS).content)[0]
    assert row["bigNumber"] == 123456789012345678901234567890


# -- drift and arbitrary values --------------------------------------------------------------------------------------
def test_drifted_values_round_trip(api: Api, learning360_emulator: EmulatorServer) -> None:
    clean = api.get(STATS).json()
    values: dict[str, Any] = {
        "progress": "s0",
        "completedAt": FAR_FUTURE,
        "_id\u0000": "a key that differs from _id only by a NUL",
        "nested": {"list": [1, None, True, "x"], "empty": {}},
    }
    learning360_emulator.arm_anomaly(path=STATS, first=4, values=values)
    values_later = {**values, "nested": {"list": [1, None, True, "x"], "empty": {}}}
    values["nested"]["list"].append("changed after arming")  # the armed anomaly keeps its own copy
    rows = _strict(api.get(STATS).content)  # still JSON: only types drift
    values = values_later
    for row, before in zip(rows[:4], clean[:4], strict=True):
        assert row == {**before, **values}
        assert "_id" in row and "_id\u0000" in row
    assert rows[4:] == clean[4:]


def test_a_key_id_holding_a_nul(api: Api, learning360_emulator: EmulatorServer) -> None:
    target = api.get(STATS).json()[0]["_id"]
    nul_id = target[:12] + "\u0000" + target[12:]
    learning360_emulator.arm_anomaly(path=STATS, ids=[target], values={"_id": nul_id})
    response = api.get(STATS)
    assert b"\\u0000" in response.content
    assert response.json()[0]["_id"] == nul_id and response.headers[ROWS_HEADER] == "0"


# -- extra fields ----------------------------------------------------------------------------------------------------
def test_1700_extra_fields(api: Api, learning360_emulator: EmulatorServer) -> None:
    clean = api.get(STATS).json()
    learning360_emulator.arm_anomaly(path=STATS, first=2, extra_fields=1700)
    rows = api.get(STATS).json()
    for row, before in zip(rows[:2], clean[:2], strict=True):
        extra = {k: v for k, v in row.items() if k not in before}
        assert len(extra) == 1700
        assert extra["extraField0000"] == 0 and extra["extraField1699"] == 1699
        assert {k: row[k] for k in before} == before
    assert rows[2:] == clean[2:]


def test_extra_field_names_sharing_their_first_63_characters(api: Api, learning360_emulator: EmulatorServer) -> None:
    prefix = "aVeryLongFieldNameThatAWarehouseWouldTruncateAtSixtyThreeChars_"
    assert len(prefix) == 63
    learning360_emulator.arm_anomaly(path=STATS, extra_fields=2, extra_prefix=prefix)
    rows = api.get(STATS).json()
    assert all(row[prefix + "0000"] == 0 and row[prefix + "0001"] == 1 for row in rows), "every row by default"
    assert len({name[:63] for name in rows[0] if name.startswith(prefix)}) == 1


def test_first_counts_rows_across_pages(api: Api, learning360_emulator: EmulatorServer) -> None:
    learning360_emulator.arm_anomaly(path=STATS, first=502, values={"progress": "drift"})
    pages = _walk(api, STATS)
    assert [r.headers.get(ROWS_HEADER, "") for r in pages] == [",".join(map(str, range(500))), "0,1", ""]
    assert [row["progress"] for row in _rows(pages)].count("drift") == 502


def test_anomalies_combine_in_arming_order(api: Api, learning360_emulator: EmulatorServer) -> None:
    first = learning360_emulator.arm_anomaly(path=STATS, first=2, literals={"progress": "NaN"})
    second = learning360_emulator.arm_anomaly(path=STATS, first=1, values={"progress": 7}, truncate_after_pages=1)
    response = api.get(STATS)
    rows = json.loads(response.content)
    assert rows[0]["progress"] == 7, "the later anomaly wins on the same field"
    assert math.isnan(rows[1]["progress"])
    assert response.headers[ANOMALY_HEADER] == f"{first['id']},{second['id']}"
    assert response.headers[ROWS_HEADER] == "0,1" and "link" not in response.headers


# -- validation of the rest ------------------------------------------------------------------------------------------
def test_broken_rows_skip_the_contract_check_and_untouched_rows_still_validate(
    api: Api, learning360_emulator: EmulatorServer
) -> None:
    learning360_emulator.arm_anomaly(path=STATS, first=3, literals={"progress": "NaN"}, values={"score": "s0"})
    broken = api.get(STATS)
    raw_errors = ContractValidator().response_errors("GET", str(broken.url), 200, dict(broken.headers), broken.content)
    assert raw_errors and "not valid JSON" in raw_errors[0], "the raw answer breaks the contract"
    kept = json.loads(without_broken_rows(dict(broken.headers), broken.content))
    assert len(kept) == 497 and schema_errors(ACTIONS["list_courses_statistics"], 200, kept) == []
    assert exchange_errors(learning360_emulator) == []
    # A row broken without an anomaly (out of contract by other means) is still caught next to broken ones.
    learning360_emulator.state.add_row("course_stats", {"progress": "not a number"}, validate=False)
    api.pages(STATS)
    problems = contract_errors(learning360_emulator.state, requests_must_validate=False)
    assert len(problems) == 1 and "$[250].progress" in problems[0], problems
    learning360_emulator.state.clear_exchanges()  # that violation was deliberate


def test_without_broken_rows_leaves_clean_answers_alone() -> None:
    body = b'[{"a":1},{"a":2}]'
    assert without_broken_rows({}, body) is body
    assert without_broken_rows({ROWS_HEADER.lower(): "1"}, b'[{"a":1},{"a":NaN}]') == b'[{"a":1}]'


# -- clearing, reset and the page cache ------------------------------------------------------------------------------
def test_clearing_restores_the_clean_answer_and_the_cache_never_serves_a_stale_page(
    api: Api, learning360_emulator: EmulatorServer
) -> None:
    state = learning360_emulator.state
    clean = [r.content for r in _walk(api, STATS)]  # the cache now holds the clean pages
    anomaly = learning360_emulator.arm_anomaly(
        path=STATS, first=1, literals={"progress": "NaN"}, truncate_after_pages=2
    )
    cached = len(state.page_cache)
    hits = state.page_cache.hits
    broken = [r.content for r in _walk(api, STATS)]
    assert len(broken) == 2 and b"NaN" in broken[0]
    assert (len(state.page_cache), state.page_cache.hits) == (cached, hits), "armed: neither read nor filled"
    assert learning360_emulator.clear_anomalies(anomaly["id"]) == 1
    assert [r.content for r in _walk(api, STATS)] == clean
    assert state.page_cache.hits == hits + 3, "the clean pages come from the cache again"
    learning360_emulator.arm_anomaly(path=STATS, first=1, literals={"progress": "NaN"}, truncate_after_pages=2)
    assert [r.content for r in _walk(api, STATS)] == broken, "deterministic: armed again, the same bytes"


def test_control_interface_lists_clears_and_reset_disarms(api: Api, learning360_emulator: EmulatorServer) -> None:
    http = api.http
    first = http.post("/_emulator/anomalies", json={"path": STATS, "truncate_after_pages": 1})
    assert first.status_code == 201
    second = http.post("/_emulator/anomalies", json={"path": "list_users", "first": 1, "values": {"mail": 5}})
    assert second.status_code == 201
    listed = http.get("/_emulator/anomalies").json()
    assert listed == [first.json(), second.json()]
    assert listed[0] == {"id": "a1", "path": STATS, "action": "list_courses_statistics", "truncate_after_pages": 1}
    assert listed[1]["action"] == "list_users" and listed[1]["values"] == {"mail": 5}
    assert http.delete("/_emulator/anomalies/a1").status_code == 204
    assert [a["id"] for a in http.get("/_emulator/anomalies").json()] == ["a2"]
    missing = http.delete("/_emulator/anomalies/a1")
    assert missing.status_code == 404 and "a1" in missing.json()["error"]["message"]
    assert len(_walk(api, STATS)) == 3
    assert api.get("/api/v2/users").json()[0]["mail"] == 5
    assert http.delete("/_emulator/anomalies").status_code == 204 and http.get("/_emulator/anomalies").json() == []
    http.post("/_emulator/anomalies", json={"path": STATS, "truncate_after_pages": 1})
    assert http.post("/_emulator/reset").status_code == 200
    assert http.get("/_emulator/anomalies").json() == []
    fresh = Api(learning360_emulator)
    assert len(_walk(fresh, STATS)) == 3, "a reset disarms every anomaly"
    fresh.close()


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ({}, "'path' is required"),
        ({"path": "/api/v2/users/0123456789abcdef01234567", "first": 1, "values": {"a": 1}}, "no list path"),
        ({"path": "create_user", "truncate_after_pages": 1}, "no list action"),
        ({"path": "/api/v2/paths/{pathId}/sessions", "truncate_after_pages": 1}, "name its action"),
        ({"path": STATS}, "at least one of"),
        ({"path": STATS, "first": 1}, "at least one of"),
        ({"path": STATS, "truncate_after_pages": 1, "first": 2}, "choose rows for"),
        ({"path": STATS, "truncate_after_pages": 0}, "'truncate_after_pages' must be an integer >= 1"),
        ({"path": STATS, "literals": {"progress": "nan"}}, "'literals.progress'"),
        ({"path": STATS, "literals": {"progress": 1}}, "'literals.progress'"),
        ({"path": STATS, "ids": ["x"], "first": 1, "values": {"a": 1}}, "exclude each other"),
        ({"path": STATS, "ids": "x", "values": {"a": 1}}, "'ids' must be a list"),
        ({"path": STATS, "extra_fields": -1}, "'extra_fields' must be an integer >= 0"),
        ({"path": STATS, "extra_fields": 1, "extra_prefix": ""}, "'extra_prefix'"),
        ({"path": STATS, "truncate_after_pages": 1, "typo": 1}, "unknown anomaly field(s) ['typo']"),
    ],
)
def test_a_bad_spec_is_refused_naming_the_field(api: Api, spec: dict[str, Any], needle: str) -> None:
    response = api.http.post("/_emulator/anomalies", json=spec)
    assert response.status_code == 400 and needle in response.json()["error"]["message"], response.text
    assert api.http.get("/_emulator/anomalies").json() == []


def test_a_value_json_cannot_carry_is_refused_naming_the_field(learning360_emulator: EmulatorServer) -> None:
    with pytest.raises(ValueError, match=r"'values\.progress' holds NaN or an infinity.*'literals'"):
        learning360_emulator.arm_anomaly(path=STATS, values={"progress": math.nan})
    with pytest.raises(ValueError, match=r"'values\.deep' holds NaN"):
        learning360_emulator.arm_anomaly(path=STATS, values={"deep": {"x": [math.inf]}})
    with pytest.raises(ValueError, match=r"'values\.when' is not a JSON value"):
        learning360_emulator.arm_anomaly(path=STATS, values={"when": {1, 2}})
    assert learning360_emulator.anomalies() == []


# -- scope: one path, one action -------------------------------------------------------------------------------------
def test_an_anomaly_applies_only_to_its_path(api: Api, learning360_emulator: EmulatorServer) -> None:
    clean_stats = api.get(STATS).content
    clean_path_stats = api.get(PATH_STATS).content
    learning360_emulator.arm_anomaly(path=PATH_STATS, literals={"progress": "NaN"})
    assert api.get(STATS).content == clean_stats
    broken = api.get(PATH_STATS)
    assert broken.content != clean_path_stats and broken.content.count(b'"progress":NaN') == len(broken.json())
    assert api.get("/api/v2/users").headers.get(ANOMALY_HEADER) is None


def test_a_concrete_path_or_every_path_of_an_action(api: Api, learning360_emulator: EmulatorServer) -> None:
    tenant = learning360_emulator.state.tenant
    one, other = (f"/api/v2/paths/{tenant.path_ids[i]}/sessions" for i in (0, 1))
    assert api.get(one).json() and api.get(other).json()
    with armed(learning360_emulator, path=one, values={"name": 1}):
        assert ANOMALY_HEADER in api.get(one).headers and ANOMALY_HEADER not in api.get(other).headers
    with armed(learning360_emulator, path="list_path_sessions", values={"name": 1}):
        assert all(api.get(p).json()[0]["name"] == 1 for p in (one, other))
    assert learning360_emulator.anomalies() == [], "the with block disarms"
    assert ANOMALY_HEADER not in api.get(one).headers


def test_errors_are_not_broken(api: Api, learning360_emulator: EmulatorServer) -> None:
    learning360_emulator.arm_anomaly(path=STATS, literals={"progress": "NaN"})
    bad = api.get(STATS, {"unknown": "1"})
    assert bad.status_code == 400 and ANOMALY_HEADER not in bad.headers


# -- seeds and out-of-process emulators -----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 7, 2026])
def test_every_anomaly_at_several_seeds(learning360_emulator_factory: Any, make_api: Any, seed: int) -> None:
    server = learning360_emulator_factory(seed=seed)
    api = make_api(server)
    clean = _walk(api, STATS)
    assert len(clean) >= 2
    server.arm_anomaly(path=STATS, truncate_after_pages=1)
    server.arm_anomaly(path=STATS, first=2, literals={"progress": "1e999"}, values={"completedAt": FAR_FUTURE})
    server.arm_anomaly(path=STATS, first=1, extra_fields=3)
    pages = _walk(api, STATS)
    assert len(pages) == 1 and "link" not in pages[0].headers
    assert b'"progress":1e999' in pages[0].content and pages[0].headers[ROWS_HEADER] == "0,1"
    rows = json.loads(pages[0].content)
    assert [r["progress"] for r in rows[:2]] == [math.inf, math.inf]
    assert [r["completedAt"] for r in rows[:2]] == [FAR_FUTURE] * 2
    assert rows[0]["extraField0002"] == 2 and "extraField0000" not in rows[1]
    assert rows[2:] == clean[0].json()[2:]
    assert [r.content for r in _walk(make_api(server), STATS)] == [p.content for p in pages], "deterministic"
    server.clear_anomalies()
    assert [r.content for r in _walk(api, STATS)] == [r.content for r in clean]


def test_the_helpers_drive_an_emulator_by_its_url(api: Api, learning360_emulator: EmulatorServer) -> None:
    url = learning360_emulator.url
    anomaly = arm_anomaly(url, path=STATS, truncate_after_pages=1)
    assert learning360_emulator.anomalies() == [anomaly]
    assert len(_walk(api, STATS)) == 1
    with pytest.raises(ValueError, match=r"400.*truncate_after_pages"):
        arm_anomaly(url, path=STATS, truncate_after_pages="one")
    clear_anomalies(url, anomaly["id"])
    assert learning360_emulator.anomalies() == []
    with armed(url, path=STATS, truncate_after_pages=2):
        assert len(_walk(api, STATS)) == 2
    assert len(_walk(api, STATS)) == 3


# -- the documentation -----------------------------------------------------------------------------------------------
def _docs_section() -> str:
    text = (Path(__file__).resolve().parents[3] / "docs" / "emulator.md").read_text(encoding="utf-8")
    return text.split("\n## Broken answers\n", 1)[1].split("\n## ", 1)[0]


def test_the_docs_name_every_key_and_their_example_runs(learning360_emulator: EmulatorServer) -> None:
    section = _docs_section()
    assert all(f"`{key}`" in section for key in SPEC_FIELDS)
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/emulator.md", "exec"), namespace)
    example = next(v for k, v in namespace.items() if k.startswith("test_"))
    example(learning360_emulator)
    assert learning360_emulator.anomalies() == []
