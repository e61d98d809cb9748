import threading

import pytest

from fullcycle.errors import LeaseHeld
from fullcycle.store import leases
from fullcycle.store.db import Database


def test_one_holder_at_a_time_and_expiry_frees_the_lease(db_url: str) -> None:
    db = Database.open(db_url)
    assert leases.acquire(db, "retrain", "a", ttl_s=60, now=1000.0) == 1
    with pytest.raises(LeaseHeld, match="held by a"):
        leases.acquire(db, "retrain", "b", ttl_s=60, now=1010.0)
    assert leases.acquire(db, "retrain", "a", ttl_s=60, now=1020.0) == 2  # renewal
    assert leases.acquire(db, "retrain", "b", ttl_s=60, now=1081.0) == 3  # a died, lease expired
    assert leases.holder(db, "retrain", now=1082.0) == "b"
    assert leases.release(db, "retrain", "a") is False
    assert leases.release(db, "retrain", "b") is True
    assert leases.holder(db, "retrain") is None
    db.dispose()


def test_racing_threads_never_both_hold_the_lease(db_url: str) -> None:
    db = Database.open(db_url)
    winners: list[str] = []
    losers: list[str] = []
    barrier = threading.Barrier(8)

    def contend(i: int) -> None:
        barrier.wait()
        try:
            leases.acquire(db, "loop", f"p{i}", ttl_s=60)
            winners.append(f"p{i}")
        except LeaseHeld:
            losers.append(f"p{i}")

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1 and len(losers) == 7
    assert leases.holder(db, "loop") == winners[0]
    db.dispose()
