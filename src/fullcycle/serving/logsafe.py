"""Prediction-log records made safe to write, on the request side.

A record is serialised here, before the writer thread sees it, so nothing a client sends can
stop the writer: a value orjson cannot write (a list nested deeper than its limit, a string
holding a lone surrogate, an object of an unknown type) is replaced by a short, escaped
description of it, and the rest of the record (request id, status, error, output) is kept.
"""

from __future__ import annotations

import reprlib
from typing import Any

import orjson

__all__ = ["encode_records"]

_REPR_CHARS = 400
_KEEP = ("request_id", "row", "ts", "model", "version", "route", "status", "latency_ms")


def encode_records(records: list[dict[str, Any]]) -> tuple[bytes, int]:
    """JSON Lines for ``records`` and how many of them had to be reduced to a safe form."""
    lines, reduced = [], 0
    for rec in records:
        try:
            lines.append(orjson.dumps(rec, default=str))
        except Exception:  # orjson.JSONEncodeError, or whatever str() of a value raised
            lines.append(_reduced_line(rec))
            reduced += 1
    lines.append(b"")
    return b"\n".join(lines), reduced


def _reduced_line(rec: Any) -> bytes:
    try:
        return orjson.dumps(reduce_record(rec))
    except Exception:  # never let one record stop the others: keep what identifies it
        ident = rec.get("request_id") if isinstance(rec, dict) else None
        return orjson.dumps({"request_id": _text(ident), "error": "unloggable record"})


def reduce_record(rec: Any) -> dict[str, Any]:
    """``rec`` with every value orjson cannot write replaced by ``{"unloggable": ...}``."""
    if not isinstance(rec, dict):
        return {"error": "unloggable record", "inputs": _described(rec)}
    out: dict[str, Any] = {}
    for key, value in rec.items():
        name = _text(key)
        try:
            orjson.dumps(value, default=str)
            out[name] = value
        except Exception:
            out[name] = None if name in _KEEP else _described(value)
    out["error"] = out.get("error") or "the request held values the log cannot store as JSON"
    return out


def _described(value: Any) -> dict[str, Any]:
    short = reprlib.Repr()
    short.maxlevel, short.maxstring, short.maxother, short.maxlist, short.maxdict = 4, 80, 80, 8, 8
    try:
        text = short.repr(value)
    except Exception as exc:  # a hostile __repr__
        text = f"<{type(value).__name__}: repr failed: {type(exc).__name__}>"
    return {"unloggable": type(value).__name__, "repr": _text(text)[:_REPR_CHARS]}


def _text(value: Any) -> str:
    """A string orjson can write: lone surrogates and other unencodable points escaped."""
    text = value if isinstance(value, str) else str(value)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
