"""The one function that decides whether a name may become part of a path or a key.

Every user-given name (project, dataset, model, run, artifact, tag, alias) passes through
:func:`check_name` before it is stored or joined to a path. The rule is an allow-list, so no
encoding trick (``%2e%2e``, fullwidth dots, NUL, ``..\\``) gets through a deny-list gap.

Every reference a person writes is read by :func:`parse_ref`, one notation for the whole
project (docs/glossary.md):

- a model: ``NAME`` (its latest version), ``NAME:N`` (version N), ``NAME@ALIAS`` (the version
  the alias points at). An alias is never all digits, so ``voice@1`` is refused with the
  spelling meant (``voice:1``) instead of looking up an alias named "1".
- a dataset: ``NAME`` (its latest version) or ``NAME@N``. Datasets have no aliases.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

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


RefKind = Literal["model", "dataset"]
_MAX_DIGITS = 9


class Ref(NamedTuple):
    """A parsed reference: the name and at most one of a version and an alias."""

    name: str
    version: int | None = None
    alias: str | None = None


def check_alias(value: object, field: str = "alias") -> str:
    """A model alias: a safe name that is not all digits (``NAME@3`` would read as a version)."""
    alias = check_name(value, field)
    if alias.isdigit():
        raise InvalidName(
            f"{field} {alias!r} is all digits, which reads as a version number",
            hint="an alias names a role (production, staging, candidate-2); "
            "a version is written NAME:N",
        )
    return alias


def parse_ref(ref: object, kind: RefKind, field: str | None = None) -> Ref:
    """Read a model reference (``NAME``, ``NAME:N``, ``NAME@ALIAS``) or a dataset reference
    (``NAME``, ``NAME@N``); errors name ``field`` (default: the kind) and the spelling meant."""
    if kind not in ("model", "dataset"):
        raise ValueError(f"unknown reference kind {kind!r}")
    if not isinstance(ref, str):
        shown = field or f"{kind} reference"
        raise InvalidName(f"{shown} must be a string, got {type(ref).__name__}")
    if kind == "model":
        return _model_ref(ref, field or "model reference", field or "model name")
    return _dataset_ref(ref, field or "dataset reference", field or "dataset name")


def _model_ref(ref: str, field: str, name_field: str) -> Ref:
    if "@" in ref and ":" in ref:
        raise InvalidName(
            f"{field} {ref!r}: give a version or an alias, not both",
            hint="NAME:N for a version, NAME@ALIAS for an alias",
        )
    if "@" in ref:
        name, _, alias = ref.partition("@")
        check_name(name, name_field)
        if alias.isdigit():
            raise InvalidName(
                f"`{ref}`: a model version is written {name}:{alias}; @ names an alias",
                hint=f"fullcycle models --name {name} lists its versions and aliases",
            )
        return Ref(name, alias=check_alias(alias, f"{field} {ref!r}: the alias"))
    name, found, number = ref.partition(":")
    check_name(name, name_field)
    if not found:
        return Ref(name)
    return Ref(name, version=_version(ref, number, ":", field, f"{name}@{number}"))


def _dataset_ref(ref: str, field: str, name_field: str) -> Ref:
    if ":" in ref and "@" not in ref:
        name, _, number = ref.partition(":")
        raise InvalidName(
            f"`{ref}`: a dataset version is written {name}@{number}; : is for model versions",
            hint="fullcycle data list shows the versions",
        )
    name, found, number = ref.partition("@")
    check_name(name, name_field)
    if not found:
        return Ref(name)
    return Ref(name, version=_version(ref, number, "@", field, None))


def _version(ref: str, number: str, sep: str, field: str, alias_form: str | None) -> int:
    if number.isdigit() and len(number) <= _MAX_DIGITS and int(number) >= 1:
        return int(number)
    hint = "e.g. churn:3, or churn@production for an alias" if sep == ":" else "e.g. queries@3"
    if alias_form is not None and number and NAME_RE.fullmatch(number) and not number.isdigit():
        hint = f"an alias is written {alias_form}"
    raise InvalidName(
        f"{field} {ref!r}: the version after {sep!r} must be a positive integer", hint=hint
    )
