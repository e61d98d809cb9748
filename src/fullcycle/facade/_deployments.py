"""``project.deployments``: what the server routes (the one source of truth for what serves)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fullcycle.errors import InvalidName, NotFound
from fullcycle.names import parse_ref
from fullcycle.store import deployments as store

if TYPE_CHECKING:
    from fullcycle.project import Project
    from fullcycle.store.deployments import DeploymentState


def _ref(ref: str) -> tuple[str, int]:
    name, version, alias = parse_ref(ref, "model")
    if version is None:
        shown = "the version an alias points at moves" if alias else "a version is needed"
        raise InvalidName(f"{ref!r}: {shown}; deploy NAME:N", hint="write NAME:N, e.g. churn:3")
    return name, version


class Deployments:
    """Production, canary and its share, shadow: each change a new revision, moved together with
    the ``production`` alias in one transaction, so rollback is one step."""

    def __init__(self, project: Project) -> None:
        self._project = project

    def _name(self, name: str | None) -> str:
        return name or self._project.scope.name

    def current(self, name: str | None = None) -> DeploymentState | None:
        """The newest deployment of model ``name`` (default: the project's), or None."""
        return store.current(self._project._db, self._name(name))

    def history(self, name: str | None = None, limit: int = 50) -> list[DeploymentState]:
        """Revisions of the deployment, newest first."""
        return store.history(self._project._db, self._name(name), limit=limit)

    def production(self, ref: str, *, reason: str = "", actor: str = "cli") -> DeploymentState:
        """Serve ``NAME:N`` to all traffic (clears canary and shadow)."""
        name, version = _ref(ref)
        changes = {"production": version, "canary": None, "canary_share": 0.0, "shadow": None}
        return self._change(name, reason or f"production {ref}", actor, changes)

    def canary(
        self, ref: str, share: float = 0.1, *, reason: str = "", actor: str = "cli"
    ) -> DeploymentState:
        """Send ``share`` of the traffic (by request-id hash) to ``NAME:N``."""
        name, version = _ref(ref)
        why = reason or f"canary {ref} at {share:g}"
        return self._change(name, why, actor, {"canary": version, "canary_share": share})

    def shadow(self, ref: str, *, reason: str = "", actor: str = "cli") -> DeploymentState:
        """Run ``NAME:N`` on every request and log its answers, never return them."""
        name, version = _ref(ref)
        return self._change(name, reason or f"shadow {ref}", actor, {"shadow": version})

    def promote_canary(
        self, name: str | None = None, *, reason: str = "", actor: str = "cli"
    ) -> DeploymentState:
        """Make the canary the production version (the ``production`` alias follows)."""
        name = self._name(name)
        now = self.current(name)
        if now is None or now.canary is None:
            raise NotFound(
                f"model {name!r} has no canary to promote",
                hint=f"run `fullcycle deploy canary {name}:N` first",
            )
        why = reason or f"promote canary {now.canary}"
        return self._change(
            name, why, actor, {"production": now.canary, "canary": None, "canary_share": 0.0}
        )

    def rollback(
        self, name: str | None = None, *, reason: str = "", actor: str = "cli"
    ) -> DeploymentState:
        """Restore the deployment before the current one, as a new revision (alias included)."""
        return store.rollback(self._project._db, self._name(name), actor=actor, reason=reason)

    def route(
        self,
        name: str | None = None,
        *,
        production: int | None,
        canary: int | None = None,
        canary_share: float = 0.0,
        shadow: int | None = None,
        reason: str = "",
        actor: str = "cli",
    ) -> DeploymentState:
        """Set the whole deployment (production, canary and its share, shadow) as one new
        revision, whatever the current one is (the loop's rollout steps, repeatable after a
        crash); the ``production`` alias follows."""
        return store.set(
            self._project._db,
            self._name(name),
            production=production,
            canary=canary,
            canary_share=canary_share,
            shadow=shadow,
            actor=actor,
            reason=reason,
        )

    def notify_server(self, timeout_s: float = 5.0) -> str | None:
        """Ask the server at ``FULLCYCLE_SERVER_URL`` to re-read the deployment now
        (``POST /admin/reload`` with ``FULLCYCLE_TOKEN``), rather than at its next poll.

        None when no server URL is set; otherwise one line saying what the server answered.
        A server that cannot be reached changes nothing: the deployment row is the truth and
        every server picks it up at its next poll.
        """
        import httpx

        settings = self._project.settings
        if not settings.server_url:
            return None
        url = settings.server_url.rstrip("/") + "/admin/reload"
        headers = {"authorization": f"Bearer {settings.token}"} if settings.token else {}
        try:
            answer = httpx.post(url, headers=headers, json={}, timeout=timeout_s)
        except httpx.HTTPError as exc:
            return f"{url}: not reached ({type(exc).__name__}); it will follow at its next poll"
        if answer.status_code >= 400:
            denied = answer.status_code in (401, 403)
            why = "set FULLCYCLE_TOKEN to an admin token" if denied else ""
            return f"{url}: answered {answer.status_code} {why}".rstrip()
        return f"{url}: reloaded"

    def rollback_targets(self, name: str | None = None) -> DeploymentState | None:
        """The revision a rollback would restore, or None when there is none."""
        found = self.history(name, limit=2)
        return found[1] if len(found) > 1 else None

    def _change(
        self, name: str, reason: str, actor: str, changes: dict[str, Any]
    ) -> DeploymentState:
        from fullcycle import registry

        for key in ("production", "canary", "shadow"):
            if changes.get(key) is not None:
                registry.resolve(self._project._db, f"{name}:{changes[key]}")  # NotFound if not
        now = store.current(self._project._db, name)
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
            **changes,
        }
        return store.set(
            self._project._db,
            name,
            actor=actor,
            reason=reason,
            expected_revision=now.revision if now else 0,
            **base,
        )
