"""Target values normalised once, to the contract's target kind, at every door.

Labels reach fullcycle through data add, ``/feedback``, label import (CSV, JSON Lines, Label
Studio) and the merge of labelled rows into training data; the gate, the canary and monitoring
compare them with logged predictions. Each door calls :func:`normalise_label` (or
:func:`normalise_labels` for many), so ``"1"``, ``1`` and ``1.0`` (and ``True``, ``"yes"`` for a
boolean target) are one class everywhere, and a regression label read from text is a number.

    numeric target      -> float; bools, lists, objects, NaN/Infinity and text that is not a
                           number are refused
    categorical target  -> the class it names, in the class's own type (int, bool or str);
                           a value that names no known class is a *new class*: kept, in the
                           type the classes share, and flagged (``known=False``)
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from fullcycle.contract._model import Target
from fullcycle.errors import InvalidInput

MAX_LABEL_TEXT = 256
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})


class Label(NamedTuple):
    """A normalised label and whether it is one of the known classes (always True when the
    target is numeric or no classes are known)."""

    value: Any
    known: bool


class TargetSpec(NamedTuple):
    """What a label must fit: the target's kind and its classes (from the contract or, when it
    lists none, from the model)."""

    kind: str
    classes: tuple[Any, ...] | None

    @property
    def boolean(self) -> bool:
        return bool(self.classes) and all(isinstance(c, bool) for c in self.classes or ())


def target_spec(
    target: Target | str | None, classes: Sequence[Any] | None = None, *, kind: str | None = None
) -> TargetSpec:
    """The spec from a contract :class:`Target` (or a kind), with ``classes`` as a fallback."""
    if isinstance(target, Target):
        kind = target.kind
        known = target.classes if target.classes is not None else classes
    else:
        kind = kind or (target if target in ("numeric", "categorical") else "categorical")
        known = classes
    if kind == "numeric":
        return TargetSpec("numeric", None)
    plain = tuple(c.item() if hasattr(c, "item") else c for c in known) if known else None
    return TargetSpec("categorical", plain)


def _problem(field: str, what: str) -> InvalidInput:
    return InvalidInput(f"{field}: {what}", hint="send one class of the target, or a number")


def _scalar(value: Any, field: str) -> Any:
    """The value as a plain Python scalar; InvalidInput for lists, objects, NaN and the like."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        with contextlib.suppress(ValueError, AttributeError):
            value = value.item()
    if value is None:
        raise _problem(field, "is missing (null)")
    if isinstance(value, list | tuple | dict | set):
        raise _problem(field, f"must be a single value, got a {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _problem(field, f"must be a finite number, got {value!r}")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63:
        raise _problem(field, "is an integer too large to be a label")
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > MAX_LABEL_TEXT or "\x00" in text or not text.isprintable():
            raise _problem(field, f"must be 1-{MAX_LABEL_TEXT} printable characters")
        return text
    if not isinstance(value, bool | int | float):
        raise _problem(field, f"must be a class or a number, got {type(value).__name__}")
    return value


def _number(value: Any) -> float | None:
    """A finite float for a number or numeric text; None otherwise (bools are not numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return out if math.isfinite(out) else None


def _key(value: Any, boolean: bool) -> str:
    """One spelling for every way of writing a class: 1, 1.0, "1", " 1.0" -> "1"."""
    if boolean:
        word = str(value).strip().lower()
        if word in TRUE_WORDS or value is True or (_number(value) == 1.0):
            return "true"
        if word in FALSE_WORDS or value is False or (_number(value) == 0.0):
            return "false"
        return word
    if isinstance(value, bool):
        return "1" if value else "0"
    number = _number(value)
    if number is not None:
        return str(int(number)) if number.is_integer() and abs(number) < 2**63 else repr(number)
    return str(value)


def normalise_label(value: Any, spec: TargetSpec, *, field: str = "label") -> Label:
    """``value`` as the target's kind; InvalidInput naming ``field`` when it cannot be one."""
    value = _scalar(value, field)
    if spec.kind == "numeric":
        number = _number(value)
        if number is None:
            raise _problem(field, f"{value!r} is not a number (the target is numeric)")
        return Label(number, True)
    if not spec.classes:
        number = _number(value)
        if number is not None and number.is_integer() and not isinstance(value, str):
            return Label(int(number), True)
        return Label(value, True)
    boolean = spec.boolean
    index = {_key(c, boolean): c for c in spec.classes}
    key = _key(value, boolean)
    if key in index:
        return Label(index[key], True)
    folded = {k.casefold(): c for k, c in index.items()}
    if key.casefold() in folded and len(folded) == len(index):
        return Label(folded[key.casefold()], True)
    if boolean:
        raise _problem(field, f"{value!r} is not true or false (the target is boolean)")
    return Label(_new_class(value, spec.classes), False)


def _new_class(value: Any, classes: Sequence[Any]) -> Any:
    """A class never seen, in the type the known classes share (ints stay ints)."""
    number = _number(value)
    ints = all(isinstance(c, int) and not isinstance(c, bool) for c in classes)
    if ints and number is not None and number.is_integer():
        return int(number)
    return str(value) if any(isinstance(c, str) for c in classes) else value


class Normalised(NamedTuple):
    """Many labels normalised: the values (None where refused), which are new classes, and
    (position, message) for each refused one."""

    values: list[Any]
    new: list[int]
    refused: list[tuple[int, str]]


def normalise_labels(
    values: Iterable[Any], spec: TargetSpec, *, field: str = "label"
) -> Normalised:
    """:func:`normalise_label` over many values; refused ones are reported, never raised."""
    out: list[Any] = []
    new: list[int] = []
    refused: list[tuple[int, str]] = []
    for i, value in enumerate(values):
        try:
            label = normalise_label(value, spec, field=field)
        except InvalidInput as exc:
            out.append(None)
            refused.append((i, exc.message))
            continue
        out.append(label.value)
        if not label.known:
            new.append(i)
    return Normalised(out, new, refused)


def normalise_mapping(
    labels: dict[str, Any], spec: TargetSpec | None, *, keep_new: bool = True
) -> dict[str, Any]:
    """``{request_id: label}`` normalised for comparing with logged predictions (the gate, the
    canary, monitoring): labels that fit no kind are left out, new classes kept unless
    ``keep_new`` is False (a row of a class the model never saw is an error of every model)."""
    if spec is None:
        return labels
    keys = list(labels)
    done = normalise_labels((labels[k] for k in keys), spec)
    skip = {i for i, _ in done.refused} | (set() if keep_new else set(done.new))
    return {k: v for i, (k, v) in enumerate(zip(keys, done.values, strict=True)) if i not in skip}


def normalise_column(values: Sequence[Any], spec: TargetSpec) -> list[Any]:
    """A whole target column normalised, each distinct value once (fast on a million rows).
    Nulls stay null and values that fit no kind stay as they were, for the contract check to
    report with their rows."""
    done: dict[tuple[type, Any], Any] = {}
    out: list[Any] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        key = (type(value), value)
        if key not in done:
            try:
                done[key] = normalise_label(value, spec).value
            except (InvalidInput, TypeError):
                done[key] = value
        out.append(done[key])
    return out
