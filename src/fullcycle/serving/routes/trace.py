"""``GET /trace/{request_id}``: one prediction's whole story (present when given a tracer)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fullcycle.serving.routes._base import Server, requires


def add_to(r: APIRouter) -> None:
    """Add the trace route to ``r``."""
    r.add_api_route("/trace/{request_id}", trace, methods=["GET"])


@requires("read")
async def trace(request_id: str, request: Request) -> Response:
    """The trace of ``request_id``: input, model, data, decisions, feedback."""
    server: Server = request.app.state.server
    tracer = server.tracer
    assert tracer is not None  # the route is only added with a tracer

    async def run(rid: str, started: float) -> tuple[int, Any, Any]:
        return 200, await asyncio.to_thread(tracer, request_id), None

    return await server.serve(request, run)
