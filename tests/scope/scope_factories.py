"""Small factories for scope tests: a valid scope as a dict, written as YAML."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

BASE: dict[str, Any] = {
    "schema_version": 1,
    "name": "churn",
    "task": "classification",
    "target": "label",
    "metric": {"name": "f1_macro", "goal": 0.9, "baseline": {"value": 0.8, "label": "human-level"}},
    "features": {
        "columns": [
            {"name": "age", "kind": "integer", "min": 0, "max": 120},
            {"name": "plan", "kind": "categorical", "allowed": ["free", "pro"]},
        ],
        "target": {"name": "label", "kind": "categorical", "classes": ["stay", "leave"]},
    },
}


def scope_dict(**sections: Any) -> dict[str, Any]:
    """BASE with top-level keys replaced (None removes the key)."""
    data = copy.deepcopy(BASE)
    for key, value in sections.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def write(tmp_path: Path, data: dict[str, Any] | str) -> Path:
    path = tmp_path / "fullcycle.yaml"
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path
