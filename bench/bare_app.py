"""The baseline: a bare FastAPI app that parses JSON and calls model.predict, nothing else."""

from __future__ import annotations

import os

import joblib
import orjson
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import Response


def create() -> FastAPI:
    model = joblib.load(os.environ["FULLCYCLE_BENCH_MODEL"])
    app = FastAPI()

    @app.post("/predict")
    async def predict(request: Request) -> Response:
        records = orjson.loads(await request.body())["records"]
        preds = model.predict(pd.DataFrame(records))
        return Response(
            orjson.dumps({"predictions": preds.tolist()}), media_type="application/json"
        )

    return app
