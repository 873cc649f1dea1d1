"""What the SCIM emulator announces: RFC 7643 schemas (User with the enterprise extension, Group) and a
service provider configuration limited to what 360Learning is known to need.

360Learning publishes no ``ServiceProviderConfig``. IdPs (Okta, Entra) need filtered lookups
(``userName eq``), ``startIndex``/``count`` paging and PATCH, so the emulator announces those; sort, ETag,
bulk and password change are announced as unsupported until 360Learning documents them (docs/emulator.md, "SCIM
provisioning"). ``maxResults`` 1000 is the emulator's choice. Entra's PATCH ``remove`` with a value list is
accepted (``remove_value_as_filter``), as 360Learning's Entra integration sends it.
"""

from __future__ import annotations

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    External,
    Filter,
    Patch,
    Reference,
    Required,
    Schema,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
)
from scim2_server.utils import load_default_resource_types, load_default_schemas

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"

MAX_RESULTS = 1000
"""Largest page of a search (``count`` above it is lowered to it)."""

BEARER_TOKEN = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken,
    name="360Learning SCIM token",
    description="The token generated in 360Learning: Settings > Integrations > SCIM > Generate token",
    spec_uri=Reference[External]("https://datatracker.ietf.org/doc/html/rfc6750"),
    primary=True,
)


def service_provider_config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[BEARER_TOKEN],
    )


def schemas() -> list[Schema]:
    """RFC 7643's schemas, except that ``emails`` (and its ``value``) is required: 360Learning identifies users by email."""
    result = []
    for schema in load_default_schemas().values():
        if schema.id == USER_SCHEMA:
            for attribute in schema.attributes or []:
                if attribute.name == "emails":
                    attribute.required = Required.true
                    for sub in attribute.sub_attributes or []:
                        if sub.name == "value":
                            sub.required = Required.true
        result.append(schema)
    return result


def build_provider() -> ScimProvider:
    """User (with ``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User``) and Group."""
    return ScimProvider.from_discovery(
        schemas(),
        load_default_resource_types().values(),
        config=service_provider_config(),
        policy=ScimPolicy(remove_value_as_filter=ScimPolicy.RemoveValue.apply),
    )
