"""Label Studio: our tasks and config pass label-studio-sdk's checks, and its JSON, JSON-MIN and
CSV exports (made by the SDK's own converter) all import back (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from doorkit import breast_cancer

from fullcycle.data.labeling import queue
from fullcycle.store import labels as label_store

sdk = pytest.importorskip("label_studio_sdk")
from label_studio_sdk.converter import Converter  # noqa: E402
from label_studio_sdk.label_interface import LabelInterface  # noqa: E402
from label_studio_sdk.types import Annotation, Task  # noqa: E402


def studio_export(project, tmp_path: Path, start: int) -> tuple[list[dict], list[int], str]:
    """Queue rows, export them for Label Studio, and answer them as Label Studio would."""
    frame = breast_cancer()
    candidates = frame.drop(columns=["label"]).iloc[start : start + 6].reset_index(drop=True)
    candidates["request_id"] = [f"ls-{start + i}" for i in range(6)]
    candidates["prediction"] = 1
    candidates["proba_0"], candidates["proba_1"] = 0.4, 0.6
    batch = queue(project._db, candidates, budget=6, strategy="margin")
    path = tmp_path / "tasks.json"
    project.label_export(path, "labelstudio", batch=batch)
    config = project.label_studio_config()
    interface = LabelInterface(config)
    tasks = json.loads(path.read_text("utf-8"))
    truth = frame["label"].iloc[start : start + 6].tolist()
    by_request = dict(zip(candidates["request_id"], truth, strict=True))
    for n, task in enumerate(tasks):
        for prediction in task["predictions"]:
            assert interface.validate_prediction(prediction)
        assert interface.validate_task({"data": task["data"]})
        answer = {"choices": [str(by_request[task["data"]["fc_request_id"]])]}
        result = [{"from_name": "label", "to_name": "row", "type": "choices", "value": answer}]
        annotation = {
            "id": 500 + n,
            "completed_by": 7,
            "result": result,
            "was_cancelled": False,
            "created_at": "2026-12-06T10:00:00Z",
            "updated_at": "2026-12-06T10:00:00Z",
            "lead_time": 3.5,
        }
        assert interface.validate_annotation(annotation)
        Annotation.model_validate(annotation)
        task.update({"id": 100 + n, "annotations": [annotation]})
        Task.model_validate({**task, "predictions": []})
    return tasks, [t["data"]["fc_task_id"] for t in tasks], config


@pytest.mark.parametrize("fmt", ["json", "json_min", "csv"])
def test_every_label_studio_export_imports_back(cancer_project, tmp_path, fmt) -> None:
    start = {"json": 20, "json_min": 40, "csv": 60}[fmt]
    tasks, ids, config = studio_export(cancer_project, tmp_path, start)
    full = tmp_path / "export.json"
    full.write_text(json.dumps(tasks), "utf-8")
    converter = Converter(config, str(tmp_path), download_resources=False)
    if fmt == "json_min":
        converter.convert_to_json_min(str(full), str(tmp_path / "min"), is_dir=False)
        path = tmp_path / "min" / "result.json"
    elif fmt == "csv":
        converter.convert_to_csv(str(full), str(tmp_path / "csv"), is_dir=False, sep=",")
        path = tmp_path / "csv" / "result.csv"
    else:
        path = full
    report = cancer_project.label_import(path)
    assert report.imported == 6 and sorted(report.tasks_labelled) == sorted(ids)
    done = {t.id: t for t in label_store.tasks(cancer_project._db, ids=ids)}
    truth = breast_cancer()["label"]
    for i in ids:  # ints, as the target's classes are
        assert done[i].label == truth.iloc[int(done[i].request_id.split("-")[1])]
    assert all(type(done[i].label) is int for i in ids)
    labellers = label_store.existing_labels(cancer_project._db, ids)
    assert {who for _, who in labellers} == {"user-7"}  # one annotator, however exported


def test_task_ids_written_as_floats_are_read(cancer_project, tmp_path) -> None:
    tasks, ids, _config = studio_export(cancer_project, tmp_path, 80)
    rows = ["fc_task_id,fc_request_id,label,annotator"]
    rows += [
        f"{float(i)},,{t['annotations'][0]['result'][0]['value']['choices'][0]},7"
        for i, t in zip(ids, tasks, strict=True)
    ]
    path = tmp_path / "floats.csv"
    path.write_text("\n".join(rows) + "\n", "utf-8")
    assert cancer_project.label_import(path).imported == 6


def test_the_three_exports_of_one_project_agree(cancer_project, tmp_path) -> None:
    tasks, ids, config = studio_export(cancer_project, tmp_path, 120)
    full = tmp_path / "export.json"
    full.write_text(json.dumps(tasks), "utf-8")
    converter = Converter(config, str(tmp_path), download_resources=False)
    converter.convert_to_json_min(str(full), str(tmp_path / "min"), is_dir=False)
    converter.convert_to_csv(str(full), str(tmp_path / "csv"), is_dir=False, sep=",")
    first = cancer_project.label_import(full)
    again = [
        cancer_project.label_import(p)
        for p in (tmp_path / "min" / "result.json", tmp_path / "csv" / "result.csv")
    ]
    assert first.imported == 6
    assert [(r.imported, r.duplicates) for r in again] == [(0, 6), (0, 6)]


def test_integer_columns_are_exported_as_integers(cancer_project, tmp_path) -> None:
    frame = breast_cancer().iloc[140:146].reset_index(drop=True)
    candidates = frame.drop(columns=["label"])
    candidates["x0"] = candidates["x0"].round().astype("float64")  # an integer column ...
    candidates.loc[2, "x0"] = None  # ... that a missing value made float
    candidates["request_id"] = [f"int-{i}" for i in range(6)]
    batch = queue(cancer_project._db, candidates, budget=6, strategy="random")
    path = tmp_path / "tasks.json"
    cancer_project.label_export(path, "labelstudio", batch=batch)
    items = [t["data"]["item"] for t in json.loads(path.read_text("utf-8"))]
    values = [i["x0"] for i in items]
    assert None in values and all(type(v) is int for v in values if v is not None)
    assert all(type(i["x1"]) is float for i in items)  # real fractions stay floats
