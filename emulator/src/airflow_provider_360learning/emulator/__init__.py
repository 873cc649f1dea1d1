"""Local emulator of the 360Learning API v2, for tests, demos and benchmarks.

It ships in its own distribution, ``airflow-provider-360learning-emulator`` (the ``[emulator]`` extra of the provider;
from a clone, ``pip install -e ".[test]" -e ./emulator``). Run ``360learning-emulator --help`` (or
``python -m airflow_provider_360learning.emulator --help``), or in Python::

    from airflow_provider_360learning.emulator import EmulatorServer

    with EmulatorServer(seed=7, scale=2) as server:
        ...  # server.url, server.state (overlay, tokens, counters, exchanges)

Layout, without import cycles (``tests/unit/emulator/test_emulator_layout.py``): a shared core (``asgi``,
``config``, ``rate_limit``, ``page_cache``, ``tenant``, ``state``, ``anomalies``); the 360Learning API (``learning``
over ``routing``, ``bodies``, ``errors``, ``pagination``, ``broken_pages``, ``events``, ``course_skills`` and
``handlers/``), the edX gateway (``edx/``) and the SCIM service (``scim/``) side by side on it; ``app`` mounts them.

Routing, validation and pagination are generic over :data:`~airflow_provider_360learning.actions.ACTIONS`;
data is generated lazily and deterministically from ``(seed, scale)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_360learning.emulator.config import EmulatorConfig

if TYPE_CHECKING:
    from airflow_provider_360learning.emulator.app import create_app
    from airflow_provider_360learning.emulator.server import EmulatorServer
    from airflow_provider_360learning.emulator.state import EmulatorState

__all__ = ["EmulatorConfig", "EmulatorServer", "EmulatorState", "create_app"]


def __getattr__(name: str) -> Any:
    """Import the server parts lazily: the config stays importable without starlette and uvicorn."""
    if name == "EmulatorServer":
        from airflow_provider_360learning.emulator.server import EmulatorServer

        return EmulatorServer
    if name == "EmulatorState":
        from airflow_provider_360learning.emulator.state import EmulatorState

        return EmulatorState
    if name == "create_app":
        from airflow_provider_360learning.emulator.app import create_app

        return create_app
    raise AttributeError(name)
