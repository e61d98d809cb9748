"""The incremental monitoring step (stored parts of sealed segments) gives the full re-read's
report, on a real model and real data (scikit-learn's breast cancer set)."""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import numpy as np
import orjson
import pytest

from fullcycle.monitoring.incremental import SUMMARIES, Step
from fullcycle.monitoring.service import MonitorDeps, run_monitor
from fullcycle.monitoring.window import parse_window
from fullcycle.serving import segments
from fullcycle.store import logs as log_store

NAME = "cancer"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from sklearn.datasets import load_breast_cancer

    from fullcycle.testing import make_served_project

    folder = tmp_path_factory.mktemp("inc")
    frame = load_breast_cancer(as_frame=True).frame
    frame.columns = [c.replace(" ", "_") for c in frame.columns]
    frame["target"] = np.where(frame["target"] == 1, "benign", "malignant")
    feats = [c for c in frame.columns if c != "target"]
    project = make_served_project(
        folder, frame, NAME, target="target", params={"max_iter": 2000}, actor="t"
    )
    model = project.production_version()
    start = time.time() - 7200
    # the 1,650 requests span 3,300 s; sealing cuts a segment at each UTC midnight (one file
    # per day), so rows that straddle one would make six sealed parts of the five segments:
    # start after it then (still in the past, and within the tests' 3h window)
    midnight = (start + 3300) // 86400 * 86400
    if start < midnight:
        start = midnight + 1.0
    rows = _write(project, frame[feats], model, start)
    return project, model, start, rows, frame


def _write(project, features, model, start):  # type: ignore[no-untyped-def]
    """5 sealed segments of 300 requests (the last request of each a batch of 3 rows), half of
    them shifted, answered by the real model; then 150 requests left in an active segment."""
    root = Path(project.settings.resolved_log_url())
    (root / segments.ACTIVE).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    est = project.load_model(model.ref).estimator
    written = []
    for seg in range(6):
        path = root / segments.ACTIVE / f"r0-{seg:05d}.jsonl"
        with open(path, "wb") as fh:
            for i in range(300 if seg < 5 else 150):
                k = seg * 300 + i
                n_rows = 3 if i == 299 else 1
                recs = features.sample(n_rows, random_state=int(rng.integers(1 << 30)))
                if i % 2:
                    recs = recs.assign(mean_radius=recs["mean_radius"] * 1.3)
                proba = est.predict_proba(recs)
                rid = f"{k:08d}req"
                for row in range(n_rows):
                    line = {
                        "request_id": rid,
                        "row": row,
                        "ts": start + k * 2.0,
                        "model": NAME,
                        "version": model.version,
                        "route": "production",
                        "status": 200 if i % 37 else 422,
                        "latency_ms": float(rng.gamma(2.0, 3.0)),
                        "inputs": recs.iloc[row].to_dict(),
                        "output": str(est.classes_[int(np.argmax(proba[row]))]),
                        "proba": proba[row].tolist(),
                        "error": None,
                    }
                    fh.write(orjson.dumps(line) + b"\n")
                    written.append(line)
        if seg < 5:
            segments.seal(project._db, root, path, replica="r0", model=NAME)
    return written


def _deps(project):  # type: ignore[no-untyped-def]
    return MonitorDeps(project._db, project._artifacts, Path(project.settings.resolved_log_url()))


def _same(a, b, path=""):  # type: ignore[no-untyped-def]
    """Equal, floats to 1e-9 (sums merged in another order); row evidence is left out."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert set(a) == set(b), path
        for key in a:
            if key in ("rows", "top_rows") and isinstance(a[key], list):
                continue
            _same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (
            math.isnan(a) and math.isnan(b)
        ), f"{path}: {a} != {b}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def _both(project, model, window):  # type: ignore[no-untyped-def]
    deps = _deps(project)
    full = run_monitor(
        deps, project.scope, model, window=window, save=False, incremental=False
    ).to_dict()
    inc = run_monitor(deps, project.scope, model, window=window, save=False).to_dict()
    assert "sealed_read" in inc
    inc.pop("sealed_read")
    for report in (full, inc):
        report.pop("created_at")
    return full, inc


def test_incremental_report_equals_the_full_re_read(world):
    project, model, start, rows, _ = world
    labels = {}
    for line in rows[::7]:  # feedback for a share of rows, batch rows by request_id#N
        labels[log_store.row_key(line["request_id"], line["row"])] = line["output"]
    batch = next(r for r in rows if r["row"] == 2)
    labels[log_store.row_key(batch["request_id"], 1)] = "malignant"
    log_store.add_feedback(project._db, [(k, v, True) for k, v in labels.items()])
    for window in ("all", "last:1000", "last:1600", f"since:{start + 700.5}", "3h"):
        full, inc = _both(project, model, window)
        assert full["rows"] > 0 and full["performance"]["rows"] > 0, window
        _same(full, inc)
    full, _ = _both(project, model, "all")
    assert full["verdict"] == "drift" and "mean_radius" in full["drifted_features"]
    assert full["health"]["rejected"] > 0


def test_live_metric_joins_every_row_of_a_batch(world):
    project, model, _, rows, _ = world
    last_batch = [r for r in rows if r["row"] == 2][-1]["request_id"]
    batch = [r for r in rows if r["request_id"] == last_batch]
    assert [r["row"] for r in batch] == [0, 1, 2]
    deps = _deps(project)
    window = f"since:{batch[0]['ts'] - 0.5}"
    known = {r["request_id"] for r in log_store.feedback_rows(project._db)}
    keys = [log_store.row_key(r["request_id"], r["row"]) for r in batch]
    new = [k for k in keys if k not in known]
    assert len(new) >= 2
    before = run_monitor(deps, project.scope, model, window=window, save=False)
    labels = [(k, r["output"], True) for k, r in zip(keys, batch, strict=True)]
    log_store.add_feedback(project._db, labels)
    after = run_monitor(deps, project.scope, model, window=window, save=False)
    full = run_monitor(deps, project.scope, model, window=window, save=False, incremental=False)
    # every row of the batch counts, each with its own label (row 0 alone did before)
    assert after.performance["rows"] - before.performance["rows"] == len(new)
    assert full.performance["rows"] == after.performance["rows"]


def test_sealed_segments_are_read_once_per_reference(world):
    project, model, *_ = world
    deps = _deps(project)
    window = parse_window("all")
    step = Step(
        deps, window, model, _reference(project, model), kinds=_kinds(project), contract=None
    )
    inside, _ = step.plan()
    assert len(inside) == 5
    for seg in inside:
        step.part_of(seg)
    again = Step(
        deps, window, model, _reference(project, model), kinds=_kinds(project), contract=None
    )
    for seg in inside:
        again.part_of(seg)
    assert again.read_segments == 0  # kept from the first step
    other = dataclasses.replace(model, reference_sha256="0" * 64)
    renewed = Step(
        deps, window, other, _reference(project, model), kinds=_kinds(project), contract=None
    )
    renewed.part_of(inside[0])
    assert renewed.read_segments == 1  # a new reference computes its own part
    kept = list((deps.log_root / SUMMARIES).glob("*.json"))
    assert {p.name.rsplit("-", 1)[1] for p in kept} >= {f"{step.key}.json", f"{renewed.key}.json"}


def _reference(project, model):  # type: ignore[no-untyped-def]
    from fullcycle.monitoring.service import reference_of

    return reference_of(_deps(project), model)


def _kinds(project):  # type: ignore[no-untyped-def]
    return {f.name: f.kind for f in project.scope.contract.features}
