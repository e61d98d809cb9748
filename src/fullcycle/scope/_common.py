"""Pieces every scope section shares: the strict base model, durations, problem lists."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")


class Section(BaseModel):
    """Unknown keys are errors; values are read once and never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_duration(value: Any) -> float:
    """``90``, ``"90s"``, ``"15m"``, ``"6h"``, ``"7d"``, ``"2w"`` -> seconds (> 0)."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 90s, 15m, 6h or 7d")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.fullmatch(value.strip())):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ValueError("must be a duration such as 90s, 15m, 6h or 7d")
    if not seconds > 0 or seconds > 10 * 365 * 86400:
        raise ValueError("must be a duration between 1s and 10 years")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


def fail(problems: list[str]) -> None:
    """Raise one ValueError carrying each ``[sub.path] what`` line; the loader splits them."""
    if problems:
        raise ValueError("\n".join(problems))
