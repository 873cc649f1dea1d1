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

from typing import Any

from airflow_provider_360learning import __version__

CONNECTION_TYPE = "360learning"
HOOK_MODULE = "airflow_provider_360learning.hooks.three_sixty_learning"
HOOK_CLASS_NAME = f"{HOOK_MODULE}.ThreeSixtyLearningHook"
INTEGRATION_NAME = "360Learning"


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
            }
        ],
    }
