"""The Host a request names, read the same way by the inference server and the dashboard.

Two Host headers are ambiguous (a proxy may route on one and the app check the other), so
:func:`single_host` gives None for them and both apps answer 400.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["single_host"]


def single_host(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The one Host header's value ("" when absent), or None when there are several."""
    found = [value for key, value in headers if key.lower() == b"host"]
    if len(found) > 1:
        return None
    return found[0].decode("latin-1") if found else ""
