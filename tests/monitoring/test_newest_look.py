"""A model that decays while it serves: the live metric on all of a window's labelled rows
still reaches the goal, on the newest half it is clearly below it, and the newest half decides
(the report, its alert and the CLI say so). A real project on scikit-learn's breast cancer
data, its log written as a server leaves it, feedback stored as ``/feedback`` stores it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import orjson
import pytest

from fullcycle.cli import main
from fullcycle.serving import segments
from fullcycle.store import logs as log_store
from trainkit import served_cancer

NAME = "cancer"


@pytest.fixture(scope="module")
def decayed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("newest")
    project, frame, features = served_cancer(folder, NAME, {"monitoring": {"min_rows": 50}})
    root = Path(project.settings.resolved_log_url())
    (root / segments.ACTIVE).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    truth = frame["target"].to_numpy()
    records = frame[features].to_dict("records")
    start, lines, labels = time.time() - 3600, [], []
    for i in range(400):
        k = i % len(records)
        # right on 96% of the first 200 rows, then on 64%: the world moved under the model
        right = rng.random() < (0.96 if i < 200 else 0.64)
        answer = truth[k] if right else ("malignant" if truth[k] == "benign" else "benign")
        rid = f"req-{i:05d}"
        line = {"request_id": rid, "row": 0, "ts": start + i * 5.0, "model": NAME, "version": 1,
                "route": "production", "status": 200, "latency_ms": 2.0, "inputs": records[k],
                "output": answer, "proba": None, "error": None}  # fmt: skip
        lines.append(line)
        labels.append((log_store.row_key(rid, 0), truth[k], True))
    path = root / segments.ACTIVE / "r0-00000.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    segments.seal(project._db, root, path, replica="r0", model=NAME)
    log_store.add_feedback(project._db, labels)
    project.close()
    return folder


def test_the_newest_half_decides_where_it_is_worse(
    decayed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["monitor", "-C", str(decayed), "--window", "all", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    perf = report["performance"]
    assert perf["rows"] == 400 and perf["alarm_high"] > 0.8  # all the rows reach the goal
    newest = perf["newest"]
    assert newest["rows"] == 200 and newest["alarm_high"] < 0.8  # the newest half does not
    (alert,) = [a for a in report["alerts"] if a["key"].endswith(":performance")]
    assert "on the newest 200 labelled rows" in alert["message"]
    assert main(["monitor", "-C", str(decayed), "--window", "all"]) == 0
    text = capsys.readouterr().out
    assert "on the newest 200 labelled rows" in text
