"""The pages (GET): check who asks, gather in a worker thread, render."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from fullcycle import auth
from fullcycle.errors import AuthError, BadRequest, FullcycleError, InvalidInput, NotFound
from fullcycle.serving.statuses import status_of
from fullcycle.ui import security, sources, sources_ops

if TYPE_CHECKING:
    from fullcycle.project import Project

NAV = (
    ("", "Overview"),
    ("data", "Data"),
    ("runs", "Runs"),
    ("models", "Models"),
    ("deployment", "Deployment"),
    ("monitoring", "Monitoring"),
    ("labelling", "Labelling"),
    ("events", "Events"),
    ("trace", "Trace"),
)
FLASH_COOKIE = "fc_flash"
_KIND_RE = re.compile(r"[a-z0-9._-]{0,64}")
_REF_RE = re.compile(r"[A-Za-z0-9._-]{1,128}[:@][A-Za-z0-9._-]{1,128}")
_RUN_RE = re.compile(r"[0-9a-f]{1,32}")


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    who: auth.Principal | None,
    status: int = 200,
) -> Response:
    state = request.app.state.ui
    base = request.scope.get("root_path", "").rstrip("/")
    flash = unquote(request.cookies.get(FLASH_COOKIE, "")[:1000])[:300]
    html = state.env.get_template(template).render(
        base=base,
        nav=NAV,
        active=template.removesuffix(".html.j2"),
        who=who,
        auth_required=state.auth_required,
        csrf=security.csrf_token(request),
        flash=flash,
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})
    security.set_csrf_cookie(request, response)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path=base or "/")
    return response


def error_page(request: Request, exc: Exception, who: auth.Principal | None) -> Response:
    """The error shown with the status the server would answer (``serving/statuses.py``);
    an error that is not fullcycle's is a bug here, shown as an internal error."""
    if isinstance(exc, FullcycleError):
        message, hint = exc.message, exc.hint
    else:
        message, hint = "internal error; the dashboard keeps serving", None
    return render(request, "error.html.j2", {"message": message, "hint": hint}, who, status_of(exc))


def page(template: str, build: Callable[[Any, Request], dict[str, Any]]) -> Any:
    """A GET endpoint: anyone with the read role sees ``template`` filled by ``build``."""

    async def endpoint(request: Request) -> Response:
        state = request.app.state.ui
        who = None
        try:
            who = await run_in_threadpool(
                security.principal, request, state.project, state.auth_required
            )
            auth.require(who, "read")
            context = await run_in_threadpool(build, state.project, request)
        except AuthError as exc:
            if who is None and request.method == "GET":
                base = request.scope.get("root_path", "").rstrip("/")
                return RedirectResponse(f"{base}/login?next={_page_name(request)}", 303)
            return error_page(request, exc, who)
        except Exception as exc:  # a bug is a 500 page, never a bad request nor a crash
            if not isinstance(exc, FullcycleError):
                logging.getLogger("fullcycle.ui").exception("page %s failed", template)
            return error_page(request, exc, who)
        return render(request, template, context, who)

    return endpoint


def _page_name(request: Request) -> str:
    name = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    return name if name in {n for n, _ in NAV} else ""


def _int(value: str | None, default: int | None = None) -> int | None:
    return int(value) if value is not None and value.isdigit() and len(value) < 12 else default


overview = page("overview.html.j2", lambda p, r: sources.overview(p))
data = page("data.html.j2", lambda p, r: sources.data_page(p, _ref(r.query_params.get("v"))))
models = page(
    "models.html.j2", lambda p, r: sources_ops.models_page(p, _ref(r.query_params.get("v")))
)
deployment = page("deployment.html.j2", lambda p, r: sources_ops.deployment_page(p))
monitoring = page(
    "monitoring.html.j2",
    lambda p, r: sources_ops.monitoring_page(p, _int(r.query_params.get("report"))),
)
labelling = page(
    "labelling.html.j2",
    lambda p, r: {
        **sources_ops.labelling_page(
            p, _int(r.query_params.get("task")), _int(r.query_params.get("after"), 0) or 0
        ),
        "last": _int(r.query_params.get("last")),
    },
)


def _ref(value: str | None) -> str | None:
    if value is None:
        return None
    if not _REF_RE.fullmatch(value):
        raise BadRequest(
            f"version {value[:60]!r} is not NAME@N or NAME:N", hint="pick a version from the list"
        )
    return value


def _runs(project: Project, request: Request) -> dict[str, Any]:
    q = request.query_params
    sort = q.get("sort", "started")[:256]
    chosen = [c for c in q.getlist("compare") if _RUN_RE.fullmatch(c)][:6]
    return sources.runs_page(project, sort, q.get("order", "desc") != "asc", chosen)


def _events(project: Project, request: Request) -> dict[str, Any]:
    kind = request.query_params.get("kind", "")
    if not _KIND_RE.fullmatch(kind):
        raise BadRequest(
            f"event kind {kind[:60]!r} is not a kind prefix",
            hint="use letters, digits, '.', '_' or '-', e.g. model.promote",
        )
    limit = min(_int(request.query_params.get("limit"), 200) or 200, 2000)
    return sources.events_page(project, kind, limit)


def _trace(project: Project, request: Request) -> dict[str, Any]:
    """The trace of ``?id=``; an unknown or malformed id is shown on the page, with the form."""
    rid = request.query_params.get("id", "").strip()[:200]
    if not rid:
        return {"rid": "", "trace": None, "problem": None}
    try:
        return {"rid": rid, "trace": project.trace(rid), "problem": None}
    except (NotFound, InvalidInput) as exc:
        return {"rid": rid, "trace": None, "problem": exc}


runs = page("runs.html.j2", _runs)
events = page("events.html.j2", _events)
trace = page("trace.html.j2", _trace)


async def login(request: Request) -> Response:
    nxt = request.query_params.get("next", "")
    return render(
        request,
        "login.html.j2",
        {"next": nxt if nxt in {n for n, _ in NAV} else "", "problem": None},
        None,
    )
