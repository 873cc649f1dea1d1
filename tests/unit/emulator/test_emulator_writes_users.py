"""Writes to users, read back: create/edit/delete/activate/pseudonymize, managers, roles, media, links,
certificates, custom field values, passwords and jobs (with the documented errors)."""

from __future__ import annotations

from typing import Any

from tests.unit.emulator.conftest import Api, api_error, send

UNKNOWN = "0123456789abcdef01234567"


def _user(emulator: Any, i: int) -> str:
    return emulator.state.tenant.users.object_id(i)  # type: ignore[no-any-return]


def _active(emulator: Any, start: int) -> str:
    """The first active generated user from index ``start`` (some generated users are invited or deleted)."""
    users = emulator.state.tenant.users
    return next(users.object_id(i) for i in range(start, len(users)) if users.item(i)["status"] == "active")  # type: ignore[no-any-return]


def _group(emulator: Any, i: int) -> str:
    return emulator.state.tenant.groups.object_id(i)  # type: ignore[no-any-return]


def _new_user(hook: Any, emulator: Any, **fields: Any) -> dict[str, Any]:
    body = {
        "mail": "ada.lovelace@example.org",
        "firstName": "Ada",
        "membership": {"groupId": _group(emulator, 2), "role": "learner"},
    }
    return hook.call_action("create_user", body={**body, **fields})  # type: ignore[no-any-return]


def test_created_user_is_read_back_listed_and_member_of_its_group(hook: Any, emulator: Any) -> None:
    user = _new_user(hook, emulator, lang="fr")
    assert user["status"] == "active" and user["primaryGroupId"] == _group(emulator, 2) and user["lang"] == "fr"
    assert hook.call_action("get_user", userId=user["_id"]) == user
    assert [u["_id"] for u in hook.iter_action("list_users", mail={"eq": "ada.lovelace@example.org"})] == [user["_id"]]
    assert hook.call_action("get_user_roles_in_groups", userId=user["_id"]) == [
        {"groupId": _group(emulator, 2), "role": "learner"}
    ]
    members = list(hook.iter_action("list_group_memberships", groupId=_group(emulator, 2)))
    assert {"userId": user["_id"], "role": "learner"} in members
    invited = hook.call_action(
        "create_user",
        sendInvitationEmail="true",
        body={"username": "grace", "membership": {"groupId": _group(emulator, 0), "role": "admin"}},
    )
    assert invited["status"] == "invited"
    assert hook.call_action("activate_user", userId=invited["_id"])["status"] == "active"
    assert hook.call_action("get_user", userId=invited["_id"])["status"] == "active"


def test_create_user_errors(hook: Any, emulator: Any) -> None:
    taken = hook.call_action("get_user", userId=_user(emulator, 5))["mail"]
    membership = {"groupId": _group(emulator, 0), "role": "learner"}
    assert api_error(hook, "create_user", body={"mail": taken, "membership": membership}).code == "mailAlreadyUsed"
    assert (
        api_error(hook, "create_user", body={"firstName": "X", "membership": membership}).code
        == "mailAndUsernameUndefined"
    )
    assert api_error(hook, "create_user", body={"mail": "not-a-mail", "membership": membership}).code == "mailInvalid"
    missing = api_error(
        hook, "create_user", body={"mail": "a@b.co", "membership": {"groupId": UNKNOWN, "role": "learner"}}
    )
    assert (missing.status, missing.code) == (404, "groupNotFound") and UNKNOWN in missing.api_message
    other = api_error(
        hook, "create_user", body={"mail": "a@b.co", "membership": membership, "primaryGroupId": _group(emulator, 3)}
    )
    assert other.code == "notMemberOfPrimaryGroup"


def test_edit_user_merges_and_checks(hook: Any, emulator: Any, raw: Api) -> None:
    user_id = _active(emulator, 7)
    edited = hook.call_action("edit_user", userId=user_id, body={"job": "Astronaut", "lang": "de"})
    assert (edited["job"], edited["lang"]) == ("Astronaut", "de")
    assert hook.call_action("get_user", userId=user_id)["job"] == "Astronaut"
    removed = send(raw, "PATCH", f"/api/v2/users/{user_id}", json={"job": None})
    assert removed.status_code == 200 and "job" not in hook.call_action("get_user", userId=user_id)
    taken = hook.call_action("get_user", userId=_user(emulator, 8))["mail"]
    assert api_error(hook, "edit_user", userId=user_id, body={"mail": taken}).code == "mailAlreadyUsed"
    assert api_error(hook, "edit_user", userId=user_id, body={"profileImageId": UNKNOWN}).code == "mediaNotFound"
    not_found = api_error(hook, "edit_user", userId=UNKNOWN, body={"job": "x"})
    assert (not_found.status, not_found.code) == (404, "userNotFound") and UNKNOWN in not_found.api_message


def test_delete_then_pseudonymize_only_a_deleted_user(hook: Any, emulator: Any) -> None:
    user_id = _user(emulator, 1)  # has an external id mapping on the seeded "hris" platform
    assert api_error(hook, "pseudonymize_user", userId=user_id).code == "userNotDeleted"
    assert hook.call_action("delete_user", userId=user_id) is None
    deleted = hook.call_action("get_user", userId=user_id)
    assert deleted["status"] == "deleted" and deleted["deletedAt"]
    assert user_id in {u["_id"] for u in hook.iter_action("list_users", status={"eq": "deleted"})}
    assert api_error(hook, "activate_user", userId=user_id).code == "userDeleted"
    assert list(hook.iter_action("list_external_id_mappings", targetId={"eq": user_id}))
    pseudonymized = hook.call_action("pseudonymize_user", userId=user_id, deleteExternalIds="true")
    assert pseudonymized["firstName"] == "Pseudonymized" and "mail" not in pseudonymized
    assert "mail" not in hook.call_action("get_user", userId=user_id)
    assert not list(hook.iter_action("list_external_id_mappings", targetId={"eq": user_id}))
    assert api_error(hook, "delete_user", userId=_user(emulator, 0)).code == "userIsCompanyOwner"


def test_managers_and_subordinates_follow_each_other(hook: Any, emulator: Any) -> None:
    user, lead, other = _user(emulator, 11), _user(emulator, 10), _active(emulator, 42)
    assert hook.call_action("list_user_managers", userId=user) == [lead]
    assert user in hook.call_action("list_user_subordinates", userId=lead)
    hook.call_action("add_manager_to_user", userId=user, managerId=other)
    assert hook.call_action("list_user_managers", userId=user) == [lead, other]
    assert hook.call_action("list_user_subordinates", userId=other) == [user]
    hook.call_action("remove_manager_from_user", userId=user, managerId=lead)
    assert user not in hook.call_action("list_user_subordinates", userId=lead)
    assert api_error(hook, "remove_manager_from_user", userId=user, managerId=lead).code == "managerNotAssignedToUser"
    missing = api_error(hook, "add_manager_to_user", userId=user, managerId=UNKNOWN)
    assert (missing.status, missing.code) == (404, "managerNotFound") and UNKNOWN in missing.api_message


def test_roles_in_groups(hook: Any, emulator: Any) -> None:
    user, group = _active(emulator, 20), _group(emulator, 5)
    hook.call_action("add_user_role", groupId=group, role="user-admin", userId=user)
    assert {"groupId": group, "role": "userAdmin"} in hook.call_action("get_user_roles_in_groups", userId=user)
    assert {"userId": user, "role": "userAdmin"} in list(hook.iter_action("list_group_memberships", groupId=group))
    hook.call_action("remove_user_role", groupId=group, role="user-admin", userId=user)
    assert {"groupId": group, "role": "userAdmin"} not in hook.call_action("get_user_roles_in_groups", userId=user)
    assert (
        api_error(hook, "remove_user_role", groupId=group, role="user-admin", userId=user).code == "userNotFoundInGroup"
    )


def test_password_media_and_jobs(hook: Any, emulator: Any, raw: Api) -> None:
    user = _active(emulator, 3)
    hook.call_action(
        "replace_user_password", userId=user, body={"password": "s3cret-enough", "passwordMustBeChanged": True}
    )
    assert emulator.state.relation("passwords")[user]["mustBeChanged"] is True
    assert (
        api_error(
            hook, "replace_user_password", userId=user, body={"password": "short", "passwordMustBeChanged": False}
        ).code
        == "passwordInvalid"
    )
    uploaded = send(
        raw, "POST", f"/api/v2/users/{user}/media", files={"profileImage": ("me.png", b"\x89PNG", "image/png")}
    )
    assert uploaded.status_code == 200, uploaded.text
    image = uploaded.json()["profileImageId"]
    assert hook.call_action("get_user", userId=user)["profileImageId"] == image
    bad = send(raw, "POST", f"/api/v2/users/{user}/media", files={"profileImage": ("me.txt", b"hi", "text/plain")})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalidFile"
    assert hook.call_action("replace_user_jobs", userId=user, body={"jobIds": ["job-data-analyst"]}) == [
        "job-data-analyst"
    ]
    assert emulator.state.relation("user_jobs")[user] == ["job-data-analyst"]
    assert (
        api_error(hook, "replace_user_jobs", userId=user, body={"jobIds": ["job-astronaut"]}).code
        == "jobExternalIdNotFound"
    )


def test_custom_user_links(hook: Any, emulator: Any) -> None:
    user = _user(emulator, 4)
    links = hook.call_action("get_custom_links_by_company")
    created = hook.call_action(
        "create_custom_user_link", userId=user, body={"customLinkId": links[1]["_id"], "url": "https://a.example"}
    )
    assert hook.call_action("get_custom_user_links", userId=user) == [created]
    conflict = api_error(
        hook, "create_custom_user_link", userId=user, body={"customLinkId": links[1]["_id"], "url": "https://b.example"}
    )
    assert (conflict.status, conflict.code) == (409, "customLinkAlreadyUsed")
    hook.call_action(
        "update_custom_user_link",
        userId=user,
        customUserLinkId=created["_id"],
        body={"customLinkId": links[1]["_id"], "url": "https://c.example"},
    )
    assert hook.call_action("get_custom_user_links", userId=user)[0]["url"] == "https://c.example"
    hook.call_action("delete_custom_user_link", userId=user, customUserLinkId=created["_id"])
    assert hook.call_action("get_custom_user_links", userId=user) == []
    missing = api_error(
        hook, "create_custom_user_link", userId=user, body={"customLinkId": UNKNOWN, "url": "https://a.example"}
    )
    assert (missing.status, missing.code) == (404, "customLinkNotFound")


def test_certificates_upload_list_pdf_and_privacy(hook: Any, emulator: Any, raw: Api) -> None:
    user = _user(emulator, 6)
    form = {"title": "Forklift licence", "deliveryDate": "2025-06-01T00:00:00.000Z"}
    created = send(
        raw,
        "POST",
        f"/api/v2/users/{user}/certificates",
        data=form,
        files={"file": ("licence.pdf", b"%PDF-1.7 licence", "application/pdf")},
    )
    assert created.status_code == 201, created.text
    certificate = created.json()
    assert certificate["type"] == "external" and certificate in hook.call_action("get_user_certificates", userId=user)
    assert (
        hook.call_action("get_user_certificate_as_pdf", userId=user, certificateId=certificate["_id"])
        == b"%PDF-1.7 licence"
    )
    again = send(
        raw,
        "POST",
        f"/api/v2/users/{user}/certificates",
        data=form,
        files={"file": ("l.pdf", b"%PDF", "application/pdf")},
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "CertificateAlreadyImported"
    assert (
        hook.call_action(
            "update_user_certificates_privacy_level",
            userId=user,
            body={"certificateIds": [certificate["_id"]], "isPublic": True},
        )
        == {}
    )
    assert emulator.state.relation("certificate_privacy")[certificate["_id"]] is True
    missing = api_error(hook, "get_user_certificate_as_pdf", userId=user, certificateId=UNKNOWN)
    assert (missing.status, missing.code) == (404, "certificateNotFound")
    earned = [
        c
        for i in range(200)
        for c in hook.call_action("get_user_certificates", userId=_user(emulator, i))
        if c["type"] == "path"
    ][:1]
    assert earned and earned[0]["pathId"] == emulator.state.tenant.path_ids[0]


def test_user_custom_field_values(hook: Any, emulator: Any) -> None:
    user = _user(emulator, 9)
    fields = {f["name"]: f["_id"] for f in hook.call_action("list_custom_fields", targetType={"eq": "users"})}
    values = [
        {"customFieldId": fields["Department"], "type": "string", "value": "Sales"},
        {"customFieldId": fields["Hire date"], "type": "date", "value": "2024-03-01"},
    ]
    assert hook.call_action("replace_user_custom_field_values", userId=user, body={"customValues": values}) == values
    assert hook.call_action("list_user_custom_field_values", userId=user) == values
    bad = [{"customFieldId": fields["Department"], "type": "string", "value": "Astronomy"}]
    assert (
        api_error(hook, "replace_user_custom_field_values", userId=user, body={"customValues": bad}).code
        == "unauthorizedValue"
    )
    twice = [values[0], values[0]]
    assert (
        api_error(hook, "replace_user_custom_field_values", userId=user, body={"customValues": twice}).code
        == "multipleValuesForSingleCustomField"
    )
    wrong = [{"customFieldId": fields["Hire date"], "type": "string", "value": "soon"}]
    assert (
        api_error(hook, "replace_user_custom_field_values", userId=user, body={"customValues": wrong}).code
        == "wrongTypeValue"
    )
    unknown = [{"customFieldId": UNKNOWN, "type": "string", "value": "x"}]
    error = api_error(hook, "replace_user_custom_field_values", userId=user, body={"customValues": unknown})
    assert (error.status, error.code) == (404, "customFieldNotFound") and UNKNOWN in error.api_message
    hook.call_action("delete_custom_field", customFieldId=fields["Hire date"])
    assert hook.call_action("list_user_custom_field_values", userId=user) == values[:1]
