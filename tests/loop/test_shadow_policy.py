"""rollout.shadow: always | never | when_healthy. A shadow phase keeps every user on the champion
while the challenger's answers are only logged; when the gate's own rows show the champion
misses the goal, that wait costs users, so ``when_healthy`` (the default) goes straight to the
canary and says why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from loopkit import DIABETES_R2, diabetes_champion

from fullcycle.errors import InvalidInput
from fullcycle.loop import rollout
from fullcycle.scope import Scope

#: the gate's numbers when the champion misses the goal 0.3 on its rows (both miss it: the
#: challenger only had to beat the champion), and when it meets it
FAILING = {"metric": "r2", "goal": 0.3, "champion": 0.12, "challenger": 0.25, "rows": 200}
HEALTHY = {**FAILING, "champion": 0.41, "challenger": 0.45}


def _two_versions(folder: Path, shadow: Any) -> Any:
    scope = {**DIABETES_R2, "rollout": {**DIABETES_R2["rollout"], "shadow": shadow}}
    project, champion, _ = diabetes_champion(folder, scope)
    project.train("diab@1", learning_curve=False, params={"alpha": 1.0})
    challenger = project.register()
    return project, champion.version, challenger.version


@pytest.mark.parametrize(
    ("shadow", "numbers", "state"),
    [
        ("when_healthy", HEALTHY, "shadow"),
        ("when_healthy", FAILING, "canary"),
        ("when_healthy", {}, "shadow"),  # a submitted version: no gate numbers, no evidence
        ("always", FAILING, "shadow"),
        ("never", HEALTHY, "canary"),
    ],
)
def test_the_first_phase_follows_the_policy_and_the_gates_evidence(
    tmp_path: Path, shadow: str, numbers: dict[str, Any], state: str
) -> None:
    project, champion, challenger = _two_versions(tmp_path, shadow)
    begun = rollout.begin(project, champion, challenger, {"gate": numbers})
    assert begun.state == state
    now = project.deployments.current("diab")
    assert now is not None and now.production == champion
    if state == "shadow":
        assert (now.shadow, now.canary, now.canary_share) == (challenger, None, 0.0)
        assert "shadow_skipped" not in begun.data
    else:
        assert (now.shadow, now.canary) == (None, challenger)
        assert now.canary_share == pytest.approx(0.5)
    if shadow == "when_healthy" and state == "canary":
        said = begun.data["shadow_skipped"]
        assert "r2 0.12" in said and "200 rows" in said and "goal 0.3" in said
        assert "no shadow" in now.reason and "r2 0.12" in now.reason


def test_lower_is_better_metrics_fail_the_other_way() -> None:
    assert rollout.champion_failing({"metric": "rmse", "goal": 50.0, "champion": 61.0})
    assert rollout.champion_failing({"metric": "rmse", "goal": 50.0, "champion": 42.0}) is None
    assert rollout.champion_failing({"metric": "r2", "goal": None, "champion": 0.0}) is None
    assert rollout.champion_failing({"metric": "r2", "goal": 0.3, "champion": float("nan")}) is None


@pytest.mark.parametrize(("written", "read"), [(True, "always"), (False, "never")])
def test_the_earlier_boolean_still_reads(written: bool, read: str) -> None:
    scope = Scope.model_validate(
        {"schema_version": 1, "name": "p", "task": "regression", "target": "y",
         "metric": {"name": "r2"}, "rollout": {"shadow": written}}
    )  # fmt: skip
    assert scope.rollout.shadow == read


def test_an_unknown_shadow_policy_names_the_field() -> None:
    with pytest.raises((InvalidInput, ValueError)) as err:
        Scope.model_validate(
            {"schema_version": 1, "name": "p", "task": "regression", "target": "y",
             "metric": {"name": "r2"}, "rollout": {"shadow": "sometimes"}}
        )  # fmt: skip
    assert "shadow" in str(err.value)
