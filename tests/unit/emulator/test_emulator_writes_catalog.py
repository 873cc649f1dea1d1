"""Writes to groups, courses, tags, custom fields, custom links, external ids, integrations and certificate
outlines, read back; reads of skills, powers, projects and learning needs; every core action has a handler."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.emulator.handlers import HANDLERS
from airflow_provider_360learning.emulator.tenant import Tenant
from tests.unit.emulator.conftest import Api, _local_validator, api_error, multipart, send

UNKNOWN = "0123456789abcdef01234567"


def test_every_core_action_has_a_handler() -> None:
    core = {a.name for a in ACTIONS.values() if a.api == "core"} - {"generate_token"}
    assert len(core) == 127 and not core - set(HANDLERS)


@pytest.mark.parametrize(
    "name",
    [
        "tags",
        "custom_fields",
        "custom_links",
        "external_ids",
        "integrations",
        "certificate_outlines",
        "classrooms",
        "classroom_slots",
        "slot_registrations",
        "attendance_sheets",
        "user_certificates",
        "user_custom_links",
        "skills",
        "powers",
        "projects",
        "learning_needs",
    ],
)
def test_seeded_rows_satisfy_their_schema(name: str) -> None:
    coll = Tenant(42, 1).collections[name]
    validator = _local_validator("core", f"/components/schemas/{coll.schema}")
    for i in range(len(coll)):
        assert not list(validator.iter_errors({k: v for k, v in coll.item(i).items() if k not in coll.hidden}))


def test_groups_tree_branding_media_and_contents(hook: Any, emulator: Any, raw: Api) -> None:
    tenant = emulator.state.tenant
    root, parent = tenant.groups.object_id(0), tenant.groups.object_id(1)
    group = hook.call_action(
        "create_group", body={"name": "Pilots", "public": False, "parentId": parent, "subdomain": "pilots"}
    )
    assert hook.call_action("get_group", groupId=group["_id"]) == group
    assert group["_id"] in {g["_id"] for g in hook.iter_action("list_groups")}
    taken = api_error(
        hook, "create_group", body={"name": "X", "public": False, "parentId": root, "subdomain": "pilots"}
    )
    assert taken.code == "subdomainUnavailable"
    missing = api_error(hook, "create_group", body={"name": "X", "public": False, "parentId": UNKNOWN})
    assert (missing.status, missing.code) == (404, "parentGroupNotFound") and UNKNOWN in missing.api_message
    child = hook.call_action("create_group", body={"name": "Co-pilots", "public": False, "parentId": group["_id"]})
    cycle = api_error(hook, "edit_group", groupId=group["_id"], body={"parentId": child["_id"]})
    assert cycle.code == "parentGroupNotDescendantOrSelf"
    hook.call_action("edit_group", groupId=group["_id"], body={"name": "Test pilots"})
    assert hook.call_action("get_group", groupId=group["_id"])["name"] == "Test pilots"
    assert api_error(hook, "edit_group", groupId=root, body={"public": False}).code == "rootGroupNotPublic"
    colors = hook.call_action(
        "upsert_group_customization_colors", groupId=group["_id"], body={"colors": {"primary": "#112233"}}
    )
    assert colors == {"colors": {"primary": "#112233"}}
    assert (
        hook.call_action("upsert_group_customization_colors", groupId=group["_id"], body={})["colors"]["primary"]
        == "#112233"
    )
    uploaded = send(
        raw,
        "POST",
        f"/api/v2/groups/{group['_id']}/media",
        files=multipart({"authorId": tenant.users.object_id(0)}, logo=("logo.png", b"\x89PNG", "image/png")),
    )
    assert uploaded.status_code == 200, uploaded.text
    assert hook.call_action("get_group", groupId=group["_id"])["logoImageId"] == uploaded.json()["logoImageId"]
    none = send(
        raw, "POST", f"/api/v2/groups/{group['_id']}/media", files=multipart({"authorId": tenant.users.object_id(0)})
    )
    assert none.status_code == 400 and none.json()["error"]["code"] == "noFilesProvided"
    hook.call_action("delete_group", groupId=group["_id"])
    assert api_error(hook, "get_group", groupId=group["_id"]).code == "groupNotFound"
    assert hook.call_action("get_group", groupId=child["_id"])["parentId"] == parent
    assert api_error(hook, "delete_group", groupId=root).code == "groupIsRoot"
    library = set(hook.iter_action("list_group_library_content_ids", groupId=parent, contentType="course"))
    catalog = set(hook.iter_action("list_group_catalog_content_ids", groupId=parent, contentType="course"))
    expected = {c["_id"] for c in hook.iter_action("list_courses", groupId={"eq": parent})}
    assert library == expected and catalog <= library
    assert set(hook.iter_action("list_group_catalog_content_ids", groupId=parent, contentType="path-session")) == {
        s["_id"] for s in hook.iter_action("get_all_path_sessions") if s["groupId"] == parent
    }


def test_courses_packages_prompt_archive_tags_and_values(hook: Any, emulator: Any, raw: Api) -> None:
    tenant = emulator.state.tenant
    author, group = tenant.users.object_id(1), tenant.groups.object_id(2)
    form = {"name": "SCORM safety", "sourceLang": "en", "authorId": author, "groupId": group, "duration": "45"}
    created = send(
        raw,
        "POST",
        "/api/v2/courses/elearning-standard",
        files=multipart(form, estdFile=("safety.zip", b"PK\x03\x04", "application/zip")),
    )
    assert created.status_code == 201, created.text
    course = created.json()
    assert course["type"] == "elearning standard" and course["duration"] == 45
    assert hook.call_action("get_course", courseId=course["_id"]) == course
    updated = send(
        raw,
        "PATCH",
        f"/api/v2/courses/elearning-standard/{course['_id']}",
        files=multipart({"name": "SCORM safety v2"}, estdFile=("v2.zip", b"PK", "application/zip")),
    )
    assert updated.status_code == 200, updated.text
    read = hook.call_action("get_course", courseId=course["_id"])
    assert (read["name"], read["currentVersionNumber"]) == ("SCORM safety v2", 2)
    native = next(c for c in hook.iter_action("list_courses", type={"eq": "native"}))
    wrong = send(raw, "PATCH", f"/api/v2/courses/elearning-standard/{native['_id']}", files=multipart({"name": "x"}))
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "courseNotEstd"
    assert (
        hook.call_action("generate_from_prompt", body={"prompt": "Teach GDPR to new hires", "authorId": author}) is None
    )
    assert any(
        c["name"] == "Teach GDPR to new hires" for c in hook.iter_action("list_courses", authorId={"eq": author})
    )
    archived = hook.call_action("archive_restore_course", courseId=course["_id"], body={"archived": True})
    assert archived["status"] == "archived"
    assert course["_id"] in {c["_id"] for c in hook.iter_action("list_courses", status={"eq": "archived"})}
    tags = [tenant.tag_id(2)]
    assert hook.call_action("replace_course_tags", courseId=course["_id"], body={"tagIds": tags}) == tags
    assert list(hook.iter_action("get_course_tags", courseId=course["_id"])) == [{"tagId": tags[0], "source": "native"}]
    assert course["_id"] in {c["_id"] for c in hook.iter_action("list_courses", tagIds={"in": tags})}
    field = next(f for f in hook.call_action("list_custom_fields") if f["targetType"] == "contents")
    values = [{"customFieldId": field["_id"], "type": "string", "value": "Legal"}]
    assert (
        hook.call_action("update_course_custom_field_values", courseId=course["_id"], body={"customValues": values})
        == values
    )
    assert hook.call_action("get_course_custom_field_values", courseId=course["_id"]) == values
    users_field = next(f for f in hook.call_action("list_custom_fields") if f["targetType"] == "users")
    bad = [{"customFieldId": users_field["_id"], "type": "string", "value": "Sales"}]
    assert (
        api_error(hook, "update_course_custom_field_values", courseId=course["_id"], body={"customValues": bad}).code
        == "customFieldNotFound"
    )


def test_tags_custom_fields_and_custom_links(hook: Any, emulator: Any) -> None:
    tag = hook.call_action("create_tag", body={"name": "Cloud", "isMain": False})
    assert hook.call_action("get_tag", tagId=tag["_id"]) == {**tag, "source": "native"}
    assert api_error(hook, "create_tag", body={"name": "Cloud", "isMain": True}).code == "tagNameNotAvailable"
    hook.call_action("replace_tag", tagId=tag["_id"], body={"name": "Cloud native", "isMain": True})
    assert tag["_id"] in {t["_id"] for t in hook.iter_action("list_tags", isMain={"eq": True})}
    hook.call_action("delete_tag", tagId=tag["_id"])
    gone = api_error(hook, "get_tag", tagId=tag["_id"])
    assert (gone.status, gone.code) == (404, "tagNotFound") and tag["_id"] in gone.api_message
    field = hook.call_action("create_custom_field", body={"name": "Site", "targetType": "users", "type": "string"})
    assert field in hook.call_action("list_custom_fields", name={"eq": "Site"})
    assert (
        api_error(hook, "create_custom_field", body={"name": "Site", "targetType": "users", "type": "string"}).code
        == "nameAlreadyTaken"
    )
    hook.call_action("edit_custom_field", customFieldId=field["_id"], body={"name": "Office"})
    assert hook.call_action("list_custom_fields", name={"eq": "Office"})[0]["_id"] == field["_id"]
    assert hook.call_action(
        "replace_custom_field_authorized_values",
        customFieldId=field["_id"],
        body={"authorizedValues": ["Paris", "Lyon"]},
    ) == ["Paris", "Lyon"]
    assert hook.call_action("list_custom_field_authorized_values", customFieldId=field["_id"]) == ["Paris", "Lyon"]
    hook.call_action("delete_custom_field", customFieldId=field["_id"])
    assert (
        api_error(hook, "list_custom_field_authorized_values", customFieldId=field["_id"]).code == "customFieldNotFound"
    )
    link = hook.call_action("create_custom_link", body={"name": "Payslips", "order": 5, "type": "payslips"})
    assert link in hook.call_action("get_custom_links_by_company")
    assert (
        api_error(hook, "create_custom_link", body={"name": "Other", "order": 5, "type": "other"}).code
        == "orderAlreadyUsed"
    )
    hook.call_action(
        "replace_custom_link", customLinkId=link["_id"], body={"name": "Pay", "order": 6, "type": "payslips"}
    )
    assert next(c for c in hook.call_action("get_custom_links_by_company") if c["_id"] == link["_id"])["order"] == 6
    hook.call_action("delete_custom_link", customLinkId=link["_id"])
    assert link["_id"] not in {c["_id"] for c in hook.call_action("get_custom_links_by_company")}


def test_external_ids_integrations_and_outlines(hook: Any, emulator: Any) -> None:
    tenant = emulator.state.tenant
    user = tenant.users.object_id(12)
    mapping = hook.call_action(
        "create_external_id_mapping", body={"platform": "lms", "targetType": "user", "targetId": user, "value": "U-12"}
    )
    assert list(hook.iter_action("list_external_id_mappings", platform={"eq": "lms"}, type={"eq": "user"})) == [mapping]
    again = {"platform": "lms", "targetType": "user", "targetId": user, "value": "U-99"}
    assert api_error(hook, "create_external_id_mapping", body=again).code == "mappingAlreadyExists"
    lost = api_error(hook, "create_external_id_mapping", body={**again, "targetId": UNKNOWN})
    assert (lost.status, lost.code) == (404, "resourceNotFound") and UNKNOWN in lost.api_message
    reserved = api_error(hook, "create_external_id_mapping", body={**again, "platform": "360Learning"})
    assert reserved.code == "reservedPlatformName"
    hook.call_action("replace_external_id_mapping", mappingId=mapping["_id"], body={**again, "value": "U-13"})
    assert next(hook.iter_action("list_external_id_mappings", value={"eq": "U-13"}))["_id"] == mapping["_id"]
    hook.call_action("delete_external_id_mapping", mappingId=mapping["_id"])
    assert list(hook.iter_action("list_external_id_mappings", platform={"eq": "lms"})) == []
    body = {
        "externalPlatform": "Pluralsight",
        "authorId": tenant.users.object_id(0),
        "groupId": tenant.groups.object_id(3),
    }
    integration = hook.call_action("create_integration", body=body)
    assert integration in list(hook.iter_action("get_integrations", externalPlatform={"eq": "Pluralsight"}))
    assert api_error(hook, "create_integration", body=body).code == "duplicateExternalPlatform"
    hook.call_action("edit_integration", integrationId=integration["_id"], body={"defaultProgress": 50})
    assert next(hook.iter_action("get_integrations", externalPlatform={"eq": "Pluralsight"}))["defaultProgress"] == 50
    assert (
        api_error(hook, "delete_group", groupId=tenant.groups.object_id(3)).code
        == "hasActiveIntegrationsOrLtiConnectors"
    )
    hook.call_action("delete_integration", integrationId=integration["_id"])
    assert not list(hook.iter_action("get_integrations", externalPlatform={"eq": "Pluralsight"}))
    seeded = list(hook.iter_action("get_integrations"))
    course = next(c for c in hook.iter_action("list_courses", type={"eq": "external"}))
    platform = next(i for i in seeded if i["externalPlatform"] == course["externalPlatform"])
    index = tenant.courses.index_of(course["_id"])
    code = ("LIL", "COURSERA", "UDEMY")[[i["_id"] for i in seeded].index(platform["_id"])]
    external = hook.call_action("get_external_course", integrationId=platform["_id"], externalId=f"{code}-{index}")
    assert external["courseId"] == course["_id"] and external["name"] == course["name"]
    assert (
        api_error(hook, "get_external_course", integrationId=platform["_id"], externalId="LIL-x").code
        == "courseNotBelongToIntegration"
    )
    outline = hook.call_action(
        "create_certificate_outline",
        body={"title": "Cloud badge", "groupId": tenant.groups.object_id(0), "bodyHtml": "<p>Well done</p>"},
    )
    assert outline in hook.call_action("get_certificate_outlines", groupId={"eq": tenant.groups.object_id(0)})
    hook.call_action(
        "update_certificate_outline", certificateOutlineId=outline["_id"], body={"title": "Cloud badge II"}
    )
    assert (
        next(o for o in hook.call_action("get_certificate_outlines") if o["_id"] == outline["_id"])["title"]
        == "Cloud badge II"
    )
    used = api_error(hook, "delete_certificate_outline", certificateOutlineId=tenant.certificate_id(0))
    assert (used.status, used.code) == (409, "certificateOutlineStillUsed")
    hook.call_action("delete_certificate_outline", certificateOutlineId=outline["_id"])
    assert outline["_id"] not in {o["_id"] for o in hook.call_action("get_certificate_outlines")}


def test_skills_powers_projects_and_learning_needs_are_listed(hook: Any, emulator: Any) -> None:
    skills = list(hook.iter_action("get_skills", status={"eq": "published"}))
    assert len(skills) == 6
    user = emulator.state.tenant.users.object_id(3)
    powers = list(hook.iter_action("get_powers", userId={"eq": user}))
    assert [p["userId"] for p in powers] == [user] and powers[0]["skillId"] in {s["_id"] for s in skills}
    assert len(list(hook.iter_action("get_projects"))) == 3 and len(list(hook.iter_action("get_learning_needs"))) == 3
