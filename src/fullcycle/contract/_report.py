"""What a validation found: per column for frames, per row and field for requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fullcycle.errors import ContractViolation

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Violation:
    """One broken field of one request row (``row`` is 0-based; -1 for the whole batch).

    A ``soft`` violation (an unseen category, an out-of-range value, an over-long text) does
    not stop the row from being served: it is a flag, logged with the prediction and counted by
    drift. Hard ones (wrong type, missing field, NaN where not allowed) are refused."""

    row: int
    field: str | None
    problem: str
    soft: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"row": self.row, "field": self.field, "problem": self.problem}
        if self.soft:
            out["soft"] = True
        return out

    def flag(self) -> str:
        """The short form logged with a served row: ``field: problem``."""
        return f"{self.field}: {self.problem}"


@dataclass(frozen=True)
class ColumnViolation:
    """One problem in one column of a frame: how many rows, and the first few row numbers."""

    column: str
    problem: str
    count: int
    examples: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"problem": self.problem, "count": self.count, "examples": list(self.examples)}


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :meth:`Contract.validate_frame`. Row numbers are 0-based positions."""

    rows: int
    violations: list[ColumnViolation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def violations_by_column(self) -> dict[str, dict[str, Any]]:
        """``{column: {problem, count, examples, problems}}``; ``problems`` lists each one when
        a column breaks several rules (``problem`` then joins them, ``count`` is the largest)."""
        grouped: dict[str, list[ColumnViolation]] = {}
        for v in self.violations:
            grouped.setdefault(v.column, []).append(v)
        out: dict[str, dict[str, Any]] = {}
        for column, items in grouped.items():
            examples = sorted({row for v in items for row in v.examples})[:MAX_EXAMPLES]
            out[column] = {
                "problem": "; ".join(v.problem for v in items),
                "count": max(v.count for v in items),
                "examples": examples,
                "problems": [v.to_dict() for v in items],
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows": self.rows, "columns": self.violations_by_column}

    def summary(self, what: str) -> str:
        lines = [
            f"{what} breaks the feature contract in {len(self.violations_by_column)} column(s):"
        ]
        for v in self.violations:
            shown = ", ".join(str(r) for r in v.examples)
            rows = f" (e.g. rows {shown})" if shown else ""
            lines.append(f"  - {v.column}: {v.problem}: {v.count} of {self.rows} rows{rows}")
        return "\n".join(lines)

    def raise_if_failed(self, what: str) -> None:
        """Raise :class:`ContractViolation` naming every broken column, if there is one."""
        if self.ok:
            return
        raise ContractViolation(
            self.summary(what),
            self.violations,
            hint="fix the data, or edit the features section of fullcycle.yaml",
        )
