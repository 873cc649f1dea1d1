"""One tenant: SCIM, edX and the core API share the emulator's users and groups (docs/emulator.md, "One tenant").

Each test runs at several seeds; every core API answer it reads is checked against the official document.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.emulator.server import EmulatorServer
from tests.conftest import _ISSUED_TOKENS, TEST_EDX_CLIENT_SECRET
from tests.unit.edx.conftest import TEST_EDX_CLIENT_ID, Edx
from tests.unit.emulator.conftest import Api, exchange_errors, schema_errors

SEEDS = (3, 7, 1234)
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_TOKEN = "one-tenant-scim-token"


class Tenant:
    """One emulator seen through its three doors: the core API, SCIM and edX."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.api = Api(server)
        self.http = httpx.Client(base_url=server.url, timeout=30)
        self.edx = Edx(server)

    def core(self, action: str, *, status: int = 200, body: Any = None, **path: str) -> Any:
        """One core API request; its answer must have the expected status and satisfy the document."""
        spec = ACTIONS[action]
        response = self.api.http.request(spec.method, spec.path.format(**path), json=body, headers=self.api.headers())
        assert response.status_code == status, response.text
        payload = response.json() if response.content else None
        if payload is not None:
            assert schema_errors(spec, status, payload) == []
        return payload

    def scim(self, method: str, path: str, body: Any = None, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {SCIM_TOKEN}", "Content-Type": "application/scim+json"}
        content = None if body is None else json.dumps(body)
        return self.http.request(method, f"/scim/v2{path}", content=content, params=params, headers=headers)

    def new_scim_user(self, email: str, **extra: Any) -> dict[str, Any]:
        body = {"schemas": [USER, ENTERPRISE], "userName": email, "emails": [{"value": email, "primary": True}]}
        response = self.scim("POST", "/Users", {**body, **extra})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def roles(self, user_id: str) -> set[tuple[str, str]]:
        return {(r["groupId"], r["role"]) for r in self.core("get_user_roles_in_groups", userId=user_id)}

    def close(self) -> None:
        _ISSUED_TOKENS.update(self.edx.state.issued_token_values())
        for client in (self.api.http, self.http, self.edx.http):
            client.close()


@pytest.fixture
def tenant_at(learning360_emulator_factory: Callable[..., EmulatorServer]) -> Iterator[Callable[[int], Tenant]]:
    opened: list[Tenant] = []

    def start(seed: int) -> Tenant:
        server = learning360_emulator_factory(
            seed=seed,
            scim_token=SCIM_TOKEN,
            record_exchanges=True,
            edx_client_id=TEST_EDX_CLIENT_ID,
            edx_client_secret=TEST_EDX_CLIENT_SECRET,
        )
        opened.append(Tenant(server))
        return opened[-1]

    yield start
    for tenant in opened:
        assert exchange_errors(tenant.server) == []
        tenant.close()


@pytest.mark.parametrize("seed", SEEDS)
def test_a_scim_user_is_a_tenant_user_with_its_fields_and_groups(tenant_at: Callable[[int], Tenant], seed: int) -> None:
    tenant = tenant_at(seed)
    created = tenant.new_scim_user(
        "Ada.Lovelace@Acme.example",
        externalId="EMP-0042",
        name={"givenName": "Ada", "familyName": "Lovelace"},
        title="Analyst",
        phoneNumbers=[{"value": "+44 20 7946 0000", "type": "work"}],
        preferredLanguage="fr-FR",
        **{ENTERPRISE: {"organization": "Analytical Engines", "department": "Engineering", "employeeNumber": "42"}},
    )
    user_id = created["id"]
    user = tenant.core("get_user", userId=user_id)
    assert {k: user.get(k) for k in ("mail", "firstName", "lastName", "job", "phone", "organization", "lang")} == {
        "mail": "Ada.Lovelace@Acme.example",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "job": "Analyst",
        "phone": "+44 20 7946 0000",
        "organization": "Analytical Engines",
        "lang": "fr",
    }
    assert user["status"] == "active"
    listed = [u for page in tenant.api.pages("/api/v2/users") for u in page if u["_id"] == user_id]
    assert listed == [user]
    integration = next(g for g in tenant.api.all("/api/v2/groups") if g["name"] == "SCIM integration")
    assert user["primaryGroupId"] == integration["_id"]
    # The enterprise department fills the tenant's "Department" custom field (the tenant has no "Employee number").
    department = next(f["_id"] for f in tenant.core("list_custom_fields") if f["name"] == "Department")
    assert tenant.core("list_user_custom_field_values", userId=user_id) == [
        {"customFieldId": department, "type": "string", "value": "Engineering"}
    ]
    mappings = tenant.core("list_external_id_mappings")
    assert {"platform": "scim", "targetType": "user", "targetId": user_id, "value": "EMP-0042"} in [
        {k: m[k] for k in ("platform", "targetType", "targetId", "value")} for m in mappings
    ]

    # A SCIM group is a tenant group; its SCIM members are its learners.
    group = tenant.scim("POST", "/Groups", {"schemas": [GROUP], "displayName": "Engineering", "members": []}).json()
    assert tenant.core("get_group", groupId=group["id"])["name"] == "Engineering"
    add = {"op": "add", "path": "members", "value": [{"value": user_id}]}
    assert tenant.scim("PATCH", f"/Groups/{group['id']}", {"schemas": [PATCH], "Operations": [add]}).status_code in (
        200,
        204,
    )
    assert tenant.roles(user_id) == {(integration["_id"], "learner"), (group["id"], "learner")}
    members = tenant.core("list_group_memberships", groupId=group["id"])
    assert members == [{"userId": user_id, "role": "learner"}]
    moved = {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Finance"}  # not an authorized value
    assert tenant.scim("PATCH", f"/Users/{user_id}", {"schemas": [PATCH], "Operations": [moved]}).status_code in (
        200,
        204,
    )
    assert tenant.core("list_user_custom_field_values", userId=user_id) == []
    rename = {"schemas": [GROUP], "displayName": "Platform Engineering", "members": [{"value": user_id}]}
    assert tenant.scim("PUT", f"/Groups/{group['id']}", rename).status_code == 200
    assert tenant.core("get_group", groupId=group["id"])["name"] == "Platform Engineering"

    # active=false is the spec's "deleted" status, reversible; a SCIM DELETE erases the person.
    deactivate = {"op": "replace", "path": "active", "value": False}
    assert tenant.scim("PATCH", f"/Users/{user_id}", {"schemas": [PATCH], "Operations": [deactivate]}).status_code in (
        200,
        204,
    )
    deactivated = tenant.core("get_user", userId=user_id)
    assert deactivated["status"] == "deleted" and len(deactivated["deletedAt"]) == 1
    reactivate = {"op": "replace", "path": "active", "value": True}
    tenant.scim("PATCH", f"/Users/{user_id}", {"schemas": [PATCH], "Operations": [reactivate]})
    reactivated = tenant.core("get_user", userId=user_id)
    assert reactivated["status"] == "active" and len(reactivated["reactivatedAt"]) == 1
    assert tenant.scim("DELETE", f"/Users/{user_id}").status_code == 204
    erased = tenant.core("get_user", userId=user_id)
    assert erased["status"] == "deleted" and "mail" not in erased and erased["firstName"] == "Pseudonymized"
    assert (group["id"], "learner") not in tenant.roles(user_id)
    again = tenant.new_scim_user("ada.lovelace@acme.example")
    assert again["id"] != user_id and tenant.core("get_user", userId=again["id"])["mail"] == "ada.lovelace@acme.example"


@pytest.mark.parametrize("seed", SEEDS)
def test_a_core_user_and_group_are_visible_over_scim(tenant_at: Callable[[int], Tenant], seed: int) -> None:
    tenant = tenant_at(seed)
    root = tenant.core("list_groups")[0]["_id"]
    group = tenant.core("create_group", status=201, body={"name": "Data guild", "parentId": root, "public": False})
    body = {
        "mail": "grace.hopper@navy.example",
        "firstName": "Grace",
        "lastName": "Hopper",
        "membership": {"groupId": group["_id"], "role": "learner"},
    }
    user = tenant.core("create_user", status=200, body=body)
    found = tenant.scim("GET", "/Users", filter='userName eq "grace.hopper@navy.example"').json()["Resources"]
    assert [(u["id"], u["name"]["givenName"], u["name"]["familyName"], u["active"]) for u in found] == [
        (user["_id"], "Grace", "Hopper", True)
    ]
    scim_group = tenant.scim("GET", f"/Groups/{group['_id']}").json()
    assert scim_group["displayName"] == "Data guild"
    assert [m["value"] for m in scim_group["members"]] == [user["_id"]]

    tenant.core("edit_user", userId=user["_id"], body={"firstName": "Amazing Grace"})
    tenant.core("delete_user", status=204, userId=user["_id"])
    seen = tenant.scim("GET", f"/Users/{user['_id']}").json()
    assert seen["name"]["givenName"] == "Amazing Grace" and seen["active"] is False

    # One directory: an email a tenant user holds cannot be provisioned again over SCIM.
    taken = tenant.scim(
        "POST", "/Users", {"schemas": [USER], "userName": body["mail"], "emails": [{"value": body["mail"]}]}
    )
    assert taken.status_code == 409 and user["_id"] in taken.json()["detail"]
    seeded = next(u for u in tenant.api.all("/api/v2/users") if u.get("mail") and u["status"] != "deleted")
    clash = tenant.scim(
        "POST",
        "/Users",
        {"schemas": [USER], "userName": seeded["mail"].upper(), "emails": [{"value": seeded["mail"].upper()}]},
    )
    assert clash.status_code == 409 and seeded["_id"] in clash.json()["detail"]


@pytest.mark.parametrize("seed", SEEDS)
def test_edx_learner_data_covers_a_scim_user(tenant_at: Callable[[int], Tenant], seed: int) -> None:
    tenant = tenant_at(seed)
    before = tenant.edx.info()["learner_summary_count"]
    tenant.new_scim_user("katherine.johnson@nasa.example", name={"givenName": "Katherine", "familyName": "Johnson"})
    after = tenant.edx.info()["learner_summary_count"]
    assert 1 <= after - before <= 3
    rows = tenant.edx.get(tenant.edx.summary_path(), page_size=1000).json()["results"]
    mine = [r for r in rows if r["user_email"] == "katherine.johnson@nasa.example"]
    assert len(mine) == after - before
    assert all(r["user_first_name"] == "Katherine" and r["is_consent_granted"] for r in mine)
    assert len({r["course_key"] for r in mine}) == len(mine)
    assert len({r["enterprise_enrollment_id"] for r in rows}) == len(rows)

    # The same (seed, email) gives the same records, whenever the user is created; another seed, others.
    again = tenant_at(seed)
    again.new_scim_user("someone.else@nasa.example")
    again.new_scim_user("katherine.johnson@nasa.example", name={"givenName": "Katherine", "familyName": "Johnson"})
    rows_again = again.edx.get(again.edx.summary_path(), page_size=1000).json()["results"]
    assert [r for r in rows_again if r["user_email"] == "katherine.johnson@nasa.example"] == mine


def test_resets_keep_the_two_views_equal(tenant_at: Callable[[int], Tenant]) -> None:
    tenant = tenant_at(11)
    user_id = tenant.new_scim_user("mary.jackson@nasa.example")["id"]
    assert tenant.http.post("/_emulator/scim/reset").status_code == 200  # the SCIM token is the initial one again
    tenant.core("get_user", status=404, userId=user_id)
    tenant.http.post("/_emulator/scim/token", json={"token": SCIM_TOKEN})
    user_id = tenant.new_scim_user("mary.jackson@nasa.example")["id"]
    assert tenant.core("get_user", userId=user_id)["mail"] == "mary.jackson@nasa.example"
    assert tenant.http.post("/_emulator/reset").status_code == 200
    tenant.api._token = None  # a reset revokes the core API's tokens
    assert tenant.scim("GET", "/Users").json()["totalResults"] == 0
    tenant.core("get_user", status=404, userId=user_id)
