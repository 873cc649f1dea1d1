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
EDX_CONNECTION_TYPE = "edx"
EDX_HOOK_MODULE = "airflow_provider_360learning.hooks.edx"
EDX_HOOK_CLASS_NAME = f"{EDX_HOOK_MODULE}.EdxHook"
EDX_UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema", "port", "extra"],
    "relabeling": {"login": "Client ID", "password": "Client secret", "host": "Base URL"},
    "placeholders": {
        "host": "https://api.edx.org",
        "login": "API client ID from the edX enterprise admin portal",
        "password": "API client secret from the edX enterprise admin portal",
    },
}
"""Form of the ``edx`` connection (also returned by ``EdxHook.get_ui_field_behaviour``)."""
EDX_CONN_FIELDS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("enterprise_customer_uuid", "Enterprise customer UUID",
     "UUID of the edX enterprise customer; when empty, taken from the token's enterprise roles or the first catalog.",
     {"type": ["string", "null"], "default": None}),
    ("timeout", "Request timeout (s)", "Timeout of a single HTTP request, in seconds.",
     {"type": "number", "default": 60, "minimum": 1}),
    ("max_retries", "Max retries", "Retries of a request after a network error, HTTP 429 or 5xx (0 disables).",
     {"type": "integer", "default": 5, "minimum": 0}),
    ("max_retry_wait", "Max total retry wait (s)", "Upper bound on the time one request waits between retries.",
     {"type": "number", "default": 300, "minimum": 0}),
    ("requests_per_second", "Client-side rate limit (requests/s)",
     "Maximum request rate (edX throttles at 60/minute); 0 means unlimited.",
     {"type": "number", "default": 1, "minimum": 0}),
)  # fmt: skip
"""Extra fields of the ``edx`` connection form: name, label, help text, JSON schema."""


def _modules(package: str) -> list[str]:
    """The modules of a subpackage (listed, not imported: providers-manager discovery stays cheap)."""
    from importlib import import_module

    path = import_module(f"airflow_provider_360learning.{package}").__path__
    return sorted(f"airflow_provider_360learning.{package}.{m.name}" for m in pkgutil.iter_modules(path))


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
                "conn-fields": {
                    "region": {
                        "label": "Region",
                        "description": (
                            "360Learning platform region; selects the API base URL unless Base URL is set."
                        ),
                        "schema": {"type": "string", "enum": ["eu", "us"], "default": "eu"},
                    },
                    "timeout": {
                        "label": "Request timeout (s)",
                        "description": "Timeout of a single HTTP request, in seconds.",
                        "schema": {"type": "number", "default": 60, "minimum": 1},
                    },
                    "max_retries": {
                        "label": "Max retries",
                        "description": (
                            "Retries of a request after a network error, HTTP 429 or 5xx (0 disables retries)."
                        ),
                        "schema": {"type": "integer", "default": 5, "minimum": 0},
                    },
                    "max_retry_wait": {
                        "label": "Max total retry wait (s)",
                        "description": (
                            "Upper bound, in seconds, on the total time spent waiting between "
                            "retries of one request (including Retry-After)."
                        ),
                        "schema": {"type": "number", "default": 300, "minimum": 0},
                    },
                    "requests_per_second": {
                        "label": "Client-side rate limit (requests/s)",
                        "description": "Maximum request rate of this client; 0 means unlimited.",
                        "schema": {"type": "number", "default": 20, "minimum": 0},
                    },
                },
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
                "conn-fields": {
                    "timeout": {
                        "label": "Request timeout (s)",
                        "description": "Timeout of a single SCIM request, in seconds.",
                        "schema": {"type": "number", "default": 60, "minimum": 1},
                    },
                    "max_retries": {
                        "label": "Max retries",
                        "description": "Retries of a request after a network error, HTTP 429 or 5xx (0 disables).",
                        "schema": {"type": "integer", "default": 5, "minimum": 0},
                    },
                    "max_retry_wait": {
                        "label": "Max total retry wait (s)",
                        "description": "Upper bound on the time one request spends waiting between retries.",
                        "schema": {"type": "number", "default": 300, "minimum": 0},
                    },
                    "page_size": {
                        "label": "Page size",
                        "description": "count of each page when listing users (the server may return fewer).",
                        "schema": {"type": "integer", "default": 1000, "minimum": 1},
                    },
                },
            },
            {
                "connection-type": EDX_CONNECTION_TYPE,
                "hook-class-name": EDX_HOOK_CLASS_NAME,
                "hook-name": "edX",
                "ui-field-behaviour": copy.deepcopy(EDX_UI_FIELD_BEHAVIOUR),
                "conn-fields": {
                    name: {"label": label, "description": description, "schema": copy.deepcopy(schema)}
                    for name, label, description, schema in EDX_CONN_FIELDS
                },
            },
        ],
    }
