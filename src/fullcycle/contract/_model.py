"""The contract's shape: features, the target, and how they are written down."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from fullcycle.contract._values import check_column_name, parse_datetime
from fullcycle.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from fullcycle.contract._report import ValidationReport, Violation

FeatureKind = Literal["numeric", "integer", "categorical", "text", "datetime"]
TargetKind = Literal["categorical", "numeric"]
FEATURE_KINDS: tuple[str, ...] = ("numeric", "integer", "categorical", "text", "datetime")
Category = str | int | bool
OnViolation = Literal["serve", "refuse"]
_DATATYPES = {"numeric": "FP64", "integer": "INT64"}


class Feature(BaseModel):
    """One input column: its kind and the values it may take."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: FeatureKind
    min: int | float | str | None = None
    max: int | float | str | None = None
    allowed: list[Category] | None = None
    nullable: bool = False
    max_length: int | None = Field(default=None, ge=1)
    on_violation: OnViolation = "serve"
    description: str | None = None

    @field_validator("name")
    @classmethod
    def _name_ok(cls, value: str) -> str:
        return check_column_name(value)

    @field_validator("min", "max", mode="before")
    @classmethod
    def _dates_to_text(cls, value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, bool):
            raise ValueError("must be a number or an ISO date, not true/false")
        return value

    @model_validator(mode="after")
    def _fits_kind(self) -> Feature:
        problems = []
        bounded = self.kind in ("numeric", "integer", "datetime")
        for key in ("min", "max"):
            value = getattr(self, key)
            if value is None:
                continue
            if not bounded:
                problems.append(f"[{key}] only numeric, integer and datetime features have {key}")
            elif self.kind == "datetime":
                try:
                    parse_datetime(value)
                except ValueError:
                    problems.append(f"[{key}] must be an ISO 8601 date or time for a datetime")
            elif isinstance(value, str) or abs(value) > 2**63 or not math.isfinite(value):
                problems.append(f"[{key}] must be a finite number for a {self.kind} feature")
        if not problems and self.min is not None and self.max is not None:
            lo, hi = self.bounds()
            if lo is not None and hi is not None and lo > hi:
                problems.append(f"[min] {self.min} is greater than max {self.max}")
        if self.allowed is not None and self.kind != "categorical":
            problems.append("[allowed] only categorical features have allowed values")
        if self.allowed is not None and not self.allowed:
            problems.append("[allowed] must list at least one value (or be left out)")
        if self.max_length is not None and self.kind != "text":
            problems.append("[max_length] only text features have max_length")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def bounds(self) -> tuple[Any, Any]:
        """(min, max) as numbers, or as naive UTC datetimes for a datetime feature."""
        if self.kind == "datetime":
            lo = None if self.min is None else parse_datetime(self.min)
            hi = None if self.max is None else parse_datetime(self.max)
            return lo, hi
        return self.min, self.max

    @property
    def refuses_soft(self) -> bool:
        """True when an unseen category, an out-of-range value or an over-long text is refused
        (422) rather than served with a flag."""
        return self.on_violation == "refuse"

    @property
    def datatype(self) -> str:
        return _DATATYPES.get(self.kind, "BYTES")


class Target(BaseModel):
    """The column the model learns to predict."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: TargetKind
    classes: list[Category] | None = None

    @field_validator("name")
    @classmethod
    def _name_ok(cls, value: str) -> str:
        return check_column_name(value)

    @model_validator(mode="after")
    def _classes_fit(self) -> Target:
        if self.classes is not None and self.kind != "categorical":
            raise ValueError("[classes] only a categorical target has classes")
        if self.classes is not None:
            if len(self.classes) < 2:
                raise ValueError("[classes] must list at least two classes (or be left out)")
            if len({str(c) for c in self.classes}) != len(self.classes):
                raise ValueError("[classes] lists a class twice")
        return self


class Contract(BaseModel):
    """The features a model takes and the target it predicts (YAML key ``columns``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    features: list[Feature] = Field(default_factory=list, alias="columns")
    target: Target | None = None
    _index: dict[str, Feature] = PrivateAttr(default_factory=dict)
    _prepared: Any = PrivateAttr(default=None)  # request checks, built once (see _records)

    @model_validator(mode="after")
    def _unique(self) -> Contract:
        seen: set[str] = set()
        problems = []
        for i, f in enumerate(self.features):
            if f.name in seen:
                problems.append(f"[columns[{i}].name] {f.name!r} is listed twice")
            seen.add(f.name)
        if self.target is not None and self.target.name in seen:
            problems.append(f"[target.name] {self.target.name!r} is also listed as a feature")
        if problems:
            raise ValueError("\n".join(problems))
        self._index = {f.name: f for f in self.features}
        return self

    def __eq__(self, other: object) -> bool:  # the private caches are not part of the value
        if not isinstance(other, Contract):
            return NotImplemented
        return self.features == other.features and self.target == other.target

    __hash__ = None  # type: ignore[assignment]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    def feature(self, name: str) -> Feature:
        return self._index[name]

    def with_target(self, target: Target | None) -> Contract:
        return Contract(columns=list(self.features), target=target)

    def to_dict(self) -> dict[str, Any]:
        """The YAML/JSON form: ``{"columns": [...], "target": {...}}``, defaults left out."""
        return self.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True) | {
            "columns": [
                f.model_dump(exclude_none=True, exclude_defaults=True) for f in self.features
            ]
        }

    @classmethod
    def from_dict(cls, data: Any) -> Contract:
        """Read the form :meth:`to_dict` writes; ConfigError naming each bad field otherwise."""
        from pydantic import ValidationError

        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                ".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in exc.errors()
            )
            raise ConfigError(
                f"feature contract is invalid: {problems}",
                hint="fix the features section of fullcycle.yaml",
            ) from None

    def signature(self) -> dict[str, Any]:
        """Inputs as the registry and the OIP v2 metadata describe them."""
        inputs = [
            {
                "name": f.name,
                "datatype": f.datatype,
                "shape": [-1],
                "kind": f.kind,
                "nullable": f.nullable,
                **({"description": f.description} if f.description else {}),
            }
            for f in self.features
        ]
        target: dict[str, Any] | None = None
        if self.target is not None:
            target = {
                "name": self.target.name,
                "kind": self.target.kind,
                "datatype": "FP64" if self.target.kind == "numeric" else "BYTES",
                "shape": [-1],
            }
            if self.target.classes is not None:
                target["classes"] = [*self.target.classes]
        return {"inputs": inputs, "target": target}

    def validate_frame(self, df: pd.DataFrame, *, require_target: bool = False) -> ValidationReport:
        """Check every column of ``df`` at once (no per-row Python loop)."""
        from fullcycle.contract._frame import validate_frame

        return validate_frame(self, df, require_target=require_target)

    def training_report(self, df: pd.DataFrame) -> ValidationReport:
        """:meth:`validate_frame` for training data (target required): a feature's soft
        problems (unseen category, out of range, over-long text) are the world the model must
        learn, as production served them, unless the feature says ``on_violation: refuse``;
        hard ones (wrong type, nulls, a missing column) and the target's problems remain."""
        from fullcycle.contract._frame import SOFT_FRAME_PROBLEMS
        from fullcycle.contract._report import ValidationReport

        report = self.validate_frame(df, require_target=True)
        serving = {f.name for f in self.features if not f.refuses_soft}
        kept = [
            v
            for v in report.violations
            if v.column not in serving or not v.problem.startswith(SOFT_FRAME_PROBLEMS)
        ]
        return ValidationReport(rows=report.rows, violations=kept)

    def validate_records(self, records: Any) -> tuple[pd.DataFrame, list[Violation]]:
        """Check request rows; returns the frame of the rows to serve and every hard violation.

        Rows with only soft violations (unseen category, out of range, over-long text, unless
        the feature says ``on_violation: refuse``) are served; their flags are in the frame's
        ``attrs["flags"]`` as ``{row: ["field: problem", ...]}``. Batch-level problems (not a
        list, empty) raise ContractViolation."""
        from fullcycle.contract._records import validate_records

        return validate_records(self, records)

    def soft_masks(self, df: pd.DataFrame) -> dict[str, list[tuple[str, str, Any]]]:
        """Per feature, its soft problems in ``df`` as ``(kind, problem, row mask)``: what a
        server would have served with a flag, vectorised."""
        from fullcycle.contract._frame import soft_masks

        return soft_masks(self, df)

    def check_records(self, records: Any) -> tuple[list[int], list[Violation]]:
        """The checks of :meth:`validate_records` without building a frame (about 20 us a row):
        indexes of the rows to serve, and every hard violation. A micro-batching server checks
        each request with this and builds one frame per batch with :meth:`frame`."""
        from fullcycle.contract._records import check_records

        return check_records(self, records)

    def screen_records(self, records: Any) -> tuple[list[int], list[Violation]]:
        """Like :meth:`check_records`, with the soft violations too (``Violation.soft``)."""
        from fullcycle.contract._records import screen_records

        return screen_records(self, records)

    def frame(self, rows: list[dict[str, Any]], index: list[int] | None = None) -> pd.DataFrame:
        """Rows that passed :meth:`check_records`, as a frame in contract order and dtypes."""
        from fullcycle.contract._records import build_frame

        return build_frame(self, rows, list(range(len(rows))) if index is None else index)

    @classmethod
    def infer(cls, df: pd.DataFrame, target: str | None = None) -> Contract:
        """Propose a contract from data, for the user to edit."""
        from fullcycle.contract._infer import infer_contract

        return cls.model_validate(infer_contract(df, target))
