"""rollout.shadow: always | never | when_healthy. A shadow phase keeps every user on the champion
while the challenger's answers are only logged; when the gate's own rows show the champion
misses the goal, or its own live metric does, that wait costs users, so ``when_healthy`` (the
default) goes straight to the canary and says why."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from loopkit import DIABETES_R2, diabetes_champion

from fullcycle.errors import InvalidInput
from fullcycle.loop import rollout
from fullcycle.loop.controller import Controller
from fullcycle.loop.policy import Observations, live_failing
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


#: what the champion's live metric said when the loop retrained (policy.live_failing)
LIVE = "live metric 0.1800 below the goal 0.3000 (the newest 120 labelled rows; 99% interval clear of the goal)"  # noqa: E501


@pytest.mark.parametrize(
    ("shadow", "live", "state"),
    [
        ("when_healthy", LIVE, "canary"),
        ("when_healthy", None, "shadow"),
        ("always", LIVE, "shadow"),
    ],
)
def test_a_champion_its_own_live_metric_fails_gets_no_shadow_either(
    tmp_path: Path, shadow: str, live: str | None, state: str
) -> None:
    """The gate's rows reach back to when the champion met the goal (HEALTHY), but its live
    metric's interval is clear of it: the shadow would keep every user on a failing model."""
    project, champion, challenger = _two_versions(tmp_path, shadow)
    controller = Controller(project)
    verdict = SimpleNamespace(numbers=HEALTHY, reasons=["challenger r2 0.45 beats 0.41"])
    started = controller._start(
        project.models.show(f"diab:{champion}"), challenger, verdict, {}, {"live_failing": live}
    )
    active = project.loop.active("diab")
    assert active is not None and active.state == state
    if state == "canary":
        assert active.data["shadow_skipped"] == f"the champion's {LIVE}"
        assert f"no shadow, straight to the canary: the champion's {LIVE}" in started.reasons


def test_live_failing_reads_the_interval_s_better_edge_in_the_metric_s_direction() -> None:
    base = dict(now=0.0, goal=0.3, live_metric=0.2, live_rows=80, live_low=0.1, live_high=0.28)
    assert live_failing(Observations(**base)) == (  # type: ignore[arg-type]
        "live metric 0.2000 below the goal 0.3000 (80 labelled rows; 99% interval clear of the "
        "goal)"
    )
    assert live_failing(Observations(**{**base, "live_high": 0.31})) is None  # type: ignore[arg-type]
    assert live_failing(Observations(**{**base, "goal": None})) is None  # type: ignore[arg-type]
    rmse = dict(base, goal=50.0, live_metric=61.0, live_low=55.0, live_high=70.0,
                greater_is_better=False)  # fmt: skip
    assert live_failing(Observations(**rmse)) == (  # type: ignore[arg-type]
        "live metric 61.0000 above the goal 50.0000 (80 labelled rows; 99% interval clear of the "
        "goal)"
    )
    assert live_failing(Observations(**{**rmse, "live_low": 49.0})) is None  # type: ignore[arg-type]
