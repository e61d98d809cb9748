"""Where a dataset version came from: its parents and how it was made.

``origin`` says how: ``file`` (file name, format and the file's sha256), ``frame`` (a table
given from Python), ``merge`` (a base version plus labelled rows, with the label tasks and the
request ids they came from), ``filter`` and ``sample`` (a subset of a parent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle.data.versions import add_data, load, resolve
from fullcycle.errors import InvalidInput
from fullcycle.records import DatasetVersion
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database

if TYPE_CHECKING:
    import pandas as pd

    from fullcycle.contract import Contract

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
    if kind == "filter":
        return f"filter: {origin.get('description')} ({origin.get('kept')} rows kept)"
    if kind == "sample":
        return f"sample of {origin.get('n')} rows, seed {origin.get('seed')}"
    return kind


def filter_rows(
    db: Database,
    artifacts: ArtifactStore,
    ref: str,
    mask: Any,
    *,
    name: str,
    description: str,
    contract: Contract | None = None,
) -> DatasetVersion:
    """A new version with the rows of ``ref`` where ``mask`` (a boolean array) is true."""
    parent = resolve(db, ref)
    frame = load(db, artifacts, parent.ref)
    keep = np.asarray(mask, dtype=bool)
    if keep.shape != (len(frame),):
        raise InvalidInput(
            f"filter of {parent.ref}: the mask has {keep.shape} values, the data {len(frame)} rows"
        )
    origin = {"kind": "filter", "description": description, "kept": int(keep.sum())}
    return add_data(
        db,
        artifacts,
        frame[keep].reset_index(drop=True),
        name,
        contract=contract,
        parents=[parent.ref],
        origin=origin,
        allow_violations=bool(parent.violations),
    )


def sample_rows(
    db: Database,
    artifacts: ArtifactStore,
    ref: str,
    n: int,
    *,
    name: str,
    seed: int = 0,
    contract: Contract | None = None,
) -> DatasetVersion:
    """A new version with ``n`` rows of ``ref`` drawn without replacement (in their order)."""
    parent = resolve(db, ref)
    frame: pd.DataFrame = load(db, artifacts, parent.ref)
    if not 0 < n <= len(frame):
        raise InvalidInput(f"sample of {parent.ref}: n={n} must be in 1..{len(frame)}")
    rows = np.sort(np.random.default_rng(seed).permutation(len(frame))[:n])
    origin = {"kind": "sample", "n": n, "seed": seed}
    return add_data(
        db,
        artifacts,
        frame.iloc[rows].reset_index(drop=True),
        name,
        contract=contract,
        parents=[parent.ref],
        origin=origin,
        allow_violations=bool(parent.violations),
    )
