"""What the loop retrains: the recipe of the model that serves, and a seed it can repeat.

The challenger is built from the champion's recorded recipe (estimator and params from its run),
so a TF-IDF + logistic regression champion is challenged by the same recipe on newer data, not by
whatever ``training.estimator`` names. The scope's estimator is used instead only when the user
changed it after the champion was trained (the scope file is newer than the champion and names
another estimator); the event says which recipe was used and why. A champion with no recipe (an
imported model) cannot be retrained: the loop says so and keeps monitoring and gating it.
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fullcycle.loop._project import LoopProject
    from fullcycle.records import ModelVersion


@dataclass(frozen=True)
class LoopRecipe:
    estimator: str | None  # None: the scope's estimator and params
    params: dict[str, Any] = field(default_factory=dict)
    source: str = "champion"  # champion | scope
    why: str = ""


def _value(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def champion_recipe(project: LoopProject, champion: ModelVersion) -> LoopRecipe | None:
    """The recipe a challenger to ``champion`` is trained with; None when there is none."""
    scope_path = project.settings.scope_path
    changed_at = scope_path.stat().st_mtime if scope_path.exists() else 0.0
    wanted = project.train_spec().estimator_path
    run = project.run(champion.run_id) if champion.run_id else None
    recorded = (run.params or {}).get("estimator") if run is not None else None
    if recorded is None or run is None:
        return None
    if recorded != wanted and changed_at > champion.created_at:
        why = (
            f"training.estimator changed to {wanted} after {champion.ref} was trained "
            f"with {recorded}: the scope's recipe"
        )
        return LoopRecipe(None, {}, "scope", why)
    params = {
        k.removeprefix("param."): _value(v)
        for k, v in (run.params or {}).items()
        if k.startswith("param.")
    }
    return LoopRecipe(recorded, params, "champion", f"{champion.ref}'s recipe: {recorded}")


def loop_seed(dataset_sha256: str, policy: Any) -> int:
    """A seed derived from the dataset version and the retraining policy: the same data and
    policy give the same challenger."""
    text = json.dumps(policy, sort_keys=True, default=str)
    digest = hashlib.sha256(f"{dataset_sha256}:{text}".encode()).hexdigest()
    return int(digest[:8], 16) % (2**31 - 1)
