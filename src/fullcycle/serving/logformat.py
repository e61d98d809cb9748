"""The server's own logs: level, an access log written by the routes (request id, route,
status, latency, model version), and plain text or one JSON object per line.

``log_config`` is the ``logging.config.dictConfig`` that uvicorn applies in every worker.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

ACCESS_LOGGER = "fullcycle.access"
LEVELS = ("critical", "error", "warning", "info", "debug")
FORMATS = ("text", "json")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and every extra field."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def log_config(level: str = "warning", fmt: str = "text") -> dict[str, Any]:
    """uvicorn's and fullcycle's loggers at ``level``, as text or JSON lines on stderr."""
    if level not in LEVELS:
        raise ValueError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
    if fmt not in FORMATS:
        raise ValueError(f"log format {fmt!r} is not one of {', '.join(FORMATS)}")
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JSONFormatter"}
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    loggers = {
        name: {"handlers": ["main"], "level": level.upper(), "propagate": False}
        for name in ("uvicorn", "uvicorn.error", "fullcycle")
    }
    loggers[ACCESS_LOGGER] = {"handlers": ["main"], "level": "INFO", "propagate": False}
    loggers["uvicorn.access"] = {"handlers": [], "level": "CRITICAL", "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": loggers,
    }


def access_line(fields: dict[str, Any]) -> str:
    """The text form of an access record (the JSON form carries the fields themselves)."""
    return (
        f"{fields['method']} {fields['path']} {fields['status']} {fields['latency_ms']:.1f} ms "
        f"v={fields['version']} id={fields['request_id']}"
    )
