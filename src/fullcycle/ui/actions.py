"""The mutations (POST): form only, CSRF checked, role checked, audited, then a redirect."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from fullcycle import auth
from fullcycle.errors import (
    BadRequest,
    Forbidden,
    FullcycleError,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from fullcycle.ui import security
from fullcycle.ui.pages import FLASH_COOKIE, NAV, error_page, render

if TYPE_CHECKING:
    from fullcycle.project import Project

MAX_FORM_BYTES = 64 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
_NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,128}")


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded form, at most 64 KiB; anything else is refused before it is read."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != FORM_TYPE:
        raise _Refused(415, f"this form takes {FORM_TYPE}, not {kind or 'no content type'}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise _Refused(413, "the form is larger than 64 KiB")
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=20, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Refused(400, f"the form cannot be read: {exc}") from None
    return {k: v[0] for k, v in fields.items()}


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def action(role: str, do: Callable[[Any, auth.Principal, dict[str, str]], tuple[str, str]]) -> Any:
    """A POST endpoint: ``do(project, who, form)`` returns (page to go to, message)."""

    async def endpoint(request: Request) -> Response:
        state = request.app.state.ui
        who = None
        try:
            form = await read_form(request)
            if security.needs_csrf(request, state.auth_required):
                security.check_csrf(request, form.get(security.CSRF_FIELD))
            who = await run_in_threadpool(
                security.principal, request, state.project, state.auth_required
            )
            await run_in_threadpool(_require, state.project, who, role, request.url.path)
            target, message = await run_in_threadpool(do, state.project, who, form)
        except _Refused as exc:
            return PlainTextResponse(str(exc), exc.status)
        except (FullcycleError, ValueError) as exc:
            return error_page(request, exc, who)
        return _redirect(request, target, message)

    return endpoint


def _require(project: Project, who: auth.Principal, role: str, path: str) -> None:
    """Refuse a token without ``role``, and keep the refusal in the audit log."""
    try:
        auth.require(who, role)
    except Forbidden as exc:
        project.record(
            "auth.denied",
            subject=path[:200],
            actor=f"ui:{who.name}",
            message=exc.message,
            data={"role": who.role, "needs": role},
        )
        raise


def _redirect(request: Request, target: str, message: str) -> Response:
    base = request.scope.get("root_path", "").rstrip("/")
    response = RedirectResponse(f"{base}/{target}", status_code=303)
    if message:
        response.set_cookie(
            FLASH_COOKIE, quote(message[:300]), httponly=True, samesite="strict", path=base or "/"
        )
    return response


def _field(form: dict[str, str], key: str, what: str, pattern: re.Pattern[str] = _NAME_RE) -> str:
    value = form.get(key, "").strip()
    if not pattern.fullmatch(value):
        raise BadRequest(
            f"{what} {value[:60]!r} is missing or not allowed",
            hint="use letters, digits, '.', '_' or '-'",
        )
    return value


def _reason(form: dict[str, str]) -> str:
    reason = " ".join(form.get("reason", "").split())[:500]
    if not reason:
        raise BadRequest(
            "a reason is required; it is kept in the audit log",
            hint="say why, e.g. 'better recall on recent data'",
        )
    return reason


def _promote(project: Project, who: auth.Principal, form: dict[str, str]) -> tuple[str, str]:
    name = _field(form, "name", "model name")
    version = _field(form, "version", "version", re.compile(r"\d{1,9}"))
    alias = _field(form, "alias", "alias")
    force = form.get("force") == "on"
    done = project.promote(
        f"{name}:{version}", alias, force=force, reason=_reason(form), actor=f"ui:{who.name}"
    )
    return f"models?v={name}:{version}", f"{alias} now points at {name}:{done.version}"


def _rollback(project: Project, who: auth.Principal, form: dict[str, str]) -> tuple[str, str]:
    from fullcycle.ui.sources_ops import rollback_targets

    name = _field(form, "name", "model name")
    alias = _field(form, "alias", "alias")
    reason = _reason(form)
    previous = rollback_targets(project, name).get(alias)
    if previous is None:
        raise NotFound(f"{name}@{alias} has no earlier version to roll back to")
    done = project.promote(
        f"{name}:{previous}",
        alias,
        force=True,
        reason=f"rollback: {reason}",
        actor=f"ui:{who.name}",
    )
    return f"models?v={name}:{done.version}", f"{alias} rolled back to {name}:{done.version}"


def _deployment_rollback(
    project: Project, who: auth.Principal, form: dict[str, str]
) -> tuple[str, str]:
    name = _field(form, "name", "model name")
    state = project.deployments.rollback(
        name, actor=f"ui:{who.name}", reason=f"rollback: {_reason(form)}"
    )
    canary = f", canary v{state.canary}" if state.canary else ""
    return "deployment", f"{name} rolled back: production v{state.production}{canary}"


def _label(project: Project, who: auth.Principal, form: dict[str, str]) -> tuple[str, str]:
    task_id = int(_field(form, "task_id", "task", re.compile(r"\d{1,12}")))
    label = form.get("label", "")
    if not label or len(label) > 256:
        raise BadRequest("pick one of the classes for the label")
    try:
        project.labels.label_one(task_id, label, labeller=who.name, actor=f"ui:{who.name}")
    except InvalidInput as exc:  # the label field of the form: a bad request (400)
        raise BadRequest(exc.message, hint=exc.hint) from None
    return f"labelling?after={task_id}&last={task_id}", f"task {task_id} labelled {label}"


def _undo(project: Project, who: auth.Principal, form: dict[str, str]) -> tuple[str, str]:
    task_id = int(_field(form, "task_id", "task", re.compile(r"\d{1,12}")))
    project.labels.withdraw(task_id, who.name, actor=f"ui:{who.name}")
    return f"labelling?task={task_id}", f"label of task {task_id} taken back"


promote = action("admin", _promote)
rollback = action("admin", _rollback)
deployment_rollback = action("admin", _deployment_rollback)
label = action("write", _label)
undo = action("write", _undo)


async def login(request: Request) -> Response:
    """Check a pasted token and keep it in an HttpOnly, SameSite=Strict cookie."""
    state = request.app.state.ui
    try:
        form = await read_form(request)
        security.check_csrf(request, form.get(security.CSRF_FIELD))
        token = form.get("token", "").strip()
        who = await run_in_threadpool(state.project.tokens.authenticate, token)
    except _Refused as exc:
        return PlainTextResponse(str(exc), exc.status)
    except Unauthorized as exc:
        return render(request, "login.html.j2", {"next": "", "problem": exc.message}, None, 401)
    except FullcycleError as exc:
        return error_page(request, exc, None)
    nxt = form.get("next", "")
    response = _redirect(
        request, nxt if nxt in {n for n, _ in NAV} else "", f"signed in as {who.name} ({who.role})"
    )
    base = request.scope.get("root_path", "").rstrip("/")
    response.set_cookie(
        security.TOKEN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path=base or "/",
        secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    try:
        form = await read_form(request)
        security.check_csrf(request, form.get(security.CSRF_FIELD))
    except _Refused as exc:
        return PlainTextResponse(str(exc), exc.status)
    except FullcycleError as exc:
        return error_page(request, exc, None)
    response = _redirect(request, "login", "signed out")
    base = request.scope.get("root_path", "").rstrip("/")
    response.delete_cookie(security.TOKEN_COOKIE, path=base or "/")
    return response
