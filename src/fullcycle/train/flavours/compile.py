"""Compile a scikit-learn model to ONNX, and prove the compiled model answers the same.

``to_onnx`` converts with skl2onnx: one input per contract column when the model starts with
a ColumnTransformer (it selects columns by name), else one float tensor of the columns in the
order the model was fitted on. ``verify`` compares the two on rows: the classes must be
identical and the probabilities within ``TOLERANCE``; otherwise nothing is registered.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fullcycle.errors import InvalidInput, ModelCheckFailed
from fullcycle.train.flavours import _base
from fullcycle.train.flavours.onnx import OnnxModel

#: the largest difference allowed between a class probability before and after compiling
TOLERANCE = 1e-4
TEXT_KINDS = ("categorical", "text", "datetime")


def _initial_types(model: Any, columns: list[str], kinds: dict[str, str]) -> list[Any]:
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    from sklearn.compose import ColumnTransformer

    first = model.steps[0][1] if hasattr(model, "steps") else model
    if isinstance(first, ColumnTransformer):
        return [
            (
                c,
                StringTensorType([None, 1])
                if kinds.get(c) in TEXT_KINDS
                else FloatTensorType([None, 1]),
            )
            for c in columns
        ]
    return [("input", FloatTensorType([None, len(columns)]))]


def to_onnx(model: Any, columns: list[str], kinds: dict[str, str], what: str) -> OnnxModel:
    """``model`` as an ONNX graph run by onnxruntime (InvalidInput when it cannot convert)."""
    skl2onnx = _base.require("skl2onnx", "onnx", what)
    _, last = _base.final_step(model)
    classes = _base.plain(last.classes_) if hasattr(last, "classes_") else None
    options = {id(last): {"zipmap": False}} if classes is not None else None
    import warnings

    try:
        with warnings.catch_warnings():  # skl2onnx passes bools where onnx wants ints
            warnings.simplefilter("ignore")
            graph = skl2onnx.to_onnx(
                model, initial_types=_initial_types(model, columns, kinds), options=options
            )
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise InvalidInput(
            f"{what} cannot be compiled to ONNX: {first}",
            hint="skl2onnx converts scikit-learn's own estimators and transformers; custom "
            "steps (fullcycle's text/category/date columns among them) need a converter",
        ) from None
    return OnnxModel(graph.SerializeToString(), classes, what, columns=columns)


def verify(original: Any, compiled: Any, X: Any, tolerance: float = TOLERANCE) -> dict[str, Any]:
    """Same classes on every row, probabilities within ``tolerance``; the figures, or
    ModelCheckFailed naming how many rows differ."""
    if len(X) == 0:
        raise InvalidInput("there are no rows to check the compiled model on")
    before, after = np.asarray(original.predict(X)), np.asarray(compiled.predict(X))
    differ = int((before.astype(str) != after.astype(str)).sum())
    gap = 0.0
    if hasattr(original, "predict_proba") and hasattr(compiled, "classes_"):
        gap = float(np.abs(original.predict_proba(X) - compiled.predict_proba(X)).max())
    report = {
        "rows": len(X),
        "rows_differing": differ,
        "max_proba_diff": gap,
        "tolerance": tolerance,
    }
    if differ or gap > tolerance:
        raise ModelCheckFailed(
            f"the compiled model differs from the original on {differ} of {len(X)} rows "
            f"(largest probability difference {gap:.3g}, allowed {tolerance:g}); not registered",
        )
    return report


def compile_loaded(
    loaded: Any,
    reference_rows: list[dict[str, Any]],
    *,
    to: str = "onnx",
    tolerance: float | None = None,
) -> tuple[OnnxModel, str, dict[str, Any]]:
    """(the compiled model, the dataset to evaluate it on, the check's figures) for a loaded
    registry version, checked on its reference rows before anything is stored."""
    from fullcycle.contract import Contract
    from fullcycle.train.adopt import model_inputs

    what = f"model {loaded.record.ref}"
    if to != "onnx":
        raise InvalidInput(f"cannot compile to {to!r}", hint="the one target is onnx")
    contract_dict = (loaded.signature or {}).get("contract")
    lineage = loaded.record.lineage or {}
    data_ref = lineage.get("dataset") or (lineage.get("data") or {}).get("ref")
    if not contract_dict or not data_ref:
        raise InvalidInput(
            f"{what} has no contract or dataset recorded, so its compiled form cannot be checked",
            hint="import it with --data NAME@N first (fullcycle models import FILE --data ...)",
        )
    if not reference_rows:
        raise InvalidInput(f"{what} has no reference rows to check the compiled model on")
    contract = Contract.from_dict(contract_dict)
    kinds = {f.name: str(f.kind) for f in contract.features}
    columns = model_inputs(loaded.estimator) or list(kinds)
    compiled = to_onnx(loaded.estimator, columns, kinds, what)
    frame, problems = contract.validate_records(reference_rows)
    if problems:
        raise InvalidInput(f"{what}: its reference rows no longer fit its contract ({problems[0]})")
    report = verify(
        loaded.estimator, compiled, frame, TOLERANCE if tolerance is None else tolerance
    )
    return compiled, str(data_ref), report
