"""/metrics as Prometheus reads it: parsed with prometheus_client's own parser, counters as
counters, the model's quality from the store, every worker in every scrape, the dashboard and
alert rules in docs/ in step with the metric table, and a real Prometheus scraping a server."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from serving_fixtures import MODEL, rows
from test_server import Server, free_port

from fullcycle.serving import dashboards
from fullcycle.serving.metrics import METRICS, QUALITY
from fullcycle.store import deployments, labels, reports
from fullcycle.store.db import Database
from fullcycle.testing import wait_until

DOCS = Path(__file__).parents[2] / "docs" / "grafana"


def families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def report(model: str = MODEL) -> dict[str, Any]:
    """A monitor report as ``monitoring/monitor.py`` shapes it."""
    return {
        "model": model,
        "version": 1,
        "verdict": "drift",
        "rows": 500,
        "drift": {
            "features": [
                {"name": "f0", "score": 2.5, "drifted": True},
                {"name": "f1", "score": 0.3, "drifted": False},
            ]
        },
        "performance": {
            "metric": "f1",
            "value": 0.71,
            "goal": 0.8,
            "estimate": 0.75,
            "greater_is_better": True,
        },
        "health": {"rejected_rate": 0.02},
        "cost": {"cost_per_1000": 12.5},
    }


@pytest.mark.anyio
async def test_metrics_parse_as_counters_with_model_and_arm_and_no_created_series(make_client, db):
    reports.save(db, report())
    labels.add_tasks(
        db,
        "b1",
        [
            {
                "request_id": "r1",
                "row": {"f0": 1.0},
                "source": "test",
                "strategy": "uncertainty",
                "reason": "test",
            }
        ],
    )
    async with make_client(production=1, canary=2, canary_share=0.5) as client:
        for i in range(20):
            await client.post(
                "/predict", json={"records": rows(1)}, headers={"X-Request-ID": f"r{i}"}
            )
        await client.post("/predict", json={"records": [{"f0": "x"}]})
        text = (await client.get("/metrics")).text
    found = families(text)
    assert not [n for n in text.splitlines() if "_created" in n]
    assert "process_cpu_seconds" in found or "process_cpu_seconds_total" in text
    for name in ("logs_dropped", "log_records_written", "shadow_skipped", "requests"):
        assert found[f"fullcycle_{name}"].type == "counter", name
    requests = [s for s in found["fullcycle_requests"].samples if s.name.endswith("_total")]
    arms = {s.labels["arm"] for s in requests if s.labels["status"] == "200"}
    assert arms == {"production", "canary"}
    assert {s.labels["model"] for s in requests} == {MODEL}
    assert sum(s.value for s in requests) == 21
    quality = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in found.values()
        for s in f.samples
        if s.name.startswith("fullcycle_")
        and f.name in {m.name for m in METRICS if m.source == QUALITY}
    }
    assert quality[("fullcycle_drift_score", (("feature", "f0"), ("model", MODEL)))] == 2.5
    assert quality[("fullcycle_drift_detected", (("feature", "f1"), ("model", MODEL)))] == 0
    perf = (("metric", "f1"), ("model", MODEL))
    assert quality[("fullcycle_live_metric", perf)] == 0.71
    assert quality[("fullcycle_live_metric_goal", perf)] == 0.8
    assert quality[("fullcycle_live_metric_shortfall", perf)] == pytest.approx(0.09)
    assert quality[("fullcycle_live_metric_estimate", perf)] == 0.75
    assert quality[("fullcycle_rejected_share", (("model", MODEL),))] == 0.02
    assert quality[("fullcycle_expected_cost_per_1000", (("model", MODEL),))] == 12.5
    assert quality[("fullcycle_canary_share", (("model", MODEL),))] == 0.5
    assert quality[("fullcycle_deployment_state", (("model", MODEL), ("state", "canary")))] == 1
    assert quality[("fullcycle_labels_waiting", (("model", MODEL),))] == 1


def test_every_metric_in_the_table_is_on_the_dashboard_and_the_docs_are_in_step():
    rendered = dashboards.render()
    for name, text in rendered.items():
        assert (DOCS / name).read_text("utf-8") == text, (
            f"docs/grafana/{name} is stale: python -m fullcycle.serving.dashboards docs/grafana"
        )
    board = json.loads((DOCS / dashboards.DASHBOARD_FILE).read_text("utf-8"))
    drawn = " ".join(t["expr"] for p in board["panels"] for t in p["targets"])
    assert all(m.name in drawn for m in METRICS)
    rules = yaml.safe_load((DOCS / dashboards.ALERTS_FILE).read_text("utf-8"))
    alerts = [r["alert"] for g in rules["groups"] for r in g["rules"]]
    assert alerts == [m.alert.name for m in METRICS if m.alert is not None]
    assert "FullcycleBelowGoal" in alerts and "FullcycleFeatureDrift" in alerts


def test_promtool_accepts_the_alert_rules():
    out = subprocess.run(
        ["promtool", "check", "rules", str(DOCS / dashboards.ALERTS_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def requests_total(url: str) -> float:
    found = families(httpx.get(f"{url}/metrics", timeout=10).text)
    return sum(
        s.value for s in found["fullcycle_requests"].samples if s.name == "fullcycle_requests_total"
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "p"
    (folder / ".fullcycle").mkdir(parents=True)
    db = Database.open(f"sqlite:///{folder / '.fullcycle' / 'fullcycle.db'}")
    deployments.set(db, MODEL, production=1, actor="test")
    reports.save(db, report())
    db.dispose()
    return folder


@pytest.mark.slow
def test_two_workers_every_scrape_sees_the_whole_server_and_prometheus_reads_quality(
    project, tmp_path
):
    server = Server(project).start(workers=2)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for _ in range(40):  # new connections, so both workers serve some
                r = client.post(
                    "/predict", json={"records": rows(1)}, headers={"connection": "close"}
                )
                assert r.status_code == 200
        scrapes = [requests_total(server.url) for _ in range(8)]
        assert all(n >= 40 for n in scrapes), scrapes  # before: alternated between workers
        assert scrapes == sorted(scrapes)
        # Debian's prometheus package (make test installs it, like chromium)
        value = scraped_by_prometheus(server.url, tmp_path, "fullcycle_drift_score")
        assert value == {"f0": 2.5, "f1": 0.3}
    finally:
        server.stop()


def scraped_by_prometheus(target: str, tmp_path: Path, metric: str) -> dict[str, float]:
    """Start Debian's Prometheus on a free loopback port against ``target``; query ``metric``."""
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s"},
                "scrape_configs": [
                    {"job_name": "fullcycle", "static_configs": [{"targets": [target[7:]]}]}
                ],
            }
        )
    )
    proc = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def scraped() -> list[dict[str, Any]]:
            assert proc.poll() is None, "prometheus exited"
            res = httpx.get(
                f"http://127.0.0.1:{port}/api/v1/query", params={"query": metric}, timeout=5
            ).json()
            return list(res["data"]["result"])

        found = wait_until(scraped, timeout=90, interval=0.5, what=f"prometheus to return {metric}")
        return {r["metric"]["feature"]: float(r["value"][1]) for r in found}
    finally:
        proc.terminate()
        proc.wait(30)
