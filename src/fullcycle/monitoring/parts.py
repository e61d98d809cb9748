"""Mergeable summaries of a slice of the prediction log: what a monitor report needs from it.

A :class:`Part` reduces logged rows (a sealed segment, the active rows, a whole window) to
what adds up exactly across slices: the drift sketch of the served inputs and outputs
(``sketch.py``), the latencies and statuses of the requests, the logged probabilities (the
label-free estimate and the abstention share need them row by row; they are a few numbers a
row), the soft contract violations counted per feature and kind, and the time of every
request (so ``last:N`` windows can be cut without reading rows). A sealed segment's part is
computed once per reference and kept (``incremental.py``); a report merges parts.

Requests are assumed not to span slices (a request's rows are logged together).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fullcycle.monitoring.reference import Reference
from fullcycle.monitoring.sketch import ColumnSketch, WindowSketch, sketch_column
from fullcycle.monitoring.window import decode_json_column, inputs_frame

SERVED = ("production", "canary")
FORMAT = 2
ARRAYS = ("probs", "latencies", "req_ts", "all_ts")


@dataclass
class Part:
    """One slice of the log, reduced; ``+`` merges two slices."""

    sketch: WindowSketch = field(default_factory=lambda: WindowSketch(0, {}))
    conf_complete: bool = True  # every served row logged probabilities
    probs: np.ndarray = field(default_factory=lambda: np.zeros(0))  # rows x classes
    latencies: np.ndarray = field(default_factory=lambda: np.zeros(0))
    errors: int = 0
    rejected: int = 0
    req_ts: np.ndarray = field(default_factory=lambda: np.zeros(0))  # served requests
    all_ts: np.ndarray = field(default_factory=lambda: np.zeros(0))  # every request (last:N)
    ts_min: float | None = None
    ts_max: float | None = None
    contract: dict[str, Any] = field(default_factory=lambda: {"n": 0, "flagged": 0, "f": {}})

    def __add__(self, other: Part) -> Part:
        a, b = self.contract, other.contract
        feats = {k: {"rows": v["rows"], "kinds": dict(v["kinds"])} for k, v in a["f"].items()}
        for name, got in b["f"].items():
            mine = feats.setdefault(name, {"rows": 0, "kinds": {}})
            mine["rows"] += got["rows"]
            for kind, (count, problem) in got["kinds"].items():
                old = mine["kinds"].get(kind, [0, problem])
                mine["kinds"][kind] = [old[0] + count, old[1]]
        return Part(
            sketch=self.sketch + other.sketch,
            conf_complete=self.conf_complete and other.conf_complete,
            probs=_cat(self.probs, other.probs),
            latencies=_cat(self.latencies, other.latencies),
            errors=self.errors + other.errors,
            rejected=self.rejected + other.rejected,
            req_ts=_cat(self.req_ts, other.req_ts),
            all_ts=_cat(self.all_ts, other.all_ts),
            ts_min=_pick(min, self.ts_min, other.ts_min),
            ts_max=_pick(max, self.ts_max, other.ts_max),
            contract={"n": a["n"] + b["n"], "flagged": a["flagged"] + b["flagged"], "f": feats},
        )

    @property
    def rows(self) -> int:
        return self.sketch.n_rows

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "sketch"}
        for name in ARRAYS:  # as float64 bytes: exact, and quick to read back
            out[name] = _pack(out[name])
        out["format"] = FORMAT
        out["n_rows"] = self.sketch.n_rows
        out["sketch"] = {n: _col_dict(c) for n, c in self.sketch.columns.items()}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Part:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a format-{FORMAT} log part")
        cols = {n: _col_from(c) for n, c in data["sketch"].items()}
        rest = {k: v for k, v in data.items() if k not in ("format", "n_rows", "sketch")}
        for name in ARRAYS:
            rest[name] = _unpack(rest[name])
        return cls(sketch=WindowSketch(int(data["n_rows"]), cols), **rest)


def _cat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if not len(a):
        return b
    return a if not len(b) else np.concatenate([a, b])


def _pack(values: np.ndarray) -> dict[str, Any]:
    import base64

    arr = np.asarray(values, dtype="<f8")
    return {"shape": list(arr.shape), "b64": base64.b64encode(arr.tobytes()).decode()}


def _unpack(packed: Mapping[str, Any]) -> np.ndarray:
    import base64

    arr = np.frombuffer(base64.b64decode(packed["b64"]), dtype="<f8")
    return arr.reshape(packed["shape"])


def _pick(fn: Any, a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else fn(a, b)


def _col_dict(c: ColumnSketch) -> dict[str, Any]:
    out = dict(c.__dict__)
    out["counts"], out["sums"] = c.counts.tolist(), c.sums.tolist()
    out["lo"] = None if not np.isfinite(c.lo) else c.lo
    out["hi"] = None if not np.isfinite(c.hi) else c.hi
    return out


def _col_from(d: Mapping[str, Any]) -> ColumnSketch:
    raw = dict(d)
    raw["counts"] = np.asarray(raw["counts"], dtype=float)
    raw["sums"] = np.asarray(raw["sums"], dtype=float)
    raw["lo"] = np.inf if raw["lo"] is None else raw["lo"]
    raw["hi"] = -np.inf if raw["hi"] is None else raw["hi"]
    return ColumnSketch(**raw)


@dataclass
class Decoded:
    """The served rows of a slice, decoded once: inputs, answers and probabilities."""

    served: Any
    ok: Any
    feats: Any
    preds: list[str] | None
    probs: list[Any]


def decode(log: Any, kinds: Sequence[str]) -> Decoded:
    """Served and answered rows of ``log``, their inputs as a frame, answers and probabilities
    (each JSON column decoded once)."""
    served = log[log["route"].isin(SERVED)] if len(log) else log
    ok = served[served["status"] == 200] if len(served) else served
    feats = inputs_frame(ok, list(kinds)) if len(ok) else None
    preds = [str(p) for p in decode_json_column(ok["output"])] if len(ok) else None
    probs = decode_json_column(ok["proba"]) if len(ok) else []
    return Decoded(served, ok, feats, preds, probs)


def confidence(probs: Sequence[Any]) -> list[float] | None:
    """The top probability of every row, or None when some row logged none (a regression
    model logs a number, or nothing, where a classifier logs its class probabilities)."""
    if not len(probs) or any(not isinstance(p, list | tuple) or not p for p in probs):
        return None
    return [float(max(p)) for p in probs]


def compared_names(reference: Reference, kinds: Mapping[str, str], with_conf: bool) -> list[str]:
    names = list(kinds)
    for name, summary in reference.features.items():
        if summary.role == "prediction" or (summary.role == "confidence" and with_conf):
            names.append(name)
    return names


def summarize(
    log: Any, d: Decoded, reference: Reference, kinds: Mapping[str, str], contract: Any
) -> Part:
    """The part of ``log`` (``d`` is :func:`decode` of it)."""
    import pandas as pd

    conf = confidence(d.probs)
    outputs = {"prediction": d.preds, "confidence": conf}
    cols: dict[str, ColumnSketch] = {}
    if d.feats is not None:
        for name in compared_names(reference, kinds, True):
            summary = reference.features[name]
            if summary.role in outputs:
                if outputs[summary.role] is not None:
                    cols[name] = sketch_column(
                        summary, pd.Series(np.asarray(outputs[summary.role]))
                    )
            elif name in d.feats.columns:
                cols[name] = sketch_column(summary, d.feats[name])
    requests = d.served.drop_duplicates("request_id") if len(d.served) else d.served
    status = requests["status"].to_numpy() if len(requests) else np.zeros(0)
    every = log.drop_duplicates("request_id") if len(log) else log
    return Part(
        sketch=WindowSketch(len(d.ok), cols),
        conf_complete=conf is not None or not len(d.ok),
        probs=np.asarray([p for p in d.probs if p is not None] or np.zeros(0), dtype=float),
        latencies=requests["latency_ms"].to_numpy(dtype=float) if len(requests) else np.zeros(0),
        errors=int((status >= 500).sum()),
        rejected=int(((status >= 400) & (status < 500)).sum()),
        req_ts=requests["ts"].to_numpy(dtype=float) if len(requests) else np.zeros(0),
        all_ts=every["ts"].to_numpy(dtype=float) if len(every) else np.zeros(0),
        ts_min=float(log["ts"].min()) if len(log) else None,
        ts_max=float(log["ts"].max()) if len(log) else None,
        contract=_contract_part(d.feats, contract),
    )


def _contract_part(feats: Any, contract: Any) -> dict[str, Any]:
    if contract is None or feats is None or not len(feats):
        return {"n": 0 if feats is None else len(feats), "flagged": 0, "f": {}}
    flagged = np.zeros(len(feats), dtype=bool)
    out: dict[str, Any] = {}
    for name, found in contract.soft_masks(feats).items():
        rows = np.logical_or.reduce([mask for _, _, mask in found])
        flagged |= rows
        kinds: dict[str, list[Any]] = {}
        for kind, problem, mask in found:
            old = kinds.get(kind, [0, problem])
            kinds[kind] = [old[0] + int(mask.sum()), old[1]]
        out[name] = {"rows": int(rows.sum()), "kinds": kinds}
    return {"n": len(feats), "flagged": int(flagged.sum()), "f": out}


def contract_report(part: Part, contract: Any, *, max_share: float) -> dict[str, Any] | None:
    """The report's ``contract`` section from a (merged) part."""
    c = part.contract
    if contract is None or not c["n"]:
        return None
    n = c["n"]
    features: dict[str, dict[str, Any]] = {}
    for name, got in c["f"].items():
        kind, (_, problem) = max(got["kinds"].items(), key=lambda kv: kv[1][0])
        features[name] = {
            "rows": got["rows"],
            "share": got["rows"] / n,
            "problem": kind,
            "detail": problem[:120],
        }
    features = dict(sorted(features.items(), key=lambda kv: -kv[1]["rows"]))
    return {
        "rows": n,
        "flagged": c["flagged"],
        "flagged_share": c["flagged"] / n,
        "max_share": max_share,
        "features": features,
    }


def final_sketch(part: Part, reference: Reference) -> WindowSketch:
    """The window's sketch: confidence only when every served row logged probabilities."""
    if part.conf_complete:
        return part.sketch
    keep = {
        n: c for n, c in part.sketch.columns.items() if reference.features[n].role != "confidence"
    }
    return WindowSketch(part.sketch.n_rows, keep)
