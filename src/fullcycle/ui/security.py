"""The dashboard's guards: Host check, security headers, CSRF, who is asking.

Browsers reach servers on localhost too, so every request is checked, not only remote ones:
the Host header must be an allowed host (DNS rebinding), responses forbid framing and inline
script, mutations need a CSRF token (double-submit: a random cookie echoed in the form or
the ``X-CSRF-Token`` header, compared in constant time) and a same-origin ``Origin`` when one
is sent. A request acts as the token in the ``fc_token`` cookie or the Bearer header, or as
the local admin when auth is off.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fullcycle import auth
from fullcycle.errors import Forbidden
from fullcycle.hosts import single_host

if TYPE_CHECKING:
    from fullcycle.project import Project

CSRF_COOKIE = "fc_csrf"
TOKEN_COOKIE = "fc_token"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CSP = (
    "default-src 'self'; script-src 'self'; "
    # plotly.js sets styles from script; no inline <script> is allowed anywhere
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def host_only(value: str) -> str:
    """``example.org:8765`` -> ``example.org``; ``[::1]:80`` -> ``::1``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class GuardMiddleware:
    """Refuse a Host outside ``allowed_hosts`` (400) and add the security headers."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(host_only(h) for h in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = single_host(scope.get("headers", []))
        if host is None:  # as the inference server does: two Host headers are ambiguous
            await PlainTextResponse("more than one Host header", 400)(
                scope, receive, self._with_headers(send)
            )
            return
        if "*" not in self.allowed and host_only(host) not in self.allowed:
            response = PlainTextResponse(
                f"host {host[:100]!r} is not allowed; use one of the allowed hosts", 400
            )
            await response(scope, receive, self._with_headers(send))
            return
        await self.app(scope, receive, self._with_headers(send))

    @staticmethod
    def _with_headers(send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        return wrapped


def csrf_token(request: Request) -> str:
    """The request's CSRF token: the cookie's, or a fresh one the page will set."""
    existing = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(existing) <= 64 and existing.replace("-", "").replace("_", "").isalnum():
        return existing
    token: str = request.state.__dict__.setdefault("new_csrf", secrets.token_urlsafe(32))
    return token


def set_csrf_cookie(request: Request, response: Any) -> None:
    new = request.state.__dict__.get("new_csrf")
    if new:
        response.set_cookie(
            CSRF_COOKIE,
            new,
            httponly=True,
            samesite="strict",
            path=request.scope.get("root_path") or "/",
        )


def check_csrf(request: Request, sent: str | None) -> None:
    """Forbidden unless ``sent`` equals the cookie and any Origin is this host."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise Forbidden(
            "the form's CSRF token is missing or stale", hint="reload the page and submit again"
        )
    origin = request.headers.get("origin")
    if origin and origin != "null":
        if urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
            raise Forbidden(f"cross-origin request from {origin[:100]!r} refused")
    elif origin == "null":
        raise Forbidden("a request from an opaque origin was refused")


def bearer_or_cookie(request: Request) -> tuple[str | None, bool]:
    """(token, came from a Bearer header)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), True
    return request.cookies.get(TOKEN_COOKIE), False


def principal(request: Request, project: Project, auth_required: bool) -> auth.Principal:
    """Who the request acts as; Unauthorized when auth is on and no valid token came."""
    if not auth_required:
        return auth.LOCAL
    token, _ = bearer_or_cookie(request)
    return project.tokens.authenticate(token)


def needs_csrf(request: Request, auth_required: bool) -> bool:
    """A Bearer header cannot be sent by a cross-site form, so only cookie sessions need it."""
    _, bearer = bearer_or_cookie(request)
    return not (auth_required and bearer)
