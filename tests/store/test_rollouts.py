import pytest

from fullcycle.errors import Conflict, InvalidInput
from fullcycle.store import rollouts
from fullcycle.store.db import Database


def test_a_rollout_moves_by_compare_and_set(db_url: str) -> None:
    db = Database.open(db_url)
    with db.write() as conn:
        r = rollouts.start(conn, "voice", champion=1, challenger=2, data={"why": "drift"})
    assert (r.state, r.revision) == ("gated", 1)
    with db.write() as conn:
        canary = rollouts.move(conn, r, "canary", {"share": 0.2})
    assert canary.state == "canary" and canary.data == {"why": "drift", "share": 0.2}
    with pytest.raises(Conflict, match="changed by another process"), db.write() as conn:
        rollouts.move(conn, r, "rolled_back")  # stale read: revision 1 is gone
    assert rollouts.active(db, "voice") == canary
    with db.write() as conn:
        done = rollouts.move(conn, canary, "promoted")
    assert rollouts.active(db, "voice") is None
    with pytest.raises(InvalidInput, match="cannot move from promoted"), db.write() as conn:
        rollouts.move(conn, done, "canary")
    db.dispose()


def test_only_one_active_rollout_per_model(db_url: str) -> None:
    db = Database.open(db_url)
    with db.write() as conn:
        rollouts.start(conn, "voice", champion=1, challenger=2, data={})
    with pytest.raises(Conflict, match="already has rollout"), db.write() as conn:
        rollouts.start(conn, "voice", champion=1, challenger=3, data={})
    assert [r.challenger for r in rollouts.listing(db, "voice")] == [2]
    db.dispose()
