"""The monitoring settings of fullcycle.yaml do what they say: ``monitoring.window`` is the
default window of ``fullcycle monitor``, ``monitoring.interval`` the default cadence of
``monitor --watch``, ``thresholds.prediction_psi`` the PSI floor of the model's outputs.
A real project trained on scikit-learn's breast cancer data, driven through the CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import orjson
import pytest
import yaml
from sklearn.datasets import load_breast_cancer

from fullcycle.cli import main
from fullcycle.monitoring.monitor import drift_policy
from fullcycle.project import Project
from fullcycle.scope import Monitoring, Thresholds
from fullcycle.serving import segments
from trainkit import served_cancer

NAME = "cancer"


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cancer")
    monitoring = {"window": "1h", "interval": "7m", "min_rows": 50}
    project, frame, features = served_cancer(folder, NAME, {"monitoring": monitoring})
    write_log(project, frame[features].to_dict("records"))
    return folder


def write_log(project: Project, records: list[dict]) -> None:
    """300 requests two hours ago, 250 in the last minutes, as a server leaves them."""
    root = Path(project.settings.resolved_log_url())
    (root / segments.ACTIVE).mkdir(parents=True, exist_ok=True)
    now = time.time()
    for part, (start, n) in enumerate([(now - 7200, 300), (now - 300, 250)]):
        path = root / segments.ACTIVE / f"r0-{part:05d}.jsonl"
        lines = [
            {
                "request_id": f"{part}-{i:06d}",
                "row": 0,
                "ts": start + i * 0.5,
                "model": NAME,
                "version": 1,
                "route": "production",
                "status": 200,
                "latency_ms": 2.0,
                "inputs": records[i % len(records)],
                "output": "benign",
                "proba": [0.9, 0.1],
                "error": None,
            }
            for i in range(n)
        ]
        path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
        segments.seal(project._db, root, path, replica="r0", model=NAME)


def monitor_json(folder: Path, capsys: pytest.CaptureFixture, *args: str) -> dict:
    capsys.readouterr()
    assert main(["monitor", "-C", str(folder), "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_default_window_is_the_scopes(project_dir, capsys):
    report = monitor_json(project_dir, capsys)
    assert report["window"] == "3600s" and report["rows"] == 250  # only the last hour
    assert monitor_json(project_dir, capsys, "--window", "all")["rows"] == 550
    assert monitor_json(project_dir, capsys, "--window", "last:100")["rows"] == 100
    assert Project.open(project_dir).monitor().rows == 250


def test_the_default_cadence_is_the_scopes_interval(project_dir, monkeypatch, capsys):
    pauses: list[float] = []
    monkeypatch.setattr(time, "sleep", pauses.append)
    assert main(["monitor", "-C", str(project_dir), "--watch", "--count", "2"]) == 0
    assert pauses == [420.0]
    pauses.clear()
    assert (
        main(["monitor", "-C", str(project_dir), "--watch", "--count", "2", "--every", "1s"]) == 0
    )
    assert pauses == [1.0]


def test_prediction_psi_is_the_psi_floor_of_the_models_outputs():
    from fullcycle.monitoring.compare import compare
    from fullcycle.monitoring.reference import build_reference

    policy = drift_policy(Monitoring(thresholds=Thresholds(psi=0.2, prediction_psi=0.9)))
    assert policy["prediction_psi"] == 0.9
    rng = np.random.default_rng(0)
    frame = load_breast_cancer(as_frame=True).frame.rename(columns=lambda c: c.replace(" ", "_"))
    ref, cur = frame.iloc[:300], frame.iloc[300:]
    labels = np.where(rng.uniform(size=300) < 0.5, "a", "b")
    shifted = np.where(rng.uniform(size=len(cur)) < 0.8, "a", "b")  # 50/50 -> 80/20
    reference = build_reference(ref, {"mean_radius": "numeric"}, predictions=labels)
    kinds = {"mean_radius": "numeric", "prediction": "categorical"}
    lenient = compare(reference, cur, kinds, policy, predictions=shifted)
    strict = compare(reference, cur, kinds, {**policy, "prediction_psi": 0.05}, predictions=shifted)
    assert lenient.feature("prediction").thresholds["psi"] == 0.9
    assert strict.feature("prediction").thresholds["psi"] == 0.05
    assert lenient.feature("mean_radius").thresholds["psi"] == 0.2
    psi = strict.feature("prediction").stats["psi"]
    assert 0.05 < psi < 0.9
    assert strict.feature("prediction").score >= psi / 0.05 > 1
    assert lenient.feature("prediction").score < strict.feature("prediction").score


def test_thresholds_use_the_statistics_names_and_old_keys_migrate_with_a_warning():
    th = Thresholds(wasserstein=0.3, jensenshannon=0.2, unseen_share=0.1, oov_increase=0.07)
    policy = drift_policy(Monitoring(thresholds=th))
    assert (policy["wasserstein"], policy["jensenshannon"]) == (0.3, 0.2)
    assert (policy["unseen_share"], policy["oov_increase"]) == (0.1, 0.07)
    with pytest.warns(FutureWarning, match="thresholds.js is deprecated: call it jensenshannon"):
        old = Thresholds.model_validate({"js": 0.25, "null_rate": 0.2})
    assert old.jensenshannon == 0.25 and old.missing_change == 0.2
    with pytest.warns(FutureWarning, match="call it unseen_share and oov_increase"):
        assert Thresholds.model_validate({"oov_rate": 0.02}).oov_increase == 0.02
    with pytest.raises(ValueError, match="old name of jensenshannon"):
        Thresholds.model_validate({"js": 0.25, "jensenshannon": 0.2})


def test_a_scope_file_with_old_threshold_names_still_loads(project_dir, tmp_path):
    from fullcycle.scope import load_scope

    scope = yaml.safe_load((project_dir / "fullcycle.yaml").read_text())
    scope["monitoring"]["thresholds"] = {"js": 0.3, "oov_rate": 0.1}
    path = tmp_path / "fullcycle.yaml"
    path.write_text(yaml.safe_dump(scope))
    with pytest.warns(FutureWarning, match="oov_rate is deprecated"):
        loaded = load_scope(path)
    assert loaded.monitoring.thresholds.unseen_share == 0.1
    assert loaded.monitoring.thresholds.jensenshannon == 0.3
