"""The SCIM emulator: scim2-server behind ``/scim/v2`` with 360Learning's rules (README, "SCIM provisioning")."""

from __future__ import annotations

from typing import Any

import httpx

from airflow_provider_360learning.emulator.config import DEFAULT_SCIM_TOKEN, EmulatorConfig
from airflow_provider_360learning.emulator.scim import INTEGRATION_GROUP_NAME
from airflow_provider_360learning.emulator.server import EmulatorServer
from tests.unit.scim.conftest import Scim

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def user_body(email: str, **extra: Any) -> dict[str, Any]:
    return {"schemas": [USER], "userName": email, "emails": [{"value": email, "primary": True}], **extra}


def create_user(scim: Scim, email: str) -> str:
    response = scim.send("POST", "/Users", user_body(email))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def patch(scim: Scim, path: str, *operations: dict[str, Any]) -> httpx.Response:
    return scim.send("PATCH", path, {"schemas": [PATCH], "Operations": list(operations)})


def test_served_at_scim_v2_behind_the_bearer_token(scim: Scim) -> None:
    config = scim.get("/ServiceProviderConfig").json()
    assert config["patch"]["supported"] and config["filter"]["supported"]
    assert not config["bulk"]["supported"] and not config["sort"]["supported"] and not config["etag"]["supported"]
    assert scim.get("/Users").status_code == 200
    assert scim.http.get("/scim/v2/Users", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert scim.http.get("/scim/v2/Users").status_code == 401
    created = scim.send("POST", "/Users", user_body("ada@example.com"))
    assert created.headers["location"].startswith(f"{scim.url}/Users/")


def test_a_new_token_revokes_the_previous_one(scim: Scim) -> None:
    old = scim.token
    assert scim.get("/Users").status_code == 200
    scim.new_token()
    refused = scim.http.get("/scim/v2/Users", headers={"Authorization": f"Bearer {old}"})
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    assert scim.get("/Users").status_code == 200
    random_token = scim.http.post("/_emulator/scim/token").json()["token"]
    assert random_token not in (old, scim.token) and scim.get("/Users").status_code == 401


def test_the_initial_token_is_the_configured_one() -> None:
    assert EmulatorConfig().scim_token == DEFAULT_SCIM_TOKEN == "emulator-scim-token"
    with (
        EmulatorServer(service="scim", scim_token="my-initial-scim-token") as server,
        httpx.Client(base_url=server.url) as http,
    ):
        assert http.get("/scim/v2/Users", headers={"Authorization": "Bearer my-initial-scim-token"}).status_code == 200
        assert http.get("/api/v2/users").status_code == 404  # --service scim mounts SCIM only


def test_the_email_identifies_users(scim: Scim) -> None:
    no_email = scim.send("POST", "/Users", {"schemas": [USER], "userName": "ada"})
    assert no_email.status_code == 400 and no_email.json()["scimType"] == "invalidValue"
    bad = scim.send("POST", "/Users", user_body("not-an-email"))
    assert bad.status_code == 400 and "not an email" in bad.json()["detail"]
    user_id = create_user(scim, "ada@example.com")
    duplicate = scim.send("POST", "/Users", user_body("ADA@example.com"))
    assert duplicate.status_code == 409 and duplicate.json()["scimType"] == "uniqueness"
    changed = patch(
        scim,
        f"/Users/{user_id}",
        {"op": "replace", "path": "emails", "value": [{"value": "eve@example.com", "primary": True}]},
    )
    assert changed.status_code == 400 and changed.json()["scimType"] == "mutability"
    replaced = scim.send("PUT", f"/Users/{user_id}", user_body("eve@example.com"))
    assert replaced.status_code == 400 and replaced.json()["scimType"] == "mutability"
    renamed = patch(scim, f"/Users/{user_id}", {"op": "replace", "path": "name.givenName", "value": "Ada"})
    assert renamed.status_code == 204
    assert scim.get(f"/Users/{user_id}").json()["emails"][0]["value"] == "ada@example.com"


def test_every_user_joins_the_integration_group(scim: Scim) -> None:
    ids = {create_user(scim, f"u{i}@example.com") for i in range(3)}
    group = scim.group(INTEGRATION_GROUP_NAME)
    assert group is not None and {m["value"] for m in group["members"]} == ids
    # A replace of its members cannot take provisioned users out of it.
    put = scim.send(
        "PUT", f"/Groups/{group['id']}", {"schemas": [GROUP], "displayName": INTEGRATION_GROUP_NAME, "members": []}
    )
    assert put.status_code == 200 and {m["value"] for m in put.json()["members"]} == ids


def test_active_false_is_a_soft_delete_and_delete_is_hard(scim: Scim) -> None:
    user_id = create_user(scim, "ada@example.com")
    assert scim.get(f"/Users/{user_id}").json()["active"] is True
    assert patch(scim, f"/Users/{user_id}", {"op": "replace", "path": "active", "value": False}).status_code == 204
    assert scim.get(f"/Users/{user_id}").json()["active"] is False
    again = scim.send("POST", "/Users", user_body("ada@example.com"))
    assert again.status_code == 409 and "reactivate" in again.json()["detail"]
    assert patch(scim, f"/Users/{user_id}", {"op": "replace", "path": "active", "value": True}).status_code == 204
    assert scim.get(f"/Users/{user_id}").json()["active"] is True
    assert scim.send("DELETE", f"/Users/{user_id}").status_code == 204
    assert scim.get(f"/Users/{user_id}").status_code == 404
    assert not (scim.group(INTEGRATION_GROUP_NAME) or {}).get("members")
    assert create_user(scim, "ada@example.com") != user_id  # the email is free again


def test_a_group_update_rewrites_only_the_members_it_names(scim: Scim) -> None:
    a, b, c, hand = (create_user(scim, f"{n}@example.com") for n in ("a", "b", "c", "hand"))
    created = scim.send(
        "POST", "/Groups", {"schemas": [GROUP], "displayName": "Sales", "members": [{"value": a}, {"value": b}]}
    )
    group_id = created.json()["id"]
    assert scim.http.post(f"/_emulator/scim/groups/{group_id}/members", json={"value": hand}).status_code == 201

    def members() -> set[str]:
        return {m["value"] for m in scim.get(f"/Groups/{group_id}").json()["members"]}

    # PUT and PATCH replace drop SCIM-provisioned members they do not name, never the hand-added one.
    put = scim.send(
        "PUT", f"/Groups/{group_id}", {"schemas": [GROUP], "displayName": "Sales", "members": [{"value": c}]}
    )
    assert put.status_code == 200 and members() == {c, hand}
    assert (
        patch(scim, f"/Groups/{group_id}", {"op": "replace", "path": "members", "value": [{"value": a}]}).status_code
        == 204
    )
    assert members() == {a, hand}
    # Explicit adds and removes (RFC filter form and Entra's value-list form) do exactly what they name.
    assert (
        patch(scim, f"/Groups/{group_id}", {"op": "add", "path": "members", "value": [{"value": b}]}).status_code == 204
    )
    assert patch(scim, f"/Groups/{group_id}", {"op": "remove", "path": f'members[value eq "{a}"]'}).status_code == 204
    assert members() == {b, hand}
    assert (
        patch(scim, f"/Groups/{group_id}", {"op": "Remove", "path": "members", "value": [{"value": hand}]}).status_code
        == 204
    )
    assert members() == {b}


def test_nested_groups_and_unknown_members_are_refused(scim: Scim) -> None:
    other = scim.send("POST", "/Groups", {"schemas": [GROUP], "displayName": "Other"}).json()["id"]
    nested = scim.send(
        "POST", "/Groups", {"schemas": [GROUP], "displayName": "Parent", "members": [{"value": other, "type": "Group"}]}
    )
    assert nested.status_code == 400 and "nested groups" in nested.json()["detail"]
    unknown = scim.send(
        "POST", "/Groups", {"schemas": [GROUP], "displayName": "Ghosts", "members": [{"value": "nobody"}]}
    )
    assert unknown.status_code == 400 and "not a user" in unknown.json()["detail"]


def test_filtered_lookups_and_paging(scim: Scim) -> None:
    for i in range(5):
        create_user(scim, f"user{i}@example.com")
    found = scim.get("/Users", filter='userName eq "USER3@example.com"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["userName"] == "user3@example.com"
    page = scim.get("/Users", startIndex=2, count=2).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)


def test_control_interface_counts_and_resets(scim: Scim) -> None:
    create_user(scim, "ada@example.com")
    scim.get("/Users")
    stats = scim.http.get("/_emulator/scim/stats").json()
    assert stats["requests"] == {"GET /Users": 1, "POST /Users": 1} and (stats["users"], stats["active_users"]) == (
        1,
        1,
    )
    assert scim.http.post("/_emulator/scim/reset").json() == {"reset": True}
    assert scim.state.stats()["users"] == 0
    assert scim.http.get("/scim/v2/Users", headers={"Authorization": f"Bearer {DEFAULT_SCIM_TOKEN}"}).status_code == 200


def test_cli_flags() -> None:
    from airflow_provider_360learning.emulator.__main__ import build_parser, config_from_args

    config = config_from_args(["--service", "scim", "--scim-token", "from-the-command-line"])
    assert (config.service, config.scim_token) == ("scim", "from-the-command-line")
    assert config_from_args([]).scim_token == DEFAULT_SCIM_TOKEN
    assert "--scim-token" in build_parser().format_help()
