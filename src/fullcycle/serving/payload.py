"""Request bodies to records: JSON parsing that never recurses deeply or accepts NaN, the
``/predict`` and Open Inference Protocol shapes, and a signature validator used when a model
has no contract."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

from fullcycle.errors import InvalidInput, MalformedInput
from fullcycle.serving.models import Violation

MAX_DEPTH = 64
MAX_ROWS = 10_000
MAX_FEATURES = 2_000


class NonFinite:
    """A JSON number we refuse (NaN, Infinity, 1e400, a huge integer), kept so the validator
    can name the row and field it appeared in."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text[:40]

    def __repr__(self) -> str:
        return self.text


def _depth_ok(body: bytes) -> bool:
    depth, in_str, escaped = 0, False, False
    for ch in body:
        if in_str:
            if escaped:
                escaped = False
            elif ch == 0x5C:
                escaped = True
            elif ch == 0x22:
                in_str = False
        elif ch == 0x22:
            in_str = True
        elif ch in (0x5B, 0x7B):
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif ch in (0x5D, 0x7D):
            depth -= 1
    return True


def _big_int(text: str) -> Any:
    if len(text) > 18:
        return NonFinite(text)
    return int(text)


def _float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else NonFinite(text)


def parse_json(body: bytes) -> Any:
    """Parse a body: MalformedInput when malformed, NonFinite markers for refused numbers."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        rest = body[exc.pos : exc.pos + 9]
        numeric = rest[:1] in b"-0123456789NI" and rest[:1] != b""
        if not numeric or not _depth_ok(body):
            raise MalformedInput(
                f"the body is not valid JSON: {exc}",
                hint="send UTF-8 JSON without a byte order mark",
            ) from None
    try:
        return json.loads(
            body.decode("utf-8"), parse_constant=NonFinite, parse_int=_big_int, parse_float=_float
        )
    except (ValueError, RecursionError) as exc:
        raise MalformedInput(f"the body is not valid JSON: {exc}") from None


def records_from_predict(payload: Any) -> list[Any]:
    """``{"records": [...]}`` or ``{"columns": [...], "data": [[...], ...]}``."""
    if not isinstance(payload, dict):
        raise InvalidInput("the body must be a JSON object with 'records' or 'columns' and 'data'")
    if "records" in payload:
        records = payload["records"]
        if not isinstance(records, list):
            raise InvalidInput("'records' must be a list of objects, one per row")
        return records
    if "columns" in payload and "data" in payload:
        cols, data = payload["columns"], payload["data"]
        if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols):
            raise InvalidInput("'columns' must be a list of column names")
        if not isinstance(data, list) or not all(
            isinstance(r, list) and len(r) == len(cols) for r in data
        ):
            raise InvalidInput(f"'data' must be a list of rows of {len(cols)} values each")
        return [dict(zip(cols, row, strict=True)) for row in data]
    raise InvalidInput("the body must have 'records' (a list of objects) or 'columns' and 'data'")


def records_from_v2(payload: Any) -> tuple[list[Any], str | None]:
    """Open Inference Protocol ``inputs``, one tensor per feature (see ``serving/tensors.py``)."""
    from fullcycle.serving.tensors import records_from_v2 as from_tensors

    return from_tensors(payload)


_KINDS = {
    "double": "number",
    "float": "number",
    "numeric": "number",
    "fp64": "number",
    "fp32": "number",
    "integer": "integer",
    "long": "integer",
    "int64": "integer",
    "string": "string",
    "text": "string",
    "categorical": "string",
    "bytes": "string",
    "bool": "bool",
    "boolean": "bool",
}


def _check(kind: str, value: Any) -> str | None:
    if isinstance(value, NonFinite):
        return f"{value.text} is not a finite number in range"
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f"expected a number, got {type(value).__name__}"
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"expected an integer, got {type(value).__name__}"
    if kind == "string":
        return None if isinstance(value, str) else f"expected a string, got {type(value).__name__}"
    if kind == "bool":
        return None if isinstance(value, bool) else f"expected true or false, got {value!r}"[:80]
    return None


def signature_validator(signature: dict[str, Any]) -> Any:
    """A ``validate(records)`` for a signature ``{"inputs": [{name, type, nullable?}]}``."""
    import pandas as pd

    fields = [
        (
            f["name"],
            _KINDS.get(str(f.get("type", "")).lower(), "any"),
            bool(f.get("nullable", False)),
        )
        for f in signature.get("inputs", [])
    ]
    names = [f[0] for f in fields]
    expected = set(names)

    def validate(records: list[Any]) -> tuple[Any, list[Violation]]:
        found: list[Violation] = []
        if not records:
            found.append(Violation(-1, "", f"empty batch; send 1 or more rows of {names}"))
        for i, rec in enumerate(records):
            if not isinstance(rec, dict):
                found.append(Violation(i, None, "a row must be an object of feature: value"))
                continue
            if rec.keys() != expected:
                for key in sorted(expected.difference(rec)):
                    found.append(Violation(i, key, f"missing; the model expects {names}"))
                for key in sorted(map(str, set(rec).difference(expected))):
                    found.append(Violation(i, str(key)[:64], f"unexpected; expects {names}"))
            for name, kind, nullable in fields:
                value = rec.get(name)
                if value is None:
                    if name in rec and not nullable:
                        found.append(Violation(i, name, "null is not allowed"))
                    continue
                problem = _check(kind, value)
                if problem:
                    found.append(Violation(i, name, problem))
        if found:
            return None, found
        return pd.DataFrame({n: [r[n] for r in records] for n in names}, columns=names), found

    return validate
