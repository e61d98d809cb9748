"""Open Inference Protocol (v2) shapes and the OpenAPI request documents, as plain functions
(no web framework here; ``app.py`` wires them to routes)."""

from __future__ import annotations

from typing import Any

from fullcycle import errors as E
from fullcycle.serving.runtime import Prediction, Runtime


def classes_of(runtime: Runtime, pred: Prediction) -> Any:
    active = runtime.active
    if active is None:
        return None
    served = active.served().get(pred.version)
    return served.model.classes if served else None


def check_model_name(runtime: Runtime, name: str) -> None:
    if name != runtime.model_name:
        raise E.NotFound(
            f"model {name[:128]!r} is not served here",
            hint=f"this server serves {runtime.model_name!r}",
        )


def infer_response(runtime: Runtime, pred: Prediction, given_id: str) -> dict[str, Any]:
    preds = pred.outcome.predictions
    kind = (
        "BYTES"
        if any(isinstance(p, str) for p in preds)
        else ("FP64" if any(isinstance(p, float) for p in preds) else "INT64")
    )
    outputs = [{"name": "predict", "datatype": kind, "shape": [len(preds)], "data": preds}]
    if pred.outcome.proba is not None:
        flat = [p for row in pred.outcome.proba for p in row]
        width = len(pred.outcome.proba[0]) if pred.outcome.proba else 0
        outputs.append(
            {
                "name": "predict_proba",
                "datatype": "FP64",
                "shape": [len(preds), width],
                "data": flat,
            }
        )
    if pred.outcome.decisions is not None:
        decided = pred.outcome.decisions
        outputs.append(
            {"name": "decision", "datatype": "BYTES", "shape": [len(decided)], "data": decided}
        )
    return {
        "model_name": pred.model,
        "model_version": str(pred.version),
        "id": given_id,
        "parameters": {"request_id": pred.request_id, "route": pred.route},
        "outputs": outputs,
    }


_DATATYPES = {
    "double": "FP64",
    "float": "FP64",
    "numeric": "FP64",
    "integer": "INT64",
    "long": "INT64",
    "string": "BYTES",
    "text": "BYTES",
    "categorical": "BYTES",
    "bool": "BOOL",
    "boolean": "BOOL",
}


def server_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fullcycle")
    except PackageNotFoundError:
        return "0"


def model_metadata(runtime: Runtime) -> dict[str, Any]:
    active = runtime.active
    if active is None:
        raise E.StoreUnavailable("no model is loaded yet", hint="deploy a version")
    model = active.production.model
    inputs = [
        {
            "name": f.get("name"),
            "datatype": _DATATYPES.get(str(f.get("type")).lower(), "BYTES"),
            "shape": [-1],
        }
        for f in model.signature.get("inputs", [])
    ]
    outputs = [
        {
            "name": "predict",
            "datatype": "BYTES"
            if model.classes and any(isinstance(c, str) for c in model.classes)
            else "FP64",
            "shape": [-1],
        }
    ]
    if model.classes is not None:
        outputs.append(
            {"name": "predict_proba", "datatype": "FP64", "shape": [-1, len(model.classes)]}
        )
    versions = sorted(str(v) for v in active.served())
    return {
        "name": model.name,
        "versions": versions,
        "platform": "scikit-learn",
        "inputs": inputs,
        "outputs": outputs,
    }


PREDICT_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "records": {"type": "array", "items": {"type": "object"}},
                        "columns": {"type": "array", "items": {"type": "string"}},
                        "data": {"type": "array", "items": {"type": "array"}},
                    },
                }
            }
        },
    }
}
INFER_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["inputs"],
                    "properties": {
                        "id": {"type": "string"},
                        "inputs": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name", "shape", "datatype", "data"],
                            },
                        },
                    },
                }
            }
        },
    }
}
