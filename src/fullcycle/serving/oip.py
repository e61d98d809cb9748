"""Open Inference Protocol (v2) shapes and the OpenAPI request documents, as plain functions
(no web framework here; ``app.py`` wires them to routes)."""

from __future__ import annotations

from typing import Any

from fullcycle import errors as E
from fullcycle.serving.runtime import Prediction, Runtime
from fullcycle.serving.tensors import Inputs


def classes_of(runtime: Runtime, pred: Prediction) -> Any:
    active = runtime.active
    if active is None:
        return None
    served = active.served().get(pred.version)
    return served.model.classes if served else None


def check_model_name(runtime: Runtime, name: str, version: str | None = None) -> int | None:
    """The version asked for (None: let the deployment route), or NotFound (404) for another
    model or a version that is not loaded here."""
    if name != runtime.model_name:
        raise E.NotFound(
            f"model {name[:128]!r} is not served here",
            hint=f"this server serves {runtime.model_name!r}",
        )
    if version is None:
        return None
    active = runtime.active
    loaded = sorted(active.served()) if active else []
    if not version.isdigit() or int(version) not in loaded:
        raise E.NotFound(
            f"model {name!r} version {version[:20]!r} is not loaded here",
            hint=f"loaded versions: {loaded}",
        )
    return int(version)


def inputs_of(runtime: Runtime) -> Inputs | None:
    """The served model's inputs in contract order (for a single ``[n, k]`` tensor)."""
    active = runtime.active
    if active is None:
        return None
    fields = active.production.model.signature.get("inputs", [])
    names = [str(f.get("name")) for f in fields]
    numeric = bool(fields) and all(_datatype(f) in ("FP64", "INT64") for f in fields)
    return Inputs(names, numeric)


def select_outputs(response: dict[str, Any], requested: Any) -> dict[str, Any]:
    """Keep the outputs the request named (all when it named none)."""
    if requested is None:
        return response
    if not isinstance(requested, list) or not all(
        isinstance(o, dict) and isinstance(o.get("name"), str) for o in requested
    ):
        raise E.InvalidInput("'outputs' must be a list of objects with a 'name'")
    have = {o["name"]: o for o in response["outputs"]}
    unknown = [o["name"] for o in requested if o["name"] not in have]
    if unknown:
        raise E.InvalidInput(
            f"output(s) {unknown} are not produced by this model; it has {sorted(have)}"
        )
    return {**response, "outputs": [have[o["name"]] for o in requested]}


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


def _datatype(field: dict[str, Any]) -> str:
    """The datatype the validator accepts for an input: the signature's own, else its kind."""
    given = field.get("datatype")
    if isinstance(given, str) and given:
        return given
    kind = field.get("type", field.get("kind"))
    return _DATATYPES.get(str(kind).lower(), "BYTES")


def platform_of(estimator: Any) -> str:
    """The model's flavour, as KServe and MLServer name it (``sklearn``, ``xgboost``, ...)."""
    named = getattr(estimator, "flavour", None)
    if isinstance(named, str):
        return named
    root = type(estimator).__module__.split(".", 1)[0]
    return {"sklearn": "sklearn", "xgboost": "xgboost", "lightgbm": "lightgbm"}.get(
        root, root or "python"
    )


def model_metadata(runtime: Runtime, version: int | None = None) -> dict[str, Any]:
    """The v2 model metadata of the production version (or of ``version``)."""
    active = runtime.active
    if active is None:
        raise E.StoreUnavailable("no model is loaded yet", hint="deploy a version")
    model = active.production.model if version is None else active.served()[version].model
    inputs = [
        {"name": f.get("name"), "datatype": _datatype(f), "shape": [-1]}
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
        "platform": platform_of(model.estimator),
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
