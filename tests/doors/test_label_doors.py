"""Data add, label import and the training-data merge normalise labels to the target's kind."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from doorkit import breast_cancer, diabetes

from fullcycle.data.labeling import queue
from fullcycle.loop import labelled as labelled_mod
from fullcycle.loop.retrain import training_frame
from fullcycle.store import alerts, events
from fullcycle.store import labels as label_store


def candidates(frame: pd.DataFrame, start: int, n: int, proba: bool) -> pd.DataFrame:
    out = frame.drop(columns=["label"]).iloc[start : start + n].reset_index(drop=True)
    out["request_id"] = [f"req-{start + i}" for i in range(n)]
    if proba:
        out["prediction"] = 1
        out["proba_0"], out["proba_1"] = 0.3, 0.7
    else:
        out["prediction"] = 150.0
    return out


def fill_csv(path: Path, labels: list[str]) -> Path:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row, label in zip(rows, labels, strict=False):
        row["label"] = label
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_data_add_reads_classes_written_as_floats(cancer_project, tmp_path) -> None:
    frame = breast_cancer()
    first = cancer_project.add_data(frame, "base")
    written = frame.assign(label=frame["label"].map(lambda v: f"{float(v)}"))
    written.to_csv(tmp_path / "floats.csv", index=False)
    again = cancer_project.add_data(tmp_path / "floats.csv", "base")
    assert again.ref == first.ref  # the same bytes: 1.0 was read as the class 1
    assert cancer_project.load_data(again.ref)["label"].dtype == "int64"


def test_label_import_csv_spellings_are_one_class(cancer_project, tmp_path) -> None:
    db = cancer_project._db
    batch = queue(db, candidates(breast_cancer(), 100, 4, True), budget=4, strategy="uncertainty")
    out = tmp_path / "tasks.csv"
    cancer_project.label_export(out, "csv", batch=batch)
    report = cancer_project.label_import(fill_csv(out, ["1.0", "0", " 1", "2"]), labeller="ann")
    assert report.imported == 4 and report.new_classes == {"2": 1}
    got = [t.label for t in label_store.tasks(db, batch=batch)]
    assert sorted(got) == [0, 1, 1, 2] and all(type(v) is int for v in got)


def test_regression_labels_from_csv_retrain(diabetes_project, tmp_path) -> None:
    db = diabetes_project._db
    data = diabetes()
    batch = queue(db, candidates(data, 0, 40, False), budget=40, strategy="random")
    out = tmp_path / "tasks.csv"
    diabetes_project.label_export(out, "csv", batch=batch)
    truth = [f"{v:.3f}" for v in data["label"].iloc[:40]]
    diabetes_project.label_import(fill_csv(out, truth), labeller="ann")
    spec = labelled_mod.spec_for(diabetes_project.scope.contract)
    rows = labelled_mod.labelled_rows(
        data.iloc[:0],
        {},
        label_store.tasks(db, batch=batch),
        features=["age", "bmi", "bp", "s5"],
        target="label",
        spec=spec,
    )
    assert rows["label"].dtype == "float64" and len(rows) == 40
    frame, _holdout = training_frame(diabetes_project, "base@1", rows)
    merged = diabetes_project.add_data(frame, "base")  # failed: column 'label' mixes types
    assert diabetes_project.load_data(merged.ref)["label"].dtype == "float64"


def test_new_classes_and_bad_labels_are_left_out_with_an_alert(cancer_project) -> None:
    db = cancer_project._db
    alerting = cancer_project.monitor
    frame = breast_cancer()
    batch = queue(db, candidates(frame, 200, 10, True), budget=10, strategy="uncertainty")
    tasks = label_store.tasks(db, batch=batch)
    outcomes = {
        t.id: {"status": "labelled", "label": lab, "confidence": 1.0, "reason": "r"}
        for t, lab in zip(tasks, [0, 1, "1", 1.0, 0, 0, 1, 7, [1, 2], {"a": 1}], strict=True)
    }
    label_store.save_labels(db, [], outcomes)
    rows = labelled_mod.labelled_rows(
        frame.iloc[:0],
        {},
        label_store.tasks(db, batch=batch),
        features=["x0", "x1", "x2", "x3"],
        target="label",
        spec=labelled_mod.spec_for(cancer_project.scope.contract),
    )
    assert len(rows) == 7 and set(rows["label"]) == {0, 1}
    assert rows.attrs["skipped"] == 2
    messages = labelled_mod.report_exclusions(alerting, "doors", rows)
    assert messages[0].startswith("a new class appeared: 7 (12.5% of labelled rows, 1 row(s))")
    assert "fullcycle.yaml" in messages[0]
    opened = {a["key"] for a in alerts.open_alerts(db)}
    assert {"new_class:doors:7", "bad_labels:doors"} <= opened
    said = [e.message for e in events.listing(db, kind="alert.open", limit=20)]
    assert any("a new class appeared: 7" in m for m in said)
    assert labelled_mod.report_exclusions(alerting, "doors", rows) == messages  # touched, no crash
    # the class is taken in (the target now lists it): the rows are used, the alerts close
    spec = labelled_mod.target_spec(None, [0, 1, 7], kind="categorical")
    taken = labelled_mod.labelled_rows(
        frame.iloc[:0],
        {},
        label_store.tasks(db, batch=batch),
        features=["x0", "x1", "x2", "x3"],
        target="label",
        spec=spec,
    )
    assert 7 in set(taken["label"]) and len(taken) == 8
    labelled_mod.report_exclusions(alerting, "doors", taken)
    still = {a["key"] for a in alerts.open_alerts(db)}
    assert "new_class:doors:7" not in still and "bad_labels:doors" in still
