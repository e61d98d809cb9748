"""Sealed prediction-log segments that cannot be read are set aside, not fatal.

A read over many Parquet files fails as a whole when one of them is damaged (a flipped block, a
truncated copy). :func:`guarded` then looks for the damaged ones (their sha256 no longer matches
the one recorded at sealing, or they fail to read on their own), moves each to
``<log root>/quarantine/``, takes it out of the index with a ``log.quarantined`` event, opens an
alert ``log.corrupt:<file>``, and runs the read again over the rest.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from fullcycle.store import logs
from fullcycle.store.db import Database

__all__ = ["guarded"]

T = TypeVar("T")
QUARANTINE = "quarantine"


def guarded(db: Database, found: list[logs.Segment], run: Callable[[list[str]], T], empty: T) -> T:
    """``run(paths)`` over the segments' files; damaged files are quarantined and left out."""
    paths = [s.path for s in found]
    if not paths:
        return empty
    try:
        return run(paths)
    except Exception as exc:
        bad = _damaged(found, run)
        if not bad:
            raise
        for seg in bad:
            _set_aside(db, seg, f"{type(exc).__name__}: {exc}"[:300])
        rest = [p for p in paths if p not in {s.path for s in bad}]
        return run(rest) if rest else empty


def _damaged(found: list[logs.Segment], run: Callable[[list[str]], Any]) -> list[logs.Segment]:
    bad = []
    for seg in found:
        if seg.sha256 and _sha256(seg.path) not in (None, seg.sha256):
            bad.append(seg)
            continue
        try:
            run([seg.path])
        except Exception:
            bad.append(seg)
    return bad


def _sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def _set_aside(db: Database, seg: logs.Segment, reason: str) -> None:
    """Move the file beside the log (``<root>/quarantine``), unindex it, raise the alert."""
    from fullcycle.store import alerts

    src = Path(seg.path)
    moved: str | None = None
    with contextlib.suppress(OSError, IndexError):  # sealed/day=/version=/NAME.parquet
        dest_dir = src.parents[3] / QUARANTINE
        dest_dir.mkdir(parents=True, exist_ok=True)
        dest = dest_dir / f"{src.parent.parent.name}-{src.parent.name}-{src.name}"
        if src.exists() or not dest.exists():  # else another reader moved it a moment ago
            os.replace(src, dest)
        moved = str(dest)
    if not logs.quarantine_segment(db, seg.path, moved_to=moved, reason=reason, actor="log-reader"):
        return  # another reader set it aside first and said so
    alerts.raise_or_touch(
        db,
        f"log.corrupt:{src.name}",
        f"prediction log segment {src.name} ({seg.n_rows} rows) is damaged and was set aside"
        f"{f' to {moved}' if moved else ''}; windows are computed without its rows (restore it "
        "from a backup if you have one)",
        {"path": seg.path, "moved_to": moved, "rows": seg.n_rows, "reason": reason},
        actor="log-reader",
    )
