"""Leaf helpers of the contract: column names, dates, and which problems are soft."""

from __future__ import annotations

import datetime as dt
from typing import Any

#: Problems a request may have and still be served (logged with a flag, counted by drift),
#: unless the feature says ``on_violation: refuse``. Everything else is refused (422).
SOFT_PROBLEMS: tuple[str, ...] = ("unknown category", "below min", "above max", "longer than")


def check_column_name(value: str) -> str:
    """A column name: 1-256 printable characters (it never becomes a path)."""
    if not value or len(value) > 256 or not value.isprintable():
        raise ValueError("must be 1-256 printable characters")
    return value


def parse_datetime(value: Any) -> dt.datetime:
    """ISO 8601 text, a date or a datetime -> a naive UTC datetime; ValueError otherwise."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and len(value) <= 64:
        parsed = dt.datetime.fromisoformat(value)
    else:
        raise ValueError(f"expected an ISO 8601 date or time, got {type(value).__name__}")
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:
            raise ValueError("date or time out of range") from None
    return parsed
