"""Training data may hold what production served: values beyond the contract's recorded range or
categories it never listed (soft problems) are learned from, unless the feature refuses them;
wrong types and missing values still stop training. (A retrain on drifted labelled rows used to
refuse its own dataset.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sklearn.datasets import load_breast_cancer

from fullcycle.errors import ContractViolation
from fullcycle.testing import make_project


def _project(tmp_path: Path, refuse: bool = False):  # type: ignore[no-untyped-def]
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.iloc[:, [0, 1, 2, 30]].rename(columns=lambda c: c.replace(" ", "_"))
    frame["target"] = frame["target"].map({0: "malignant", 1: "benign"})
    first = frame.iloc[:300].copy()
    project = make_project(tmp_path / "p", "cancer", target="target")
    project.add_data(first, "cancer", infer_contract=True, actor="test")
    if refuse:
        path = project.settings.scope_path
        scope = yaml.safe_load(path.read_text())
        for column in scope["features"]["columns"]:
            if column["name"] == "mean_radius":
                column["on_violation"] = "refuse"
        path.write_text(yaml.safe_dump(scope, sort_keys=False))
        project.reload_scope()
    later = frame.copy()
    later["mean_radius"] = later["mean_radius"] * 1.8  # beyond the recorded max
    project.add_data(later, "cancer", allow_violations=True, actor="test")
    return project


def test_a_dataset_beyond_the_recorded_range_trains(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = project.train("cancer@2", learning_curve=False)
    assert project.run(result.run_id).status == "finished"


def test_a_feature_that_refuses_soft_problems_still_stops_training(tmp_path: Path) -> None:
    project = _project(tmp_path, refuse=True)
    with pytest.raises(ContractViolation, match="mean_radius"):
        project.train("cancer@2", learning_curve=False)
