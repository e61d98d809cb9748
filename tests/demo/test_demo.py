"""The demo, shortened: the whole cycle through a real server, checked from the store."""

from pathlib import Path

import pytest

from fullcycle.demo.story import Demo, DemoOptions
from fullcycle.project import Project


@pytest.mark.slow
def test_a_short_demo_detects_decay_retrains_promotes_and_rolls_back_the_bad_one(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    options = DemoOptions(periods=3, per_period=900, chunks=3, plant_bad_at=2)
    result = Demo(tmp_path / "voice", options, lines.append).run()

    assert result.detected_after is not None and result.detected_after <= 600
    assert len(result.periods) == 3
    project = Project.open(tmp_path / "voice")
    kinds = [e.kind for e in project.events(limit=1000)]
    assert "loop.queue_labels" in kinds and "label.import" in kinds
    assert "loop.promote" in kinds, lines
    # the demo drives the last period's world on until the loop's answer is in: a canary that
    # rolls a challenger back (a busy machine's latency) costs more traffic, not the promotion
    assert result.final_version != "voice:1", lines
    # the planted challenger: refused by the gate, pushed by hand, rolled back by the canary
    assert result.bad_challenger["gate"] == "gate_refused", lines
    assert result.bad_challenger["rolled_back"] is True, lines
    assert result.report.is_file() and "macro-F1 per period" in result.report.read_text()
    # every promoted version is loadable and the production alias names exactly one of them
    production = project.production_version()
    assert production.status == "ready"
    assert project.load_model(production.ref) is not None
