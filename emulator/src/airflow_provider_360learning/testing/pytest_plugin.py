"""pytest plugin: fixtures that run the local 360Learning API emulator.

Registered as a ``pytest11`` entry point by the emulator's distribution (airflow-provider-360learning-emulator,
never by the provider's), so any project that installs the provider with the ``[emulator]`` extra gets:

``learning360_emulator``
    A running :class:`~airflow_provider_360learning.emulator.server.EmulatorServer` with
    ``record_exchanges=True``, shared by the whole session and reset before each test (overlay,
    tokens, counters, runtime settings, armed anomalies and the exchange log).
``learning360_emulator_factory``
    ``factory(**config) -> EmulatorServer`` for tests that need other flags (seed, scale, faults,
    rate limit: ``rate_limit=20`` per client or ``rate_limit="documented"``...); every server it starts is
    stopped when the test ends.

starlette and uvicorn are imported inside the fixtures, so loading the plugin never requires them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_360learning.emulator.server import EmulatorServer

EmulatorFactory = Callable[..., "EmulatorServer"]


def _start(**config: Any) -> EmulatorServer:
    pytest.importorskip("starlette", reason="the 360Learning emulator needs the [emulator] extra")
    pytest.importorskip("uvicorn", reason="the 360Learning emulator needs the [emulator] extra")
    from airflow_provider_360learning.emulator.server import EmulatorServer

    return EmulatorServer(**config)


@pytest.fixture(scope="session")
def learning360_emulator_session() -> Iterator[EmulatorServer]:
    """One emulator for the whole test session (use ``learning360_emulator`` for a clean state)."""
    server = _start(record_exchanges=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def learning360_emulator(learning360_emulator_session: EmulatorServer) -> Iterator[EmulatorServer]:
    """The session emulator, reset before the test: seeded data only, no tokens, zeroed counters."""
    server = learning360_emulator_session
    server.state.reset()
    server.state.record_exchanges = True
    yield server
    server.state.reset()


@pytest.fixture
def learning360_emulator_factory() -> Iterator[EmulatorFactory]:
    """``factory(**config)`` starts an emulator with other flags; all are stopped after the test."""
    servers: list[EmulatorServer] = []

    def factory(**config: Any) -> EmulatorServer:
        config.setdefault("record_exchanges", True)
        server = _start(**config)
        servers.append(server)
        return server

    try:
        yield factory
    finally:
        for server in servers:
            server.stop()
