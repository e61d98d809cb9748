"""Every page renders, empty or full, and what people typed is shown as text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from uikit import PAGES, UIClient, add_monitoring, populate

from fullcycle.project import Project


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_200_on_an_empty_project(
    bare_project: Project, client_for: Callable[..., UIClient], path: str
) -> None:
    res = client_for(bare_project).get(path)
    assert res.status_code == 200, res.text[:500]
    assert "<main>" in res.text
    assert "Traceback" not in res.text


def test_pages_of_stages_with_nothing_yet_say_what_to_run(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    client = client_for(bare_project)
    for path in ("/models", "/monitoring", "/deployment"):
        text = client.get(path).text
        assert "Nothing here yet" in text and "<code>fullcycle" in text, path


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_200_on_a_populated_project(
    bare_project: Project, client_for: Callable[..., UIClient], path: str
) -> None:
    populate(bare_project)
    res = client_for(bare_project).get(path)
    assert res.status_code == 200, res.text[:500]


def test_script_in_user_strings_renders_as_text_on_every_page(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    populate(bare_project)
    client = client_for(bare_project)
    shown = 0
    for path in (*PAGES, "/runs?compare=" + "&compare=".join(r.id for r in bare_project.runs())):
        text = client.get(path).text
        assert "<script>alert" not in text, path
        shown += "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        # in chart JSON the markup is escaped twice: for plotly, then for the script block
        shown += "\\u0026lt;script\\u0026gt;" in text
    assert shown >= 4


def test_runs_sort_by_a_metric_and_compare_highlights_differing_params(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    ids = populate(bare_project)["run_ids"]
    client = client_for(bare_project)
    res = client.get("/runs", params={"sort": "accuracy", "order": "asc"})
    assert res.status_code == 200
    order = [res.text.index(i[:8]) for i in ids]
    assert order[1] > order[0] and order[1] > order[2]  # lr 0.3 has the highest accuracy
    res = client.get("/runs", params=[("compare", ids[0]), ("compare", ids[1])])
    rows = res.text.split("Side by side")[1]
    assert '<tr class="differ"><th>lr</th>' in rows
    assert '<tr class=""><th>depth</th>' in rows
    assert 'data-figure="fig-curve-1"' in res.text


@pytest.mark.parametrize("sort", ["x' OR 1=1 --", "; DROP TABLE runs", "a" * 300])
def test_odd_sort_keys_fall_back_to_start_time(
    bare_project: Project, client_for: Callable[..., UIClient], sort: str
) -> None:
    populate(bare_project)
    res = client_for(bare_project).get("/runs", params={"sort": sort})
    assert res.status_code == 200 and len(bare_project.runs()) == 3


def test_events_filter_by_kind_and_refuse_odd_kinds(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    populate(bare_project)
    client = client_for(bare_project)
    text = client.get("/events", params={"kind": "loop."}).text
    assert "loop.decide" in text and "run.start" not in text
    res = client.get("/events", params={"kind": "x' OR 1=1 --"})
    assert res.status_code == 400 and "kind prefix" in res.text


def test_monitoring_draws_the_heatmap_performance_latency_and_distributions(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    populate(bare_project)
    text = client_for(bare_project).get("/monitoring").text
    for fig in ("fig-heatmap", "fig-perf", "fig-latency", "fig-dist-1"):
        assert f'data-figure="{fig}"' in text, fig
    overview = client_for(bare_project).get("/").text
    assert "drift:&lt;script&gt;" in overview  # the open alert


def test_deployment_shows_canary_progress_and_shadow_disagreement(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    populate(bare_project)
    text = client_for(bare_project).get("/deployment").text
    assert "120" in text and "of 500" in text and "max_error_rate" in text
    assert "Shadow disagreement: <strong>4%</strong>" in text


def test_a_bad_version_reference_is_a_400_page_not_a_crash(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    res = client_for(bare_project).get("/models", params={"v": "../../etc/passwd"})
    assert res.status_code == 400 and "NAME@N" in res.text


def test_plotly_is_served_from_the_installed_package(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    res = client_for(bare_project).get("/static/plotly.min.js")
    assert res.status_code == 200 and "javascript" in res.headers["content-type"]
    assert len(res.content) > 1_000_000
    assert b"plotly" in res.content[:2000].lower()


def test_overview_shows_the_scope_and_the_live_metric_against_the_goal(
    tmp_path: Path, client_for: Callable[..., UIClient]
) -> None:
    project = Project.init(tmp_path / "churn", "churn")
    client = client_for(project)
    text = client.get("/").text
    scope = project.scope
    assert f"<h1>{scope.name}</h1>" in text and scope.metric.name in text
    assert "no labelled production window" in text
    add_monitoring(project)
    text = client.get("/").text
    assert 'data-figure="fig-live"' in text
    assert '<p class="big bad">0.745' in text  # below the goal of the scope template


def test_overview_says_lower_is_better_for_a_metric_that_falls_as_it_improves(
    tmp_path: Path, client_for: Callable[..., UIClient]
) -> None:
    project = Project.init(tmp_path / "prices", "prices", task="regression", target="price")
    assert not project.scope.metric.greater_is_better
    text = client_for(project).get("/").text
    assert f"{project.scope.metric.name} (lower is better)" in text
