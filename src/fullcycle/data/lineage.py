"""Where a dataset version came from: its parents and how it was made.

``origin`` says how: ``file`` (file name, format and the file's sha256), ``frame`` (a table
given from Python), ``merge`` (a base version plus labelled rows, with the label tasks and the
request ids they came from).
"""

from __future__ import annotations

from typing import Any

from fullcycle.data.versions import resolve
from fullcycle.store.db import Database

MAX_DEPTH = 64


def lineage_tree(db: Database, ref: str, *, _depth: int = 0) -> dict[str, Any]:
    """``{ref, sha256, n_rows, created_at, origin, parents: [subtrees]}`` back to the roots."""
    version = resolve(db, ref)
    node: dict[str, Any] = {
        "ref": version.ref,
        "sha256": version.sha256,
        "n_rows": version.n_rows,
        "created_at": version.created_at,
        "origin": version.origin,
        "parents": [],
    }
    if _depth >= MAX_DEPTH:
        node["truncated"] = True
        return node
    node["parents"] = [lineage_tree(db, p, _depth=_depth + 1) for p in version.parents]
    return node


def describe(origin: dict[str, Any]) -> str:
    """One line saying how a version was made."""
    kind = origin.get("kind", "?")
    if kind == "file":
        return (
            f"file {origin.get('file')} ({origin.get('format')}, sha256 "
            f"{str(origin.get('sha256', ''))[:12]})"
        )
    if kind == "merge" and "label_tasks" not in origin:  # the loop's merge
        return (
            f"merge of {origin.get('base')} and {origin.get('labelled_rows')} labelled "
            f"production rows: {origin.get('reason')}"
        )
    if kind == "merge":
        n = len(origin.get("label_tasks", []))
        batches = ", ".join(origin.get("label_batches", []))
        return f"merge of {origin.get('base')} and {n} labelled rows (batches {batches})"
    return kind
