"""store/deployments.py: revisions by compare-and-set, history, rollback, events."""

from __future__ import annotations

import pytest

from fullcycle.errors import Conflict, InvalidInput, InvalidName, NotFound
from fullcycle.store import deployments, events


def test_each_change_is_a_new_revision_with_an_event(db):
    assert deployments.current(db, "m") is None
    first = deployments.set(db, "m", production=1, actor="alice", reason="launch")
    second = deployments.set(
        db,
        "m",
        production=1,
        canary=2,
        canary_share=0.1,
        actor="bob",
        expected_revision=first.revision,
    )
    now = deployments.current(db, "m")
    assert now == second and now.canary == 2 and now.canary_share == 0.1
    assert [s.revision for s in deployments.history(db, "m")] == [second.revision, first.revision]
    log = events.listing(db, kind="deployment", subject="m")
    assert [e.actor for e in log] == ["bob", "alice"]
    assert log[0].data["previous"] == first.revision


def test_a_stale_expected_revision_is_a_conflict_and_changes_nothing(db):
    first = deployments.set(db, "m", production=1, actor="a")
    deployments.set(db, "m", production=2, actor="a", expected_revision=first.revision)
    with pytest.raises(Conflict, match="revision"):
        deployments.set(db, "m", production=3, actor="b", expected_revision=first.revision)
    assert deployments.current(db, "m").production == 2


def test_rollback_restores_the_previous_deployment_in_one_step(db):
    deployments.set(db, "m", production=1, actor="a")
    deployments.set(db, "m", production=1, canary=2, canary_share=0.5, actor="a")
    back = deployments.rollback(db, "m", actor="ops", reason="canary errors")
    assert (back.production, back.canary, back.canary_share) == (1, None, 0.0)
    assert events.listing(db, kind="deployment.rollback")[0].message == "canary errors"


def test_rollback_without_history_names_what_to_do(db):
    with pytest.raises(NotFound, match="no previous revision"):
        deployments.rollback(db, "m", actor="ops")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"production": 0},
        {"production": 1, "canary_share": 0.2},
        {"production": 1, "canary": 2, "canary_share": 1.5},
        {"production": None, "shadow": 2},
    ],
)
def test_bad_deployments_are_refused(db, kwargs):
    with pytest.raises(InvalidInput):
        deployments.set(db, "m", actor="a", **kwargs)
    assert deployments.current(db, "m") is None


def test_model_names_are_checked(db):
    with pytest.raises(InvalidName):
        deployments.set(db, "../etc", production=1, actor="a")
