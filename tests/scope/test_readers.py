"""Every setting has a reader: a field of fullcycle.yaml or of Settings that nothing reads is a
promise nothing keeps, so each must be named in the readers table, and each reader named there
must exist and mention the field."""

from __future__ import annotations

import functools
import importlib
import inspect
import os
from pathlib import Path
from typing import Any

import pytest

from fullcycle.scope import _readers, settings_doc
from fullcycle.settings import ENVIRONMENT, Settings

ROOT = Path(__file__).resolve().parents[2]
SCOPE_PATHS = [path for path, _a, _d in settings_doc.scope_fields()]
SETTINGS_NAMES = [name for name, _a, _d in settings_doc.settings_fields()]


def resolve(reference: str) -> Any:
    """The object ``module:qualified.name`` names (a property's or cached property's function)."""
    module, _, qualname = reference.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = inspect.getattr_static(obj, part)
    if isinstance(obj, property):
        return obj.fget
    if isinstance(obj, functools.cached_property):
        return obj.func
    return obj.__func__ if isinstance(obj, staticmethod | classmethod) else obj


def test_every_field_of_the_scope_is_in_the_readers_table() -> None:
    assert sorted(set(SCOPE_PATHS) - set(_readers.SCOPE_READERS)) == []
    assert sorted(set(_readers.SCOPE_READERS) - set(SCOPE_PATHS)) == []


def test_every_field_of_the_settings_is_in_the_readers_table_and_the_environment() -> None:
    assert sorted(SETTINGS_NAMES) == sorted(_readers.SETTINGS_READERS)
    assert sorted(SETTINGS_NAMES) == sorted(ENVIRONMENT)


@pytest.mark.parametrize(
    ("field", "readers"),
    [*_readers.SCOPE_READERS.items(), *_readers.SETTINGS_READERS.items()],
    ids=[*_readers.SCOPE_READERS, *_readers.SETTINGS_READERS],
)
def test_each_field_has_a_reader_that_mentions_it(field: str, readers: tuple[str, ...]) -> None:
    assert readers, f"{field}: nothing reads this setting"
    leaf = field.rsplit(".", 1)[-1]
    for reference in readers:
        reader = resolve(reference)
        if isinstance(reader, dict):  # a table whose keys are the fields a function reads by name
            assert leaf in reader, f"{field}: {reference} has no row {leaf!r}"
            continue
        source = inspect.getsource(reader)
        assert leaf in source, f"{field}: {reference} does not mention {leaf!r}"


def test_every_environment_variable_is_read_by_from_env() -> None:
    source = inspect.getsource(Settings.from_env)
    for name, variable in ENVIRONMENT.items():
        assert variable in source or name == "project_dir", variable
    env = {variable: "7" for variable in ENVIRONMENT.values()} | {"FULLCYCLE_DURABILITY": "strict"}
    read = Settings.from_env(env, project_dir=os.getcwd())
    assert read.busy_timeout_s == 7.0 and read.feedback_orphans == 7 and read.token == "7"


def test_docs_settings_is_rendered_from_the_table() -> None:
    assert (ROOT / "docs" / "settings.md").read_text() == settings_doc.render()
