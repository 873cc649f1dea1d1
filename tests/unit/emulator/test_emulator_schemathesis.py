"""Schemathesis over the three official documents against the emulator: every one of the 161 operations, positive
mode (valid requests only), the documents' examples then fuzzing, a few cases per operation, the same cases every
run (deterministic generation, no example database: the suite stays reproducible).

The emulator runs in-process (its ASGI app, no server); requests carry a token got with the emulator's OAuth client
credentials and the ``360-api-version`` header the documents require. A valid request must not be refused: a 400 is
accepted when its code is one the operation documents for such a request (a session that has ended...), or when it
is one of the emulator's documented strictness rules (docs/emulator.md, "Strictness"), matched precisely:

- a body property the schema does not declare (the schemas do not say ``additionalProperties: false``);
- a filter not in the documented bracket form (``completedAt=...`` instead of ``completedAt[gte]=...``, or an
  operator the filter does not list): the filters' ``deepObject`` schemas have no ``type``, so any value is valid.

Every answer is then checked by schemathesis (status code, content type, headers and body against the documents),
except the answers the documents cannot describe (``errors.answer_outside_documents``).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import schemathesis
from schemathesis.checks import positive_data_acceptance
from schemathesis.config import SchemathesisConfig
from starlette.testclient import TestClient

from airflow_provider_360learning.actions import ACTIONS, Action, load_document
from airflow_provider_360learning.emulator.app import create_app
from airflow_provider_360learning.emulator.config import EmulatorConfig
from airflow_provider_360learning.emulator.errors import answer_outside_documents, documented_errors
from airflow_provider_360learning.emulator.state import EmulatorState

MAX_EXAMPLES = 6
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"mode": "positive", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {
            "examples": {"enabled": True},
            "fuzzing": {"enabled": True},
            "coverage": {"enabled": False},
            "stateful": {"enabled": False},
        },
    }
)
STATE = EmulatorState(EmulatorConfig(response_cache_mb=0, bulk_seconds_per_state=0))
APP = create_app(state=STATE)
BY_ROUTE: dict[tuple[str, str], Action] = {(a.method, a.path): a for a in ACTIONS.values()}

QUOTED = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
"""A Python ``repr`` of a string, as the emulator's messages quote names (``'\\x1f'``)."""
UNKNOWN_PROPERTY = re.compile(rf"^invalid request body: property (?P<name>{QUOTED}) should not exist$")
FILTER_NOT_BRACKETED = re.compile(r"^query parameter '(?P<name>[^']+)' is a filter: use the bracket notation")
UNKNOWN_OPERATOR = re.compile(rf"^unknown operator (?P<op>{QUOTED}) in {QUOTED}; '(?P<name>[^']+)' accepts")
UNKNOWN_KEY = re.compile(rf"^unknown query parameter (?P<key>{QUOTED}) for ")
MULTIPART_NAME_ESCAPES = {'"': "%22", "\r": "%0D", "\n": "%0A"}
"""How a multipart part name is escaped in ``Content-Disposition`` (the emulator reads the escaped name)."""


def _schema(api: str, *, bracketed: bool = False) -> Any:
    raw = json.loads(json.dumps(dict(load_document(api).contents)))  # a plain, mutable copy
    if bracketed:
        _bracket_filters(raw)
    schema = schemathesis.openapi.from_dict(raw, config=CONFIG)
    schema.app = APP
    return schema


def _bracket_filters(raw: dict[str, Any]) -> None:
    """Each filter (``deepObject``) as an object of the operators it lists, nothing else: what the documents'
    descriptions say ("Filter on ... with LHS bracket notation") and their schemas leave open (no ``type``)."""
    for item in raw["paths"].values():
        for operation in item.values():
            for param in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if param.get("style") == "deepObject":
                    param["schema"] = {**param["schema"], "type": "object", "additionalProperties": False}


CORE, BULK, WEBHOOK = (_schema(api) for api in ("core", "bulk", "webhook"))
FILTERED = {a.operation_id for a in ACTIONS.values() if any(p.is_filter for p in a.query_parameters)}
"""Operations with bracket filters: run again with the filters in their documented form, so that valid filters
(``completedAt[gte]=...``), not only the refused forms, are sent."""
CORE_FILTERS, WEBHOOK_FILTERS = (
    _schema(api, bracketed=True).include(operation_id=sorted(FILTERED)) for api in ("core", "webhook")
)


class EmulatorToken:
    """A token from the emulator's token endpoint, with the client credentials it was started with."""

    def get(self, case: Any, context: Any) -> str:
        config = STATE.config
        body = {
            "grant_type": "client_credentials",
            "client_id": config.client_id,
            "client_secret": config.client_secret,
        }
        with TestClient(APP) as client:
            return str(client.post("/api/v2/oauth2/token", json=body).json()["access_token"])

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


for _schema_of_api in (CORE, BULK, WEBHOOK):
    _schema_of_api.auth()(EmulatorToken)


def keys(value: Any) -> Iterator[str]:
    """Every object key of a JSON value, nested ones included, and its multipart-escaped form."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield "".join(MULTIPART_NAME_ESCAPES.get(ch, ch) for ch in str(key))
            yield from keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys(item)


def sent_operators(query: Mapping[str, Any], name: str) -> set[str] | None:
    """The bracket operators sent for filter ``name`` (``None``: sent in plain form, or not sent)."""
    nested = query.get(name)
    if nested is not None:
        return set(map(str, nested)) if isinstance(nested, Mapping) else None
    flat = {str(k)[len(name) + 1 : -1] for k in query if str(k).startswith(name + "[") and str(k).endswith("]")}
    return flat or None


def filter_operators(action: Action, name: str) -> tuple[str, ...] | None:
    """The operators of filter ``name`` of the action (``None``: not a filter)."""
    param = next((p for p in action.query_parameters if p.name == name), None)
    return param.operators if param is not None and param.is_filter else None


def documented_strictness(case: Any, action: Action, status: int, body: Any) -> str | None:
    """Which documented strictness rule explains this refusal of a valid request, checked against what was sent."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if status != 400 or not isinstance(error, Mapping):
        return None
    code, message = error.get("code"), str(error.get("message", ""))
    unknown = UNKNOWN_PROPERTY.match(message)
    if code == "badRequest" and unknown and ast.literal_eval(unknown["name"]) in set(keys(case.body)):
        return "unknown body property"
    if code != "invalidQueryParameter":
        return None
    query = case.query or {}
    plain = FILTER_NOT_BRACKETED.match(message)
    name = plain["name"] if plain else ""
    if plain and filter_operators(action, name) is not None and name in query and sent_operators(query, name) is None:
        return "filter not in bracket form"
    nested = UNKNOWN_KEY.match(message)
    if nested:  # ``status[][]``: an object nested in a filter's operator, beyond any bracket form
        key = ast.literal_eval(nested["key"])
        name = key.split("[", 1)[0]
        sent = name in query or any(str(k).startswith(name + "[") for k in query)
        if filter_operators(action, name) is not None and key.startswith(name + "[") and sent:
            return "filter not in bracket form"
    other = UNKNOWN_OPERATOR.match(message)
    if other:
        operators, op = filter_operators(action, other["name"]), ast.literal_eval(other["op"])
        if operators is not None and op not in operators and op in (sent_operators(query, other["name"]) or ()):
            return "filter not in bracket form"
    return None


def check(case: Any, *, strictness: bool = True) -> None:
    """Send the case; a refusal passes only as a documented error or (``strictness``) a documented strictness."""
    action = BY_ROUTE[(case.method.upper(), case.path)]
    response = case.call()
    try:
        body = response.json()
    except ValueError:
        body = None
    if strictness and documented_strictness(case, action, response.status_code, body) is not None:
        return
    if response.status_code == 400:
        code = body.get("error") if isinstance(body, Mapping) else None
        code = code.get("code") if isinstance(code, Mapping) else code
        assert code in documented_errors(action.name, "400"), (
            f"{action.describe()} refused a valid request: {response.status_code} {response.text[:500]} "
            f"(query {case.query!r}, body {case.body!r})"
        )
    if answer_outside_documents(action.name, response.status_code, response.content):
        return
    case.validate_response(response, excluded_checks=[positive_data_acceptance])


@pytest.fixture(autouse=True)
def seeded_state() -> Iterator[None]:
    """Each operation starts from the seeded tenant (tokens stay valid)."""
    STATE.reset(keep_tokens=True)
    yield


@CORE.parametrize()
def test_core_api(case: Any) -> None:
    check(case)


@BULK.parametrize()
def test_bulk_api(case: Any) -> None:
    check(case)


@WEBHOOK.parametrize()
def test_webhook_api(case: Any) -> None:
    check(case)


@CORE_FILTERS.parametrize()
def test_core_filters_in_bracket_form(case: Any) -> None:
    check(case, strictness=False)


@WEBHOOK_FILTERS.parametrize()
def test_webhook_filters_in_bracket_form(case: Any) -> None:
    check(case, strictness=False)


def test_every_operation_is_covered() -> None:
    """The three documents hold the 161 operations of the action registry, no more, no fewer."""
    operations = {
        (op.method.upper(), op.path)
        for schema in (CORE, BULK, WEBHOOK)
        for op in (result.ok() for result in schema.get_all_operations())
    }
    assert operations == set(BY_ROUTE) and len(operations) == len(ACTIONS) == 161


# -- the two valid requests schemathesis found refused (issue 17), and the precision of the accepted findings --------
@pytest.fixture
def api() -> Iterator[TestClient]:
    token = EmulatorToken().get(None, None)
    with TestClient(APP, headers={"Authorization": f"Bearer {token}", "360-api-version": "v2.0"}) as client:
        yield client


def test_an_empty_multipart_form_edits_nothing(api: TestClient) -> None:
    """PATCH /paths/{pathId} with no field: the close delimiter alone, as clients send an empty form."""
    path_id = STATE.tenant.path_ids[0]
    boundary = "3f0c0e5bd1e14c4a9c1c0b1f0f5e2a77"
    response = api.patch(
        f"/api/v2/paths/{path_id}",
        content=f"--{boundary}--\r\n".encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == STATE.tenant.paths.item(0)["name"]
    broken = api.patch(
        f"/api/v2/paths/{path_id}",
        content=b"--other--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert broken.status_code == 400 and "multipart" in broken.json()["error"]["message"]


@pytest.mark.parametrize(
    "ip_filtering", [None, {"active": True, "authorizedAddresses": ["141.25.186.74", "96.127.36.47/28"]}]
)
def test_ip_filtering_of_a_session_is_set_and_removed(api: TestClient, ip_filtering: Any) -> None:
    """``ipFiltering`` is ``nullable`` beside an ``allOf`` reference: ``null`` removes it, an object sets it."""
    path_id, session_id = STATE.tenant.path_ids[0], STATE.tenant.session_ids[0]
    url = f"/api/v2/paths/{path_id}/sessions/{session_id}"
    response = api.patch(url, json={"ipFiltering": ip_filtering})
    assert response.status_code == 200, response.text
    assert response.json().get("ipFiltering") == ip_filtering
    assert api.patch(url, json={"ipFiltering": {"active": True}}).status_code == 400  # still validated


class Sent:
    """A stand-in for a schemathesis case: only what ``documented_strictness`` reads."""

    def __init__(self, query: Any = None, body: Any = None) -> None:
        self.query, self.body = query, body


def refusal(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def test_only_the_documented_strictness_is_accepted() -> None:
    """The accepted findings match what was sent: not any 400 that looks like them."""
    users, stats = ACTIONS["list_users"], ACTIONS["list_courses_statistics"]
    prop = refusal("badRequest", "invalid request body: property 'fistName' should not exist")
    assert documented_strictness(Sent(body={"fistName": "A"}), users, 400, prop) == "unknown body property"
    assert documented_strictness(Sent(body={"firstName": "A"}), users, 400, prop) is None
    assert documented_strictness(Sent(body={"fistName": "A"}), users, 404, prop) is None
    plain = refusal(
        "invalidQueryParameter", "query parameter 'completedAt' is a filter: use the bracket notation (...)"
    )
    assert documented_strictness(Sent(query={"completedAt": "2020"}), stats, 400, plain) == "filter not in bracket form"
    bracketed = Sent(query={"completedAt": {"gte": "2020-01-01T00:00:00Z"}})
    assert documented_strictness(bracketed, stats, 400, plain) is None
    operator = refusal(
        "invalidQueryParameter", "unknown operator 'eq' in 'completedAt[eq]'; 'completedAt' accepts lt, gte"
    )
    assert documented_strictness(Sent(query={"completedAt": {"eq": "x"}}), stats, 400, operator) is not None
    assert documented_strictness(Sent(query={"completedAt": {"gte": "x"}}), stats, 400, operator) is None
    value = refusal(
        "invalidQueryParameter", "invalid value for query parameter 'completedAt[gte]': expected a date-time"
    )
    assert documented_strictness(Sent(query={"completedAt": {"gte": "x"}}), stats, 400, value) is None
