"""The one function that decides whether a name may become part of a path or a key.

Every user-given name (project, dataset, model, run, artifact, tag, alias) passes through
:func:`check_name` before it is stored or joined to a path. The rule is an allow-list, so no
encoding trick (``%2e%2e``, fullwidth dots, NUL, ``..\\``) gets through a deny-list gap.
"""

from __future__ import annotations

import re

from fullcycle.errors import InvalidName

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_RESERVED = {".", ".."}


def check_name(value: object, field: str = "name") -> str:
    """Return ``value`` if it is a safe name, else raise :class:`InvalidName` naming ``field``."""
    if not isinstance(value, str):
        raise InvalidName(f"{field} must be a string, got {type(value).__name__}")
    if value in _RESERVED or ".." in value or not NAME_RE.fullmatch(value):
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise InvalidName(
            f"{field} {shown!r} is not allowed",
            hint="use 1-128 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit, "
            "and no '..'",
        )
    return value


def split_ref(ref: str, sep: str, field: str) -> tuple[str, int | None]:
    """Split ``name@3`` / ``name:3`` into the name and the version (None when absent)."""
    name, found, number = ref.partition(sep)
    check_name(name, field)
    if not found:
        return name, None
    if not number.isdigit() or len(number) > 9 or int(number) < 1:
        raise InvalidName(f"{field} {ref!r}: the version after {sep!r} must be a positive integer")
    return name, int(number)
