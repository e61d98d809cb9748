"""Shared pieces of the scope models: the strict base class, durations, problem lists."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_DURATION_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class Section(BaseModel):
    """Every scope section: unknown keys are errors, values are finite, models are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def parse_duration(value: Any) -> Any:
    """``90`` (seconds), ``"90s"``, ``"15m"``, ``"6h"``, ``"7d"``, ``"2w"`` -> seconds."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 30s, 15m, 6h or 7d")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        match = _DURATION_RE.fullmatch(value)
        if match:
            return float(match.group(1)) * _UNITS[match.group(2)]
    raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 15m, 6h or 7d")


#: Seconds; written in YAML as ``15m``, ``6h``, ``7d``.
Duration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]
Share = Annotated[float, Field(ge=0, le=1)]
OpenShare = Annotated[float, Field(gt=0, le=1)]
PositiveFloat = Annotated[float, Field(gt=0)]
Cost = Annotated[float, Field(ge=0)]


class Problems:
    """Collects ``[path] message`` lines; raised as one ValueError the loader splits again."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.lines.append(f"[{path}] {message}")

    def raise_any(self) -> None:
        if self.lines:
            raise ValueError("\n".join(self.lines))
