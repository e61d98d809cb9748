"""Feedback on both databases: upserts under concurrency, bounded orphans (issue 16 items 7, 8)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from doorkit import breast_cancer, make_project, records

from fullcycle.errors import QuotaExceeded
from fullcycle.settings import Settings
from fullcycle.store import logs
from fullcycle.store.db import Database
from fullcycle.store.tables import feedback


@pytest.fixture
def db(db_url: str):
    database = Database.open(db_url)
    yield database
    database.dispose()


def test_concurrent_feedback_for_one_request_id_is_an_upsert(db) -> None:
    """Last write wins: 8 writers x 25 labels for the same id, no unique violation."""
    start, failures = threading.Barrier(8), []

    def writer(n: int) -> None:
        start.wait()
        for i in range(25):
            try:
                logs.add_feedback(db, [("same-id", n * 100 + i, True), (f"own-{n}", i, True)])
            except Exception as exc:  # noqa: BLE001 - the test counts every failure
                failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    rows = {r["request_id"]: r["label"] for r in logs.feedback_rows(db)}
    assert len(rows) == 9
    assert rows["same-id"] % 100 == 24  # some writer's last label
    assert all(rows[f"own-{n}"] == 24 for n in range(8))


def test_orphans_beyond_the_quota_are_refused_and_old_ones_dropped(db) -> None:
    limit = (3, 86400.0)
    logs.add_feedback(db, [(f"o{i}", 1, False) for i in range(3)], orphan_limit=limit)
    with pytest.raises(QuotaExceeded, match="the limit is 3"):
        logs.add_feedback(db, [("o9", 1, False)], orphan_limit=limit)
    logs.add_feedback(db, [("o1", 0, False)], orphan_limit=limit)  # a re-send is no new orphan
    logs.add_feedback(db, [("known", 1, True)], orphan_limit=limit)  # matched labels always go
    with db.write() as conn:  # two orphans grow old
        conn.execute(feedback.update().where(feedback.c.request_id.in_(["o0", "o1"])).values(ts=1))
    logs.add_feedback(db, [("o9", 1, False)], orphan_limit=limit)
    assert sorted(r["request_id"] for r in logs.feedback_rows(db)) == ["known", "o2", "o9"]
    assert logs.orphan_count(db) == 2


def test_the_orphan_settings_are_read() -> None:
    env = {"FULLCYCLE_FEEDBACK_ORPHANS": "5", "FULLCYCLE_FEEDBACK_ORPHAN_DAYS": "0.5"}
    settings = Settings.from_env(env, project_dir=".")
    assert (settings.feedback_orphans, settings.feedback_orphan_days) == (5, 0.5)
    assert Settings.from_env({}, project_dir=".").feedback_orphans == 100_000


@pytest.mark.anyio
async def test_the_server_answers_429_beyond_the_configured_quota(tmp_path, db_url, serve) -> None:
    env = {"FULLCYCLE_DATABASE_URL": db_url, "FULLCYCLE_FEEDBACK_ORPHANS": "2"}
    project = make_project(tmp_path / "p", breast_cancer(), "classification", environ=env)
    async with serve(project) as client:
        ok = await client.post("/predict", json={"records": records(breast_cancer(), 1)})
        rid = ok.json()["request_id"]
        first = await client.post(
            "/feedback", json=[{"request_id": f"unknown-{i}", "label": 1} for i in range(2)]
        )
        over = await client.post("/feedback", json={"request_id": "unknown-9", "label": 1})
        known = await client.post("/feedback", json={"request_id": rid, "label": 0})
        nul = await client.post("/feedback", json={"request_id": "a\x00b", "label": 1})
    assert first.status_code == 200 and first.json()["orphans"] == ["unknown-0", "unknown-1"]
    assert over.status_code == 429 and "the limit is 2" in over.json()["error"]
    assert known.status_code == 200 and known.json()["orphans"] == []
    assert nul.status_code == 422 and "request_id" in nul.json()["error"]
    with project._db.read() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(feedback)).scalar()
    assert count == 3
