"""The action registry is derived from the official documents, complete and uniquely named."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.actions.registry import DOCUMENTS, derived_name

PACKAGE_SPEC = Path(__file__).parents[3] / "airflow_provider_360learning" / "spec"
SHARED_SPEC = Path(__file__).parents[4] / "shared" / "spec"


def _operations() -> list[tuple[str, str, str]]:
    ops = []
    for api, filename in DOCUMENTS.items():
        doc = json.loads((PACKAGE_SPEC / filename).read_text())
        for path, item in doc["paths"].items():
            ops.extend(
                (api, method.upper(), path) for method in item if method in ("get", "post", "put", "patch", "delete")
            )
    return ops


def test_every_operation_of_the_three_documents_is_an_action() -> None:
    operations = _operations()
    assert len(operations) == 161
    registered = {(a.api, a.method, a.path) for a in ACTIONS.values()}
    assert registered == set(operations)
    assert len(ACTIONS) == 161


def test_actions_csv_names_method_path_scope_and_page_size_are_kept() -> None:
    rows = list(csv.DictReader((PACKAGE_SPEC / "actions.csv").open()))
    assert len(rows) == 78
    for row in rows:
        action = ACTIONS[row["action"]]
        assert (action.method, action.path) == (row["method"], row["path"])
        assert action.scope == row["scope"]
        assert action.page_size == (int(row["page_size"]) if row["page_size"] else None)
        assert action.in_actions_csv


def test_other_names_follow_the_stated_rule() -> None:
    for action in ACTIONS.values():
        if not action.in_actions_csv:
            assert action.name == derived_name(action.operation_id)
    assert ACTIONS["get_user_certificates"].path == "/api/v2/users/{userId}/certificates"
    assert ACTIONS["get_path_stats"].path == "/api/v2/paths/stats"
    assert ACTIONS["get_path_stats"].page_size == 2000


@pytest.mark.skipif(not SHARED_SPEC.exists(), reason="../shared/spec not beside the checkout")
def test_shipped_documents_are_the_official_ones() -> None:
    for name in [*DOCUMENTS.values(), "actions.csv"]:
        assert (PACKAGE_SPEC / name).read_bytes() == (SHARED_SPEC / name).read_bytes(), name


def test_every_authenticated_action_declares_a_scope_and_the_version_header() -> None:
    for action in ACTIONS.values():
        if action.name == "generate_token":
            assert action.scope is None
            continue
        assert action.scope, action.name
        assert any(p.name == "360-api-version" and p.location == "header" for p in action.parameters), action.name


def test_unknown_action_error_names_it() -> None:
    with pytest.raises(KeyError, match="list_userz"):
        ACTIONS["list_userz"]


def _stated_endpoint_rates() -> dict[tuple[str, str], float]:
    """``{(METHOD, path): rate}`` for each operation whose texts (its description or any of its responses')
    give it a rate limit of its own, read with a looser pattern than the registry's."""
    stated = {}
    for api, filename in DOCUMENTS.items():
        doc = json.loads((PACKAGE_SPEC / filename).read_text())
        for path, item in doc["paths"].items():
            for method, op in item.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                texts = [
                    op.get("description", ""),
                    *(r.get("description", "") for r in op.get("responses", {}).values()),
                ]
                for text in texts:
                    found = re.search(r"rate limit of ([\d.]+) requests? (?:per|/|a) second", text, re.IGNORECASE)
                    if found:
                        stated[(method.upper(), path)] = float(found.group(1))
                        assert api == "core", (api, method, path)
    return stated


def test_endpoint_rate_limits_are_what_the_descriptions_say() -> None:
    stated = _stated_endpoint_rates()
    assert stated, "the core document names endpoints with a rate limit of their own"
    registered = {(a.method, a.path): a.endpoint_rate_limit for a in ACTIONS.values() if a.endpoint_rate_limit}
    assert registered == stated
    assert set(stated.values()) == {1.0}
    # Today: creating and editing an eLearning standard course (SCORM/AICC/xAPI packages).
    assert set(registered) == {
        ("POST", "/api/v2/courses/elearning-standard"),
        ("PATCH", "/api/v2/courses/elearning-standard/{courseId}"),
    }


def test_only_the_bulk_documents_operations_are_outside_the_request_budgets() -> None:
    outside = {a.name for a in ACTIONS.values() if not a.counts_against_budget}
    assert outside == {a.name for a in ACTIONS.values() if a.api == "bulk"}
    assert outside, "the Bulk API document has operations"
    assert all(a.counts_against_budget for a in ACTIONS.values() if a.api in ("core", "webhook"))


def test_an_endpoint_rate_stated_only_in_the_429_description_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    import copy

    from airflow_provider_360learning.actions import registry

    original = registry.load_document
    core = copy.deepcopy(dict(original("core").contents))
    op = core["paths"]["/api/v2/courses/elearning-standard"]["post"]
    op["description"] = re.sub(r"This endpoint has a specific rate limit[^.]*\.", "", op["description"])
    assert "rate limit" not in op["description"] and "rate limit" in op["responses"]["429"]["description"]
    patched = registry.ApiDocument(api="core", filename="core", contents=core)
    monkeypatch.setattr(registry, "load_document", lambda api: patched if api == "core" else original(api))
    actions = registry.build_actions()
    assert actions["create_e_learning_standard_course"].endpoint_rate_limit == 1.0
