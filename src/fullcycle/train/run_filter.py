"""The run filter language: a small, allow-listed grammar, never SQL.

    filter  := clause ( "and" clause )*
    clause  := field op value
    field   := ("params" | "metrics" | "tags") "." NAME  |  "status" | "name" | "dataset"
    op      := "=" | "!=" | "<" | "<=" | ">" | ">="
    value   := number | 'text' | "text" | bare-word

e.g. ``metrics.f1 > 0.9 and params.model.max_iter = 300 and tags.team = 'search'``. The parsed
clauses go to the store as bound parameters; no part of the text becomes SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fullcycle.errors import InvalidInput

OPS = ("<=", ">=", "!=", "=", "<", ">")
SECTIONS = ("params", "metrics", "tags")
ATTRIBUTES = ("status", "name", "dataset")
_CLAUSE = re.compile(
    r"""\s*(?P<field>[A-Za-z_][\w.\-]*)\s*(?P<op><=|>=|!=|==|=|<|>)\s*
        (?P<value>'[^']*'|"[^"]*"|[^\s'"]+)\s*$""",
    re.VERBOSE,
)
MAX_CLAUSES = 20


@dataclass(frozen=True)
class Clause:
    section: str  # params, metrics, tags or attr
    key: str
    op: str
    value: Any


def _value(text: str) -> Any:
    if text[:1] in "'\"":
        return text[1:-1]
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse(text: str | None) -> list[Clause]:
    """The clauses of ``text`` (empty: every run); InvalidInput naming the part that is wrong."""
    if not text or not text.strip():
        return []
    parts = re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE)
    if len(parts) > MAX_CLAUSES:
        raise InvalidInput(f"filter: at most {MAX_CLAUSES} clauses joined by 'and'")
    return [_clause(part) for part in parts]


def _clause(part: str) -> Clause:
    match = _CLAUSE.match(part)
    if not match:
        raise InvalidInput(
            f"filter: {part.strip()!r} is not FIELD OP VALUE",
            hint="e.g. metrics.f1 > 0.9 and params.seed = 3 and tags.team = 'search'",
        )
    name, op, raw = match["field"], match["op"], match["value"]
    op = "=" if op == "==" else op
    section, _, key = name.partition(".")
    if section in SECTIONS and key:
        clause = Clause(section, key, op, _value(raw))
    elif name in ATTRIBUTES:
        clause = Clause("attr", name, op, _value(raw))
    else:
        raise InvalidInput(
            f"filter: field {name!r} is not params.NAME, metrics.NAME, tags.NAME, "
            f"{', '.join(ATTRIBUTES)}"
        )
    if clause.section == "metrics" and not isinstance(clause.value, int | float):
        raise InvalidInput(f"filter: metrics.{key} compares with a number, not {raw!r}")
    return clause


def matches(op: str, have: Any, want: Any) -> bool:
    """``have OP want``; numbers compare as numbers, anything else as text."""
    if have is None:
        return False
    if isinstance(want, int | float) and not isinstance(want, bool):
        try:
            have = float(have)
        except (TypeError, ValueError):
            return op == "!="
    else:
        have, want = str(have), str(want)
    return {
        "=": have == want,
        "!=": have != want,
        "<": have < want,
        "<=": have <= want,
        ">": have > want,
        ">=": have >= want,
    }[op]


def runs_frame(db: Any, text: str | None = None, *, limit: int = 1000) -> Any:
    """Runs meeting the filter as a pandas DataFrame: one row per run, columns ``run_id``,
    ``name``, ``status``, ``started_at``, ``ended_at``, ``dataset``, ``params.*`` (typed),
    ``metrics.*`` (latest value) and ``tags.*``; newest first."""
    import pandas as pd

    from fullcycle.store import runs as run_store

    clauses = parse(text)
    rows = run_store.search(db, clauses, limit=limit)
    late = [c for c in clauses if c.section in ("params", "tags")]
    kept = [r for r in rows if all(matches(c.op, r[c.section].get(c.key), c.value) for c in late)]
    base = ("name", "status", "started_at", "ended_at", "dataset")
    records = [
        {
            "run_id": r["id"],
            **{k: r[k] for k in base},
            **{f"params.{k}": v for k, v in r["params"].items()},
            **{f"metrics.{k}": v for k, v in r["metrics"].items()},
            **{f"tags.{k}": v for k, v in (r["tags"] or {}).items()},
        }
        for r in kept
    ]
    return pd.DataFrame(records, columns=None if records else ["run_id", *base])
