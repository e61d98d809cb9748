"""The one ASGI app: it assembles the routers of ``serving/routes/`` (predict, v2, feedback,
admin, trace, metrics) around a runtime, with the Host/Origin guard, the lifespan that starts
and stops the runtime, and the refusal handler. The error -> status map is
``serving/statuses.py``; each route's role sits beside the route.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from fullcycle import errors as E
from fullcycle.serving.feedback import FeedbackLimits
from fullcycle.serving.guard import Access, HostAndOrigin
from fullcycle.serving.metrics import Metrics
from fullcycle.serving.routes import admin, feedback, metrics, predict, trace, v2
from fullcycle.serving.routes._base import (
    BODY_LIMIT,
    BODY_TIMEOUT_S,
    GuardedRoute,
    Server,
    new_request_id,
    read_json,
)
from fullcycle.serving.runtime import Runtime
from fullcycle.serving.statuses import STATUS, HTTPFault, status_of

__all__ = [
    "BODY_LIMIT",
    "STATUS",
    "HTTPFault",
    "create_app",
    "new_request_id",
    "read_json",
    "serve_forever",
    "status_of",
]


def _metrics_for(runtime: Runtime, metrics_dir: str | None) -> Metrics:
    from fullcycle.serving.quality import quality_reader

    logbook = runtime.logbook
    found = Metrics(
        model=runtime.model_name,
        log_depth=logbook.depth,
        logs_dropped=lambda: logbook.dropped,
        log_written=lambda: logbook.written,
        shadow_skipped=lambda: runtime.shadow_skipped,
        quality=quality_reader(logbook.db, runtime.model_name),
        multiprocess_dir=metrics_dir,
    )
    runtime.on_batch = found.observe_batch
    return found


def _lifespan(runtime: Runtime, close_logbook: bool, gc_freeze: bool) -> Any:
    logbook = runtime.logbook

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        if not logbook._threads:
            logbook.start()
        await runtime.start()
        if gc_freeze:
            gc.collect()
            gc.freeze()  # startup objects (libraries, models) leave the collector's scans
        yield
        await runtime.stop()
        if close_logbook:
            logbook.close()

    return lifespan


def create_app(
    runtime: Runtime,
    *,
    body_limit: int = BODY_LIMIT,
    access: Access,
    body_timeout_s: float = BODY_TIMEOUT_S,
    close_logbook: bool = True,
    gc_freeze: bool = True,
    tracer: Callable[[str], dict[str, Any]] | None = None,
    feedback_limits: FeedbackLimits | None = None,
    metrics_dir: str | None = None,
    access_log: bool = False,
) -> FastAPI:
    """Assemble the app around a runtime (which owns the models and the prediction log).

    ``access`` decides who reaches which route (tokens and roles, allowed hosts, CORS); every
    route checks it before its handler runs, and a refused request changes nothing.
    ``metrics_dir``: prometheus_client's multiprocess folder, shared by the workers.
    ``access_log``: one record per request on the ``fullcycle.access`` logger.
    """
    metrics_ = _metrics_for(runtime, metrics_dir)
    server = Server(runtime, metrics_, access, body_limit, body_timeout_s, tracer)
    server.access_log = access_log
    app = FastAPI(
        title="fullcycle inference server",
        lifespan=_lifespan(runtime, close_logbook, gc_freeze),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.router.route_class = GuardedRoute  # routes added later declare their role, or need admin
    app.state.server = server
    app.state.feedback_limits = feedback_limits or FeedbackLimits()  # orphan quota (feedback.py)
    app.state.runtime, app.state.metrics, app.state.access = runtime, server.metrics, access
    app.add_middleware(
        HostAndOrigin, allowed_hosts=access.allowed_hosts, cors_origins=access.cors_origins
    )
    for module in (predict, v2, feedback, admin, metrics):
        module.add_to(app.router)
    if tracer is not None:
        trace.add_to(app.router)
    _add_refusals(app, server)
    return app


def _add_refusals(app: FastAPI, server: Server) -> None:
    async def refused(request: Request, exc: Exception) -> Response:
        return server.refused(request, exc)

    async def no_route(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        what = "no such path" if exc.status_code == 404 else str(exc.detail)
        fault = HTTPFault(exc.status_code, f"{request.method} {request.url.path[:200]}: {what}")
        return server.refused(request, fault)

    app.add_exception_handler(HTTPFault, refused)
    app.add_exception_handler(E.FullcycleError, refused)
    app.add_exception_handler(HTTPException, no_route)


def serve_forever(
    factory: str,
    *,
    host: str,
    port: int,
    workers: int,
    graceful_s: float = 30.0,
    log_level: str = "warning",
    log_format: str = "text",
) -> None:
    """Run uvicorn on ``factory`` (``module:function`` returning the app) in N processes.
    uvicorn's own access log stays off: the routes write a richer one (``access_log``)."""
    import uvicorn

    from fullcycle.serving.headerguard import guarded_protocol
    from fullcycle.serving.logformat import log_config

    uvicorn.run(
        factory,
        factory=True,
        http=guarded_protocol(),  # slow request headers time out
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        log_config=log_config(log_level, log_format),
        access_log=False,
        timeout_graceful_shutdown=int(graceful_s),
        lifespan="on",
    )
