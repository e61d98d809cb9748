"""From ``fullcycle init`` and ``data add`` to a promoted model with a report, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import trainkit as kit
from fullcycle.cli import main
from fullcycle.project import Project
from fullcycle.train.trainer import stored_evaluation


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    Project.init(tmp_path / "proj", "churn", target="label").close()
    kit.frame(n=800).to_csv(tmp_path / "churn.csv", index=False)
    folder = tmp_path / "proj"
    code, _, err = run(
        capsys,
        "data",
        "add",
        str(tmp_path / "churn.csv"),
        "--name",
        "churn",
        "--infer-contract",
        "-C",
        str(folder),
    )
    assert code == 0, err
    scope = yaml.safe_load((folder / "fullcycle.yaml").read_text())
    scope["metric"]["goal"] = 0.6
    scope["training"]["estimator"] = kit.FAST
    scope["training"]["search"] = {"C": {"type": "float", "low": 0.01, "high": 10, "log": True}}
    scope["decisions"] = {
        "costs": {"matrix": {"yes": {"no": 20}, "no": {"yes": 1}}},
        "threshold": {"policy": "min_cost", "positive_class": "yes"},
    }
    (folder / "fullcycle.yaml").write_text(yaml.safe_dump(scope, sort_keys=False))
    return folder


def test_init_to_a_promoted_model_with_a_report(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = str(project_dir)
    code, out, err = run(
        capsys, "train", "--data", "churn@1", "--param", "max_iter=400", "--seed", "5", "-C", p
    )
    assert code == 0, err
    out = out.strip()
    assert out.startswith("run ") and "f1_macro 0." in out and "expected cost" in out
    run_id = out.split()[1]

    html = project_dir / "report.html"
    code, out, _ = run(capsys, "evaluate", run_id[:10], "--html", str(html), "-C", p)
    assert code == 0 and "diagnosis:" in out and html.stat().st_size > 1_000_000
    code, out, _ = run(capsys, "evaluate", "latest", "--json", "-C", p)
    ev = json.loads(out)
    assert ev["decisions"]["expected_cost_per_1000"] <= ev["decisions"]["cost_at_0_5_per_1000"]
    with Project.open(project_dir) as project:  # --json prints the evaluation as it was stored
        assert ev == stored_evaluation(project._db, project._artifacts, run_id)
        assert project.evaluation(run_id).value == ev["metric"]["value"]

    code, out, _ = run(capsys, "register", "latest", "-C", p)
    assert code == 0 and "registered churn:1" in out
    code, out, _ = run(capsys, "promote", "churn:1", "--alias", "production", "-C", p)
    assert code == 0 and "churn@production -> churn:1" in out
    code, out, _ = run(capsys, "models", "--json", "-C", p)
    (version,) = json.loads(out)
    assert version["aliases"] == ["production"]
    assert version["decision"]["threshold"] == ev["decisions"]["threshold"]
    code, out, _ = run(capsys, "gc", "--grace", "0", "-C", p)
    assert code == 0 and "removed 0" in out

    with Project.open(project_dir) as project:
        loaded = project.load_model("churn@production")
        assert loaded.version == 1 and loaded.classes == ["no", "yes"]


def test_bad_input_gives_clear_errors_and_exit_codes(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = str(project_dir)
    code, _, err = run(
        capsys, "train", "--estimator", "nope.nothing:Model", "--data", "churn@1", "-C", p
    )
    assert code == 3 and "nope.nothing" in err
    code, _, err = run(capsys, "train", "--param", "max_iter", "--data", "churn@1", "-C", p)
    assert code == 4 and "KEY=VALUE" in err
    code, _, err = run(capsys, "promote", "churn:9", "-C", p)
    assert code == 5 and "churn:9" in err
    code, _, err = run(capsys, "register", "latest", "-C", p)
    assert code == 5 and "no finished training run" in err
    with Project.open(project_dir) as project:
        assert {r.status for r in project.runs()} == {"failed"}


@pytest.mark.slow
def test_tune_runs_each_trial_as_a_child_run(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "tune",
        "--trials",
        "4",
        "--workers",
        "2",
        "--data",
        "churn@1",
        "--seed",
        "1",
        "-C",
        str(project_dir),
    )
    assert code == 0, err
    assert "4 trials, 0 failed" in out and "--param C=" in out
    with Project.open(project_dir) as project:
        runs = project.runs()
        parent = next(r for r in runs if r.name == "tune")
        children = [r for r in runs if r.parent_id == parent.id]
        assert len(children) == 4 and {r.status for r in children} == {"finished"}
        assert parent.summary["best_value"] == max(
            r.latest_metrics["validation.f1_macro"] for r in children
        )


def test_the_gate_rescores_both_versions_on_the_candidates_test_rows(
    project_dir: Path, tmp_path: Path
) -> None:
    from fullcycle.errors import GateRefused

    with Project.open(project_dir) as project:
        project.train("churn@1", seed=1, learning_curve=False)
        project.register()
        project.promote("churn:1")
        kit.frame(n=800, seed=7).to_csv(tmp_path / "more.csv", index=False)
        assert project.add_data(tmp_path / "more.csv", "churn").version == 2
        project.train(model="sklearn.dummy:DummyClassifier", learning_curve=False)
        assert project.register().lineage["dataset"] == "churn@2"  # the newest data by default
        with pytest.raises(GateRefused, match=r"worse than churn:1 \(production\) .* re-scored"):
            project.promote("churn:2")
        assert project.load_model("churn@production").version == 1


def test_a_version_refitted_on_its_test_rows_is_not_rescored_on_them(
    project_dir: Path, tmp_path: Path
) -> None:
    """A loop challenger learned its trainer's test rows (``refit``): re-scoring it there would
    flatter it, so the promotion gate keeps the recorded evaluations and says why."""
    from fullcycle.errors import GateRefused

    with Project.open(project_dir) as project:
        project.train("churn@1", seed=1, learning_curve=False)
        project.register()
        project.promote("churn:1")
        kit.frame(n=800, seed=7).to_csv(tmp_path / "more.csv", index=False)
        project.add_data(tmp_path / "more.csv", "churn")
        project.train("churn@2", seed=1, learning_curve=False, refit=True)
        version = project.register()
        run = project.runs.get(version.run_id)
        assert version.lineage["data"]["refit_rows"] == run.params["rows.final"]
        assert run.params["rows.final"] == run.params["rows.train"] + run.params["rows.test"]
        with pytest.raises(GateRefused) as refused:
            project.promote(version.ref)
        said = str(refused.value)
        assert "on their own test data" in said and "(both re-scored)" not in said
        assert "re-scoring failed: churn:2 was fitted again on its test rows" in said
