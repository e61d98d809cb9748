"""``POST /feedback``: true labels for earlier predictions, joined on the request id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fullcycle.serving.feedback import receive
from fullcycle.serving.routes._base import Server, requires


def add_to(r: APIRouter) -> None:
    """Add the feedback route to ``r``."""
    r.add_api_route("/feedback", feedback, methods=["POST"])


@requires("write")
async def feedback(request: Request) -> Response:
    """Store ``{request_id, label, row?}`` items, checked and normalised by
    :mod:`fullcycle.serving.feedback`; unknown ids come back as orphans."""
    server: Server = request.app.state.server

    async def run(rid: str, started: float) -> tuple[int, Any, Any]:
        data = await server.body(request)
        body = await receive(server.runtime, data, request.app.state.feedback_limits)
        await server.audit(
            "feedback",
            request.state.principal,
            server.runtime.model_name,
            f"{body['stored']} label(s) stored",
            stored=body["stored"],
            orphans=len(body["orphans"]),
        )
        return 200, {**body, "request_id": rid}, None

    return await server.serve(request, run)
