"""``fullcycle deploy ...`` and ``fullcycle rollback``: what the server routes."""

from __future__ import annotations

import json
import os
from typing import Any

import typer

deploy_app = typer.Typer(help="Route traffic: production, canary with a share, shadow.")


def _db():  # type: ignore[no-untyped-def]
    from fullcycle.settings import Settings
    from fullcycle.store.db import Database

    settings = Settings.from_env(os.environ)
    return Database.open(settings.resolved_database_url(), busy_timeout_s=settings.busy_timeout_s)


def _ref(ref: str) -> tuple[str, int]:
    from fullcycle.errors import InvalidName
    from fullcycle.names import split_ref

    name, version = split_ref(ref, ":", "model")
    if version is None:
        raise InvalidName(f"{ref!r} needs a version", hint="write NAME:N, e.g. churn:3")
    return name, version


def _show(state: object) -> None:
    typer.echo(json.dumps(getattr(state, "__dict__", state), default=str, sort_keys=True))


def _change(name: str, reason: str, **changes: Any) -> None:
    from fullcycle.errors import NotFound
    from fullcycle.store import deployments

    db = _db()
    now = deployments.current(db, name)
    if now is None and changes.get("production") is None:
        raise NotFound(
            f"model {name!r} has no production deployment yet",
            hint=f"run `fullcycle deploy production {name}:N` first",
        )
    base: dict[str, Any] = {
        "production": now.production if now else None,
        "canary": now.canary if now else None,
        "canary_share": now.canary_share if now else 0.0,
        "shadow": now.shadow if now else None,
    }
    base.update(changes)
    state = deployments.set(
        db,
        name,
        actor=f"cli:{os.environ.get('USER', '?')}",
        reason=reason,
        expected_revision=now.revision if now else 0,
        **base,
    )
    _show(state)


@deploy_app.command("production")
def production(
    ref: str, reason: str = typer.Option("", help="Why (kept in the audit log).")
) -> None:
    """Serve NAME:N to all traffic (clears canary and shadow)."""
    name, version = _ref(ref)
    _change(
        name,
        reason or f"production {ref}",
        production=version,
        canary=None,
        canary_share=0.0,
        shadow=None,
    )


@deploy_app.command("canary")
def canary(
    ref: str, share: float = typer.Option(0.1, min=0.0, max=1.0), reason: str = typer.Option("")
) -> None:
    """Send a share of traffic (by request-id hash) to NAME:N."""
    name, version = _ref(ref)
    _change(name, reason or f"canary {ref} at {share:g}", canary=version, canary_share=share)


@deploy_app.command("shadow")
def shadow(ref: str, reason: str = typer.Option("")) -> None:
    """Run NAME:N on every request, log its predictions, never return them."""
    name, version = _ref(ref)
    _change(name, reason or f"shadow {ref}", shadow=version)


@deploy_app.command("promote")
def promote(name: str, reason: str = typer.Option("")) -> None:
    """Make the canary the production version."""
    from fullcycle.errors import NotFound
    from fullcycle.store import deployments

    now = deployments.current(_db(), name)
    if now is None or now.canary is None:
        raise NotFound(
            f"model {name!r} has no canary to promote",
            hint=f"run `fullcycle deploy canary {name}:N` first",
        )
    _change(
        name,
        reason or f"promote canary {now.canary}",
        production=now.canary,
        canary=None,
        canary_share=0.0,
    )


@deploy_app.command("status")
def status(name: str, history: int = typer.Option(5, min=1, max=1000)) -> None:
    """The current deployment and the changes before it."""
    from fullcycle.store import deployments, events

    db = _db()
    states = deployments.history(db, name, limit=history)
    for state in states:
        _show(state)
    for event in events.listing(db, kind="serving.swap_refused", subject=name, limit=1):
        current = states[0].revision if states else None
        if current is None or event.data.get("revision") == current:
            typer.echo(f"the server is not serving this deployment: {event.message}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(deploy_app, name="deploy")

    @app.command()
    def rollback(name: str, reason: str = typer.Option("")) -> None:
        """Restore the deployment before the current one, in one step."""
        from fullcycle.store import deployments

        _show(
            deployments.rollback(
                _db(), name, actor=f"cli:{os.environ.get('USER', '?')}", reason=reason
            )
        )
