"""Tokens and roles. Each role includes the ones before it: read < predict < write < admin.

A token is 32 random bytes shown once (``fc_`` + url-safe base64); the store keeps only its
sha256, which is safe for high-entropy secrets, and the lookup compares digests in constant
time. Interfaces (the server, the dashboard) call :func:`authenticate` and :func:`require`;
nothing here knows HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from dataclasses import dataclass

from fullcycle.errors import Forbidden, InvalidInput, StoreUnavailable, Unauthorized
from fullcycle.names import check_name
from fullcycle.store import events
from fullcycle.store import tokens as token_store
from fullcycle.store.db import Database

ROLES = ("read", "predict", "write", "admin")
_TOKEN_RE = re.compile(r"fc_[A-Za-z0-9_-]{43}")
_DURATION_RE = re.compile(r"(\d{1,6})([smhdw])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class Principal:
    """Who a request acts as."""

    name: str
    role: str

    def allows(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


LOCAL = Principal(name="local", role="admin")
"""The CLI on a local store acts with every role, as the owner of the files would."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_duration(text: str) -> float:
    """``30d``, ``12h``, ``90m`` -> seconds."""
    match = _DURATION_RE.fullmatch(text.strip())
    if not match:
        raise InvalidInput(f"--expires {text!r} is not a duration", hint="use e.g. 30d, 12h, 90m")
    return int(match.group(1)) * _UNIT_S[match.group(2)]


def create_token(db: Database, *, name: str, role: str, expires_in_s: float | None = None) -> str:
    """Store a new token's hash and return the token; it cannot be shown again."""
    check_name(name, "token name")
    if role not in ROLES:
        raise InvalidInput(f"role {role!r} is not one of {', '.join(ROLES)}")
    token = "fc_" + secrets.token_urlsafe(32)
    now = time.time()
    token_store.insert(
        db,
        token_store.TokenRecord(
            id=uuid.uuid4().hex,
            name=name,
            role=role,
            hash=digest(token),
            created_at=now,
            expires_at=None if expires_in_s is None else now + expires_in_s,
            revoked_at=None,
        ),
    )
    return token


def authenticate(db: Database, token: str | None, now: float | None = None) -> Principal:
    """The principal behind ``token``; Unauthorized for a missing, malformed, unknown,
    expired or revoked one (all with the same vague message, so nothing leaks)."""
    return _lookup(db, token, time.time() if now is None else now)[0]


def _lookup(db: Database, token: str | None, now: float) -> tuple[Principal, float | None]:
    if not token or not _TOKEN_RE.fullmatch(token):
        raise Unauthorized(
            "a valid API token is required", hint="send Authorization: Bearer fc_..."
        )
    wanted = digest(token)
    record = token_store.by_hash(db, wanted)
    if (
        record is None
        or not hmac.compare_digest(record.hash, wanted)
        or record.revoked_at is not None
        or (record.expires_at is not None and record.expires_at <= now)
    ):
        raise Unauthorized(
            "the API token is unknown, expired or revoked",
            hint="create a new one with: fullcycle token create",
        )
    return Principal(name=record.name, role=record.role), record.expires_at


def require(principal: Principal, role: str) -> None:
    if not principal.allows(role):
        raise Forbidden(
            f"token {principal.name!r} has role {principal.role}; this needs {role}",
            hint="ask an admin for a token with that role",
        )


def bootstrap_admin(db: Database) -> str | None:
    """Create the first admin token when none exists; returns it once, else None."""
    if token_store.count_admins(db):
        return None
    return create_token(db, name=f"bootstrap-admin-{int(time.time())}", role="admin")


def bearer(header: str | None) -> str | None:
    """The token in an ``Authorization: Bearer fc_...`` header, else None."""
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


class Authenticator:
    """:func:`authenticate` with a short memory, for a server that checks every request.

    A token checked within ``ttl_s`` is not looked up again (so a revocation takes effect
    within ``ttl_s``); while the store is unavailable, a token checked within ``stale_s``
    keeps working, so predictions are still served when the database is down.
    """

    def __init__(self, db: Database, *, ttl_s: float = 5.0, stale_s: float = 600.0) -> None:
        self.db, self.ttl_s, self.stale_s = db, ttl_s, stale_s
        self._seen: dict[str, tuple[float, Principal, float | None]] = {}

    def authenticate(self, token: str | None) -> Principal:
        now = time.time()
        key = digest(token) if token and _TOKEN_RE.fullmatch(token) else ""
        hit = self._seen.get(key) if key else None
        if hit is not None and now - hit[0] < self.ttl_s and (hit[2] is None or hit[2] > now):
            return hit[1]
        try:
            principal, expires_at = _lookup(self.db, token, now)
        except StoreUnavailable:
            if hit is not None and now - hit[0] < self.stale_s and (hit[2] is None or hit[2] > now):
                return hit[1]
            raise
        except Unauthorized:
            self._seen.pop(key, None)
            raise
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[key] = (now, principal, expires_at)
        return principal


def audit(
    db: Database, kind: str, principal: Principal, subject: str, message: str = "", **data: object
) -> None:
    """Record what ``principal`` did (or was refused) in the audit log."""
    with db.write() as conn:
        events.record(
            conn, kind, actor=principal.name, subject=subject, message=message, data=dict(data)
        )
