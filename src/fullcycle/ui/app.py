"""The dashboard as an ASGI app: ``create_ui(project, ...)``, mounted at ``/ui``.

Server-rendered pages (Jinja2, autoescape on) with a little JavaScript from ``static/``;
charts are plotly figures as JSON drawn by the plotly.js bundle that the ``plotly`` package
ships, served from ``static/plotly.min.js`` (no CDN).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from fullcycle.ui import actions, pages
from fullcycle.ui.render import environment
from fullcycle.ui.security import GuardMiddleware

if TYPE_CHECKING:
    from fullcycle.project import Project

STATIC = Path(__file__).parent / "static"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass
class UIState:
    """What every request of one dashboard shares."""

    project: Project
    auth_required: bool
    env: Any


def plotly_bundle() -> Path:
    """plotly.min.js from the installed plotly package."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():  # pragma: no cover - a broken plotly install
        raise FileNotFoundError(f"{path} is missing; reinstall the plotly package")
    return path


def routes() -> list[BaseRoute]:
    bundle = plotly_bundle()

    async def plotly_js(request: Request) -> Response:
        return FileResponse(bundle, media_type="text/javascript")

    return [
        Route("/", pages.overview),
        Route("/data", pages.data),
        Route("/runs", pages.runs),
        Route("/models", pages.models),
        Route("/deployment", pages.deployment),
        Route("/monitoring", pages.monitoring),
        Route("/labelling", pages.labelling),
        Route("/events", pages.events),
        Route("/trace", pages.trace),
        Route("/login", pages.login),
        Route("/login", actions.login, methods=["POST"]),
        Route("/logout", actions.logout, methods=["POST"]),
        Route("/models/promote", actions.promote, methods=["POST"]),
        Route("/models/rollback", actions.rollback, methods=["POST"]),
        Route("/deployment/rollback", actions.deployment_rollback, methods=["POST"]),
        Route("/labelling/label", actions.label, methods=["POST"]),
        Route("/labelling/undo", actions.undo, methods=["POST"]),
        Route("/static/plotly.min.js", plotly_js),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_ui(
    project: Project, *, auth_required: bool, allowed_hosts: Iterable[str] = LOCAL_HOSTS
) -> Any:
    """The dashboard for ``project``; mount it under ``/ui`` (or serve it with
    :func:`standalone`). With ``auth_required=False`` every request acts as the local admin,
    so bind it to 127.0.0.1 only."""
    app = Starlette(routes=routes())
    app.state.ui = UIState(project=project, auth_required=auth_required, env=environment())
    return GuardMiddleware(app, allowed_hosts)


def standalone(project: Project, *, auth_required: bool, allowed_hosts: Iterable[str]) -> Any:
    """The dashboard at ``/ui`` with ``/`` redirecting to it, as ``fullcycle ui`` serves it."""
    hosts = tuple(allowed_hosts)

    async def home(request: Request) -> Response:
        return RedirectResponse("/ui/", status_code=307)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    ui = create_ui(project, auth_required=auth_required, allowed_hosts=hosts)
    app = Starlette(routes=[Route("/", home), Route("/healthz", health), Mount("/ui", app=ui)])
    return GuardMiddleware(app, hosts)


def mount_on_server(app: Any, settings: Any, options: Any) -> None:
    """Mount the dashboard at ``/ui`` of the inference server (``fullcycle serve``), with
    the server's token policy and allowed hosts."""
    from fullcycle.project import Project

    project = Project(settings)
    ui = create_ui(project, auth_required=options.auth, allowed_hosts=options.allowed_hosts)
    app.mount("/ui", ui)
