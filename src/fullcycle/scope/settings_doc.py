"""The settings table (``docs/settings.md``): every field of ``fullcycle.yaml`` and of the
environment's ``FULLCYCLE_*`` settings, with its type, default and the code that reads it.

``python -m fullcycle.scope.settings_doc > docs/settings.md`` writes it; a test keeps it current.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from fullcycle.scope._readers import SCOPE_READERS, SETTINGS_READERS
from fullcycle.settings import ENVIRONMENT, Settings


def _models(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            found.append(arg)
        for inner in typing.get_args(arg):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                found.append(inner)
    return found


def scope_fields(model: type[BaseModel] | None = None, prefix: str = "") -> Iterator[tuple]:
    """``(dotted path, annotation, default)`` for every leaf field of the Scope."""
    if model is None:
        from fullcycle.scope import Scope

        model = Scope
    for name, info in model.model_fields.items():
        path = prefix + (info.alias or name)
        nested = _models(info.annotation)
        if nested:
            for sub in dict.fromkeys(nested):
                yield from scope_fields(sub, path + ".")
        else:
            yield path, info.annotation, info.get_default(call_default_factory=True)


def settings_fields() -> Iterator[tuple]:
    """``(name, annotation, default)`` for every field of :class:`Settings`."""
    for f in dataclasses.fields(Settings):
        default = f.default if f.default is not dataclasses.MISSING else None
        yield f.name, f.type, default


def _type(annotation: Any) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", None)
    return str(text or annotation).replace("typing.", "").replace("|", "\\|")


def _readers(readers: tuple[str, ...]) -> str:
    return ", ".join(f"`{r}`" for r in readers) or "**nothing**"


def render() -> str:
    """The whole of docs/settings.md."""
    lines = [
        "# Settings: what each one does and who reads it",
        "",
        "Rendered from `src/fullcycle/scope/_readers.py` by "
        "`python -m fullcycle.scope.settings_doc`; a test fails when a field has no reader.",
        "",
        "## fullcycle.yaml",
        "",
        "| field | type | default | read by |",
        "| --- | --- | --- | --- |",
    ]
    for path, annotation, default in scope_fields():
        readers = _readers(SCOPE_READERS.get(path, ()))
        lines.append(f"| `{path}` | {_type(annotation)} | `{default!r}` | {readers} |")
    lines += ["", "## The environment", "", "| variable | field | default | read by |"]
    lines.append("| --- | --- | --- | --- |")
    for name, _annotation, default in settings_fields():
        variable = ENVIRONMENT.get(name, "(the folder of fullcycle.yaml)")
        readers = _readers(SETTINGS_READERS.get(name, ()))
        lines.append(f"| `{variable}` | `{name}` | `{default!r}` | {readers} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
