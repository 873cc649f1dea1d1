"""What the emulator's services share over ASGI: the application that keeps the connection's transport (so that a
fault can drop it), the answer delay of ``--latency-ms``, the dropped connection and the request's base URL.

The shared core of the emulator: the 360Learning API (:mod:`~airflow_provider_360learning.emulator.learning`), the
edX gateway (:mod:`~airflow_provider_360learning.emulator.edx`) and the SCIM service
(:mod:`~airflow_provider_360learning.emulator.scim`) build on it, side by side, and
:mod:`~airflow_provider_360learning.emulator.app` mounts them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

TRANSPORT_KEY = "emulator.transport"


class EmulatorApp(Starlette):
    """Starlette app that keeps the connection's transport in the scope, so a fault can drop it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is not None:
                scope[TRANSPORT_KEY] = transport
        await super().__call__(scope, receive, send)


async def answer_delay(latency_ms: float) -> None:
    """``--latency-ms``: the answer, already decided, waits before it is sent."""
    if latency_ms > 0:
        await asyncio.sleep(latency_ms / 1000)


async def drop_connection(scope: Scope, send: Send) -> None:
    """Close the connection without any response (what a crashed proxy looks like to the client)."""
    transport = scope.get(TRANSPORT_KEY)
    if transport is not None:
        transport.close()
        for _ in range(3):  # let the server see the disconnection before the app returns
            await asyncio.sleep(0)
        return
    # Not under uvicorn: start a response that never completes, which the server aborts.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]})
    await send({"type": "http.response.body", "body": b"{", "more_body": True})


def base_url(scheme: str, headers: Mapping[str, str], server: tuple[str, int | None] | None) -> str:
    """``scheme://host[:port]`` of the request as the client sent it (``X-Forwarded-*`` honoured)."""
    proto = headers.get("x-forwarded-proto", "").split(",")[0].strip() or scheme
    host = headers.get("x-forwarded-host", "").split(",")[0].strip() or headers.get("host", "")
    if not host and server is not None:
        name, port = server
        host = f"{name}:{port}" if port else name
    return f"{proto}://{host}"
