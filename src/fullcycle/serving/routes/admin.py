"""``POST /admin/reload`` (re-read the deployment now) and ``GET /openapi.json``."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from fullcycle.serving.routes._base import JSON, Server, requires


def add_to(r: APIRouter) -> None:
    """Add the admin routes to ``r``."""
    r.add_api_route("/admin/reload", reload, methods=["POST"])
    r.add_api_route("/openapi.json", openapi, methods=["GET"], include_in_schema=False)


@requires("admin")
async def reload(request: Request) -> Response:
    """Poll the deployment now; swap if it changed (409 when the new version is refused)."""
    server: Server = request.app.state.server
    runtime = server.runtime

    async def run(rid: str, started: float) -> tuple[int, Any, Any]:
        report = await runtime.refresh(force=True)
        await server.audit(
            "server.reload",
            request.state.principal,
            runtime.model_name,
            "swapped" if report.swapped else (report.error or "unchanged"),
            revision=report.revision,
        )
        outcome = (
            "swapped" if report.swapped else "unchanged" if report.error is None else "refused"
        )
        server.metrics.swaps.labels(outcome).inc()
        body = {
            "revision": report.revision,
            "swapped": report.swapped,
            "error": report.error,
            "versions": report.versions,
        }
        return (200 if report.error is None else 409), body, server.version()

    return await server.serve(request, run)


@requires("read")
async def openapi(request: Request) -> Response:
    """The OpenAPI document."""
    return Response(orjson.dumps(request.app.openapi()), media_type=JSON)
