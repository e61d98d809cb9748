"""Routing, swaps, micro-batching, feedback and metrics, in-process."""

from __future__ import annotations

import asyncio

import pytest
from serving_fixtures import MODEL, rows

from fullcycle.serving.logbook import read_log
from fullcycle.serving.runtime import canary_bucket
from fullcycle.store import deployments, events
from fullcycle.store import logs as store_logs

pytestmark = pytest.mark.anyio


def metric(text: str, name: str, **labels: str) -> float:
    """The value of the one sample ``name`` whose labels include ``labels`` (parsed with
    prometheus_client's own text parser)."""
    from prometheus_client.parser import text_string_to_metric_families

    found = [
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and labels.items() <= s.labels.items()
    ]
    assert len(found) == 1, f"{name}{labels}: {len(found)} samples"
    return float(found[0])


async def test_concurrent_single_rows_are_batched_into_one_model_call(make_client):
    async with make_client() as client:
        answers = await asyncio.gather(
            *[client.post("/predict", json={"records": rows(1, seed=i)}) for i in range(64)]
        )
        text = (await client.get("/metrics")).text
    assert {a.status_code for a in answers} == {200}
    calls = metric(text, "fullcycle_batch_size_count", version="1")
    total = metric(text, "fullcycle_batch_size_sum", version="1")
    assert total >= 64 and calls < total  # on average more than one row per model call
    assert metric(text, "fullcycle_logs_dropped_total") == 0
    assert (
        metric(text, "fullcycle_requests_total", route="/predict", version="1", status="200") == 64
    )


async def test_each_caller_gets_its_own_rows_back(make_client):
    recs = [rows(1, seed=i)[0] for i in range(30)]
    async with make_client() as client:
        alone = [(await client.post("/predict", json={"records": [r]})).json() for r in recs[:5]]
        together = await asyncio.gather(
            *[client.post("/predict", json={"records": [r]}) for r in recs]
        )
    # A batched model call may differ from a one-row call in the last bit (BLAS sums in another
    # order); another caller's row differs far more than that.
    for a, t in zip(alone, together[:5], strict=True):
        (batched,) = t.json()["probabilities"]
        (single,) = a["probabilities"]
        assert batched == pytest.approx(single, rel=1e-9, abs=1e-12)
    firsts = [t.json()["probabilities"][0][0] for t in together]
    assert len({round(p, 6) for p in firsts}) > 20  # the rows really differ from one another


async def test_canary_split_is_stable_by_request_id(make_client):
    async with make_client(production=1, canary=2, canary_share=0.3) as client:
        ids = [f"req-{i}" for i in range(200)]
        first = [
            (
                await client.post(
                    "/predict", json={"records": rows(1)}, headers={"X-Request-ID": i}
                )
            ).json()["version"]
            for i in ids
        ]
        again = [
            (
                await client.post(
                    "/predict", json={"records": rows(1)}, headers={"X-Request-ID": i}
                )
            ).json()["version"]
            for i in ids
        ]
    assert first == again
    assert first == [2 if canary_bucket(i) < 0.3 else 1 for i in ids]
    assert 30 <= first.count(2) <= 90


async def test_shadow_predictions_are_logged_never_returned(make_client, db):
    async with make_client(production=1, shadow=3) as client:
        answers = [
            await client.post("/predict", json={"records": rows(2, seed=i)}) for i in range(20)
        ]
        await asyncio.sleep(0.2)
    assert {a.json()["version"] for a in answers} == {1}
    assert {a.headers["x-model-version"] for a in answers} == {"1"}
    log = read_log(db)
    shadow = log[log.route == "shadow"]
    assert set(shadow.version) == {3} and len(shadow) == 40
    assert set(log[log.route == "production"].version) == {1}


@pytest.mark.parametrize("bad", [100, 200, 300])
async def test_swap_to_a_failing_version_is_refused_and_the_old_keeps_serving(make_client, db, bad):
    async with make_client() as client:
        deployments.set(db, MODEL, production=bad, actor="test", reason="try a bad one")
        r = await client.post("/admin/reload")
        assert r.status_code == 409 and f"{MODEL}:{bad}" in r.json()["error"]
        after = await client.post("/predict", json={"records": rows(1)})
        assert after.status_code == 200 and after.json()["version"] == 1
        deployments.set(db, MODEL, production=2, actor="test")
        ok = await client.post("/admin/reload")
        assert ok.json()["swapped"] is True
        assert (await client.post("/predict", json={"records": rows(1)})).json()["version"] == 2
    refused = events.listing(db, kind="serving.swap_refused")
    assert len(refused) == 1 and str(bad) in str(refused[0].data)


async def test_the_watcher_picks_up_a_new_deployment_by_itself(make_client, db):
    async with make_client() as client:
        deployments.set(db, MODEL, production=4, actor="test")
        for _ in range(100):
            r = await client.post("/predict", json={"records": rows(1)})
            if r.json()["version"] == 4:
                break
            await asyncio.sleep(0.02)
    assert r.json()["version"] == 4


async def test_feedback_joins_known_ids_and_reports_orphans(make_client, db):
    async with make_client() as client:
        rid = (await client.post("/predict", json={"records": rows(1)})).json()["request_id"]
        one = await client.post("/feedback", json={"request_id": rid, "label": "yes"})
        many = await client.post(
            "/feedback",
            json=[{"request_id": rid, "label": "no"}, {"request_id": "never-seen", "label": 1}],
        )
        bad = await client.post("/feedback", json=[{"label": "no"}])
    assert one.status_code == 200 and one.json()["orphans"] == []
    assert many.json() == {**many.json(), "stored": 2, "orphans": ["never-seen"]}
    assert bad.status_code == 422 and "request_id" in bad.json()["error"]
    stored = {r["request_id"]: r for r in store_logs.feedback_rows(db)}
    assert stored[rid]["label"] == "no" and stored[rid]["matched"] is True
    assert stored["never-seen"]["matched"] is False


async def test_every_request_is_logged_rejected_ones_marked(make_client, db):
    async with make_client() as client:
        ok = await client.post("/predict", json={"records": rows(3)})
        bad = await client.post("/predict", json={"records": [{"f0": "x"}]})
        broken = await client.post(
            "/predict", content=b"{", headers={"content-type": "application/json"}
        )
    log = read_log(db)
    by_id = {rid: g for rid, g in log.groupby("request_id")}
    assert list(by_id[ok.json()["request_id"]].status) == [200] * 3
    assert list(by_id[ok.json()["request_id"]]["row"]) == [0, 1, 2]
    assert list(by_id[bad.json()["request_id"]].status) == [422]
    assert "f0" in by_id[bad.json()["request_id"]].error.iloc[0]
    assert list(by_id[broken.json()["request_id"]].status) == [400]
    row = by_id[ok.json()["request_id"]].iloc[0]
    assert row.model == MODEL and row.version == 1 and row.route == "production"
    assert row.latency_ms > 0 and row.output in ('"yes"', '"no"')


async def test_feedback_finds_ids_in_the_sealed_log_after_a_restart(make_client, db):
    async with make_client() as client:
        rids = [
            (await client.post("/predict", json={"records": rows(1)})).json()["request_id"]
            for _ in range(3)
        ]
    async with make_client(production=None) as client:  # a new process: nothing in memory
        r = await client.post(
            "/feedback",
            json=[{"request_id": i, "label": "yes"} for i in rids]
            + [{"request_id": "zzz-unknown", "label": "no"}],
        )
    assert r.json()["stored"] == 4 and r.json()["orphans"] == ["zzz-unknown"]


async def test_requests_refused_before_the_model_are_logged_once(make_client, db):
    async with make_client() as client:
        empty = await client.post("/predict", json={"records": []})
        shape = await client.post("/predict", json={"rows": 1})
        bad = await client.post("/predict", json={"records": [{"f0": "x"}]})
    log = read_log(db)
    for r in (empty, shape, bad):
        assert r.status_code == 422
        assert list(log[log.request_id == r.json()["request_id"]].status) == [422]


async def test_a_refusal_names_the_version_that_refused_it(make_client):
    canary_id = next(f"id-{i}" for i in range(1000) if canary_bucket(f"id-{i}") < 0.5)
    async with make_client(production=1, canary=2, canary_share=0.5) as client:
        r = await client.post(
            "/predict", json={"records": [{"f0": "x"}]}, headers={"X-Request-ID": canary_id}
        )
    assert r.status_code == 422 and r.headers["x-model-version"] == "2"
    assert "demo:2" in r.json()["error"]
