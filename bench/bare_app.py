"""The baseline: a bare FastAPI app that parses JSON and calls model.predict, nothing else.

The fair baseline: ``model.predict`` runs in Starlette's thread pool, so the event loop keeps
accepting and parsing while the model works (calling it inside ``async def`` would serialise
every request behind the one before). ``FULLCYCLE_BENCH_BARE=blocking`` gives the unfair one.
"""

from __future__ import annotations

import os

import joblib
import orjson
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool


def create() -> FastAPI:
    model = joblib.load(os.environ["FULLCYCLE_BENCH_MODEL"])
    blocking = os.environ.get("FULLCYCLE_BENCH_BARE") == "blocking"
    app = FastAPI()

    @app.post("/predict")
    async def predict(request: Request) -> Response:
        records = orjson.loads(await request.body())["records"]
        frame = pd.DataFrame(records)
        preds = model.predict(frame) if blocking else await run_in_threadpool(model.predict, frame)
        return Response(
            orjson.dumps({"predictions": preds.tolist()}), media_type="application/json"
        )

    return app
