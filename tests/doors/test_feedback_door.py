"""/feedback normalises and validates labels at the door (issue 15, issue 16 items 4, 12)."""

from __future__ import annotations

import pytest
from doorkit import breast_cancer, diabetes, predict

from fullcycle.store import logs

pytestmark = pytest.mark.anyio


async def test_one_class_however_it_is_spelled(cancer_project, serve) -> None:
    async with serve(cancer_project) as client:
        ids = await predict(client, breast_cancer(), 4)
        spellings = ["1", 1, 1.0, True]
        res = await client.post(
            "/feedback",
            json=[{"request_id": r, "label": s} for r, s in zip(ids, spellings, strict=True)],
        )
    assert res.status_code == 200, res.text
    assert res.json()["stored"] == 4 and "new_classes" not in res.json()
    stored = {r["request_id"]: r["label"] for r in logs.feedback_rows(cancer_project._db)}
    assert [stored[r] for r in ids] == [1, 1, 1, 1]
    assert all(type(stored[r]) is int for r in ids)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"request_id": "RID", "label": [1, 2]}', "items[0].label: must be a single value"),
        (b'{"request_id": "RID", "label": {"a": 1}}', "items[0].label: must be a single value"),
        (b'{"request_id": "RID", "label": NaN}', "items[0].label: must be a finite number"),
        (b'{"request_id": "RID", "label": Infinity}', "items[0].label: must be a finite number"),
        (b'{"request_id": "RID", "label": 1e400}', "items[0].label: must be a finite number"),
        (b'{"request_id": "RID\\u0000x", "label": 1}', "items[0].request_id"),
        (b'{"request_id": "RID", "label": 1, "row": -1}', "items[0].row"),
    ],
)
async def test_bad_labels_are_refused_naming_the_field(
    cancer_project, serve, body, problem
) -> None:
    async with serve(cancer_project) as client:
        (rid,) = await predict(client, breast_cancer(), 1)
        before = len(logs.feedback_rows(cancer_project._db))
        res = await client.post(
            "/feedback",
            content=body.replace(b"RID", rid.encode()),
            headers={"content-type": "application/json"},
        )
    assert res.status_code == 422, res.text
    assert problem in res.json()["error"]
    assert len(logs.feedback_rows(cancer_project._db)) == before  # nothing stored


async def test_a_regression_label_is_a_number(diabetes_project, serve) -> None:
    async with serve(diabetes_project) as client:
        ids = await predict(client, diabetes(), 2)
        text = await client.post("/feedback", json={"request_id": ids[0], "label": "high"})
        number = await client.post("/feedback", json={"request_id": ids[1], "label": "5.829"})
    assert text.status_code == 422 and "is not a number" in text.json()["error"]
    assert number.status_code == 200
    stored = {r["request_id"]: r["label"] for r in logs.feedback_rows(diabetes_project._db)}
    assert stored[ids[1]] == pytest.approx(5.829) and ids[0] not in stored


async def test_a_class_never_seen_is_stored_and_flagged(cancer_project, serve) -> None:
    async with serve(cancer_project) as client:
        (rid,) = await predict(client, breast_cancer(), 1, start=10)
        res = await client.post("/feedback", json={"request_id": rid, "label": "2"})
    assert res.status_code == 200
    assert res.json()["new_classes"] == [{"request_id": rid, "row": 0, "label": 2}]
    assert "fullcycle.yaml" in res.json()["note"]
