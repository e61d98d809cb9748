"""The facade's data and labelling methods, from Python, on a real project."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from fullcycle.project import Project


def test_python_api_from_frame_to_merged_version(tmp_path: Path) -> None:
    project = Project.init(tmp_path / "proj", "demo", target="label")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=100), "label": rng.choice(["yes", "no"], size=100)})
    contract = project.infer_contract(frame)
    assert contract.target is not None and sorted(contract.target.classes) == ["no", "yes"]
    v = project.add_data(frame, "train")
    assert project.dataset("train").ref == v.ref == "train@1"
    assert [d.ref for d in project.datasets()] == ["train@1"]
    loaded = project.load_data("train@1")
    assert loaded["x"].tolist() == frame["x"].tolist()
    s = project.split(loaded)  # the scope's default: stratified on the target
    assert s.spec["strategy"] == "stratified" and s.spec["target"] == "label"
    assert len(s.train_idx) + len(s.test_idx) == 100

    p = rng.random(30)
    scored = pd.DataFrame({"x": rng.normal(size=30), "proba_yes": p, "proba_no": 1 - p})
    batch = project.label_queue(scored, budget=4, strategy="uncertainty", source="live")
    out = tmp_path / "tasks.csv"
    assert project.label_export(out, "csv", batch=batch) == 4
    with open(out, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["label"], row["labeller"] = "no", "ann"
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = project.label_import(out)
    assert report.imported == 4 and len(report.tasks_labelled) == 4
    merged = project.label_merge("train@1")
    assert merged.ref == "train@2" and merged.n_rows == 104
    assert project.lineage("train@2")["parents"][0]["ref"] == "train@1"
    kinds = [e.kind for e in project.events(kind="data")] + [
        e.kind for e in project.events(kind="label")
    ]
    assert {"data.add", "label.queue", "label.import", "label.merged"} <= set(kinds)
    project.close()
