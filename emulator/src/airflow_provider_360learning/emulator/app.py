"""The emulator's Starlette application: the services' API mounts and the ``/_emulator`` control interface.

The services are siblings over a shared core (:mod:`~airflow_provider_360learning.emulator.asgi`, the state, the
tenant): the 360Learning API (:mod:`~airflow_provider_360learning.emulator.learning`), the SCIM service
(:mod:`~airflow_provider_360learning.emulator.scim`) and the edX gateway
(:mod:`~airflow_provider_360learning.emulator.edx`). This module only mounts them; none of them imports it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from airflow_provider_360learning.emulator.anomalies import AnomalyError
from airflow_provider_360learning.emulator.asgi import EmulatorApp, answer_delay
from airflow_provider_360learning.emulator.config import EmulatorConfig
from airflow_provider_360learning.emulator.course_skills import course_skill_routes
from airflow_provider_360learning.emulator.events import event_control_routes
from airflow_provider_360learning.emulator.handlers import HANDLERS
from airflow_provider_360learning.emulator.learning import LearningApi, learning_routes
from airflow_provider_360learning.emulator.state import EmulatorState, RowError

__all__ = ["SERVICE_ROUTES", "EmulatorApp", "LearningApi", "answer_delay", "create_app"]


# -- control interface -------------------------------------------------------------------------
def _control_routes(state: EmulatorState) -> list[BaseRoute]:
    def ok(data: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(data, status)

    def row_error(exc: RowError) -> JSONResponse:
        code = {404: "notFound", 409: "conflict"}.get(exc.status, "badRequest")
        return JSONResponse({"error": {"code": code, "message": str(exc)}}, exc.status)

    async def json_body(request: Request) -> Any:
        raw = await request.body()
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise RowError(f"body is not JSON: {exc}") from None

    async def reset(request: Request) -> Response:
        state.reset()
        return ok({"reset": True})

    async def stats(request: Request) -> Response:
        return ok(state.stats())

    async def info(request: Request) -> Response:
        config = state.config
        return ok(
            {
                "tenant": state.tenant.summary(),
                "client_id": config.client_id,
                "service": config.service,
                "record_exchanges": state.record_exchanges,
                "collections": sorted(state.tenant.collections),
                "implemented_actions": sorted(HANDLERS),
            }
        )

    async def revoke(request: Request) -> Response:
        return ok({"revoked": state.revoke_tokens()})

    async def config(request: Request) -> Response:
        if request.method == "GET":
            return ok(state.settings.as_dict())
        try:
            changes = await json_body(request)
            if not isinstance(changes, dict):
                raise RowError("body must be a JSON object")
            if "record_exchanges" in changes:
                state.record_exchanges = bool(changes.pop("record_exchanges"))
            return ok(state.update_config(**changes).as_dict())
        except (RowError, ValueError) as exc:
            return row_error(exc if isinstance(exc, RowError) else RowError(str(exc)))

    async def rows(request: Request) -> Response:
        collection = request.path_params["collection"]
        oid = request.path_params.get("oid")
        try:
            if request.method == "POST":
                return ok(state.add_row(collection, await json_body(request)), 201)
            assert oid is not None
            if request.method == "GET":
                row = state.get_row(collection, oid)
                if row is None:
                    raise RowError(f"no {collection} row with id {oid}", 404)
                return ok(row)
            if request.method == "PATCH":
                return ok(state.patch_row(collection, oid, await json_body(request)))
            state.delete_row(collection, oid)
            return Response(status_code=204)
        except RowError as exc:
            return row_error(exc)

    async def anomalies(request: Request) -> Response:
        anomaly_id = request.path_params.get("anomaly_id")
        if request.method == "GET":
            return ok([a.as_dict() for a in state.anomalies.listed()])
        if request.method == "POST":
            try:
                return ok(state.anomalies.arm(await json_body(request)).as_dict(), 201)
            except (RowError, AnomalyError) as exc:
                return row_error(exc if isinstance(exc, RowError) else RowError(str(exc)))
        if not state.anomalies.clear(anomaly_id) and anomaly_id is not None:
            return row_error(RowError(f"no anomaly with id {anomaly_id} is armed", 404))
        return Response(status_code=204)

    async def exchanges(request: Request) -> Response:
        if request.method == "DELETE":
            state.clear_exchanges()
            return Response(status_code=204)
        limit = request.query_params.get("limit")
        items = state.exchanges
        if limit is not None and limit.isdigit():
            items = items[-int(limit) :] if int(limit) else []
        return ok([e.as_json() for e in items])

    return [
        Route("/reset", reset, methods=["POST"]),
        Route("/stats", stats, methods=["GET"]),
        Route("/info", info, methods=["GET"]),
        Route("/tokens/revoke", revoke, methods=["POST"]),
        Route("/config", config, methods=["GET", "POST"]),
        Route("/rows/{collection}", rows, methods=["POST"]),
        Route("/rows/{collection}/{oid}", rows, methods=["GET", "PATCH", "DELETE"]),
        Route("/exchanges", exchanges, methods=["GET", "DELETE"]),
        Route("/anomalies", anomalies, methods=["GET", "POST", "DELETE"]),
        Route("/anomalies/{anomaly_id}", anomalies, methods=["DELETE"]),
    ]


def _scim_routes(state: EmulatorState) -> list[BaseRoute]:
    from airflow_provider_360learning.emulator.scim import scim_routes

    return scim_routes(state)


def _edx_routes(state: EmulatorState) -> list[BaseRoute]:
    from airflow_provider_360learning.emulator.edx import edx_routes

    return edx_routes(state)


SERVICE_ROUTES: dict[str, Callable[[EmulatorState], list[BaseRoute]]] = {
    "360learning": learning_routes,
    "scim": _scim_routes,  # /scim/v2 (control: /_emulator/scim)
    "edx": _edx_routes,  # /oauth2 and /enterprise, the edX gateway's own paths (control: /_emulator/edx)
}
"""Per-service sub-apps; ``--service all`` mounts every entry."""


def _issued_tokens_endpoint(state: EmulatorState, services: Mapping[str, Any]) -> Callable[[Request], Any]:
    """``GET /_emulator/tokens/issued``: every token issued per service, so an end-to-end test run in other
    processes (a real Airflow stack) can scan its logs, XComs and rendered fields for them."""

    async def issued(request: Request) -> Response:
        tokens: dict[str, list[str]] = {"360learning": state.issued_token_values()}
        if "scim" in services:
            from airflow_provider_360learning.emulator.scim.state import scim_state

            scim = scim_state(state)
            tokens["scim"] = sorted({scim.initial_token, scim.token})
        if "edx" in services:
            from airflow_provider_360learning.emulator.edx.state import edx_state

            tokens["edx"] = edx_state(state).issued_token_values()
        return JSONResponse(tokens)

    return issued


def create_app(config: EmulatorConfig | None = None, *, state: EmulatorState | None = None) -> Starlette:
    """Build the emulator app; ``app.state.emulator`` is the :class:`EmulatorState` tests can drive."""
    config = config or (state.config if state is not None else EmulatorConfig())
    state = state or EmulatorState(config)
    services: Mapping[str, Callable[[EmulatorState], list[BaseRoute]]] = (
        SERVICE_ROUTES if config.service == "all" else {config.service: SERVICE_ROUTES[config.service]}
    )
    control = _control_routes(state)
    control.extend(course_skill_routes(state))
    control.extend(event_control_routes(state))
    if "scim" in services:
        from airflow_provider_360learning.emulator.scim import scim_control_routes

        control.extend(scim_control_routes(state))
    if "edx" in services:
        from airflow_provider_360learning.emulator.edx import edx_control_routes

        control.extend(edx_control_routes(state))
    control.append(Route("/tokens/issued", _issued_tokens_endpoint(state, services), methods=["GET"]))
    routes: list[BaseRoute] = [Mount("/_emulator", routes=control)]
    for build in services.values():
        routes.extend(build(state))
    app = EmulatorApp(routes=routes)
    app.state.emulator = state
    app.state.config = config
    return app
