"""Tracking parity for scripts: tags, figures, typed params, and runs as a filtered DataFrame."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fullcycle.cli import main
from fullcycle.errors import InvalidInput
from fullcycle.project import Project
from fullcycle.train import run_filter


def _runs(project: Project) -> list[str]:
    ids = []
    for i, (f1, team) in enumerate([(0.95, "search"), (0.85, "search"), (0.97, "ads")]):
        with project.start_run(f"r{i}", params={"seed": i, "lr": 0.1 * (i + 1), "tag": "x"}) as run:
            run.log_metric("f1", 0.5)
            run.log_metric("f1", f1)  # the latest value is the one filtered on
            run.set_tag("team", team)
        ids.append(run.id)
    return ids


def test_params_keep_their_types_and_text_that_looks_like_json_stays_text(
    bare_project: Project,
) -> None:
    values = {"n": 3, "lr": 0.5, "on": True, "none": None, "layers": [64, 32], "s": "3", "t": "x"}
    with bare_project.start_run("typed", params=values) as run:
        pass
    assert bare_project.run(run.id).params == values


def test_runs_frame_filters_on_metrics_params_and_tags(bare_project: Project) -> None:
    ids = _runs(bare_project)
    frame = bare_project.runs_frame("metrics.f1 > 0.9")
    assert set(frame["run_id"]) == {ids[0], ids[2]}
    frame = bare_project.runs_frame("metrics.f1 > 0.9 and tags.team = 'search'")
    assert list(frame["run_id"]) == [ids[0]]
    frame = bare_project.runs_frame("params.seed >= 1 and status = finished")
    assert set(frame["run_id"]) == {ids[1], ids[2]}
    assert frame["params.seed"].tolist() == sorted(frame["params.seed"].tolist(), reverse=True)
    assert isinstance(frame["params.seed"].iloc[0].item(), int)
    assert bare_project.runs_frame("metrics.f1 > 2").empty


@pytest.mark.parametrize(
    "text",
    [
        "metrics.f1 > 0.9; drop table runs",
        "metrics.f1 > 'x'",
        "environment.python = 3",
        "metrics.f1 ~ 3",
        "metrics.f1 > 0.9 or 1 = 1",
    ],
)
def test_a_filter_outside_the_grammar_is_refused_by_name(text: str) -> None:
    with pytest.raises(InvalidInput, match="filter"):
        run_filter.parse(text)


def test_a_quoted_value_is_a_bound_parameter_never_sql(bare_project: Project) -> None:
    _runs(bare_project)
    evil = "name = \"x' OR '1'='1\""
    assert bare_project.runs_frame(evil).empty
    assert len(bare_project.runs_frame(None)) == 3


def test_cli_runs_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = Project.init(tmp_path / "p", "p")
    ids = _runs(project)
    code = main(
        [
            "runs",
            "--filter",
            "metrics.f1 > 0.96",
            "--json",
            "-C",
            str(project.settings.project_dir),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert [r["run_id"] for r in json.loads(out)] == [ids[2]]


def test_log_figure_stores_a_plotly_figure(bare_project: Project) -> None:
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2]))
    with bare_project.start_run("fig") as run:
        sha = run.log_figure(fig, "loss")
        with pytest.raises(InvalidInput, match="neither"):
            run.log_figure(object(), "bad")
    info = bare_project.run(run.id)
    assert info.artifacts["loss.plotly.json"] == sha
    stored = json.loads(bare_project._artifacts.get_bytes(sha))
    assert stored["data"][0]["y"] == [3, 1, 2]


def test_set_tag_changes_a_tag(bare_project: Project, tmp_path: Path) -> None:
    with bare_project.start_run("t", tags={"stage": "dev"}) as run:
        run.set_tag("stage", "prod")
        run.set_tag("owner", "me")
    assert bare_project.run(run.id).tags == {"stage": "prod", "owner": "me"}
