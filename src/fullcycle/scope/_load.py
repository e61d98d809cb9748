"""Read ``fullcycle.yaml`` safely and turn every problem into ``path (line N): what``."""

from __future__ import annotations

import difflib
import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from fullcycle.errors import ScopeError
from fullcycle.scope._scope import Scope

MAX_BYTES = 1 << 20
Loc = tuple[str | int, ...]
_SUB = re.compile(r"^\[([^\]]+(?:\[\d+\][^\]]*)*)\] (.*)$", re.S)
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def load_scope(path: str | Path) -> Scope:
    """Load and validate the scope file; :class:`ScopeError` lists every problem with its line."""
    path = Path(path)
    text = _read(path)
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScopeError(str(path), [f"YAML{where}: {problem}"]) from None
    if not isinstance(data, dict):
        got = "an empty file" if data is None else type(data).__name__
        raise ScopeError(str(path), [f"(line 1): the file must be a mapping of keys, got {got}; "
                                     "run `fullcycle init NAME` for a template"])
    lines: dict[Loc, int] = {}
    duplicates: list[str] = []
    _index(node, (), lines, duplicates)
    try:
        scope = Scope.model_validate(data)
    except ValidationError as exc:
        raise ScopeError(str(path), duplicates + _problems(exc, lines)) from None
    if duplicates:
        raise ScopeError(str(path), duplicates)
    return scope


def _read(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ScopeError(str(path), ["file not found; run `fullcycle init NAME` to write one"]) \
            from None
    except OSError as exc:
        raise ScopeError(str(path), [f"cannot be read: {exc.strerror}"]) from None
    if len(raw) > MAX_BYTES:
        raise ScopeError(str(path), [f"is larger than {MAX_BYTES} bytes; is it the right file?"])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScopeError(str(path), [f"(line {line}): not UTF-8 text; save it as UTF-8"]) from None


def _index(node: yaml.Node, loc: Loc, lines: dict[Loc, int], dups: list[str]) -> None:
    """Record the line of every key and item; note keys given twice."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark.line)
            if name in seen:
                dups.append(f"{_fmt(loc + (name,))} (line {key.start_mark.line + 1}): "
                            "is given twice; keep one")
            seen.add(name)
            lines[loc + (name,)] = key.start_mark.line + 1
            _index(value, loc + (name,), lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[loc + (i,)] = item.start_mark.line + 1
            _index(item, loc + (i,), lines, dups)


def _fmt(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def _line(loc: Loc, lines: dict[Loc, int]) -> int:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _clean_loc(loc: tuple[Any, ...], lines: dict[Loc, int]) -> Loc:
    """Drop pydantic's union and function tags that are not keys of the file."""
    out: Loc = ()
    for part in loc:
        candidate = out + (part,)
        if candidate in lines or not isinstance(part, str) or _is_key(part):
            out = candidate
    return out


def _is_key(part: str) -> bool:
    return "[" not in part and "-" not in part and part not in ("str", "int", "float", "bool")


def _problems(exc: ValidationError, lines: dict[Loc, int]) -> list[str]:
    out = []
    for err in exc.errors():
        loc = _clean_loc(err["loc"], lines)
        message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key" + _did_you_mean(loc)
        elif err["type"] == "missing":
            message = "is required"
        for piece in message.split("\n"):
            sub_loc, what = _split_sub(loc, piece)
            what = what[:1].lower() + what[1:]
            out.append(f"{_fmt(sub_loc)} (line {_line(sub_loc, lines)}): {what}")
    return out


def _split_sub(loc: Loc, piece: str) -> tuple[Loc, str]:
    match = _SUB.match(piece)
    if not match:
        return loc, piece
    parts: Loc = tuple(
        int(m.group(2)) if m.group(2) is not None else m.group(1)
        for m in _PART.finditer(match.group(1))
    )
    return loc + parts, match.group(2)


def _did_you_mean(loc: Loc) -> str:
    names = _fields_at(Scope, loc[:-1])
    if not names or not isinstance(loc[-1], str):
        return ""
    close = difflib.get_close_matches(loc[-1], sorted(names), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(sorted(names))}"


def _fields_at(model: Any, loc: Loc) -> set[str] | None:
    """The keys a section accepts, found by walking the models along ``loc``."""
    current: Any = model
    for part in loc:
        current = _unwrap(current, part)
        if current is None:
            return None
    current = _unwrap(current, None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return {f.alias or name for name, f in current.model_fields.items()}
    return None


def _unwrap(tp: Any, part: str | int | None) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _unwrap(args[0], part) if len(args) == 1 else None
    if part is None:
        return tp
    if origin is list and isinstance(part, int):
        return typing.get_args(tp)[0]
    if origin is dict and isinstance(part, str):
        return typing.get_args(tp)[1]
    if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
        for name, f in tp.model_fields.items():
            if part in (name, f.alias):
                return f.annotation
    return None
