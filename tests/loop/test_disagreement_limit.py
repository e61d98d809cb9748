"""The canary's disagreement limit: the policy's, or what the gate saw on held-out rows plus a
slack, for a challenger proven better while answering differently (a fix for a decayed model
must disagree with it)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from fullcycle.loop.policy import CanaryStats, canary_verdict
from fullcycle.loop.rollout import DISAGREEMENT_SLACK, _with_latency, disagreement_limit
from fullcycle.scope import Rollout


def _rollout(data: dict) -> SimpleNamespace:
    return SimpleNamespace(data=data)


def test_the_limit_follows_what_the_gate_saw_and_never_falls_below_the_policy() -> None:
    policy = Rollout(max_disagreement=0.2)
    assert disagreement_limit(policy, _rollout({})) == 0.2  # submitted: no gate numbers
    assert disagreement_limit(policy, _rollout({"gate": {"disagreement": 0.05}}), 600) == 0.2
    seen = disagreement_limit(policy, _rollout({"gate": {"disagreement": 0.35}}), 10_000)
    assert seen == pytest.approx(0.35 + DISAGREEMENT_SLACK, abs=0.02)
    # a small canary is noisier: more room, shrinking as its sample grows
    small = disagreement_limit(policy, _rollout({"gate": {"disagreement": 0.35}}), 60)
    assert small > disagreement_limit(policy, _rollout({"gate": {"disagreement": 0.35}}), 600)
    assert small > seen
    assert disagreement_limit(policy, _rollout({"gate": {"disagreement": 0.97}})) == 1.0
    # drift grows the share with time: the newest held-out rows' share counts when larger
    newer = {"gate": {"disagreement": 0.24, "disagreement_newest": 0.33}}
    assert disagreement_limit(policy, _rollout(newer), 10_000) == pytest.approx(
        disagreement_limit(policy, _rollout({"gate": {"disagreement": 0.33}}), 10_000)
    )
    older = {"gate": {"disagreement": 0.33, "disagreement_newest": 0.24}}
    assert disagreement_limit(policy, _rollout(older), 600) == disagreement_limit(
        policy, _rollout({"gate": {"disagreement": 0.33}}), 600
    )


def test_a_proven_fix_is_not_rolled_back_for_disagreeing_but_a_wild_one_is() -> None:
    policy = Rollout(max_disagreement=0.2, min_requests=50)
    scope = SimpleNamespace(constraints=SimpleNamespace(p95_latency_ms=None))
    proven = _with_latency(policy, scope, _rollout({"gate": {"disagreement": 0.3}}), 60)
    live = CanaryStats(requests=60, errors=0, p95_ms=5.0, disagreement=0.33)
    assert canary_verdict(live, proven, 0.5).action in ("step", "promote")
    wild = CanaryStats(requests=60, errors=0, p95_ms=5.0, disagreement=0.6)
    (why,) = canary_verdict(wild, proven, 0.5).reasons
    assert canary_verdict(wild, proven, 0.5).action == "rollback" and "60.0%" in why
    unproven = _with_latency(policy, scope, _rollout({}), 60)
    assert canary_verdict(live, unproven, 0.5).action == "rollback"


def test_disagreeing_past_the_limit_is_no_fault_where_labels_show_the_challenger_right() -> None:
    """A fix for a decayed model may disagree with it on more rows than the gate saw (the
    traffic went on drifting): where labels came back for rows they disagree on and the
    challenger is right on significantly more of them (sign test), the limit is not breached;
    a challenger merely ahead by chance, or behind, is still rolled back."""
    policy = Rollout(max_disagreement=0.2, min_requests=50)
    wild = dict(requests=60, errors=0, p95_ms=5.0, disagreement=0.6)
    fixed = canary_verdict(CanaryStats(**wild, fixes=6, breaks=0), policy, 0.5)
    assert fixed.action == "promote"
    assert any("for the better" in r and "right on 6, production on 0" in r for r in fixed.reasons)
    for fixes, breaks in ((4, 2), (5, 1), (3, 3), (0, 6), (0, 0)):  # 5 of 6: p = 0.11
        v = canary_verdict(CanaryStats(**wild, fixes=fixes, breaks=breaks), policy, 0.5)
        assert v.action == "rollback" and "disagrees" in v.reasons[0], (fixes, breaks)
    assert canary_verdict(CanaryStats(**wild, fixes=9, breaks=1), policy, 0.5).action == "promote"


def test_the_canary_counts_who_is_right_where_the_versions_differ() -> None:
    """The canary's fixes and breaks are McNemar's discordant pairs (``gate.mcnemar``)."""
    from fullcycle.loop.gate import mcnemar

    truth = ["a", "b", "a", "b", "a", 1]
    theirs = ["a", "a", "b", "b", "b", "1"]  # the champion
    mine = ["b", "b", "a", "b", "c", 1.0]  # the challenger
    # row 0: only the champion; rows 1, 2: only the challenger; row 3: same answer; row 4:
    # both wrong; row 5: the same class spelled three ways, no disagreement
    pairs = mcnemar(truth, theirs, mine)
    assert (pairs.challenger_only, pairs.champion_only) == (2, 1)
