"""The loop retrains what serves: the champion's recipe, the scope's only when the user changed
it since, nothing for a model without a recipe; its seed follows from data and policy."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import loopkit
import yaml
from sklearn.datasets import load_diabetes

from fullcycle.loop.recipe import champion_recipe, loop_seed

SCOPE = {
    "metric": {"name": "rmse", "goal": 60.0, "baseline": {"value": 70.0, "label": "mean"}},
    "training": {"estimator": "sklearn.linear_model:Ridge", "params": {"alpha": 0.5}},
}


def test_the_champions_recipe_unless_the_scope_changed_it_since(tmp_path: Path) -> None:
    project = loopkit.make_project(tmp_path / "p", "diab", "regression", "target", SCOPE)
    champion = loopkit.start(project, load_diabetes(as_frame=True).frame)
    mine = champion_recipe(project, champion)
    assert mine is not None and mine.source == "champion"
    assert (mine.estimator, mine.params) == ("sklearn.linear_model:Ridge", {"alpha": 0.5})

    path = project.settings.scope_path
    scope = yaml.safe_load(path.read_text("utf-8"))
    scope["training"] = {"estimator": "sklearn.linear_model:Lasso", "params": {}}
    path.write_text(yaml.safe_dump(scope, sort_keys=False), "utf-8")
    os.utime(path, (champion.created_at - 10, champion.created_at - 10))  # edited before
    project.reload_scope()
    assert champion_recipe(project, champion).source == "champion"
    os.utime(path, (champion.created_at + 10, champion.created_at + 10))  # edited after
    changed = champion_recipe(project, champion)
    assert changed.source == "scope" and changed.estimator is None
    assert "changed to sklearn.linear_model:Lasso" in changed.why

    imported = dataclasses.replace(champion, run_id=None)
    assert champion_recipe(project, imported) is None


def test_the_loop_seed_is_a_function_of_data_and_policy() -> None:
    a = loop_seed("ab" * 32, {"min_new_labels": 500})
    assert a == loop_seed("ab" * 32, {"min_new_labels": 500})
    assert a != loop_seed("cd" * 32, {"min_new_labels": 500})
    assert a != loop_seed("ab" * 32, {"min_new_labels": 400})
