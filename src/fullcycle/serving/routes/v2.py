"""Open Inference Protocol v2: server and model metadata, health, readiness and infer."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fullcycle import errors as E
from fullcycle.serving import oip, payload, tensors
from fullcycle.serving.routes._base import (
    DEGRADED_FOR_S,
    Server,
    check_content_type,
    read_body,
    requires,
)
from fullcycle.serving.routes.predict import predict_records, schema_error

SERVER_NAME = "fullcycle"


def add_to(r: APIRouter) -> None:
    """Add the v2 routes to ``r``."""
    r.add_api_route("/v2", server_metadata, methods=["GET"])
    r.add_api_route("/v2/health/live", live, methods=["GET"])
    r.add_api_route("/v2/health/ready", ready, methods=["GET"])
    for base in ("/v2/models/{name}", "/v2/models/{name}/versions/{version}"):
        r.add_api_route(base, model_metadata, methods=["GET"])
        r.add_api_route(f"{base}/ready", model_ready, methods=["GET"])
        r.add_api_route(f"{base}/infer", infer, methods=["POST"], openapi_extra=oip.INFER_DOC)


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
    """A model is loaded and the log writable; degraded while serving from memory with the
    store down."""
    server = _server(request)
    log_ok = server.runtime.logbook.writable()  # not ready while the log cannot be written
    ok = server.runtime.active is not None and log_ok
    recent = time.monotonic() - server.store_failed_at < DEGRADED_FOR_S
    degraded = server.runtime.logbook.store_down or recent
    body: dict[str, Any] = {"ready": ok, "degraded": degraded}
    if not log_ok:
        body["log"] = server.runtime.logbook.status()
    report = server.runtime.last_report
    if report is not None and report.error:
        body["reason"] = report.error  # why the deployment is not (yet) served
    return await _answer(request, 200 if ok else 503, body)


@requires("read")
async def model_metadata(name: str, request: Request, version: str | None = None) -> Response:
    """The model's name, versions, platform, inputs and outputs."""
    server = _server(request)

    async def run(rid: str, started: float) -> tuple[int, Any, Any]:
        pinned = oip.check_model_name(server.runtime, name, version)
        return 200, oip.model_metadata(server.runtime, pinned), None

    return await server.serve(request, run)


@requires("read")
async def model_ready(name: str, request: Request, version: str | None = None) -> Response:
    """The model (or that version of it) is loaded and serving."""
    server = _server(request)

    async def run(rid: str, started: float) -> tuple[int, Any, Any]:
        oip.check_model_name(server.runtime, name, version)
        ok = server.runtime.active is not None
        return (200 if ok else 503), {"name": name, "ready": ok}, None

    return await server.serve(request, run)


@requires("predict")
async def infer(name: str, request: Request, version: str | None = None) -> Response:
    """Predict the rows of a v2 inference request (JSON, or the binary tensor extension)."""
    server = _server(request)

    async def run(rid: str, started: float) -> tuple[int, Any, Any]:
        pinned = oip.check_model_name(server.runtime, name, version)
        data = await _infer_body(server, request)
        try:
            records, given_id = tensors.records_from_v2(data, oip.inputs_of(server.runtime))
        except E.InvalidInput as exc:
            raise schema_error(exc) from None
        pred = await predict_records(server, records, rid, started, pinned)
        out = oip.infer_response(server.runtime, pred, given_id or rid)
        try:
            out = oip.select_outputs(out, data.get("outputs"))
        except E.InvalidInput as exc:
            raise schema_error(exc) from None
        return 200, out, pred.version

    return await server.serve(request, run, logged=True)


async def _infer_body(server: Server, request: Request) -> Any:
    """The JSON body, with binary tensor data (``Inference-Header-Content-Length``) filled in."""
    header_length = request.headers.get("inference-header-content-length")
    if header_length is None:
        return await server.body(request)
    check_content_type(request.headers.get("content-type"))
    raw = await read_body(request, server.body_limit, server.body_timeout_s)
    try:
        head, blob = tensors.split_binary(raw, header_length)
    except E.InvalidInput as exc:
        raise E.MalformedInput(exc.message) from None
    return tensors.attach_binary(payload.parse_json(head), blob)
