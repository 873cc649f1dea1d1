"""The SCIM emulator as an ASGI app (scim2-server's ``ASGIApplication``) and its control routes.

Mounted by the emulator at ``/scim/v2``; control routes under ``/_emulator/scim``: ``POST token`` (issue
a new token, revoking the old one), ``POST reset``, ``GET stats``, ``POST groups/{id}/members`` (a member
added by hand, as in 360Learning's UI).
"""

from __future__ import annotations

import json
from typing import Any

from scim2_models import NotFoundException, UnauthorizedException
from scim2_server.applications.asgi import ASGIApplication, Scope
from scim2_server.memory import AsyncInMemoryStorage
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from airflow_provider_360learning.emulator.scim.state import ScimState, scim_state

SCIM_PREFIX = "/scim/v2"


class ThreeSixtyScimApplication(ASGIApplication):
    """scim2-server's ASGI application behind 360Learning's single bearer token, counting requests."""

    def __init__(self, scim: ScimState) -> None:
        super().__init__(AsyncInMemoryStorage(scim.storage), scim.provider, service=scim.service)
        self.scim = scim

    @staticmethod
    def get_base_url(scope: Scope) -> str:
        # Mounted at /scim/v2: the root path already is the SCIM root (no extra /v2).
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode()
        if not host and scope.get("server"):
            host = "{}:{}".format(*scope["server"])
        return f"{scope['scheme']}://{host}{scope.get('root_path', '')}"

    def check_auth(self, request: ScimRequest) -> None:
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not self.scim.accepts(token.strip() or None):
            self.scim.unauthorized += 1
            raise UnauthorizedException(
                detail="The SCIM token is missing, revoked or expired (360Learning keeps one active token per "
                "IdP: generating a new one revokes the previous one)"
            )

    async def dispatch_request(self, request: ScimRequest) -> ScimResponse:
        self.scim.count(request.method, request.path)
        self.scim.pull()  # one tenant: what the core API changed is visible over SCIM at once
        return await super().dispatch_request(request)


def scim_routes(emulator_state: Any) -> list[BaseRoute]:
    """The SCIM API of ``--service scim`` (and ``all``)."""
    return [Mount(SCIM_PREFIX, app=ThreeSixtyScimApplication(scim_state(emulator_state)))]  # type: ignore[arg-type]


def scim_control_routes(emulator_state: Any) -> list[BaseRoute]:
    """Routes to mount under ``/_emulator``."""
    scim = scim_state(emulator_state)

    async def token(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("token", ""), str):
            return JSONResponse({"error": {"code": "badRequest", "message": 'body must be {} or {"token": str}'}}, 400)
        return JSONResponse(
            {"token": scim.issue_token(body.get("token") or None)}, 201, headers={"Cache-Control": "no-store"}
        )

    async def reset(request: Request) -> Response:
        scim.reset()
        return JSONResponse({"reset": True})

    async def stats(request: Request) -> Response:
        return JSONResponse(scim.stats())

    async def manual_member(request: Request) -> Response:
        try:
            value = str(json.loads(await request.body() or b"{}")["value"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": {"code": "badRequest", "message": 'body must be {"value": userId}'}}, 400)
        try:
            scim.add_manual_member(request.path_params["group_id"], value)
        except (KeyError, NotFoundException) as exc:
            return JSONResponse({"error": {"code": "notFound", "message": str(exc)}}, 404)
        return JSONResponse({"added": value}, 201)

    return [
        Mount(
            "/scim",
            routes=[
                Route("/token", token, methods=["POST"]),
                Route("/reset", reset, methods=["POST"]),
                Route("/stats", stats, methods=["GET"]),
                Route("/groups/{group_id}/members", manual_member, methods=["POST"]),
            ],
        ),
    ]
