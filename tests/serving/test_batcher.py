"""The micro-batcher on its own, with a validator that follows the contract's conventions."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from serving_fixtures import SIGNATURE, rows, train

from fullcycle.serving.batcher import MicroBatcher
from fullcycle.serving.models import LoadedModel, Violation
from fullcycle.serving.payload import signature_validator

pytestmark = pytest.mark.anyio


def contract_like(records):
    """Like Contract.validate_records: -1 marks a problem of the whole batch (unattributable)."""
    frame, found = signature_validator(SIGNATURE)(records)
    if any("batch-level" in r for r in records):
        found = [*found, Violation(-1, "", "the batch has a batch-level problem")]
    return frame, found


def model(calls: list[int]) -> LoadedModel:
    base = signature_validator(SIGNATURE)

    def validate(records):
        calls.append(len(records))
        return contract_like(records) if records else base(records)

    return LoadedModel("demo", 1, train(1), validate, ["no", "yes"], SIGNATURE, rows(4))


async def test_a_whole_batch_violation_is_traced_to_its_request_alone():
    calls: list[int] = []
    batcher = MicroBatcher(model(calls), max_batch=32, max_wait_ms=20)
    batcher.start()
    try:
        good = [batcher.submit(rows(1, seed=i)) for i in range(5)]
        bad = batcher.submit([{**rows(1)[0], "batch-level": 1}])
        outs = await asyncio.gather(*good, bad)
    finally:
        await batcher.close()
    assert all(o.predictions and not o.violations for o in outs[:5])
    assert [v.row for v in outs[5].violations] == [0, -1]
    assert calls[0] == 6  # validated together first, then split to find the culprit


async def test_rows_of_each_request_come_back_in_order():
    batcher = MicroBatcher(model([]), max_batch=8, max_wait_ms=5)
    batcher.start()
    try:
        sizes = [1, 3, 2, 5, 1]
        outs = await asyncio.gather(*(batcher.submit(rows(n, seed=n)) for n in sizes))
        alone = [await batcher.submit(rows(n, seed=n)) for n in sizes]
    finally:
        await batcher.close()
    assert [len(o.predictions) for o in outs] == sizes
    for together, single in zip(outs, alone, strict=True):  # equal up to BLAS rounding
        assert together.predictions == single.predictions
        assert np.allclose(together.proba, single.proba, rtol=0, atol=1e-12)


async def test_a_closed_batcher_still_answers():
    batcher = MicroBatcher(model([]))
    batcher.start()
    await batcher.close()
    late = await batcher.submit(rows(2))  # a request that read the old version before a swap
    assert len(late.predictions) == 2


async def test_a_lone_request_does_not_wait_for_the_batching_window():
    calls: list[int] = []
    batcher = MicroBatcher(model(calls), max_batch=32, max_wait_ms=600_000)  # ten minutes
    batcher.start()
    try:
        out = await asyncio.wait_for(batcher.submit(rows(1)), timeout=60)
        again = await asyncio.wait_for(batcher.submit(rows(2)), timeout=60)
    finally:
        await batcher.close()
    assert len(out.predictions) == 1 and len(again.predictions) == 2
    assert calls == [1, 2]


def test_a_model_fitted_without_feature_names_gets_an_array_and_no_warning():
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from fullcycle.serving.models import model_input, predict_frame

    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 4))
    y = np.where(x[:, 0] > 0, "yes", "no")
    bare = LogisticRegression().fit(x, y)  # numpy: no feature names
    named = LogisticRegression().fit(pd.DataFrame(x, columns=list("abcd")), y)
    frame = pd.DataFrame(x[:5], columns=list("abcd"))
    assert isinstance(model_input(bare, frame), np.ndarray)
    assert model_input(named, frame) is frame
    text = pd.DataFrame({"a": ["x"] * 5})
    assert model_input(bare, text) is text  # not numeric: left as it is
    loaded = LoadedModel("demo", 1, bare, signature_validator(SIGNATURE), ["no", "yes"])
    preds, proba = predict_frame(loaded, frame)  # warnings are errors in this suite
    assert preds == bare.predict(x[:5]).tolist() and proba is not None
