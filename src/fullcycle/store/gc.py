"""Garbage collection of artifacts nothing points at (left by a crash between the artifact
write and the transaction that would have referenced it)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from fullcycle.store import events as event_store
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database
from fullcycle.store.models import referenced_shas

GRACE_S = 3600.0  # younger objects may belong to a writer that has not committed yet


@dataclass(frozen=True)
class GcResult:
    removed: list[str] = field(default_factory=list)
    kept: int = 0


def collect(
    db: Database,
    artifacts: ArtifactStore,
    *,
    grace_s: float = GRACE_S,
    dry_run: bool = False,
    actor: str = "gc",
) -> GcResult:
    """Delete unreferenced objects older than ``grace_s``; records one event when it removes any."""
    keep = referenced_shas(db)
    now = time.time()
    candidates, kept = [], 0
    for sha in list(artifacts.keys()):
        try:
            young = now - artifacts.modified_at(sha) < grace_s
        except OSError:
            continue
        if sha in keep or young:
            kept += 1
        else:
            candidates.append(sha)
    keep = referenced_shas(db)  # again: a writer may have committed meanwhile
    removed = [sha for sha in candidates if sha not in keep]
    if not dry_run:
        for sha in removed:
            artifacts.delete(sha)
    if removed and not dry_run:
        with db.write() as conn:
            event_store.record(
                conn,
                "gc",
                actor=actor,
                subject="artifacts",
                message=f"removed {len(removed)} unreferenced artifact(s)",
                data={"removed": removed[:100]},
            )
    return GcResult(removed=removed, kept=kept + len(candidates) - len(removed))
