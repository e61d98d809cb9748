"""constraints.max_model_mb refuses big models at register and import; scope users reach the
model card and the status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sklearn.linear_model import LogisticRegression

import trainkit as kit
from fullcycle.cli import main
from fullcycle.errors import ModelTooLarge
from fullcycle.project import Project
from fullcycle.registry._limits import check_size
from fullcycle.train.serialization import dumps


def _edit(folder: Path, **top: object) -> None:
    scope = yaml.safe_load((folder / "fullcycle.yaml").read_text())
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(scope.get(key), dict):
            scope[key].update(value)
        else:
            scope[key] = value
    (folder / "fullcycle.yaml").write_text(yaml.safe_dump(scope, sort_keys=False))


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "proj"
    Project.init(folder, "churn", target="label").close()
    kit.frame(n=300).to_csv(tmp_path / "churn.csv", index=False)
    _edit(folder, training={"estimator": kit.FAST, "params": {"max_iter": 300}})
    with Project.open(folder) as p:
        p.add_data(tmp_path / "churn.csv", name="churn", infer_contract=True)
    yield folder


def _model_file(tmp_path: Path) -> Path:
    frame = kit.frame(n=100)
    model = LogisticRegression().fit(frame[["amount", "visits"]], frame["label"])
    path = tmp_path / "outside.skops"
    path.write_bytes(dumps(model))
    return path


def test_the_size_check_names_the_size_the_limit_and_the_setting() -> None:
    check_size(2_000_000, None, "m")
    check_size(2_000_000, 2.0, "m")
    with pytest.raises(ModelTooLarge) as caught:
        check_size(2_500_000, 2.0, "model x")
    assert "model x is 2.5 MB, over the limit of 2 MB (constraints.max_model_mb)" in str(
        caught.value
    )


def test_a_model_over_the_limit_is_refused_at_register_and_the_run_kept(folder: Path) -> None:
    _edit(folder, constraints={"max_model_mb": 0.000_5})  # 500 bytes: any model is bigger
    with Project.open(folder) as p:
        run = p.train("churn@1", seed=1, learning_curve=False)
        with pytest.raises(ModelTooLarge, match=r"over the limit of 0.0005 MB \(constraints.max_"):
            p.register(run.run_id)
        assert p.models() == []
        assert p.run(run.run_id).status == "finished"
    _edit(folder, constraints={"max_model_mb": 50})
    with Project.open(folder) as p:
        assert p.register(run.run_id).version == 1


def test_cli_register_and_import_over_the_limit_exit_4_with_one_line(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(folder, constraints={"max_model_mb": 0.000_5})
    with Project.open(folder) as p:
        p.train("churn@1", seed=1, learning_curve=False)
    capsys.readouterr()
    assert main(["register", "-C", str(folder)]) == 4
    err = capsys.readouterr().err.strip()
    assert "MB, over the limit of 0.0005 MB (constraints.max_model_mb)" in err
    assert len(err.splitlines()) == 1
    path = _model_file(tmp_path)
    assert main(["models", "import", str(path), "--name", "ext", "-C", str(folder)]) == 4
    assert "model file 'outside.skops' is" in capsys.readouterr().err
    with Project.open(folder) as p:
        assert p.models() == []


def test_users_are_on_the_model_card_and_in_the_status(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(folder, users=["support team", "checkout"])
    with Project.open(folder) as p:
        assert p.status().users == ("support team", "checkout")
        run = p.train("churn@1", seed=1, learning_curve=False)
        version = p.register(run.run_id)
        assert "- users: support team, checkout" in version.card
    assert main(["status", "-C", str(folder)]) == 0
    assert "support team, checkout" in capsys.readouterr().out
