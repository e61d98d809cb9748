"""One notation on the command line: ``NAME@N`` is a dataset version, ``NAME:N`` a model
version, ``NAME@ALIAS`` an alias; ``--model`` is a model reference in every command (the
estimator of ``train`` is ``--estimator``, MLflow's model ``--mlflow-model``, tested with
the MLflow store in tests/flavours; the old spellings still work, with a note on stderr); a
CLI command acts as ``cli:$USER``."""

from __future__ import annotations

from pathlib import Path

import pytest

from fullcycle.cli import main
from fullcycle.project import Project
from fullcycle.testing import make_project

WRONG_AT = "`churn@1`: a model version is written churn:1; @ names an alias"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path) -> Project:
    made: Project = make_project(tmp_path / "p", "churn", rows=120, versions=1, deploy=True)
    return made


def test_a_model_version_written_with_at_is_refused_by_every_command_that_reads_one(
    project: Project, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    p = str(project.settings.project_dir)
    for argv in (
        ["models", "show", "churn@1"],
        ["promote", "churn@1"],
        ["deploy", "canary", "churn@1"],
        ["predict-batch", "rows@1", "--model", "churn@1", "--out", str(tmp_path / "o.parquet")],
    ):
        code, _, err = run(capsys, *argv, "-C", p)
        assert code == 4 and WRONG_AT in err, (argv, err)
    assert not (tmp_path / "o.parquet").exists()
    assert project.deployments.current().canary is None  # nothing moved


def test_a_dataset_version_written_with_colon_is_refused_with_the_spelling_meant(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "data", "show", "rows:1", "-C", str(project.settings.project_dir))
    assert code == 4 and "a dataset version is written rows@1" in err


def test_an_all_digit_alias_is_refused_and_nothing_moves(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    p = str(project.settings.project_dir)
    code, _, err = run(capsys, "promote", "churn:1", "--alias", "2", "-C", p)
    assert code == 4 and "all digits" in err
    assert [a.alias for a in project.aliases("churn")] == ["production"]
    code, out, err = run(capsys, "promote", "churn:1", "--alias", "staging", "-C", p)
    assert code == 0, err
    assert project.models.show("churn@staging").version == 1


def test_predict_batch_reads_a_model_version_and_an_alias(
    project: Project, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    p = str(project.settings.project_dir)
    for ref in ("churn:1", "churn@production", "production"):
        out_file = tmp_path / f"{ref.replace(':', '-').replace('@', '-')}.parquet"
        code, _, err = run(
            capsys, "predict-batch", "rows@1", "--model", ref, "--out", str(out_file), "-C", p,
            "--executor", "serial", "--json",
        )  # fmt: skip
        assert code == 0, (ref, err)
        assert out_file.exists()


def test_serve_takes_a_model_name_and_names_the_command_for_a_version(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    p = str(project.settings.project_dir)
    code, _, err = run(capsys, "serve", "--model", "churn:1", "-C", p)
    assert code == 4 and "fullcycle deploy production churn:1" in err
    code, _, err = run(capsys, "serve", "--model", "churn@production", "-C", p)
    assert code == 4 and "not an alias" in err
    code, _, err = run(capsys, "serve", "--model", "churn@1", "-C", p)
    assert code == 4 and WRONG_AT in err


def test_train_takes_the_estimator_as_estimator_and_still_as_the_old_model(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    p = str(project.settings.project_dir)
    tree = "sklearn.tree:DecisionTreeClassifier"
    code, _, err = run(capsys, "train", "--estimator", tree, "--data", "rows@1", "-C", p, "--json")
    assert code == 0, err
    assert "deprecated" not in err
    code, _, err = run(capsys, "train", "--model", tree, "--data", "rows@1", "-C", p, "--json")
    assert code == 0, err
    assert "--model is deprecated here, use --estimator" in err
    estimators = [project.run(r.id).params.get("estimator") for r in project.runs(limit=2)]
    assert estimators == [tree, tree]
    code, _, err = run(
        capsys, "train", "--model", tree, "--estimator", tree, "--data", "rows@1", "-C", p
    )
    assert code == 4 and "give only --estimator" in err


def test_the_old_model_option_of_train_is_hidden_from_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0 and "--estimator" in out and "--model" not in out


def test_every_cli_change_is_signed_cli_and_the_user(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER", "ada")
    p = str(project.settings.project_dir)
    before = {e.id for e in project.events(limit=1000)}
    assert run(capsys, "promote", "churn:1", "--alias", "staging", "-C", p)[0] == 0
    assert run(capsys, "deploy", "canary", "churn:1", "--share", "0.2", "-C", p)[0] == 0
    assert run(capsys, "token", "create", "--role", "read", "-C", p)[0] == 0
    new = [e for e in project.events(limit=1000) if e.id not in before]
    assert {e.kind.split(".")[0] for e in new} >= {"deployment", "token"}, new
    assert {e.actor for e in new} == {"cli:ada"}
