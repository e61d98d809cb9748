"""Which slice of production a report looks at, and turning logged rows into frames."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fullcycle import clock
from fullcycle.errors import InvalidInput

_DURATION = re.compile(r"(\d{1,9})([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class Window:
    """``since``/``until`` in epoch seconds (None: open), or the ``last`` N requests."""

    since: float | None = None
    until: float | None = None
    last: int | None = None
    text: str = "all"


def parse_window(spec: str | None, now: float | None = None) -> Window:
    """``last:5000``, ``1h``/``30m``/``7d``, ``since:EPOCH_OR_ISO``, or None for everything."""
    now = clock.now() if now is None else now
    if spec is None or spec == "all":
        return Window()
    spec = spec.strip()
    if spec.startswith("last:"):
        count = spec[5:]
        if not count.isdigit() or not 0 < int(count) <= 10_000_000:
            raise InvalidInput(f"--window {spec!r}: last:N needs N between 1 and 10000000")
        return Window(last=int(count), text=spec)
    if spec.startswith("since:"):
        return Window(since=_parse_time(spec[6:], spec), until=now, text=spec)
    match = _DURATION.fullmatch(spec)
    if match:
        return Window(
            since=now - int(match.group(1)) * _UNITS[match.group(2)], until=now, text=spec
        )
    raise InvalidInput(
        f"--window {spec!r} is not a window", hint="use last:5000, 1h, 30m, 7d or since:2026-01-01"
    )


def _parse_time(text: str, spec: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    import datetime as dt

    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"--window {spec!r}: {text!r} is neither epoch seconds nor ISO time"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def inputs_frame(log: Any, columns: list[str]) -> Any:
    """The logged request rows as a frame of the contract's columns (missing ones as None)."""
    import orjson
    import pandas as pd

    records = [orjson.loads(v) if isinstance(v, str | bytes) else (v or {}) for v in log["inputs"]]
    frame = (
        pd.DataFrame.from_records(records, columns=columns)
        if records
        else pd.DataFrame(columns=columns)
    )
    frame.index = log.index
    return frame


def decode_json_column(values: Any) -> list[Any]:
    import orjson

    return [orjson.loads(v) if isinstance(v, str | bytes) else v for v in values]
