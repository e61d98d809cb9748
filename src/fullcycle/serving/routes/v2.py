"""Open Inference Protocol v2: server and model metadata, health, readiness and infer."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fullcycle import errors as E
from fullcycle.serving import oip, payload
from fullcycle.serving.routes._base import DEGRADED_FOR_S, Server, requires
from fullcycle.serving.routes.predict import predict_records, schema_error

SERVER_NAME = "fullcycle"


def add_to(r: APIRouter) -> None:
    """Add the v2 routes to ``r``."""
    r.add_api_route("/v2", server_metadata, methods=["GET"])
    r.add_api_route("/v2/health/live", live, methods=["GET"])
    r.add_api_route("/v2/health/ready", ready, methods=["GET"])
    r.add_api_route("/v2/models/{name}", model_metadata, methods=["GET"])
    r.add_api_route("/v2/models/{name}/ready", model_ready, methods=["GET"])
    r.add_api_route("/v2/models/{name}/infer", infer, methods=["POST"], openapi_extra=oip.INFER_DOC)


def _server(request: Request) -> Server:
    return request.app.state.server  # type: ignore[no-any-return]


async def _answer(request: Request, status: int, body: Any) -> Response:
    async def run(rid: str, started: float) -> tuple[int, Any, Any]:
        return status, body, None

    return await _server(request).serve(request, run)


@requires("read")
async def server_metadata(request: Request) -> Response:
    """The server's name, version and extensions."""
    body = {"name": SERVER_NAME, "version": oip.server_version(), "extensions": []}
    return await _answer(request, 200, body)


@requires(None)
async def live(request: Request) -> Response:
    """The process answers."""
    return await _answer(request, 200, {"live": True})


@requires(None)
async def ready(request: Request) -> Response:
    """A model is loaded; degraded while serving from memory with the store down."""
    server = _server(request)
    ok = server.runtime.active is not None
    recent = time.monotonic() - server.store_failed_at < DEGRADED_FOR_S
    degraded = server.runtime.logbook.store_down or recent
    return await _answer(request, 200 if ok else 503, {"ready": ok, "degraded": degraded})


@requires("read")
async def model_metadata(name: str, request: Request) -> Response:
    """The model's name, versions, platform, inputs and outputs."""
    server = _server(request)

    async def run(rid: str, started: float) -> tuple[int, Any, Any]:
        oip.check_model_name(server.runtime, name)
        return 200, oip.model_metadata(server.runtime), None

    return await server.serve(request, run)


@requires("read")
async def model_ready(name: str, request: Request) -> Response:
    """The model is loaded and serving."""
    server = _server(request)

    async def run(rid: str, started: float) -> tuple[int, Any, Any]:
        oip.check_model_name(server.runtime, name)
        ok = server.runtime.active is not None
        return (200 if ok else 503), {"name": name, "ready": ok}, None

    return await server.serve(request, run)


@requires("predict")
async def infer(name: str, request: Request) -> Response:
    """Predict the rows of a v2 inference request."""
    server = _server(request)

    async def run(rid: str, started: float) -> tuple[int, Any, Any]:
        oip.check_model_name(server.runtime, name)
        data = await server.body(request)
        try:
            records, given_id = payload.records_from_v2(data)
        except E.InvalidInput as exc:
            raise schema_error(exc) from None
        pred = await predict_records(server, records, rid, started)
        return 200, oip.infer_response(server.runtime, pred, given_id or rid), pred.version

    return await server.serve(request, run, logged=True)
