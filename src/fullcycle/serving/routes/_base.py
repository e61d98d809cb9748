"""What every route shares: the role each endpoint declares (:func:`requires`), the guarded
route class that checks it before the endpoint runs, and :class:`Server`, the per-app context
(runtime, metrics, access, limits) with the wrapper that turns a handler's result or error
into a JSON response.

Routes take the raw Request and parse with orjson (faster than pydantic models), reading the
body as a stream that stops at the limit, whatever Content-Length claims.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from fullcycle import auth
from fullcycle import errors as E
from fullcycle.serving import payload
from fullcycle.serving.guard import Access
from fullcycle.serving.logformat import ACCESS_LOGGER, access_line
from fullcycle.serving.metrics import Metrics
from fullcycle.serving.runtime import Runtime
from fullcycle.serving.statuses import HTTPFault, error_body, error_kind, status_of

BODY_LIMIT = 1024 * 1024
BODY_TIMEOUT_S = 10.0
JSON = "application/json"
DEGRADED_FOR_S = 30.0  # readiness says degraded this long after the store last failed
ROLE_ATTR = "__fullcycle_role__"
UNSET = "admin"  # a route that declares no role needs admin: closed until someone decides
_RID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

F = TypeVar("F", bound=Callable[..., Any])
Handler = Callable[[str, float], Awaitable[tuple[int, Any, Any]]]


def requires(role: str | None) -> Callable[[F], F]:
    """Declare the role an endpoint needs (None: public), beside the endpoint itself."""

    def mark(endpoint: F) -> F:
        setattr(endpoint, ROLE_ATTR, role)
        return endpoint

    return mark


def role_of(endpoint: Any) -> str | None:
    """The role an endpoint declared; ``admin`` when it declared none."""
    return getattr(endpoint, ROLE_ATTR, UNSET)


class GuardedRoute(APIRoute):
    """A route that checks its endpoint's role (a plain call, not a dependency) first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        role = role_of(self.endpoint)
        path, endpoint = self.path, self.endpoint
        if not hasattr(endpoint, ROLE_ATTR):  # a route that decided nothing: FastAPI's way
            handler = super().get_route_handler()
        else:  # ours take the Request and string path parameters, and return a Response:
            # calling them directly skips FastAPI's dependency solver on the hot path

            async def handler(request: Request) -> Response:
                return await endpoint(request=request, **request.path_params)  # type: ignore[no-any-return]

        async def guarded(request: Request) -> Response:
            await request.app.state.server.check_access(request, role, path)
            return await handler(request)

        return guarded


def new_request_id() -> str:
    """Time-ordered (sortable, so the log index's id ranges mean something) and random."""
    return f"{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"


def request_id(request: Request) -> str:
    given = request.headers.get("x-request-id")
    return given if given and _RID.fullmatch(given) else new_request_id()


def json_response(status: int, body: Any, rid: str, version: Any = None) -> Response:
    headers = {"X-Request-ID": rid}
    if version is not None and status not in (401, 403):  # nothing about models to strangers
        headers["X-Model-Version"] = str(version)
    return Response(orjson.dumps(body), status, headers, media_type=JSON)


def check_content_type(ctype: str | None) -> None:
    """JSON or nothing (Open Inference Protocol clients send no Content-Type); else 415."""
    if not ctype:
        return
    media, _, params = ctype.partition(";")
    charset = params.strip().lower().replace('"', "")
    if media.strip().lower() != JSON or charset not in ("", "charset=utf-8"):
        raise HTTPFault(
            415,
            f"content type {ctype[:80]!r} is not accepted; send "
            "'Content-Type: application/json' (UTF-8), or no Content-Type",
        )


async def read_json(request: Request, limit: int, timeout_s: float = BODY_TIMEOUT_S) -> Any:
    """The body parsed, or HTTPFault 415 / 413 / 408 (too slow), or MalformedInput (400)."""
    check_content_type(request.headers.get("content-type"))
    return payload.parse_json(await read_body(request, limit, timeout_s))


async def read_body(request: Request, limit: int, timeout_s: float = BODY_TIMEOUT_S) -> bytes:
    """The raw body, or HTTPFault 413 (over ``limit``, whatever it claims) / 408 (too slow)."""
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
    return b"".join(chunks)


@dataclass
class Server:
    """Per-app context: what the routes need, and the wrapper every route goes through."""

    runtime: Runtime
    metrics: Metrics
    access: Access
    body_limit: int = BODY_LIMIT
    body_timeout_s: float = BODY_TIMEOUT_S
    tracer: Callable[[str], dict[str, Any]] | None = None
    store_failed_at: float = field(default=-DEGRADED_FOR_S)
    access_log: bool = False

    def version(self) -> Any:
        active = self.runtime.active
        return active.production.model.version if active else None

    def arm_of(self, version: Any) -> str:
        """production, canary or shadow: which arm of the deployment ``version`` is."""
        active = self.runtime.active
        if active is None or version is None:
            return "none"
        for arm, served in (("canary", active.canary), ("shadow", active.shadow)):
            if served is not None and served.model.version == version:
                return arm
        return "production"

    async def body(self, request: Request) -> Any:
        return await read_json(request, self.body_limit, self.body_timeout_s)

    async def check_access(self, request: Request, role: str | None, path: str) -> None:
        """Every route's gate: Unauthorized / Forbidden / 415, before the handler runs."""
        role = self.access.role_for_declared(role)
        request.state.principal = None
        if role is None:
            return
        who = self.access.identify(request.headers.get("authorization"))
        if not who.allows(role):
            exc = E.Forbidden(
                f"token {who.name!r} has role {who.role}; {request.method} {path} needs {role}",
                hint="ask an admin for a token with that role",
            )
            await self.audit("auth.forbidden", who, path, str(exc), method=request.method)
            raise exc
        request.state.principal = who
        if request.method == "POST":
            check_content_type(request.headers.get("content-type"))

    async def audit(
        self, kind: str, who: auth.Principal, subject: str, message: str, **data: Any
    ) -> None:
        db = self.runtime.logbook.db

        def work() -> None:
            auth.audit(db, kind, who, subject, message, **data)

        try:
            await asyncio.get_running_loop().run_in_executor(None, work)
        except E.StoreUnavailable:
            self.metrics.errors.labels("audit_unavailable").inc()

    def refused(self, request: Request, exc: BaseException) -> Response:
        """A refusal raised before a handler runs (the access check, an unknown path)."""
        rid = request_id(request)
        status = status_of(exc)
        self.metrics.errors.labels(error_kind(exc, status)).inc()
        response = json_response(status, error_body(exc, rid), rid, self.version())
        if self.access_log:
            path = getattr(request.scope.get("route"), "path", request.url.path)
            self.log_access(request, rid, path, status, 0.0, self.version())
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    async def serve(self, request: Request, handler: Handler, *, logged: bool = False) -> Response:
        """Run ``handler(request_id, started)``; its error becomes the mapped JSON answer.
        ``logged``: a refused request is written to the prediction log too."""
        started = time.perf_counter()
        rid = request_id(request)
        version = self.version()
        try:
            status, body, version = await handler(rid, started)
        except Exception as exc:
            status, body = status_of(exc), error_body(exc, rid)
            version = getattr(exc, "version", version)
            self.metrics.errors.labels(error_kind(exc, status)).inc()
            if isinstance(exc, E.StoreUnavailable):
                self.store_failed_at = time.monotonic()
            if logged and not getattr(exc, "logged", False):
                await self._log_refusal(rid, status, str(body["error"]), started)
        route = getattr(request.scope.get("route"), "path", request.url.path)
        arm = self.arm_of(version)
        seconds = time.perf_counter() - started
        self.metrics.observe(route, version, arm, status, seconds)
        if self.access_log:
            self.log_access(request, rid, route, status, seconds, version)
        return json_response(status, body, rid, version)

    def log_access(
        self, request: Request, rid: str, route: str, status: int, seconds: float, version: Any
    ) -> None:
        """One access record: request id, route, status, latency and model version."""
        fields = {
            "request_id": rid,
            "method": request.method,
            "route": route,
            "path": request.url.path[:200],
            "status": status,
            "latency_ms": round(seconds * 1000, 3),
            "model": self.runtime.model_name,
            "version": version,
        }
        logging.getLogger(ACCESS_LOGGER).info(access_line(fields), extra=fields)

    async def _log_refusal(self, rid: str, status: int, error: str, started: float) -> None:
        try:
            await self.runtime.log_rejected(rid, status, error[:500], None, started)
        except E.StoreUnavailable:
            self.metrics.errors.labels("log_unavailable").inc()
