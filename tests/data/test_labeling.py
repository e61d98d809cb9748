"""The labelling queue: strategies, the audit share, export, import, agreement and merge."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from fullcycle.contract import Contract
from fullcycle.data.agreement import cohen_kappa, majority
from fullcycle.data.label_io import export, label_studio_config
from fullcycle.data.labeling import import_labels, merge, queue
from fullcycle.data.lineage import lineage_tree
from fullcycle.data.versions import add_data, load
from fullcycle.errors import InsufficientData, InvalidInput
from fullcycle.store import labels as label_store

CLASSES = ["yes", "no"]


def candidates(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p_yes = rng.random(n)
    return pd.DataFrame(
        {
            "request_id": [f"req-{seed}-{i}" for i in range(n)],
            "age": rng.integers(18, 90, size=n),
            "income": rng.random(n) * 1e5,
            "color": rng.choice(["red", "green", "blue"], size=n),
            "note": ["a note"] * n,
            "prediction": np.where(p_yes >= 0.5, "yes", "no"),
            "proba_yes": p_yes,
            "proba_no": 1 - p_yes,
            "drift_score": rng.random(n),
        }
    )


def tasks_of(store: Any, batch: str) -> list:
    return label_store.tasks(store.db, batch=batch)


@pytest.mark.parametrize(
    ("strategy", "score"),
    [
        ("uncertainty", lambda c: 1 - c[["proba_yes", "proba_no"]].max(axis=1)),
        ("margin", lambda c: 1 - (c["proba_yes"] - c["proba_no"]).abs()),
        (
            "entropy",
            lambda c: -(c.proba_yes * np.log(c.proba_yes) + c.proba_no * np.log(c.proba_no)),
        ),
        ("drift", lambda c: c["drift_score"]),
    ],
)
def test_strategy_picks_the_top_scores_and_a_random_audit(store: Any, strategy: str, score) -> None:
    cands = candidates()
    batch = queue(store.db, cands, budget=10, strategy=strategy, seed=1, source="test")
    tasks = tasks_of(store, batch)
    assert len(tasks) == 10
    audit = [t for t in tasks if t.strategy == "audit"]
    picked = [t for t in tasks if t.strategy == strategy]
    assert len(audit) == 1 and audit[0].reason == "random audit" and audit[0].score is None
    assert len(picked) == 9
    expected = score(cands)
    audit_rid = audit[0].request_id
    rest = expected[cands["request_id"] != audit_rid].sort_values(ascending=False)
    assert {t.request_id for t in picked} == set(cands.loc[rest.index[:9], "request_id"])
    for t in picked:
        assert t.score == pytest.approx(expected[cands["request_id"] == t.request_id].iloc[0])
        assert "score" in t.reason
    first = picked[0]
    assert set(first.row) == {"age", "income", "color", "note"}
    assert first.prediction["label"] in CLASSES and set(first.prediction["proba"]) == set(CLASSES)


def test_random_strategy_and_the_same_seed_gives_the_same_batch(store: Any) -> None:
    b1 = queue(store.db, candidates(seed=1), budget=5, strategy="random", seed=4)
    b2 = queue(store.db, candidates(seed=2), budget=5, strategy="random", seed=4)
    r1 = [t.request_id.split("-")[-1] for t in tasks_of(store, b1)]
    r2 = [t.request_id.split("-")[-1] for t in tasks_of(store, b2)]
    assert r1 == r2
    assert {t.reason for t in tasks_of(store, b1)} == {"random"}


def test_rows_already_queued_or_repeated_are_not_queued_again(store: Any) -> None:
    cands = candidates(6)
    queue(store.db, cands.iloc[:3], budget=3, strategy="uncertainty")
    doubled = pd.concat([cands, cands.iloc[[5]]], ignore_index=True)
    batch = queue(store.db, doubled, budget=10, strategy="uncertainty")
    assert sorted(t.request_id for t in tasks_of(store, batch)) == [f"req-0-{i}" for i in (3, 4, 5)]
    with pytest.raises(InsufficientData, match="no candidate rows left"):
        queue(store.db, cands, budget=3, strategy="uncertainty")


def test_bad_candidates_are_refused(store: Any) -> None:
    cands = candidates(5).drop(columns=["proba_no"])
    with pytest.raises(InvalidInput, match="class probabilities"):
        queue(store.db, cands, budget=2, strategy="margin")
    nan = candidates(5)
    nan.loc[3, "proba_yes"] = np.nan
    with pytest.raises(InvalidInput, match="row 3, column 'proba_yes'"):
        queue(store.db, nan, budget=2, strategy="entropy")
    with pytest.raises(InvalidInput, match="not one of"):
        queue(store.db, candidates(5), budget=2, strategy="loudest")
    assert label_store.tasks(store.db) == []


def annotate(task: dict, ann_id: int, user: int, choice: str) -> dict:
    return {
        "id": ann_id,
        "completed_by": user,
        "was_cancelled": False,
        "result": [
            {
                "from_name": "label",
                "to_name": "row",
                "type": "choices",
                "value": {"choices": [choice]},
            }
        ],
    }


def test_label_studio_round_trip(
    store: Any, contract: Contract, good_csv: Path, tmp_path: Path
) -> None:
    base = add_data(store.db, store.artifacts, good_csv, "customers", contract=contract)
    batch = queue(store.db, candidates(12), budget=6, strategy="uncertainty", source="customers@1")
    out = tmp_path / "tasks.json"
    assert export(label_store.tasks(store.db, status="queued"), out, "labelstudio") == 6
    tasks = json.loads(out.read_text())
    first = tasks[0]
    assert first["data"]["fc_task_id"] and set(first["data"]["item"]) >= {"age", "color"}
    (pred,) = first["predictions"]
    assert pred["result"][0]["type"] == "choices"
    assert pred["result"][0]["value"]["choices"][0] in CLASSES
    # what Label Studio's JSON export looks like after a person labelled four of the six tasks
    for i, task in enumerate(tasks):
        task["id"] = 1000 + i
        if i < 4:
            task["annotations"] = [annotate(task, 50 + i, 7, "no" if i % 2 else "yes")]
    task_cancelled = tasks[4]
    task_cancelled["annotations"] = [
        dict(annotate(task_cancelled, 60, 7, "yes"), was_cancelled=True)
    ]
    edited = tmp_path / "export.json"
    edited.write_text(json.dumps(tasks))
    report = import_labels(store.db, edited, classes=CLASSES)
    assert report.imported == 4 and report.requeued == [] and len(report.tasks_labelled) == 4
    new = merge(store.db, store.artifacts, base.ref, contract=contract)
    assert new.ref == "customers@2" and new.n_rows == 4 + 4
    rows = load(store.db, store.artifacts, new.ref)
    assert rows["label"].tolist()[4:] == ["yes", "no", "yes", "no"]
    labelled = [t for t in tasks_of(store, batch) if t.status == "merged"]
    assert len(labelled) == 4
    assert new.origin["kind"] == "merge" and new.origin["base"] == "customers@1"
    assert sorted(new.origin["request_ids"]) == sorted(t.request_id for t in labelled)
    assert lineage_tree(store.db, new.ref)["parents"][0]["ref"] == "customers@1"
    with pytest.raises(InsufficientData, match="no labelled rows"):
        merge(store.db, store.artifacts, new.ref, contract=contract)
    assert '<Choice value="yes"/>' in label_studio_config(CLASSES)


def write_labels(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["task_id", "label", "labeller"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_two_labellers_disagreeing(store: Any, tmp_path: Path) -> None:
    batch = queue(store.db, candidates(20), budget=20, strategy="margin", audit_share=0.2)
    ids = [t.id for t in tasks_of(store, batch)]
    rng = np.random.default_rng(3)
    ann = rng.choice(CLASSES, size=20)
    bob = np.where(rng.random(20) < 0.7, ann, rng.choice(CLASSES, size=20))
    write_labels(
        tmp_path / "ann.csv",
        [{"task_id": t, "label": lab, "labeller": "ann"} for t, lab in zip(ids, ann, strict=True)],
    )
    write_labels(
        tmp_path / "bob.csv",
        [{"task_id": t, "label": lab, "labeller": "bob"} for t, lab in zip(ids, bob, strict=True)],
    )
    first = import_labels(store.db, tmp_path / "ann.csv", classes=CLASSES)
    assert first.agreement == [] and len(first.tasks_labelled) == 20
    second = import_labels(store.db, tmp_path / "bob.csv", classes=CLASSES, min_agreement=0.6)
    (pair,) = second.agreement
    assert pair["labellers"] == ["ann", "bob"] and pair["n"] == 20
    assert pair["kappa"] == pytest.approx(cohen_kappa_score(ann, bob), abs=1e-6)
    disagree = sorted(t for t, a, b in zip(ids, ann, bob, strict=True) if a != b)
    assert disagree and second.requeued == disagree
    states = {t.id: t for t in tasks_of(store, batch)}
    assert all(states[t].status == "queued" and "re-queued" in states[t].reason for t in disagree)
    agreed = [t for t in ids if t not in disagree]
    assert all(states[t].status == "labelled" and states[t].confidence == 1.0 for t in agreed)
    out = tmp_path / "again.jsonl"
    assert export(label_store.tasks(store.db, status="queued"), out, "jsonl") == len(disagree)
    # a third labeller settles them: a 2-of-3 majority with confidence 2/3
    carl = [{"task_id": t, "label": ann[ids.index(t)], "labeller": "carl"} for t in disagree]
    third = import_labels(store.db, write_labels(tmp_path / "carl.csv", carl), classes=CLASSES)
    assert third.requeued == [] and sorted(third.tasks_labelled) == disagree
    assert all(third.confidence[t] == pytest.approx(2 / 3) for t in disagree)
    assert {t.label for t in label_store.tasks(store.db, ids=disagree)} <= set(CLASSES)


def test_refused_labels_store_nothing(store: Any, tmp_path: Path) -> None:
    batch = queue(store.db, candidates(4), budget=4, strategy="entropy")
    ids = [t.id for t in tasks_of(store, batch)]
    bad = write_labels(
        tmp_path / "bad.csv",
        [
            {"task_id": ids[0], "label": "yes", "labeller": "ann"},
            {"task_id": ids[1], "label": "maybe", "labeller": "ann"},  # a new class: flagged
            {"task_id": 9999, "label": "no", "labeller": "ann"},
        ],
    )
    with pytest.raises(InvalidInput) as info:
        import_labels(store.db, bad, classes=CLASSES)
    message = str(info.value)
    assert "maybe" not in message
    assert "bad.csv line 4: task 9999 was never queued" in message
    assert "nothing was imported" in message
    assert label_store.existing_labels(store.db, ids) == {}
    assert {t.status for t in tasks_of(store, batch)} == {"queued"}


def test_duplicates_are_found(store: Any, tmp_path: Path) -> None:
    batch = queue(store.db, candidates(3), budget=3, strategy="uncertainty")
    ids = [t.id for t in tasks_of(store, batch)]
    rows = [{"task_id": ids[0], "label": "yes", "labeller": "ann"}] * 2
    path = write_labels(tmp_path / "dup.csv", rows)
    report = import_labels(store.db, path, classes=CLASSES)
    assert (report.imported, report.duplicates) == (1, 1)
    again = import_labels(store.db, path, classes=CLASSES)
    assert (again.imported, again.duplicates) == (0, 2)
    changed = write_labels(
        tmp_path / "changed.csv", [{"task_id": ids[0], "label": "no", "labeller": "ann"}]
    )
    with pytest.raises(InvalidInput, match="ann labelled task .* 'no', but 'yes'"):
        import_labels(store.db, changed, classes=CLASSES)


def test_jsonl_import_by_request_id_with_classes_from_the_predictions(
    store: Any, tmp_path: Path
) -> None:
    batch = queue(store.db, candidates(3), budget=3, strategy="uncertainty")
    tasks = tasks_of(store, batch)
    path = tmp_path / "labels.jsonl"
    path.write_text(
        "\n".join(json.dumps({"request_id": t.request_id, "label": "no"}) for t in tasks) + "\n"
    )
    report = import_labels(store.db, path)
    assert len(report.tasks_labelled) == 3
    path.write_text(json.dumps({"request_id": "req-x", "label": "nope"}) + "\n")
    with pytest.raises(InvalidInput, match="request 'req-x' was never queued"):
        import_labels(store.db, path)


def test_kappa_matches_sklearn_and_majority_breaks_ties_by_class_order() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rng.choice(list("abc"), size=30), rng.choice(list("abc"), size=30)
        assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    assert cohen_kappa(["x", "x"], ["x", "x"]) == 1.0
    assert majority(["no", "yes"], ["yes", "no"]) == ("yes", 0.5)
    assert majority(["no", "no", "yes"]) == ("no", pytest.approx(2 / 3))
