"""Every row of a batched /predict can be labelled and teach the loop (issue 15)."""

from __future__ import annotations

import pytest
from doorkit import breast_cancer, records

from fullcycle.loop import labelled as labelled_mod
from fullcycle.loop.controller import Controller
from fullcycle.store import logs

pytestmark = pytest.mark.anyio
FEATURES = ["x0", "x1", "x2", "x3"]


async def test_feedback_addresses_each_row_of_a_batch(cancer_project, serve) -> None:
    frame = breast_cancer()
    async with serve(cancer_project) as client:
        res = await client.post("/predict", json={"records": records(frame, 32, start=300)})
        rid = res.json()["request_id"]
        truth = frame["label"].iloc[300:332].tolist()
        items = [{"request_id": rid, "row": i, "label": str(y)} for i, y in enumerate(truth)]
        fed = await client.post("/feedback", json=items)
        single = await client.post("/predict", json={"records": records(frame, 1, start=400)})
        old_style = await client.post(  # no row: the request's first (only) row, as before
            "/feedback", json={"request_id": single.json()["request_id"], "label": 1}
        )
    assert fed.status_code == 200 and fed.json()["stored"] == 32
    assert old_style.status_code == 200
    log = Controller(cancer_project).log()
    feedback = {r["request_id"]: r["label"] for r in logs.feedback_rows(cancer_project._db)}
    rows = labelled_mod.labelled_rows(
        log,
        feedback,
        [],
        features=FEATURES,
        target="label",
        spec=labelled_mod.spec_for(cancer_project.scope.contract),
    )
    batch = rows[rows["request_id"].str.startswith(rid)]
    assert len(batch) == 32  # was 1: only row 0 joined
    assert batch["label"].tolist() == truth
    expected = frame[FEATURES].iloc[300:332].reset_index(drop=True)
    assert batch[FEATURES].reset_index(drop=True).to_numpy() == pytest.approx(expected.to_numpy())
    assert single.json()["request_id"] in set(rows["request_id"])


async def test_the_labelling_queue_offers_every_row_of_a_batch(cancer_project, serve) -> None:
    async with serve(cancer_project) as client:
        res = await client.post("/predict", json={"records": records(breast_cancer(), 8, 450)})
    rid = res.json()["request_id"]
    log = Controller(cancer_project).log()
    found = labelled_mod.candidates(log, [0, 1], FEATURES)
    mine = found[found["request_id"].str.startswith(rid)]
    assert sorted(mine["request_id"]) == sorted([rid] + [f"{rid}#{i}" for i in range(1, 8)])
    assert logs.split_key(f"{rid}#7") == (rid, 7) and logs.split_key(rid) == (rid, 0)
