"""An incremental monitoring step: sealed segments are read once per reference, not per step.

A sealed segment never changes, so its :class:`~fullcycle.monitoring.parts.Part` (sketch,
latencies, probabilities, contract counts) is computed the first time a step needs it and kept
beside the log (``<log root>/summaries/<segment sha256>-<key>.json``; the key hashes the
version's reference, the model and version, the monitored kinds and the contract, so a new
reference computes new parts). A step merges the parts of the sealed segments wholly inside the
window and reads rows only from the active segments and the sealed segments the window cuts.
Labelled rows (feedback) are read by request id from the sealed files (sorted by id, pruned by
the segments' id ranges), never whole.

Every figure of the report equals the full re-read's; the rows named as drift evidence
(``top_rows`` and each feature's ``rows``) are drawn from the rows read this step (the newest).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fullcycle.monitoring.parts import FORMAT, Part, decode, summarize
from fullcycle.monitoring.reference import Reference
from fullcycle.monitoring.window import Window

SUMMARIES = "summaries"
ORDER = ["ts", "request_id", "row"]


def eligible(reference: Reference) -> bool:
    """Text features need the window's raw texts (domain classifier): read fully then."""
    return not any(s.kind == "text" for s in reference.features.values())


def part_key(
    reference_sha: str, model: str, version: int, kinds: Mapping[str, str], contract: Any
) -> str:
    """What a stored part depends on besides the segment."""
    spec = {
        "reference": reference_sha,
        "model": model,
        "version": version,
        "kinds": dict(kinds),
        "contract": contract.to_dict() if contract is not None else None,
        "format": FORMAT,
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _query(paths: list[str], where: str, params: list[Any]) -> Any:
    import duckdb

    con = duckdb.connect()
    try:
        return con.execute(
            f"SELECT * FROM read_parquet(?, union_by_name=true) WHERE {where} "
            "ORDER BY ts, request_id, row",
            [paths, *params],
        ).df()
    finally:
        con.close()


def _segment_rows(seg: Any, model: str, version: int) -> Any:
    return _query([seg.path], "model = ? AND version = ?", [model, version])


class Step:
    """One monitoring step over ``window`` for one version (see the module docstring)."""

    def __init__(
        self,
        deps: Any,
        window: Window,
        version: Any,
        reference: Reference,
        *,
        kinds: Mapping[str, str],
        contract: Any,
    ) -> None:
        self.deps, self.w, self.mv, self.reference = deps, window, version, reference
        self.kinds, self.contract = dict(kinds), contract
        self.key = part_key(
            version.reference_sha256, version.name, version.version, kinds, contract
        )
        self.read_segments = 0  # sealed segments whose rows this step read (edges, new parts)
        self._parts: dict[str, Part] = {}

    # -- stored parts ----------------------------------------------------------------------
    def _part_path(self, seg: Any) -> Path:
        name = seg.sha256 or hashlib.sha256(seg.path.encode()).hexdigest()
        return self.deps.log_root / SUMMARIES / f"{name}-{self.key}.json"

    def part_of(self, seg: Any) -> Part:
        """The segment's stored part, computed and kept on first use."""
        if seg.path not in self._parts:
            self._parts[seg.path] = self._load_or_make(seg)
        return self._parts[seg.path]

    def _load_or_make(self, seg: Any) -> Part:
        import orjson

        path = self._part_path(seg)
        try:
            return Part.from_dict(orjson.loads(path.read_bytes()))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            pass
        rows = _segment_rows(seg, self.mv.name, self.mv.version)
        self.read_segments += 1
        part = summarize(
            rows, decode(rows, list(self.kinds)), self.reference, self.kinds, self.contract
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps(part.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY))
        os.replace(tmp, path)
        return part

    # -- the window ------------------------------------------------------------------------
    def plan(self) -> tuple[list[Any], Any]:
        """(sealed segments wholly inside the window, the other rows of the window)."""
        import pandas as pd

        from fullcycle.monitoring.service import active_rows
        from fullcycle.store import logs

        w, mv = self.w, self.mv
        segs = [
            s
            for s in logs.segments(self.deps.db, since=w.since, until=w.until, model=mv.name)
            if mv.version in s.versions and os.path.exists(s.path)
        ]
        active = active_rows(self.deps, w, model=mv.name, version=mv.version)
        if w.last is not None:
            return self._plan_last(segs, active)
        inside = [
            s
            for s in segs
            if (w.since is None or s.t_min >= w.since) and (w.until is None or s.t_max <= w.until)
        ]
        edges = [s for s in segs if s not in inside]
        frames = [self._rows_in(s) for s in edges] + [active]
        return inside, _ordered(pd.concat([f for f in frames if len(f)] or [active]))

    def _rows_in(self, seg: Any) -> Any:
        self.read_segments += 1
        rows = _segment_rows(seg, self.mv.name, self.mv.version)
        keep = rows["ts"] >= self.w.since if self.w.since is not None else rows["ts"] == rows["ts"]
        if self.w.until is not None:
            keep &= rows["ts"] <= self.w.until
        return rows[keep]

    def _plan_last(self, segs: list[Any], active: Any) -> tuple[list[Any], Any]:
        import numpy as np
        import pandas as pd

        n = int(self.w.last or 0)
        parts = [self.part_of(s) for s in segs]
        times = [np.asarray(p.all_ts) for p in parts]
        if len(active):
            times.append(active.drop_duplicates("request_id")["ts"].to_numpy(dtype=float))
        every = np.concatenate(times) if times else np.zeros(0)
        if every.size <= n:
            return segs, _ordered(active)
        cut = float(np.partition(every, every.size - n)[every.size - n])  # the N-th newest
        inside = [s for s in segs if s.t_min > cut]
        edges = [s for s in segs if s.t_max >= cut and s.t_min <= cut]
        taken = sum(len(self.part_of(s).all_ts) for s in inside)
        frames = [self._rows_in(s) for s in edges] + [active]
        rest = _ordered(pd.concat([f for f in frames if len(f)] or [active]))
        if len(rest):
            ids = rest["request_id"].drop_duplicates().iloc[-(n - taken) :] if n > taken else []
            rest = rest[rest["request_id"].isin(set(ids))]
        return inside, rest.reset_index(drop=True)

    def labelled_log(self, inside: list[Any], rest: Any, feedback: Mapping[str, Any]) -> Any:
        """The window's rows that feedback names: read by id from the sealed segments inside
        the window (their files are sorted by id), plus those among ``rest``."""
        import pandas as pd

        from fullcycle.store.logs import split_key

        ids = sorted({split_key(k)[0] for k in feedback})
        lo, hi = (ids[0], ids[-1]) if ids else ("", "")
        paths = [
            s.path
            for s in inside
            if ids
            and (s.id_min is None or s.id_min <= hi[:64])
            and (s.id_max is None or s.id_max >= lo[:64])
        ]
        frames = [rest[rest["request_id"].isin(ids)]] if len(rest) and ids else []
        if paths:
            where = "model = ? AND version = ? AND request_id IN (SELECT UNNEST(?::VARCHAR[]))"
            frames.insert(0, _query(paths, where, [self.mv.name, self.mv.version, ids]))
        if not frames:
            return rest.iloc[:0]
        return _ordered(pd.concat([f for f in frames if len(f)] or [rest.iloc[:0]]))


def _ordered(log: Any) -> Any:
    if not len(log):
        return log.reset_index(drop=True)
    log = log.drop_duplicates(["request_id", "row", "route"])
    return log.sort_values(ORDER, kind="stable").reset_index(drop=True)
