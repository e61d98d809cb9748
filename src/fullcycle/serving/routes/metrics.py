"""``GET /metrics``: Prometheus exposition of the whole server."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fullcycle.serving.routes._base import Server, requires


def add_to(r: APIRouter) -> None:
    """Add the metrics route to ``r``."""
    r.add_api_route("/metrics", scrape, methods=["GET"])


@requires("read")
async def scrape(request: Request) -> Response:
    """Every metric, in Prometheus' text format."""
    server: Server = request.app.state.server
    text = await asyncio.to_thread(server.metrics.render)  # reads the store: off the loop
    return Response(text, media_type="text/plain; version=0.0.4")
