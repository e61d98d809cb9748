"""The dashboard in a real browser: pages load cleanly, charts draw, keys label rows."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import CHROMIUM, Console, chromium, serving
from uikit import PAGES, full_project, populate

from fullcycle.project import Project
from fullcycle.ui.app import standalone

pytestmark = [pytest.mark.slow]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def browser() -> Iterator[Any]:
    # `make test` installs Debian's chromium and the playwright package; missing either is a
    # failure of the set-up, not a reason to skip
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    assert importlib.util.find_spec("playwright"), "playwright is missing: pip install -e .[dev]"
    with chromium() as b:
        yield b


def dashboard(project: Project, auth_required: bool = False) -> Any:
    return standalone(project, auth_required=auth_required, allowed_hosts=["127.0.0.1"])


def open_page(browser: Any) -> tuple[Any, Console]:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    return page, Console(page)


def test_every_page_loads_without_console_errors_and_draws_its_charts(
    bare_project: Project, browser: Any
) -> None:
    populate(bare_project)
    with serving(dashboard(bare_project)) as url:
        page, console = open_page(browser)
        for path in PAGES:
            res = page.goto(f"{url}/ui{path}")
            assert res is not None and res.status == 200, path
            page.wait_for_load_state("load")
            charts = page.locator("div.chart[data-figure]")
            for i in range(charts.count()):
                charts.nth(i).locator(".main-svg").first.wait_for(timeout=10_000)
        assert console.errors == []
        page.goto(f"{url}/ui/monitoring")
        ticks = page.locator("div.chart[data-figure=fig-heatmap] .ytick text")
        ticks.first.wait_for()
        label = ticks.all_text_contents()
        assert any("<script>" in t for t in label)  # shown as text, never run
        assert page.evaluate("window.__pwned === undefined")


def test_an_empty_project_loads_every_page_cleanly(bare_project: Project, browser: Any) -> None:
    with serving(dashboard(bare_project)) as url:
        page, console = open_page(browser)
        for path in PAGES:
            assert page.goto(f"{url}/ui{path}").status == 200, path
        assert "Nothing here yet" in page.goto(f"{url}/ui/monitoring").text()
        assert console.errors == []


def test_sign_in_with_a_token_then_browse(bare_project: Project, browser: Any) -> None:
    from fullcycle import auth

    token = auth.create_token(bare_project._db, name="ana", role="read")
    with serving(dashboard(bare_project, auth_required=True)) as url:
        page, console = open_page(browser)
        page.goto(f"{url}/ui/runs")
        assert "/ui/login" in page.url
        page.fill("input[name=token]", token)
        page.click("form button")
        page.wait_for_url(f"{url}/ui/runs")
        assert "ana · read" in page.inner_text("header")
        assert console.errors == []


def test_a_label_typed_on_the_keyboard_lands_in_the_store_and_u_undoes_it(
    tmp_path: Path, browser: Any
) -> None:
    from fullcycle.store import labels

    project = full_project(tmp_path / "churn")
    with serving(dashboard(project)) as url:
        page, console = open_page(browser)
        page.goto(f"{url}/ui/labelling")
        task = int(page.get_attribute("#task", "data-task") or 0)
        classes = page.locator("#label-form button").all_text_contents()
        assert [c.split()[-1] for c in classes] == ["no", "yes"]
        page.keyboard.press("1")
        page.wait_for_url("**/labelling?after=*")
        assert labels.tasks(project._db, ids=[task])[0].label == "no"
        second = int(page.get_attribute("#task", "data-task") or 0)
        assert second != task
        page.keyboard.press("s")  # skip the next one
        page.wait_for_url(f"**/labelling?after={second}")
        assert int(page.get_attribute("#task", "data-task") or 0) not in (task, second)
        page.goto(f"{url}/ui/labelling?last={task}")
        page.keyboard.press("u")
        page.wait_for_url(f"**/labelling?task={task}")
        assert labels.tasks(project._db, ids=[task])[0].status == "queued"
        assert console.errors == []


def test_promote_and_roll_back_through_the_page_move_the_alias(
    tmp_path: Path, browser: Any
) -> None:
    project = full_project(tmp_path / "churn")

    def production() -> int:
        return next(a.version for a in project.aliases("churn") if a.alias == "production")

    with serving(dashboard(project)) as url:
        page, console = open_page(browser)
        page.goto(f"{url}/ui/models?v=churn:2")
        page.click("text=Roll back production")
        page.fill(".rollback-form input[name=reason]", "errors went up")
        page.click(".rollback-form button")
        page.wait_for_url("**/models?v=churn:1")
        assert production() == 1
        assert "production rolled back to churn:1" in page.inner_text(".flash")
        page.goto(f"{url}/ui/models?v=churn:2")
        page.click("summary:has-text('Promote')")
        page.fill("#promote-form input[name=reason]", "fixed upstream")
        page.check("#promote-form input[name=force]")
        page.click("#promote-form button")
        page.wait_for_url("**/models?v=churn:2")
        assert production() == 2
        assert console.errors == []


@pytest.mark.timeout(900)  # a short demo runs first: minutes on a loaded machine
def test_screenshots_of_the_main_pages(tmp_path: Path, browser: Any) -> None:
    """The README's pictures come from the demo's own project (voice search, its real drift and
    promotions), never from the test fixtures (the hostile names stay in the tests above).
    FULLCYCLE_SCREENSHOTS=1 writes them to docs/screenshots; look at them after a change."""
    from concurrent.futures import ThreadPoolExecutor

    from fullcycle.demo.story import Demo, DemoOptions

    options = DemoOptions(periods=2, per_period=600, chunks=2, plant_bad_at=2)
    demo = Demo(tmp_path / "voice", options, lambda line: None)
    with ThreadPoolExecutor(1) as pool:  # the demo runs its own event loop; the browser has one
        pool.submit(demo.run).result()
    project = Project.open(tmp_path / "voice")
    folder = SCREENSHOTS if os.environ.get("FULLCYCLE_SCREENSHOTS") else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    with serving(dashboard(project)) as url:
        page, console = open_page(browser)
        seen: dict[str, str] = {}
        for path in PAGES:
            page.goto(f"{url}/ui{path}")
            charts = page.locator("div.chart[data-figure]")
            for i in range(charts.count()):
                charts.nth(i).locator(".main-svg").first.wait_for(timeout=10_000)
            text = page.content()
            assert "alert(1)" not in text and "{{7*7}}" not in text, path
            seen[path] = text
            name = path.strip("/") or "overview"
            target = folder / f"{name}.png"
            page.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 10_000
        # the demo's own project: its model on the overview and the models page
        assert "voice" in seen["/"] and "voice" in seen["/models"]
        assert console.errors == []
