"""Aliases and the promotion gate: compare-and-set, one event per change (and per refusal).

The ``production`` alias names what serves, and what serves is the deployment row: moving that
alias (``promote``, ``set_alias``) moves the deployment with it, in one transaction
(``store/deployments.promote``), so there is one source of truth whatever command moves it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fullcycle.errors import Conflict, GateRefused, InvalidInput
from fullcycle.names import check_alias
from fullcycle.records import Alias, ModelVersion
from fullcycle.registry._versions import resolve
from fullcycle.store import deployments
from fullcycle.store import events as event_store
from fullcycle.store import models as store
from fullcycle.store.db import Database
from fullcycle.train.spec import GateSpec, MetricSpec


@dataclass(frozen=True)
class Promotion:
    name: str
    alias: str
    version: int
    previous: int | None
    revision: int
    forced: bool
    checks: list[str]


def set_alias(
    db: Database,
    name: str,
    alias: str,
    version: int,
    expected_revision: int,
    *,
    actor: str = "cli",
    reason: str = "",
) -> int:
    """Compare-and-set; returns the new revision or raises Conflict. ``production`` moves the
    deployment too (what serves), in the same transaction."""
    check_alias(alias)
    if alias == deployments.PRODUCTION:
        return deployments.promote(
            db,
            name,
            version,
            actor=actor,
            reason=reason or f"{alias} -> {name}:{version}",
            alias_revision=expected_revision,
            alias_kind="model.alias",
        )[1]
    return store.set_alias(
        db,
        name,
        alias,
        version,
        expected_revision,
        actor=actor,
        message=reason or f"{alias} -> {name}:{version}",
    )


def _evidence(version: ModelVersion, metric: MetricSpec) -> float | None:
    """The version's recorded value of the scope's metric, or None (an imported file, a run that
    recorded another metric or none)."""
    recorded = version.metrics.get("metric") or {}
    value = recorded.get("value")
    named = recorded.get("name")
    if not isinstance(value, int | float) or (named is not None and named != metric.name):
        return None
    return float(value)


def _gate(
    db: Database,
    version: ModelVersion,
    alias: str,
    metric: MetricSpec,
    gate: GateSpec,
    rescore: Callable[[ModelVersion, ModelVersion], tuple[float, float]] | None,
) -> tuple[list[str], list[str], Alias | None]:
    """(refusals, checks passed, the alias's current holder)."""
    refusals, passed = [], []
    value = _evidence(version, metric)
    if value is None:
        refusals.append(
            f"{version.ref} has no evaluation on the scope's metric {metric.name}: "
            "no evidence, no promotion"
        )
    else:
        if metric.goal is not None and not metric.meets(value, metric.goal):
            word = "below" if metric.greater_is_better else "above"
            refusals.append(f"{metric.name} {value:.4f} is {word} the scope goal {metric.goal}")
        elif metric.goal is not None:
            passed.append(f"{metric.name} {value:.4f} meets the goal {metric.goal}")
    holder = store.get_alias(db, version.name, alias)
    if holder is None or holder.version == version.version:
        return refusals, passed, holder
    current = store.get(db, version.name, holder.version)
    if gate.compare_on == "cost":
        mine, theirs = (
            version.metrics.get("expected_cost_per_1000"),
            current.metrics.get("expected_cost_per_1000"),
        )
        if mine is not None and theirs is not None:
            if mine - theirs > gate.tolerance:
                refusals.append(
                    f"expected cost per 1,000 {mine:.2f} is worse than "
                    f"{current.ref}'s {theirs:.2f} by more than the tolerance "
                    f"{gate.tolerance:g}"
                )
            else:
                passed.append(f"expected cost {mine:.2f} vs {current.ref} {theirs:.2f}")
            return refusals, passed, holder
    theirs_v = (current.metrics.get("metric") or {}).get("value")
    same = (version.lineage.get("data") or {}).get("test_rows_sha256") == (
        current.lineage.get("data") or {}
    ).get("test_rows_sha256") and (version.lineage.get("dataset") == current.lineage.get("dataset"))
    where = "the same test data"
    if not same:
        where = "their own test data (not the same rows)"
        if rescore is not None:
            try:
                value, theirs_v = rescore(version, current)
                where = f"{version.ref}'s test rows (both re-scored)"
            except Exception as exc:  # noqa: BLE001 - fall back to the recorded numbers
                where += f"; re-scoring failed: {exc}"
    if value is None or theirs_v is None:
        return refusals, passed, holder
    shortfall = (theirs_v - value) if metric.greater_is_better else (value - theirs_v)
    if shortfall > gate.tolerance:
        refusals.append(
            f"{metric.name} {value:.4f} is worse than {current.ref} ({alias}) "
            f"{theirs_v:.4f} on {where} by {shortfall:.4f}, more than the tolerance "
            f"{gate.tolerance}"
        )
    else:
        passed.append(f"{metric.name} {value:.4f} vs {current.ref} {theirs_v:.4f} on {where}")
    return refusals, passed, holder


def promote(
    db: Database,
    ref: str,
    alias: str = "production",
    *,
    metric: MetricSpec,
    gate: GateSpec | None = None,
    force: bool = False,
    reason: str | None = None,
    actor: str = "cli",
    rescore: Callable[[ModelVersion, ModelVersion], tuple[float, float]] | None = None,
) -> Promotion:
    """Point ``alias`` at the version if it passes the gate (or ``force`` with a reason)."""
    check_alias(alias)
    if force and not (reason and reason.strip()):
        raise InvalidInput("--force needs --reason TEXT, which is kept in the audit log")
    version = resolve(db, ref)
    if version.status != "ready":
        raise GateRefused(
            f"{version.ref} is {version.status} and cannot be promoted",
            hint="register a new version",
        )
    refusals, passed, holder = _gate(db, version, alias, metric, gate or GateSpec(), rescore)
    subject = f"{version.name}@{alias}"
    if refusals and not force:
        with db.write() as conn:
            event_store.record(
                conn,
                "model.promote.refused",
                actor=actor,
                subject=subject,
                message="; ".join(refusals),
                data={"version": version.version},
            )
        raise GateRefused(
            f"promotion of {version.ref} to {alias} refused: " + "; ".join(refusals),
            hint="improve the model, allow a shortfall with gate.tolerance in fullcycle.yaml "
            "(gate.margin is the loop's required gain), or override with --force --reason TEXT",
        )
    kind = "model.promote.forced" if refusals else "model.promote"
    message = (
        f"forced past: {'; '.join(refusals)}; reason: {reason}"
        if refusals
        else reason or f"{alias} -> {version.ref}"
    )
    data: dict[str, object] = {
        "refusals": refusals, "checks": passed, "reason": reason, "forced": bool(refusals)
    }  # fmt: skip
    try:
        revision = _move(
            db, version, alias, holder, actor=actor, kind=kind, message=message, data=data
        )
    except Conflict as exc:
        with db.write() as conn:
            event_store.record(
                conn,
                "model.promote.conflict",
                actor=actor,
                subject=subject,
                message=str(exc),
                data={"version": version.version},
            )
        raise
    return Promotion(
        version.name,
        alias,
        version.version,
        holder.version if holder else None,
        revision,
        bool(refusals),
        passed,
    )


def _move(
    db: Database,
    version: ModelVersion,
    alias: str,
    holder: Alias | None,
    *,
    actor: str,
    kind: str,
    message: str,
    data: dict[str, object],
) -> int:
    """Move the alias by compare-and-set on the revision the gate saw; ``production`` moves the
    deployment with it (one transaction)."""
    expected = holder.revision if holder else 0
    if alias == deployments.PRODUCTION:
        return deployments.promote(
            db, version.name, version.version, actor=actor, reason=message,
            alias_revision=expected, alias_kind=kind, alias_data=data,
        )[1]  # fmt: skip
    return store.set_alias(
        db, version.name, alias, version.version, expected, actor=actor, kind=kind,
        message=message, data={"previous": holder.version if holder else None, **data},
    )  # fmt: skip
