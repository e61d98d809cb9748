"""The feature contract: what a row must look like, checked on datasets and on requests alike.

    Contract (features + target)        written once in fullcycle.yaml's ``features:`` section
    ├── validate_frame(df)  -> ValidationReport     vectorised, for datasets (1M rows < 1 s)
    ├── validate_records(records) -> (frame, [Violation])   for serving, fast for one row
    │     hard violations are refused; soft ones (unseen category, out of range, over-long
    │     text) are served with a flag, unless a feature says ``on_violation: refuse``
    ├── infer(df, target)   -> Contract             proposes a contract from data
    └── signature()         -> dict                 inputs for the registry and OIP v2 metadata

pandas and numpy are imported only where a frame is touched, so loading the scope stays light.
"""

from __future__ import annotations

from fullcycle.contract._model import (
    FEATURE_KINDS,
    Contract,
    Feature,
    FeatureKind,
    Target,
    TargetKind,
)
from fullcycle.contract._report import ColumnViolation, ValidationReport, Violation
from fullcycle.contract._target import (
    Label,
    Normalised,
    TargetSpec,
    normalise_column,
    normalise_label,
    normalise_labels,
    normalise_mapping,
    target_spec,
)
from fullcycle.contract._values import SOFT_PROBLEMS, check_column_name, parse_datetime

__all__ = [
    "ColumnViolation",
    "Contract",
    "FEATURE_KINDS",
    "Feature",
    "FeatureKind",
    "Label",
    "Normalised",
    "SOFT_PROBLEMS",
    "Target",
    "TargetKind",
    "TargetSpec",
    "ValidationReport",
    "Violation",
    "check_column_name",
    "normalise_column",
    "normalise_label",
    "normalise_labels",
    "normalise_mapping",
    "parse_datetime",
    "target_spec",
]
