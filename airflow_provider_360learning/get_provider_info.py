"""
Provider metadata for Airflow's ``ProvidersManager``.

Airflow discovers this function through the ``apache_airflow_provider`` entry point
(``provider_info = "airflow_provider_360learning.get_provider_info:get_provider_info"``)
and validates the returned dict against ``airflow/provider_info.schema.json``.

The connection form of the Airflow 3.2+ UI is built from the declarative
``connection-types`` entry below (``hook-name``, ``ui-field-behaviour`` and
``conn-fields``) without importing the hook class. Values of ``conn-fields`` are
stored in ``Connection.extra`` under their plain names (``region``, ``timeout`` ...).
"""

from __future__ import annotations

import copy
import pkgutil
from typing import Any

from airflow_provider_360learning import __version__

CONNECTION_TYPE = "360learning"
HOOK_MODULE = "airflow_provider_360learning.hooks.three_sixty_learning"
HOOK_CLASS_NAME = f"{HOOK_MODULE}.ThreeSixtyLearningHook"
INTEGRATION_NAME = "360Learning"
SCIM_CONNECTION_TYPE = "360learning_scim"
SCIM_HOOK_MODULE = "airflow_provider_360learning.hooks.scim"
SCIM_HOOK_CLASS_NAME = f"{SCIM_HOOK_MODULE}.ThreeSixtyLearningScimHook"
EDX_CONNECTION_TYPE = "360learning_edx"
"""The edX connection's type, namespaced by this package. Connections of the former type ``edx`` keep working:
``EdxHook`` reads the connection's fields, never its type (only the Airflow form needs the registered type)."""
EDX_HOOK_MODULE = "airflow_provider_360learning.hooks.edx"
EDX_HOOK_CLASS_NAME = f"{EDX_HOOK_MODULE}.EdxHook"
LINKS_MODULE = "airflow_provider_360learning.links.three_sixty_learning"
EXTRA_LINKS = [
    f"{LINKS_MODULE}.{name}"
    for name in (
        "ThreeSixtyLearningUserLink",
        "ThreeSixtyLearningGroupLink",
        "ThreeSixtyLearningCourseLink",
        "ThreeSixtyLearningPathLink",
        "ThreeSixtyLearningPathSessionLink",
    )
]
"""The operators' extra links to 360Learning pages (listed by name: the module is not imported here)."""
EDX_UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema", "port", "extra"],
    "relabeling": {"login": "Client ID", "password": "Client secret", "host": "Base URL"},
    "placeholders": {
        "host": "https://api.edx.org",
        "login": "API client ID from the edX enterprise admin portal",
        "password": "API client secret from the edX enterprise admin portal",
    },
}
"""Form of the ``360learning_edx`` connection (also returned by ``EdxHook.get_ui_field_behaviour``)."""


def _modules(package: str) -> list[str]:
    """The modules of a subpackage and of its own subpackages (``operators.generated``), listed, not imported
    (only the packages are): providers-manager discovery stays cheap."""
    from importlib import import_module

    name = f"airflow_provider_360learning.{package}"
    walk = pkgutil.walk_packages(import_module(name).__path__, prefix=f"{name}.")
    return sorted(module.name for module in walk if not module.ispkg)


def _form_fields(table: str) -> dict[str, Any]:
    """A connection form's extra fields, from the client core's declarative table of that connection's extras."""
    from airflow_provider_360learning.client import fields

    return {field.name: field.form_field() for field in getattr(fields, table)}


def get_provider_info() -> dict[str, Any]:
    """Return the provider metadata dict read by Airflow's ``ProvidersManager``."""
    return {
        "package-name": "airflow-provider-360learning",
        "name": "360Learning",
        "description": (
            "`360Learning <https://360learning.com/>`__ LMS provider: hooks, operators, sensors and "
            "triggers for the 360Learning API v2 (OAuth2 client credentials, cursor pagination, "
            "rate limiting and bulk jobs)."
        ),
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": INTEGRATION_NAME,
                "external-doc-url": "https://360learning.readme.io/",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": INTEGRATION_NAME,
                "python-modules": [HOOK_MODULE],
            },
            {
                "integration-name": INTEGRATION_NAME,
                "python-modules": [SCIM_HOOK_MODULE],
            },
            {
                "integration-name": INTEGRATION_NAME,
                "python-modules": [EDX_HOOK_MODULE],
            },
        ],
        "operators": [{"integration-name": INTEGRATION_NAME, "python-modules": _modules("operators")}],
        "sensors": [{"integration-name": INTEGRATION_NAME, "python-modules": _modules("sensors")}],
        "triggers": [{"integration-name": INTEGRATION_NAME, "python-modules": _modules("triggers")}],
        "transfers": [
            {
                "source-integration-name": INTEGRATION_NAME,
                "target-integration-name": "Common SQL",
                "python-module": "airflow_provider_360learning.transfers.three_sixty_learning_to_sql",
            }
        ],
        "extra-links": list(EXTRA_LINKS),
        "connection-types": [
            {
                "connection-type": CONNECTION_TYPE,
                "hook-class-name": HOOK_CLASS_NAME,
                "hook-name": "360Learning",
                "ui-field-behaviour": {
                    # "extra" stays in the list for Airflow 2.x/FAB forms; the Airflow 3 React form
                    # ignores it (its JSON editor is always shown) and stores conn-fields in extra.
                    "hidden-fields": ["schema", "port", "extra"],
                    "relabeling": {
                        "login": "Client ID",
                        "password": "Client secret",
                        "host": "Base URL (optional, overrides region)",
                    },
                    "placeholders": {
                        "host": "https://app.360learning.com",
                        "login": "Client ID from the 360Learning API v2 admin panel",
                        "password": "Client secret from the 360Learning API v2 admin panel",
                    },
                },
                "conn-fields": _form_fields("THREE_SIXTY_LEARNING_FIELDS"),
            },
            {
                "connection-type": SCIM_CONNECTION_TYPE,
                "hook-class-name": SCIM_HOOK_CLASS_NAME,
                "hook-name": "360Learning SCIM",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "login", "extra"],
                    "relabeling": {"host": "Endpoint URL", "password": "SCIM token"},
                    "placeholders": {
                        "host": "Endpoint URL from 360Learning: Settings > Integrations > SCIM",
                        "password": "token generated on that page (one active token per IdP)",
                    },
                },
                "conn-fields": _form_fields("SCIM_FIELDS"),
            },
            {
                "connection-type": EDX_CONNECTION_TYPE,
                "hook-class-name": EDX_HOOK_CLASS_NAME,
                "hook-name": "edX",
                "ui-field-behaviour": copy.deepcopy(EDX_UI_FIELD_BEHAVIOUR),
                "conn-fields": _form_fields("EDX_FIELDS"),
            },
        ],
    }
