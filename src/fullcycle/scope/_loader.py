"""Read ``fullcycle.yaml`` safely and report every problem with its path and line."""

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
from fullcycle.scope._model import SCHEMA_VERSION, Scope

MAX_BYTES = 1_000_000
MAX_NODES = 100_000
MAX_DEPTH = 32
Loc = tuple[str | int, ...]
_SUB_RE = re.compile(r"^\[([\w.\[\]-]+)\] (.*)$", re.S)
_PART_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def load_scope(path: str | Path) -> Scope:
    """Load and validate ``fullcycle.yaml``; ScopeError lists every problem with its line."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ScopeError(
            source, ["file not found: run `fullcycle init NAME` to create one"]
        ) from None
    except OSError as exc:
        raise ScopeError(source, [f"cannot be read: {exc.strerror or exc}"]) from None
    if len(raw) > MAX_BYTES:
        raise ScopeError(source, [f"is {len(raw)} bytes; a scope file is at most {MAX_BYTES}"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScopeError(source, [f"is not UTF-8 text (bad byte at offset {exc.start})"]) from None
    return parse_scope(text, source)


def parse_scope(text: str, source: str = "fullcycle.yaml") -> Scope:
    """Validate scope text; ``source`` names it in errors."""
    data, lines, problems = read_yaml(text, source)
    if not isinstance(data, dict):
        got = "nothing" if data is None else type(data).__name__
        raise ScopeError(source, [f"must be a mapping of sections (name:, task:, ...), got {got}"])
    try:
        scope = Scope.model_validate(data)
    except ValidationError as exc:
        problems += [p for err in exc.errors() for p in _describe(err, data, lines)]
        raise ScopeError(source, _unique(problems)) from None
    if problems:
        raise ScopeError(source, problems)
    return scope


def read_yaml(text: str, source: str) -> tuple[Any, dict[Loc, int], list[str]]:
    """Parse with the safe loader; the data, the line of every path, and duplicate-key notes."""
    loader = None
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml: 10x faster
        node = loader.get_single_node()
        lines: dict[Loc, int] = {}
        problems: list[str] = []
        if node is not None:
            _walk(node, (), lines, problems, [0], source)  # before construction: caps the size
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = exc.problem or exc.context or "malformed YAML"
        raise ScopeError(source, [f"{where}{what} (the file is not valid YAML)"]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        what = f"character #x{exc.character:04x} is not allowed in YAML; remove it"
        raise ScopeError(source, [f"line {line}: {what}"]) from None
    except yaml.YAMLError as exc:
        raise ScopeError(source, [f"not valid YAML: {exc}"]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines, problems


def _walk(
    node: yaml.Node,
    at: Loc,
    lines: dict[Loc, int],
    problems: list[str],
    count: list[int],
    source: str,
) -> None:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise ScopeError(source, [f"has more than {MAX_NODES} values (YAML aliases?)"])
    if len(at) > MAX_DEPTH:
        line = node.start_mark.line + 1
        raise ScopeError(source, [f"{_fmt(at)} (line {line}): nested deeper than {MAX_DEPTH}"])
    lines.setdefault(at, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    f"{_fmt(at + (key,))} (line {line}): appears twice "
                    f"(first on line {seen[key]}); keep one"
                )
                continue
            seen[key] = line
            lines[at + (key,)] = line
            _walk(value_node, at + (key,), lines, problems, count, source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, at + (i,), lines, problems, count, source)


def _describe(err: Any, data: Any, lines: dict[Loc, int]) -> list[str]:
    loc = _clean(err["loc"], data)
    kind = err["type"]
    if kind == "value_error" and "error" in err.get("ctx", {}):
        out = []
        for part in str(err["ctx"]["error"]).split("\n"):
            match = _SUB_RE.match(part)
            sub = _parse_path(match.group(1)) if match else ()
            out.append(_line(loc + sub, lines, match.group(2) if match else part))
        return out
    if kind == "missing":
        return [_line(loc, lines, "is missing; add it")]
    if kind == "extra_forbidden":
        return [_line(loc, lines, _unknown_key(loc))]
    if kind == "literal_error" and loc == ("schema_version",):
        return [
            _line(
                loc,
                lines,
                f"{err['input']!r} is not a schema version this fullcycle "
                f"reads ({SCHEMA_VERSION}); upgrade fullcycle or fix the number",
            )
        ]
    if kind == "literal_error":
        shown = repr(err["input"])[:60]
        return [_line(loc, lines, f"{shown} is not allowed; use {err['ctx']['expected']}")]
    ctx = {k: f"{v:g}" if isinstance(v, float) else v for k, v in err.get("ctx", {}).items()}
    for prefix, text in _PLAIN.items():
        if kind.startswith(prefix):
            return [_line(loc, lines, text.format(**ctx))]
    msg = err["msg"]
    return [_line(loc, lines, msg[0].lower() + msg[1:] if msg else kind)]


_PLAIN = {
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "greater_than": "must be greater than {gt}",
    "less_than": "must be less than {lt}",
    "finite_number": "must be a finite number (not .nan or .inf)",
    "float_": "must be a number",
    "int_": "must be a whole number",
    "string_": "must be text (quote it)",
    "bool_": "must be true or false",
    "list_": "must be a list",
    "dict_": "must be a mapping of keys to values",
    "model_": "must be a mapping of keys to values",
}


def _clean(loc: Loc, data: Any) -> Loc:
    """Keep the parts of a pydantic location that are real paths in the YAML."""
    out: list[str | int] = []
    cur = data
    for seg in loc:
        if isinstance(cur, dict) and seg in cur:
            cur = cur[seg]
        elif isinstance(cur, dict) and isinstance(seg, str) and "[" not in seg:
            out.append(seg)  # a missing or unknown key: name it, nothing below it
            break
        elif isinstance(cur, list) and isinstance(seg, int) and 0 <= seg < len(cur):
            cur = cur[seg]
        else:
            break
        out.append(seg)
    return tuple(out)


def _parse_path(text: str) -> Loc:
    return tuple(int(i) if i else name for name, i in _PART_RE.findall(text))


def _fmt(loc: Loc) -> str:
    text = ""
    for seg in loc:
        text += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if text else str(seg))
    return text or "(top level)"


def _line(loc: Loc, lines: dict[Loc, int], message: str) -> str:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines and (n or len(loc) == 0):
            return f"{_fmt(loc)} (line {lines[loc[:n]]}): {message}"
    return f"{_fmt(loc)}: {message}"


def _unknown_key(loc: Loc) -> str:
    allowed = _fields_at(Scope, loc[:-1])
    key = str(loc[-1]) if loc else ""
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return f"unknown key; allowed here: {', '.join(allowed)}" if allowed else "unknown key"


def _fields_at(model: Any, loc: Loc) -> list[str]:
    """The keys the schema allows at ``loc`` (for did-you-mean)."""
    t: Any = model
    for seg in loc:
        t = _unwrap(t)
        if isinstance(t, type) and issubclass(t, BaseModel):
            fields = {f.alias or n: f for n, f in t.model_fields.items()}
            if seg not in fields:
                return []
            t = fields[seg].annotation
        elif typing.get_origin(t) is list and isinstance(seg, int):
            t = typing.get_args(t)[0]
        elif typing.get_origin(t) is dict:
            t = typing.get_args(t)[1]
        else:
            return []
    t = _unwrap(t)
    if isinstance(t, type) and issubclass(t, BaseModel):
        return [f.alias or n for n, f in t.model_fields.items()]
    return []


def _unwrap(t: Any) -> Any:
    if typing.get_origin(t) is typing.Annotated:
        t = typing.get_args(t)[0]
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(t) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return t


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
