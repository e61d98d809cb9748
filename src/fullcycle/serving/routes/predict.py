"""``POST /predict``: JSON records (or columns + data) in, predictions out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fullcycle import errors as E
from fullcycle.serving import oip, payload
from fullcycle.serving.routes._base import Server, requires
from fullcycle.serving.runtime import Prediction
from fullcycle.serving.statuses import HTTPFault


def add_to(r: APIRouter) -> None:
    """Add the prediction route to ``r``."""
    r.add_api_route("/predict", predict, methods=["POST"], openapi_extra=oip.PREDICT_DOC)


def schema_error(exc: E.InvalidInput) -> E.ContractViolation:
    """A body that parses but has the wrong shape: a contract violation (422)."""
    return E.ContractViolation(str(exc), [payload.Violation(-1, "", exc.message)])


async def predict_records(
    server: Server, records: Any, rid: str, started: float, version: int | None = None
) -> Prediction:
    """Predict ``records``; refusals (no rows, too many, contract broken) raise."""
    if not isinstance(records, list) or not records:
        raise E.ContractViolation(
            "the request has no rows",
            [payload.Violation(-1, "", "empty batch; send one or more rows")],
        )
    if len(records) > payload.MAX_ROWS:
        raise HTTPFault(413, f"{len(records)} rows is more than {payload.MAX_ROWS} per request")
    pred = await server.runtime.predict(records, rid, started, version)
    if pred.outcome.violations:
        exc = E.ContractViolation(
            f"the request breaks the contract of model {pred.model}:{pred.version} "
            f"({len(pred.outcome.violations)} problem(s))",
            pred.outcome.violations,
            hint="fix the rows and fields listed in 'violations'",
        )
        exc.logged = True  # type: ignore[attr-defined]  # the runtime logged it already
        exc.version = pred.version  # type: ignore[attr-defined]  # canary or production
        raise exc
    return pred


@requires("predict")
async def predict(request: Request) -> Response:
    """Predict the rows of the body."""
    server: Server = request.app.state.server

    async def run(rid: str, started: float) -> tuple[int, Any, Any]:
        data = await server.body(request)
        try:
            records = payload.records_from_predict(data)
        except E.InvalidInput as exc:
            raise schema_error(exc) from None
        pred = await predict_records(server, records, rid, started)
        out: dict[str, Any] = {
            "request_id": rid,
            "model": pred.model,
            "version": pred.version,
            "predictions": pred.outcome.predictions,
        }
        if pred.outcome.proba is not None:
            out["probabilities"] = pred.outcome.proba
            out["classes"] = oip.classes_of(server.runtime, pred)
        if pred.outcome.decisions is not None:
            out["decisions"] = pred.outcome.decisions
        return 200, out, pred.version

    return await server.serve(request, run, logged=True)
