"""``POST /feedback``: true labels for earlier predictions, joined on the request id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fullcycle.serving.routes._base import Server, requires
from fullcycle.store import logs


def add_to(r: APIRouter) -> None:
    """Add the feedback route to ``r``."""
    r.add_api_route("/feedback", feedback, methods=["POST"])


@requires("write")
async def feedback(request: Request) -> Response:
    """Store ``{request_id, label}`` items; unknown ids come back as orphans."""
    server: Server = request.app.state.server

    async def run(rid: str, started: float) -> tuple[int, Any, Any]:
        data = await server.body(request)
        items = logs.check_feedback(
            data.get("items", data) if isinstance(data, dict) and "request_id" not in data else data
        )
        stored, orphans = await server.runtime.add_feedback(items)
        await server.audit(
            "feedback",
            request.state.principal,
            server.runtime.model_name,
            f"{stored} label(s) stored",
            stored=stored,
            orphans=len(orphans),
        )
        return 200, {"stored": stored, "orphans": orphans, "request_id": rid}, None

    return await server.serve(request, run)
