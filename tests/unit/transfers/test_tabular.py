"""``transfers.tabular``: columns derived from the official schemas, pages typed into frames, misfit rows rejected.

Realistic pages come from the emulator through the hook (what the transfer operator streams); bad rows
are realistic rows with one field broken, so each reject test names the one problem it plants.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.transfers.tabular import (
    MAX_IDENTIFIER,
    OVERFLOW_COLUMN,
    PANDAS_DTYPES,
    Column,
    columns_for,
    extra_column_name,
    hashed_name,
    key_columns,
    page_to_frame,
    quarantine_non_finite,
    schema_kind,
    warehouse_name,
)

# Every column of the seven warehouse streams: ``name:kind``, ``!`` when the schema requires the field.
EXPECTED_COLUMNS = {
    "list_users": "id!:text mail:text username:text status!:text lang!:text first_name:text last_name:text job:text "
    "organization:text phone:text custom:text deleted_at:json primary_group_id:text reactivated_at:json "
    "last_login_date:timestamp to_be_deactivated_at:timestamp profile_image_id:text",
    "list_groups": "privacy_policy:json moderation_charter:json terms_of_use:json imprint:json banner_image_id:text "
    "background_image_id:text favicon_image_id:text logo_image_id:text subdomain:text url:text id!:text name!:text "
    "custom:text public!:boolean parent_id:text",
    "list_courses": "name!:text source_lang!:text author_id!:text group_id!:text co_author_ids!:json description:text "
    "duration:float id!:text created_at!:timestamp default_lang!:text modified_at!:timestamp status!:text "
    "translations!:json type!:text external_platform:text current_version_number:integer collaborative_learning:boolean",
    "list_courses_statistics": "id!:text version_number:integer lang!:text first_activity_at:timestamp "
    "last_activity_at:timestamp time_spent!:float progress!:integer score:integer completed_at:timestamp path_id:text "
    "path_session_id:text course_id!:text user_id!:text",
    "list_paths": "author_id!:text certificate_id:text group_id!:text id!:text co_author_ids!:json created_at!:timestamp "
    "default_lang!:text modified_at!:timestamp name!:text options!:json source_lang!:text status!:text steps!:json "
    "translations!:json additional_information:text cover_picture:text description:text estimated_duration:json "
    "estimated_weekly_commitment:json",
    "get_all_path_sessions": "main_instructor_id!:text registration_request_validation!:text start_date!:timestamp "
    "end_date:timestamp user_limit:integer automatic_reenrollment:json ip_filtering:json id!:text created_at!:timestamp "
    "group_id!:text instructor_ids!:json is_audience_builder!:boolean modified_at!:timestamp name!:text path_id!:text "
    "additional_information:text root_session_id:text",
    "get_path_stats": "id!:text progress!:integer status!:json time_spent!:float user_id!:text completed_at:timestamp "
    "score:integer enrolled_at!:timestamp unenrolled_at:timestamp certificate_id:text self_enrolled!:boolean "
    "started_at:timestamp due_date:timestamp path_id!:text session_id!:text",
}
STREAMS = tuple(EXPECTED_COLUMNS)


def _spec(columns: list[Column]) -> str:
    return " ".join(f"{c.name}{'!' if c.required else ''}:{c.kind}" for c in columns)


@pytest.fixture(scope="module")
def emulator_pages() -> Iterator[dict[str, list[dict[str, Any]]]]:
    """The first pages of each stream, as the hook reads them from a freshly seeded emulator."""
    pytest.importorskip("starlette")
    from airflow_provider_360learning.emulator.server import EmulatorServer
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

    conn_id = f"tabular_{uuid.uuid4().hex[:8]}"
    with EmulatorServer() as server, pytest.MonkeyPatch.context() as mp:
        mp.setenv(
            f"AIRFLOW_CONN_{conn_id.upper()}",
            json.dumps(
                {
                    "conn_type": "360learning",
                    "host": server.url,
                    "login": "emulator-client-id",
                    "password": "emulator-client-secret",
                    "extra": {"region": "eu"},
                }
            ),
        )
        hook = ThreeSixtyLearningHook(conn_id)
        pages: dict[str, list[dict[str, Any]]] = {}
        for action in STREAMS:
            rows: list[dict[str, Any]] = []
            for page in hook.iter_pages(action):
                rows.extend(page)
                if len(rows) >= 600:
                    break
            pages[action] = rows
        hook.close()
        yield pages


# --- columns ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", STREAMS)
def test_columns_follow_the_typing_rule(action: str) -> None:
    assert _spec(columns_for(ACTIONS[action])) == EXPECTED_COLUMNS[action]


def test_columns_keep_the_api_field_as_source() -> None:
    by_name = {c.name: c for c in columns_for(ACTIONS["list_courses_statistics"])}
    assert by_name["id"].source == "_id"
    assert by_name["completed_at"].source == "completedAt"
    assert by_name["path_session_id"].source == "pathSessionId"
    assert key_columns(list(by_name.values())) == ("id",)


@pytest.mark.parametrize(
    ("field", "name"),
    [
        ("_id", "id"),
        ("completedAt", "completed_at"),
        ("pathSessionId", "path_session_id"),
        ("HTTPStatus", "http_status"),
        ("userID", "user_id"),
        ("score2Max", "score2_max"),
        ("foo-bar.baz", "foo_bar_baz"),
        ("1stPlace", "f_1st_place"),
        ("__", "field"),
    ],
)
def test_warehouse_names_are_snake_case(field: str, name: str) -> None:
    assert warehouse_name(field) == name


def test_every_list_action_gets_unique_columns() -> None:
    for action in ACTIONS.values():
        if not action.returns_list:
            continue
        columns = columns_for(action)
        assert columns, action.name
        assert len({c.name for c in columns}) == len(columns), action.name


def test_any_of_rows_unite_their_branches() -> None:
    """Certificates are external or path certificates: every field of either, required only if both require it."""
    columns = {c.name: c for c in columns_for(ACTIONS["get_user_certificates"])}
    assert columns["id"].required and columns["id"].kind == "text"
    assert columns["delivery_date"].kind == "timestamp"
    assert not columns["path_id"].required  # only path certificates have it


def test_scalar_rows_get_one_value_column() -> None:
    columns = columns_for(ACTIONS["list_user_managers"])
    assert [(c.name, c.kind, c.required) for c in columns] == [("value", "text", True)]
    frame, rejects, extras = page_to_frame(["507f1f77bcf86cd799439011", None, 7], columns)
    assert frame["value"].tolist() == ["507f1f77bcf86cd799439011"]
    assert [r.reason for r in rejects] == [
        "field 'value': required but missing or null",
        "field 'value': expected string, got int 7",
    ]
    assert extras == []


def test_custom_field_values_are_json_because_one_of() -> None:
    columns = {c.name: c.kind for c in columns_for(ACTIONS["list_user_custom_field_values"])}
    assert columns == {"custom_field_id": "text", "type": "text", "value": "json"}


@pytest.mark.parametrize(
    ("schema", "kind"),
    [
        ({"type": "string", "oneOf": [{"format": "date-time"}, {"minLength": 1}]}, "json"),
        ({"type": "integer", "anyOf": [{"minimum": 0}]}, "json"),
        ({"type": ["string", "null"], "format": "date-time"}, "timestamp"),
        ({"type": ["integer", "string"]}, "json"),
        ({"allOf": [{"$ref": "#/components/schemas/Day"}], "description": "why"}, "timestamp"),
        ({"type": "object", "properties": {}}, "json"),
        ({}, "json"),
    ],
)
def test_schema_kind_edge_cases(schema: dict[str, Any], kind: str) -> None:
    doc = {"components": {"schemas": {"Day": {"type": "string", "format": "date-time"}}}}
    assert schema_kind(doc, schema) == kind


def test_a_non_list_action_has_no_columns() -> None:
    with pytest.raises(ValueError, match="not a list action"):
        columns_for(ACTIONS["get_user"])


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        Column("x", "x", "date", False)  # type: ignore[arg-type]


# --- pages -----------------------------------------------------------------------------------------


def _expected(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "timestamp":
        return pd.Timestamp(value).tz_convert("UTC")
    if kind == "json":
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if kind == "float":
        return float(value)
    return value


@pytest.mark.parametrize("action", STREAMS)
def test_emulator_pages_convert_without_rejects(action: str, emulator_pages: dict[str, list[dict[str, Any]]]) -> None:
    rows = emulator_pages[action]
    columns = columns_for(ACTIONS[action])
    frame, rejects, extras = page_to_frame(rows, columns)
    assert rejects == [] and extras == []
    assert list(frame.columns) == [c.name for c in columns]
    assert len(frame) == len(rows) > 0
    for column in columns:
        assert str(frame[column.name].dtype) == PANDAS_DTYPES[column.kind], column.name
        got = [None if pd.isna(v) else v for v in frame[column.name].tolist()]
        assert got == [_expected(row.get(column.source), column.kind) for row in rows], column.name


def test_path_stats_values(emulator_pages: dict[str, list[dict[str, Any]]]) -> None:
    row = emulator_pages["get_path_stats"][0]
    frame, _, _ = page_to_frame([row], columns_for(ACTIONS["get_path_stats"]))
    record = frame.iloc[0]
    assert record["id"] == row["_id"]
    assert record["progress"] == row["progress"]
    assert record["status"] == json.dumps(row["status"], sort_keys=True, separators=(",", ":"))
    assert record["enrolled_at"] == pd.Timestamp(row["enrolledAt"])
    assert str(frame["enrolled_at"].dtype) == "datetime64[us, UTC]"


GOOD_STAT = {
    "_id": "63b21e808768070000000000",
    "userId": "63b21e808768010000000000",
    "pathId": "63b21e808768050000000000",
    "sessionId": "63b21e808768060000000000",
    "selfEnrolled": False,
    "enrolledAt": "2024-07-09T21:45:57.000Z",
    "completedAt": "2025-07-28T21:34:15.000Z",
    "progress": 100,
    "score": 51,
    "status": {"type": "successful"},
    "timeSpent": 1067693,
}


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        ({"_id": None}, None, "field '_id': required but missing or null"),
        ({"pathId": None}, GOOD_STAT["_id"], "field 'pathId': required but missing or null"),
        ({"progress": "abc"}, GOOD_STAT["_id"], "field 'progress': expected integer, got str \"abc\""),
        ({"progress": 12.5}, GOOD_STAT["_id"], "field 'progress': expected integer, got non-integral number 12.5"),
        ({"progress": True}, GOOD_STAT["_id"], "field 'progress': expected integer, got bool true"),
        (
            {"progress": 2**64},
            GOOD_STAT["_id"],
            "field 'progress': integer 18446744073709551616 does not fit in 64 bits",
        ),
        ({"timeSpent": "12"}, GOOD_STAT["_id"], "field 'timeSpent': expected number, got str \"12\""),
        ({"completedAt": "yesterday"}, GOOD_STAT["_id"], "field 'completedAt': date-time \"yesterday\" does not parse"),
        (
            {"completedAt": "2024-02-30T00:00:00Z"},
            GOOD_STAT["_id"],
            "field 'completedAt': date-time \"2024-02-30T00:00:00Z\" does not parse",
        ),
        (
            {"completedAt": 1700000000},
            GOOD_STAT["_id"],
            "field 'completedAt': expected date-time string, got int 1700000000",
        ),
        ({"userId": {"id": "x"}}, GOOD_STAT["_id"], 'field \'userId\': expected string, got object {"id":"x"}'),
        ({"selfEnrolled": "no"}, GOOD_STAT["_id"], "field 'selfEnrolled': expected boolean, got str \"no\""),
        ({"score": [1]}, GOOD_STAT["_id"], "field 'score': expected integer, got array [1]"),
    ],
)
def test_a_misfit_row_is_rejected_with_its_reason(change: dict[str, Any], key: str | None, reason: str) -> None:
    bad = {k: v for k, v in {**GOOD_STAT, **change}.items() if v is not None}
    good = [dict(GOOD_STAT, _id=f"{i:024x}") for i in range(3)]
    frame, rejects, extras = page_to_frame([good[0], bad, *good[1:]], columns_for(ACTIONS["get_path_stats"]))
    assert frame["id"].tolist() == [r["_id"] for r in good]
    assert len(rejects) == 1 and extras == []
    assert rejects[0].key == key
    assert rejects[0].reason == reason
    assert json.loads(rejects[0].payload) == bad


def test_several_problems_of_one_row_are_all_named() -> None:
    bad = dict(GOOD_STAT, progress="abc", completedAt="never")
    del bad["userId"]
    _, rejects, _ = page_to_frame([bad], columns_for(ACTIONS["get_path_stats"]))
    assert [r.reason.split("; ") for r in rejects] == [
        [
            "field 'progress': expected integer, got str \"abc\"",
            "field 'userId': required but missing or null",
            "field 'completedAt': date-time \"never\" does not parse",
        ]
    ]


def test_a_row_that_is_not_an_object_is_rejected() -> None:
    frame, rejects, _ = page_to_frame([GOOD_STAT, ["not", "a", "row"]], columns_for(ACTIONS["get_path_stats"]))
    assert len(frame) == 1
    assert rejects[0].key is None
    assert rejects[0].reason == "row is not a JSON object (got array)"
    assert json.loads(rejects[0].payload) == ["not", "a", "row"]


def test_lenient_where_json_is_ambiguous() -> None:
    """JSON has one number type: an integral float is an integer, an int is a number; offsets become UTC."""
    row = dict(GOOD_STAT, progress=40.0, timeSpent=12, completedAt="2025-01-01T02:00:00+02:00")
    frame, rejects, _ = page_to_frame([row], columns_for(ACTIONS["get_path_stats"]))
    assert rejects == []
    assert frame["progress"].tolist() == [40]
    assert frame["time_spent"].tolist() == [12.0]
    assert frame["completed_at"].tolist() == [pd.Timestamp("2025-01-01T00:00:00Z")]


def test_far_future_dates_fit() -> None:
    frame, rejects, _ = page_to_frame(
        [dict(GOOD_STAT, completedAt="9999-12-31T00:00:00.000Z")], columns_for(ACTIONS["get_path_stats"])
    )
    assert rejects == []
    assert frame["completed_at"].iloc[0].year == 9999


def test_optional_fields_may_be_null_or_absent() -> None:
    row = {k: v for k, v in GOOD_STAT.items() if k not in ("score", "completedAt")}
    frame, rejects, _ = page_to_frame([dict(row, dueDate=None)], columns_for(ACTIONS["get_path_stats"]))
    assert rejects == []
    assert frame[["score", "completed_at", "due_date"]].isna().all(axis=None)


def test_json_is_compact_with_sorted_keys() -> None:
    row = dict(GOOD_STAT, status={"type": "toRetake", "reason": "mandatoryReplay"})
    frame, _, _ = page_to_frame([row], columns_for(ACTIONS["get_path_stats"]))
    assert frame["status"].tolist() == ['{"reason":"mandatoryReplay","type":"toRetake"}']


def test_json_beyond_msgspec_falls_back_to_the_same_text() -> None:
    """msgspec cannot encode an integer beyond 64 bits: the json module then gives the same compact sorted text."""
    row = dict(GOOD_STAT, status={"type": "late", "big": 2**70, "nested": {"z": "é\n", "a": [None, 1.5]}})
    frame, rejects, _ = page_to_frame([row], columns_for(ACTIONS["get_path_stats"]))
    assert rejects == []
    assert frame["status"].tolist() == [
        '{"big":1180591620717411303424,"nested":{"a":[null,1.5],"z":"é\\n"},"type":"late"}'
    ]


def test_new_api_fields_become_text_columns_that_take_any_value() -> None:
    columns = columns_for(ACTIONS["get_path_stats"])
    rows = [
        dict(GOOD_STAT, badgeName="gold", isMandatory=True, attempts=3, ratio=1, tags=["a"], alwaysNull=None, id="dup"),
        dict(
            GOOD_STAT,
            _id="63b21e808768070000000001",
            badgeName=None,
            isMandatory=False,
            attempts=4,
            ratio=0.5,
            tags={"k": 1},
        ),
    ]
    frame, rejects, extras = page_to_frame(rows, columns)
    assert rejects == []
    assert [(c.name, c.source, c.kind, c.declared) for c in extras] == [
        ("attempts", "attempts", "text", False),
        ("badge_name", "badgeName", "text", False),
        (hashed_name("id", "id"), "id", "text", False),  # ``id`` is the declared ``_id``'s column
        ("is_mandatory", "isMandatory", "text", False),
        ("ratio", "ratio", "text", False),
        ("tags", "tags", "text", False),
    ]  # ``alwaysNull`` has no value yet: no column until one comes
    assert list(frame.columns) == [c.name for c in columns] + [c.name for c in extras]
    assert frame["badge_name"].tolist()[0] == "gold" and pd.isna(frame["badge_name"].tolist()[1])
    assert frame["is_mandatory"].tolist() == ["true", "false"]
    assert frame["attempts"].tolist() == ["3", "4"]
    assert frame["tags"].tolist() == ['["a"]', '{"k":1}']

    # A field that changes type on a later page (an integer, then a string) still loads: it has no type to drift from.
    again, rejects, more = page_to_frame([dict(GOOD_STAT, attempts="s0")], [*columns, *extras])
    assert more == [] and rejects == [] and again["attempts"].tolist() == ["s0"]


def test_a_declared_field_that_drifts_rejects_the_row_naming_the_field() -> None:
    frame, rejects, _ = page_to_frame([dict(GOOD_STAT, progress="s0")], columns_for(ACTIONS["get_path_stats"]))
    assert frame.empty and [r.reason for r in rejects] == ["field 'progress': expected integer, got str \"s0\""]
    assert rejects[0].key == GOOD_STAT["_id"]


def test_extra_column_names_are_unique_and_independent_of_order() -> None:
    columns = columns_for(ACTIONS["get_path_stats"])
    prefix = "a" * 70
    fields = {f"{prefix}One": 1, f"{prefix}Two": 2, "fooBar": 3, "fooBAR": 4, "foo_bar": 5}
    names = [
        {c.source: c.name for c in page_to_frame([dict(GOOD_STAT, **dict(order))], columns)[2]}
        for order in (
            list(fields.items()),
            list(reversed(fields.items())),
        )
    ]
    assert names[0] == names[1]
    assert len(set(names[0].values())) == len(fields)  # no two fields share a column
    assert all(len(name) <= MAX_IDENTIFIER for name in names[0].values())
    assert names[0]["fooBar"] == "foo_bar"  # the field that maps back to it keeps the plain name
    assert names[0]["foo_bar"].startswith("foo_bar_") and names[0]["fooBAR"].startswith("foo_bar_")
    assert {n for n in names[0].values()} == {extra_column_name(f, {c.name for c in columns}) for f in fields}


def test_past_the_column_limit_new_fields_overflow_into_one_json_column() -> None:
    columns = columns_for(ACTIONS["get_path_stats"])
    many = {f"field{i:04d}": i for i in range(1_700)}
    frame, rejects, extras = page_to_frame([dict(GOOD_STAT, **many)], columns, max_columns=len(columns) + 10)
    assert rejects == []
    assert [c.name for c in extras][-1] == OVERFLOW_COLUMN and len(extras) == 11
    overflow = json.loads(frame[OVERFLOW_COLUMN][0])
    kept = {c.source for c in extras}
    assert set(overflow) == set(many) - kept and len(overflow) == 1_690
    assert all(overflow[f] == many[f] for f in overflow)


def test_a_nul_in_a_key_rejects_the_row_and_elsewhere_is_kept() -> None:
    columns = columns_for(ACTIONS["get_path_stats"])
    rows = [dict(GOOD_STAT, _id="k\x00"), dict(GOOD_STAT, _id="k2", userId="u\x00")]
    frame, rejects, _ = page_to_frame(rows, columns, key=("id",))
    assert (
        [r.key for r in rejects] == ["k\\u0000"]
        and "\x00" not in rejects[0].payload
        and "NUL" in rejects[0].reason
        and "'_id'" in rejects[0].reason
    )
    assert frame["id"].tolist() == ["k2"]


def test_numbers_beyond_a_double_and_non_finite_values_are_quarantined_per_row() -> None:
    columns = columns_for(ACTIONS["get_path_stats"])
    float_column = next(c for c in columns if c.kind == "float")
    rows = [dict(GOOD_STAT, _id="big", **{float_column.source: 10**400}), dict(GOOD_STAT, _id="ok")]
    frame, rejects, _ = page_to_frame(rows, columns, key=("id",))
    assert [r.key for r in rejects] == ["big"] and "out of range" in rejects[0].reason
    assert frame["id"].tolist() == ["ok"]

    parsed = json.loads('[{"_id": "a", "progress": NaN}, {"_id": "b", "x": {"y": [1, 1e999]}}, {"_id": "c"}]')
    clean, quarantined = quarantine_non_finite(parsed, ("_id",))
    assert [r["_id"] for r in clean] == ["c"]
    assert [(r.key, r.key_values) for r in quarantined] == [("a", ("a",)), ("b", ("b",))]
    assert "'progress'" in quarantined[0].reason and "'x.y[1]'" in quarantined[1].reason


def test_an_empty_page_is_an_empty_typed_frame() -> None:
    columns = columns_for(ACTIONS["get_path_stats"])
    frame, rejects, extras = page_to_frame([], columns)
    assert frame.empty and rejects == [] and extras == []
    assert list(frame.columns) == [c.name for c in columns]
    assert str(frame["enrolled_at"].dtype) == "datetime64[us, UTC]"


def test_the_input_page_is_not_modified() -> None:
    rows = [dict(GOOD_STAT), dict(GOOD_STAT, progress="abc")]
    before = json.dumps(rows, sort_keys=True)
    page_to_frame(rows, columns_for(ACTIONS["get_path_stats"]))
    assert json.dumps(rows, sort_keys=True) == before


def test_the_typed_decoder_keeps_a_far_future_value_out_of_the_watermark() -> None:
    from airflow_provider_360learning.transfers.tabular import TypedPageDecoder

    columns = columns_for(ACTIONS["get_path_stats"])
    decoder = TypedPageDecoder(columns, key=("id",))
    late = dict(GOOD_STAT, _id="late", completedAt="9999-12-31T00:00:00.000Z")
    rows = decoder.decode(json.dumps([GOOD_STAT, late]).encode())
    assert rows is not None
    ceiling = pd.Timestamp("2030-01-01", tz="UTC").to_pydatetime()
    newest, beyond = decoder.newest(rows, "completedAt", None, ceiling)
    assert newest == pd.Timestamp(GOOD_STAT["completedAt"]).to_pydatetime()
    assert [key for key, _ in beyond] == ["late"]
