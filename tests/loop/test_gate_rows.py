"""Which held-out rows the gate scores a challenger on, look after look, and how two variants
that pass alike are told apart."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from fullcycle.loop.gate import GateResult, GateVerdict
from fullcycle.loop.retrain import RetrainOutcome, _rank, gate_rows

CHAMPION_MADE = 1000.0


def _project(
    min_samples: int, learned: dict[str, list[str]], test: str = "paired_bootstrap"
) -> SimpleNamespace:
    datasets = {ref: SimpleNamespace(origin={"request_ids": ids}) for ref, ids in learned.items()}
    return SimpleNamespace(
        scope=SimpleNamespace(gate=SimpleNamespace(min_samples=min_samples, test=test)),
        dataset=lambda ref: datasets[ref],
    )


def _version(dataset: str, created_at: float) -> SimpleNamespace:
    return SimpleNamespace(lineage={"dataset": dataset}, created_at=created_at)


def _labelled(old: int, fresh: int, start: int = 0) -> pd.DataFrame:
    """``old`` rows labelled before the champion was made, ``fresh`` after."""
    ts = [CHAMPION_MADE - old + i for i in range(old)]
    ts += [CHAMPION_MADE + 1 + start + i for i in range(fresh)]
    return pd.DataFrame({"request_id": [f"r{t:.0f}" for t in ts], "ts": ts, "y": [0] * len(ts)})


def test_a_pending_gate_keeps_the_rows_of_its_first_look_and_only_grows() -> None:
    """Too few rows since the champion: the first look reaches back to older rows. The next
    look must not drop them once the fresh rows alone reach the minimum (it did: 400 rows at the
    first look, 252 at the second, and the pending gate waited a period for rows it had had)."""
    project = _project(10, {"champ@1": ["r0"], "chal@1": ["r1", "r2"]})
    champion, challenger = _version("champ@1", CHAMPION_MADE), _version("chal@1", 2000.0)
    first = gate_rows(project, _labelled(30, 6), champion, challenger)
    assert len(first) == 10 and (first["ts"] < CHAMPION_MADE).sum() == 4
    assert not set(first["request_id"]) & {"r0", "r1", "r2"}  # no version learned from them

    later = _labelled(30, 16)  # ten more labelled since: the fresh rows alone reach 10
    assert len(gate_rows(project, later, champion, challenger)) == 16  # what a fresh look takes
    again = gate_rows(project, later, champion, challenger, since=float(first["ts"].min()))
    assert set(first["request_id"]) <= set(again["request_id"])
    assert len(again) == 20 and again["ts"].is_monotonic_increasing


def test_rows_any_variant_learned_from_are_left_out() -> None:
    project = _project(2, {"champ@1": [], "full@1": ["r1001"], "recent@1": ["r1002"]})
    champion = _version("champ@1", CHAMPION_MADE)
    rows = gate_rows(
        project, _labelled(0, 5), champion, _version("full@1", 2e3), _version("recent@1", 2e3)
    )
    assert list(rows["request_id"]) == ["r1003", "r1004", "r1005"]


def _outcome(variant: str, verdict: GateVerdict, **numbers: float) -> RetrainOutcome:
    result = GateResult(verdict is GateVerdict.PASS, [], {"metric": "rmse", **numbers}, verdict)
    return RetrainOutcome("d@1", "run", 2, result, 0, 0, variant=variant)


def test_variants_that_pass_alike_are_ranked_on_the_newest_rows() -> None:
    """rmse: lower is better. The full variant is better over all the held-out rows (the old
    ones weigh in), the recent one on the newest: the recent one serves what comes next."""
    full = _outcome("full", GateVerdict.PASS, challenger=10.0, newest=14.0)
    recent = _outcome("recent", GateVerdict.PASS, challenger=11.0, newest=12.0)
    assert max([full, recent], key=_rank) is recent
    # without newest scores, all the held-out rows decide
    assert max([_outcome("full", GateVerdict.PASS, challenger=10.0),
                _outcome("recent", GateVerdict.PASS, challenger=11.0)],
               key=_rank).variant == "full"  # fmt: skip
    # the verdict comes first: a pass beats an undecided one that looks better on the newest
    undecided = _outcome("recent", GateVerdict.UNDECIDED, challenger=9.0, newest=8.0)
    assert max([full, undecided], key=_rank) is full
