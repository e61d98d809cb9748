"""What the server needs from the registry and the contract, as one small interface.

A :class:`ModelSource` says what is deployed (:class:`DeploymentState`) and loads a version as a
:class:`~fullcycle.registry.LoadedModel` (the registry's record, with the validation hook, the
contract's ``validate_records``, and the reference rows that the swap check predicts on). The
registry implements the store-backed source; tests wrap models trained in the test.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np

from fullcycle.contract import Violation  # the one Violation: row -1 is the whole request
from fullcycle.errors import ModelCheckFailed
from fullcycle.registry import LoadedModel, Validate  # the one LoadedModel
from fullcycle.store.deployments import DeploymentState
from fullcycle.train import decide

__all__ = [
    "WHOLE",
    "DeploymentState",
    "LoadedModel",
    "ModelSource",
    "Violation",
    "Validate",
    "check_model",
    "decide_rows",
    "predict_frame",
]


WHOLE = -1  # the row number of a violation of the whole request (the contract's convention)


class ModelSource(Protocol):
    def deployment(self) -> DeploymentState | None: ...

    def load(self, name: str, version: int) -> LoadedModel: ...


def model_input(estimator: Any, frame: Any) -> Any:
    """What the estimator was fitted on: a numeric frame becomes a numpy array when the model
    was fitted without feature names (sklearn's name checks and their warning cost more than
    the prediction of a small batch); a model fitted on named columns gets the frame."""
    if hasattr(estimator, "feature_names_in_") or not hasattr(estimator, "n_features_in_"):
        return frame
    values = frame.to_numpy() if hasattr(frame, "to_numpy") else frame
    return values if getattr(getattr(values, "dtype", None), "kind", "O") in "fiub" else frame


def predict_frame(model: LoadedModel, frame: Any) -> tuple[list[Any], list[list[float]] | None]:
    """Predictions (plain Python values) and class probabilities when the model has them."""
    est = model.estimator
    frame = model_input(est, frame)
    if model.classes is not None and hasattr(est, "predict_proba"):
        proba = np.asarray(est.predict_proba(frame))
        classes = np.asarray(getattr(est, "classes_", model.classes))
        preds = classes[proba.argmax(axis=1)]
        return preds.tolist(), proba.tolist()
    return np.asarray(est.predict(frame)).tolist(), None


def decide_rows(model: LoadedModel, proba: list[list[float]] | None) -> list[Any] | None:
    """The version's decisions (a class or "abstain" per row) when it stores a policy."""
    if proba is None or not decide.classifies(model.decision):
        return None
    return decide.decide(model.decision, proba)


def check_model(model: LoadedModel) -> None:
    """The load-and-query check: predicts on the reference rows, right shape, no NaN."""
    rows = model.reference_rows
    if not rows:
        raise ModelCheckFailed(
            f"model {model.name}:{model.version} has no reference rows",
            hint="register the version with reference data",
        )
    try:
        frame, violations = model.validate(list(rows))
        if violations:
            raise ModelCheckFailed(
                f"model {model.name}:{model.version}: reference rows break its own contract: "
                f"{violations[:3]}"
            )
        preds, proba = predict_frame(model, frame)
        decide_rows(model, proba)
    except ModelCheckFailed:
        raise
    except Exception as exc:
        raise ModelCheckFailed(
            f"model {model.name}:{model.version} failed to predict on reference rows: "
            f"{type(exc).__name__}: {exc}",
            hint="the current version keeps serving",
        ) from exc
    if len(preds) != len(rows):
        raise ModelCheckFailed(
            f"model {model.name}:{model.version} returned {len(preds)} "
            f"predictions for {len(rows)} rows"
        )
    if any(isinstance(p, float) and not math.isfinite(p) for p in preds) or (
        proba is not None and not np.isfinite(np.asarray(proba, dtype=float)).all()
    ):
        raise ModelCheckFailed(f"model {model.name}:{model.version} predicted NaN or infinity")
