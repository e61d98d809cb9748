"""The one ASGI app: ``/predict``, the Open Inference Protocol v2 routes, ``/feedback``,
``/metrics``, ``/admin/reload`` and, given a tracer, ``/trace/{request_id}``. It parses, calls
the runtime, and presents; the one error -> HTTP status map lives here.

Routes take the raw Request and parse with orjson (faster than pydantic models), reading the
body as a stream that stops at the limit, whatever Content-Length claims.
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

from fullcycle import auth
from fullcycle import errors as E
from fullcycle.serving import oip, payload
from fullcycle.serving.guard import Access, HostAndOrigin
from fullcycle.serving.logbook import Logbook
from fullcycle.serving.metrics import Metrics
from fullcycle.serving.runtime import Prediction, Runtime
from fullcycle.store import logs

BODY_LIMIT = 1024 * 1024
BODY_TIMEOUT_S = 10.0
SERVER_NAME = "fullcycle"
_RID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
MAX_VIOLATIONS = 1000
JSON = "application/json"
DEGRADED_FOR_S = 30.0  # readiness says degraded this long after the store last failed

STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (E.MalformedInput, 400),
    (E.InvalidInput, 422),
    (E.Unauthorized, 401),
    (E.Forbidden, 403),
    (E.NotFound, 404),
    (E.Conflict, 409),
    (E.ModelCheckFailed, 409),
    (E.StoreUnavailable, 503),
)


class HTTPFault(Exception):
    """A refusal decided by the HTTP layer itself (413, 415)."""

    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message
        super().__init__(message)


def status_of(exc: BaseException) -> int:
    if isinstance(exc, HTTPFault):
        return exc.status
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def new_request_id() -> str:
    """Time-ordered (sortable, so the log index's id ranges mean something) and random."""
    return f"{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"


def _json(status: int, body: Any, rid: str, version: Any = None) -> Response:
    headers = {"X-Request-ID": rid}
    if version is not None:
        headers["X-Model-Version"] = str(version)
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


async def read_json(request: Request, limit: int, timeout_s: float = BODY_TIMEOUT_S) -> Any:
    """The body parsed, or HTTPFault 415 / 413 / 408 (too slow), or MalformedInput (400)."""
    ctype = request.headers.get("content-type", "")
    media, _, params = ctype.partition(";")
    charset = params.strip().lower()
    if media.strip().lower() != "application/json" or charset not in ("", "charset=utf-8"):
        raise HTTPFault(
            415,
            f"content type {ctype[:80]!r} is not accepted; send "
            "'Content-Type: application/json' (UTF-8)",
        )
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HTTPFault(413, f"the body is larger than the limit of {limit} bytes")
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout_s):  # a slow sender does not hold a slot forever
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HTTPFault(413, f"the body is larger than the limit of {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise HTTPFault(408, f"the body did not arrive within {timeout_s:g} s") from None
    return payload.parse_json(b"".join(chunks))


def _error_kind(exc: BaseException, status: int) -> str:
    if isinstance(exc, HTTPFault):
        return f"http_{status}"
    return type(exc).__name__ if isinstance(exc, E.FullcycleError) else "internal"


def _error_body(exc: BaseException, rid: str) -> dict[str, Any]:
    if isinstance(exc, HTTPFault):
        return {"error": exc.message, "kind": "http", "request_id": rid}
    if isinstance(exc, E.FullcycleError):
        body: dict[str, Any] = {"error": str(exc), "kind": type(exc).__name__, "request_id": rid}
        if isinstance(exc, E.ContractViolation):
            body["violations"] = [
                {"row": v.row, "field": v.field, "problem": v.problem}
                for v in exc.violations[:MAX_VIOLATIONS]
            ]
            body["n_violations"] = len(exc.violations)
        return body
    return {
        "error": "internal error; the server keeps serving",
        "kind": "internal",
        "request_id": rid,
    }


def create_app(
    runtime: Runtime,
    *,
    body_limit: int = BODY_LIMIT,
    access: Access,
    body_timeout_s: float = BODY_TIMEOUT_S,
    close_logbook: bool = True,
    gc_freeze: bool = True,
    tracer: Callable[[str], dict[str, Any]] | None = None,
) -> FastAPI:
    """Assemble the app around a runtime (which owns the models and the prediction log).

    ``access`` decides who reaches which route (tokens and roles, allowed hosts, CORS); every
    route checks it before its handler runs, and a refused request changes nothing.
    """
    logbook: Logbook = runtime.logbook
    metrics = Metrics(
        log_depth=logbook.depth,
        logs_dropped=lambda: logbook.dropped,
        log_written=lambda: logbook.written,
        shadow_skipped=lambda: runtime.shadow_skipped,
    )
    runtime.on_batch = metrics.observe_batch

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

    db = runtime.logbook.db

    async def check_access(request: Request) -> None:
        """Every route's gate: the role from the route table, or Unauthorized / Forbidden."""
        path = getattr(request.scope.get("route"), "path", "")
        role = access.role_for(path)
        request.state.principal = None
        if role is None:
            return
        who = access.identify(request.headers.get("authorization"))
        if not who.allows(role):
            exc = E.Forbidden(
                f"token {who.name!r} has role {who.role}; {request.method} {path} needs {role}",
                hint="ask an admin for a token with that role",
            )
            await _audit("auth.forbidden", who, path, str(exc), method=request.method)
            raise exc
        request.state.principal = who
        ctype = request.headers.get("content-type")
        if request.method == "POST" and ctype and ctype.split(";")[0].strip().lower() != JSON:
            raise HTTPFault(415, f"content type {ctype[:80]!r} is not accepted; send {JSON}")

    async def _audit(
        kind: str, who: auth.Principal, subject: str, message: str, **data: Any
    ) -> None:
        def work() -> None:
            auth.audit(db, kind, who, subject, message, **data)

        try:
            await asyncio.get_running_loop().run_in_executor(None, work)
        except E.StoreUnavailable:
            metrics.errors.labels("audit_unavailable").inc()

    app = FastAPI(
        title="fullcycle inference server",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(check_access)],
    )
    app.state.runtime, app.state.metrics, app.state.access = runtime, metrics, access
    app.state.store_failed_at = -DEGRADED_FOR_S
    app.add_middleware(
        HostAndOrigin, allowed_hosts=access.allowed_hosts, cors_origins=access.cors_origins
    )

    @app.exception_handler(HTTPFault)
    @app.exception_handler(E.FullcycleError)
    async def refused(request: Request, exc: Exception) -> Response:
        """Refusals raised before a handler runs (the access check)."""
        given = request.headers.get("x-request-id")
        rid = given if given and _RID.fullmatch(given) else new_request_id()
        status = status_of(exc)
        metrics.errors.labels(_error_kind(exc, status)).inc()
        active = runtime.active  # every response names the version that would have served
        version = active.production.model.version if active else None
        response = _json(status, _error_body(exc, rid), rid, version)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> Response:
        return Response(orjson.dumps(app.openapi()), media_type="application/json")

    async def serve(
        request: Request,
        route: str,
        handler: Callable[[str, float], Awaitable[tuple[int, Any, Any]]],
    ) -> Response:
        started = time.perf_counter()
        given = request.headers.get("x-request-id")
        rid = given if given and _RID.fullmatch(given) else new_request_id()
        active = runtime.active
        version = active.production.model.version if active else None
        try:
            status, body, version = await handler(rid, started)
        except Exception as exc:
            status = status_of(exc)
            body = _error_body(exc, rid)
            version = getattr(exc, "version", version)
            metrics.errors.labels(_error_kind(exc, status)).inc()
            if isinstance(exc, E.StoreUnavailable):
                app.state.store_failed_at = time.monotonic()
            if route in ("/predict", "/v2/infer") and not getattr(exc, "logged", False):
                await _log_refusal(rid, status, str(body["error"]), started)
        metrics.observe(route, version, status, time.perf_counter() - started)
        return _json(status, body, rid, version)

    async def _log_refusal(rid: str, status: int, error: str, started: float) -> None:
        try:
            await runtime.log_rejected(rid, status, error[:500], None, started)
        except E.StoreUnavailable:
            metrics.errors.labels("log_unavailable").inc()

    async def predict_records(records: Any, rid: str, started: float) -> Prediction:
        if not isinstance(records, list) or not records:
            raise E.ContractViolation(
                "the request has no rows",
                [payload.Violation(-1, "", "empty batch; send one or more rows")],
            )
        if len(records) > payload.MAX_ROWS:
            raise HTTPFault(413, f"{len(records)} rows is more than {payload.MAX_ROWS} per request")
        pred = await runtime.predict(records, rid, started)
        if pred.outcome.violations:
            exc = E.ContractViolation(
                f"the request breaks the contract of model {pred.model}:{pred.version} "
                f"({len(pred.outcome.violations)} problem(s))",
                pred.outcome.violations,
                hint="fix the rows and fields listed in 'violations'",
            )
            exc.logged = True  # type: ignore[attr-defined]  # the runtime logged it already
            exc.version = pred.version  # type: ignore[attr-defined]  # canary or production
            raise exc
        return pred

    @app.post("/predict", openapi_extra=oip.PREDICT_DOC)
    async def predict(request: Request) -> Response:
        async def run(rid: str, started: float) -> tuple[int, Any, Any]:
            data = await read_json(request, body_limit, body_timeout_s)
            try:
                records = payload.records_from_predict(data)
            except E.InvalidInput as exc:
                raise E.ContractViolation(
                    str(exc), [payload.Violation(-1, "", exc.message)]
                ) from None
            pred = await predict_records(records, rid, started)
            out: dict[str, Any] = {
                "request_id": rid,
                "model": pred.model,
                "version": pred.version,
                "predictions": pred.outcome.predictions,
            }
            if pred.outcome.proba is not None:
                out["probabilities"] = pred.outcome.proba
                out["classes"] = oip.classes_of(runtime, pred)
            if pred.outcome.decisions is not None:
                out["decisions"] = pred.outcome.decisions
            return 200, out, pred.version

        return await serve(request, "/predict", run)

    @app.post("/v2/models/{name}/infer", openapi_extra=oip.INFER_DOC)
    async def infer(name: str, request: Request) -> Response:
        async def run(rid: str, started: float) -> tuple[int, Any, Any]:
            oip.check_model_name(runtime, name)
            data = await read_json(request, body_limit, body_timeout_s)
            try:
                records, given_id = payload.records_from_v2(data)
            except E.InvalidInput as exc:
                raise E.ContractViolation(
                    str(exc), [payload.Violation(-1, "", exc.message)]
                ) from None
            pred = await predict_records(records, rid, started)
            return 200, oip.infer_response(runtime, pred, given_id or rid), pred.version

        return await serve(request, "/v2/infer", run)

    @app.post("/feedback")
    async def feedback(request: Request) -> Response:
        async def run(rid: str, started: float) -> tuple[int, Any, Any]:
            data = await read_json(request, body_limit, body_timeout_s)
            items = logs.check_feedback(
                data.get("items", data)
                if isinstance(data, dict) and "request_id" not in data
                else data
            )
            stored, orphans = await runtime.add_feedback(items)
            await _audit(
                "feedback",
                request.state.principal,
                runtime.model_name,
                f"{stored} label(s) stored",
                stored=stored,
                orphans=len(orphans),
            )
            return 200, {"stored": stored, "orphans": orphans, "request_id": rid}, None

        return await serve(request, "/feedback", run)

    @app.get("/metrics")
    async def metrics_route() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    @app.post("/admin/reload")
    async def reload(request: Request) -> Response:
        async def run(rid: str, started: float) -> tuple[int, Any, Any]:
            report = await runtime.refresh(force=True)
            await _audit(
                "server.reload",
                request.state.principal,
                runtime.model_name,
                "swapped" if report.swapped else (report.error or "unchanged"),
                revision=report.revision,
            )
            metrics.swaps.labels(
                "swapped" if report.swapped else "unchanged" if report.error is None else "refused"
            ).inc()
            body = {
                "revision": report.revision,
                "swapped": report.swapped,
                "error": report.error,
                "versions": report.versions,
            }
            active = runtime.active
            return (
                (200 if report.error is None else 409),
                body,
                (active.production.model.version if active else None),
            )

        return await serve(request, "/admin/reload", run)

    if tracer is not None:

        @app.get("/trace/{request_id}")
        async def trace_route(request_id: str, request: Request) -> Response:
            async def run(rid: str, started: float) -> tuple[int, Any, Any]:
                return 200, await asyncio.to_thread(tracer, request_id), None

            return await serve(request, "/trace", run)

    _add_v2_metadata(app, runtime, serve)
    return app


def _add_v2_metadata(app: FastAPI, runtime: Runtime, serve: Any) -> None:
    version = oip.server_version()

    @app.get("/v2")
    async def server_metadata(request: Request) -> Response:
        async def run(rid: str, started: float) -> tuple[int, Any, Any]:
            return 200, {"name": SERVER_NAME, "version": version, "extensions": []}, None

        return await serve(request, "/v2", run)

    @app.get("/v2/health/live")
    async def live(request: Request) -> Response:
        async def run(rid: str, started: float) -> tuple[int, Any, Any]:
            return 200, {"live": True}, None

        return await serve(request, "/v2/health/live", run)

    @app.get("/v2/health/ready")
    async def ready(request: Request) -> Response:
        async def run(rid: str, started: float) -> tuple[int, Any, Any]:
            ok = runtime.active is not None
            # degraded: serving from memory while the store is down (logs wait on disk)
            recent = time.monotonic() - app.state.store_failed_at < DEGRADED_FOR_S
            degraded = runtime.logbook.store_down or recent
            body: dict[str, Any] = {"ready": ok, "degraded": degraded}
            if runtime.last_report is not None and runtime.last_report.error:
                body["reason"] = runtime.last_report.error  # why the deployment is not served
            return (200 if ok else 503), body, None

        return await serve(request, "/v2/health/ready", run)

    @app.get("/v2/models/{name}")
    async def model_metadata(name: str, request: Request) -> Response:
        async def run(rid: str, started: float) -> tuple[int, Any, Any]:
            oip.check_model_name(runtime, name)
            return 200, oip.model_metadata(runtime), None

        return await serve(request, "/v2/models", run)

    @app.get("/v2/models/{name}/ready")
    async def model_ready(name: str, request: Request) -> Response:
        async def run(rid: str, started: float) -> tuple[int, Any, Any]:
            oip.check_model_name(runtime, name)
            ok = runtime.active is not None
            return (200 if ok else 503), {"name": name, "ready": ok}, None

        return await serve(request, "/v2/models/ready", run)


def serve_forever(
    factory: str, *, host: str, port: int, workers: int, graceful_s: float = 30.0
) -> None:
    """Run uvicorn on ``factory`` (``module:function`` returning the app) in N processes."""
    import uvicorn

    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=int(graceful_s),
        lifespan="on",
    )
