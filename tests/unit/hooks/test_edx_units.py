"""Transport-free pieces of the edX hook and emulator: next-URL handling, role claims, settings, paging maths."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_360learning.client.services import EDX_DEFAULT_BASE_URL as DEFAULT_BASE_URL
from airflow_provider_360learning.client.services import ENTERPRISE_FIELD, edx_settings
from airflow_provider_360learning.client.services import parse_edx_error_body as parse_error_body
from airflow_provider_360learning.client.tokens import AccessToken, TokenCache, decode_access_token
from airflow_provider_360learning.emulator.edx.data import EdxData
from airflow_provider_360learning.emulator.tenant import Tenant
from airflow_provider_360learning.exceptions import EdxConnectionConfigError
from airflow_provider_360learning.hooks.edx import EdxHook, enterprise_uuids_in_claims

ENTERPRISE = "4a3d7eae-fbf9-4786-b648-f7565289aeb7"


def test_enterprise_uuids_in_claims_admin_first() -> None:
    other = "00000000-0000-4000-8000-000000000000"
    roles = [
        f"enterprise_learner:{other}",
        "enterprise_admin:*",
        f"enterprise_admin:{ENTERPRISE.upper()}",
        f"enterprise_learner:{ENTERPRISE}",
        "staff",
        42,
    ]
    assert enterprise_uuids_in_claims({"roles": roles}) == [ENTERPRISE, other]
    assert enterprise_uuids_in_claims({}) == []


def _conn(**fields: Any) -> SimpleNamespace:
    return SimpleNamespace(
        **{
            "conn_id": "edx_default",
            "login": "id",
            "password": "secret",
            "host": None,
            "port": None,
            "schema": None,
            "extra_dejson": {},
            **fields,
        }
    )


def test_settings_defaults_and_validation() -> None:
    settings = edx_settings(_conn())
    assert settings.base_url == DEFAULT_BASE_URL and settings.options[ENTERPRISE_FIELD] is None
    assert settings.requests_per_second == 1.0 and "secret" not in repr(settings)
    assert edx_settings(_conn(), {"requests_per_second": 5}).requests_per_second == 5
    with pytest.raises(EdxConnectionConfigError, match="'timeout' must be a number"):
        edx_settings(_conn(extra_dejson={"timeout": "soon"}))
    with pytest.raises(EdxConnectionConfigError, match=r"is not a base URL such as https://api\.edx\.org"):
        edx_settings(_conn(host="ftp://x"))
    with pytest.raises(EdxConnectionConfigError, match="login"):
        edx_settings(_conn(login=""))
    with pytest.raises(EdxConnectionConfigError, match="'timout'"):
        edx_settings(_conn(extra_dejson={"timout": 5}))


def test_parse_error_body_shapes() -> None:
    assert parse_error_body(b'{"error": "invalid_client"}') == ("invalid_client", None)
    assert parse_error_body(b'{"detail": "Not found."}') == (None, "Not found.")
    assert parse_error_body(b'{"message": "Missing Authentication Token"}') == (None, "Missing Authentication Token")
    assert parse_error_body(b"<html>Bad Gateway</html>") == (None, "<html>Bad Gateway</html>")


def test_decode_access_token_accepts_a_string_lifetime() -> None:
    decoded = decode_access_token(b'{"access_token": "abc", "expires_in": "180", "token_type": "JWT"}', requested_at=10)
    assert decoded is not None and decoded[0].expires_at == 190 and decoded[1]["token_type"] == "JWT"
    assert decode_access_token(b'{"access_token": "", "expires_in": 60}', requested_at=0) is None


async def test_token_cache_fetches_once_and_after_invalidation() -> None:
    fetched: list[int] = []

    async def fetch() -> AccessToken:
        fetched.append(1)
        return AccessToken("t", expires_at=1e12, lifetime=3600)

    cache = TokenCache()
    token = await cache.get(fetch)
    assert await cache.get(fetch) is token and len(fetched) == 1
    cache.invalidate(AccessToken("other", 0, 1))  # not the cached one: kept
    assert await cache.get(fetch) is token
    cache.invalidate(token)
    await cache.get(fetch)
    assert len(fetched) == 2


@pytest.mark.parametrize("day", [0, 1, 3, 5])
@pytest.mark.parametrize("size", [7, 10, 100])
def test_catalog_pages_tile_the_content_of_any_day(day: int, size: int) -> None:
    data = EdxData(Tenant(scale=1))
    plan = data.catalogs[0]
    count = data.content_count(plan, day)
    paged = [item["uuid"] for offset in range(0, count, size) for item in data.content_page(plan, day, offset, size)]
    gone = {data.course(c).uuid for c in data.retired(day)}
    expected = [data.course(i).uuid for i in range(plan.courses) if data.course(i).uuid not in gone]
    assert count == 52 - day and len(paged) == count and paged[: len(expected)] == expected


def test_ui_field_behaviour_comes_from_the_provider_info() -> None:
    behaviour = EdxHook.get_ui_field_behaviour()
    assert behaviour["relabeling"] == {"login": "Client ID", "password": "Client secret", "host": "Base URL"}
