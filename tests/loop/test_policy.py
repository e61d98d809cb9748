from fullcycle.loop.policy import CanaryStats, Observations, canary_verdict, next_step
from fullcycle.scope import Guards, Retraining, Rollout, Thresholds

NOW = 1_000_000.0


def obs(**kw: object) -> Observations:
    base = dict(now=NOW, goal=0.9, evaluation_metric=0.93, report_rows=1000)
    base.update(kw)
    return Observations(**base)  # type: ignore[arg-type]


RETRAIN = Retraining(min_new_labels=300, guards=Guards(min_interval=3600, max_per_day=3))
TH = Thresholds(metric_drop=0.05)


def test_healthy_production_takes_no_action_and_says_why() -> None:
    d = next_step(obs(drift=False, live_metric=0.92, live_rows=400), RETRAIN, TH)
    assert d.action == "none" and d.reasons == ["no trigger fired (healthy)"]


def test_too_little_data_is_never_an_alarm() -> None:
    d = next_step(obs(drift=None, live_metric=None), RETRAIN, TH)
    assert d.action == "none" and "insufficient data" in d.reasons[0]


def test_decay_without_labels_queues_rows_then_waits_for_them() -> None:
    decayed = obs(drift=True, drifted_features=("query",), live_metric=0.71, live_rows=250)
    d = next_step(decayed, RETRAIN, TH)
    assert d.action == "queue_labels" and d.numbers["budget"] == 300
    assert any("below the goal" in t for t in d.triggers) and any("query" in t for t in d.triggers)
    waiting = next_step(
        obs(drift=True, live_metric=0.71, open_label_tasks=300, new_labels=120), RETRAIN, TH
    )
    assert waiting.action == "wait_labels" and "120 of 300" in waiting.reasons[0]


def test_enough_labels_and_a_trigger_retrain() -> None:
    d = next_step(obs(drift=True, live_metric=0.8, new_labels=350), RETRAIN, TH)
    assert d.action == "retrain" and d.triggers


def test_a_drop_from_evaluation_fires_even_above_the_goal() -> None:
    d = next_step(obs(goal=0.8, live_metric=0.86, new_labels=500), RETRAIN, TH)
    assert d.action == "retrain" and "dropped more than 0.05" in d.triggers[0]


def test_the_label_free_estimate_fires_when_no_labels_arrived() -> None:
    d = next_step(obs(estimate=0.8, new_labels=500), RETRAIN, TH)
    assert d.action == "retrain" and "estimated" in d.triggers[0]


HURT = dict(drift=True, live_metric=0.8, new_labels=900)


def test_guards_hold_back_retrains() -> None:
    recent = next_step(obs(**HURT, last_retrain_at=NOW - 60), RETRAIN, TH)
    assert recent.action == "none" and "too recent" in recent.reasons[0]
    many = next_step(obs(**HURT, retrains_last_day=3), RETRAIN, TH)
    assert many.action == "none" and "3 retrains" in many.reasons[0]
    busy = next_step(obs(**HURT, retrain_running=True), RETRAIN, TH)
    assert busy.action == "wait"
    rolling = next_step(obs(**HURT, rollout_active=True), RETRAIN, TH)
    assert rolling.action == "analyse_rollout"


ROLLOUT = Rollout(
    min_requests=200,
    max_error_rate=0.01,
    max_disagreement=0.5,
    canary_share=0.1,
    steps=[0.1, 0.5, 1.0],
    max_p95_ms=50,
)


def stats(**kw: object) -> CanaryStats:
    base = dict(
        requests=400,
        errors=0,
        p95_ms=12.0,
        disagreement=0.2,
        labelled=80,
        challenger_metric=0.9,
        champion_metric=0.7,
    )
    base.update(kw)
    return CanaryStats(**base)  # type: ignore[arg-type]


def test_no_canary_decision_below_the_minimum_sample() -> None:
    v = canary_verdict(stats(requests=150, errors=100), ROLLOUT, share=0.1)
    assert v.action == "extend" and "inconclusive, extending: 150 of 200" in v.reasons[0]


def test_a_good_canary_steps_up_then_promotes() -> None:
    assert canary_verdict(stats(), ROLLOUT, share=0.1).action == "step"
    assert canary_verdict(stats(), ROLLOUT, share=0.1).numbers["next_share"] == 0.5
    assert canary_verdict(stats(), ROLLOUT, share=0.5).action == "promote"


def test_each_breached_limit_rolls_back_with_its_reason() -> None:
    cases = {
        "error rate": stats(errors=20),
        "p95 latency": stats(p95_ms=80.0),
        "disagrees with production": stats(disagreement=0.9),
        "below production's": stats(challenger_metric=0.6, champion_metric=0.7),
    }
    for reason, s in cases.items():
        v = canary_verdict(s, ROLLOUT, share=0.1)
        assert v.action == "rollback" and reason in " ".join(v.reasons), reason


def test_too_few_labels_do_not_decide_on_live_metric() -> None:
    v = canary_verdict(stats(labelled=5, challenger_metric=0.1, champion_metric=0.9), ROLLOUT, 0.5)
    assert v.action == "promote"


def test_a_worse_live_metric_within_the_noise_does_not_roll_back() -> None:
    noisy = stats(challenger_metric=0.86, champion_metric=0.88, significantly_worse=False)
    extended = canary_verdict(noisy, ROLLOUT, share=0.5)
    assert extended.action == "extend" and "within the noise" in extended.reasons[0]
    long = stats(
        requests=600, challenger_metric=0.86, champion_metric=0.88, significantly_worse=False
    )
    assert canary_verdict(long, ROLLOUT, share=0.5).action == "rollback"
    ahead = stats(challenger_metric=0.9, champion_metric=0.88, significantly_worse=False)
    assert canary_verdict(ahead, ROLLOUT, share=0.5).action == "promote"
    sure = stats(challenger_metric=0.6, champion_metric=0.88, significantly_worse=True)
    v = canary_verdict(sure, ROLLOUT, share=0.5)
    assert v.action == "rollback" and "paired bootstrap" in v.reasons[0]


def test_drift_alone_never_retrains_drift_with_a_drop_does() -> None:
    unhurt = obs(drift=True, drifted_features=("x",), live_metric=0.93, live_low=0.9,
                 live_high=0.96, new_labels=900)  # fmt: skip
    assert next_step(unhurt, RETRAIN, TH).action == "none"
    no_labels = obs(drift=True, drifted_features=("x",), new_labels=900)
    assert next_step(no_labels, RETRAIN, TH).action == "none"
    estimated = obs(drift=True, drifted_features=("x",), estimate=0.8, new_labels=900)
    d = next_step(estimated, RETRAIN, TH)
    assert d.action == "retrain"
    assert any("x" in t and "assumes no concept drift" in t for t in d.triggers)


def test_the_direction_of_the_metric_is_respected_for_error_metrics() -> None:
    # rmse: lower is better; 2.0 at evaluation, 3.5 live is a drop, 1.5 live is not
    base = dict(goal=None, evaluation_metric=2.0, greater_is_better=False, new_labels=900)
    worse = obs(drift=True, live_metric=3.5, live_low=3.2, live_high=3.8, **base)
    assert next_step(worse, RETRAIN, TH).action == "retrain"
    better = obs(drift=True, live_metric=1.5, live_low=1.2, live_high=1.8, **base)
    assert next_step(better, RETRAIN, TH).action == "none"


def test_refused_challengers_in_a_row_back_the_retrains_off() -> None:
    decayed = dict(drift=True, live_metric=0.8, new_labels=900, last_retrain_at=NOW - 5000)
    assert next_step(obs(**decayed), RETRAIN, TH).action == "retrain"
    held = next_step(obs(**decayed, refusals_in_a_row=2), RETRAIN, TH)  # 4 x 3600 s now
    assert held.action == "none" and "2 refused in a row" in held.reasons[0]


def test_a_live_metric_below_the_goal_by_chance_on_few_rows_fires_nothing() -> None:
    # 32 labelled rows at 0.85 with an interval reaching 0.97: not evidence of decay
    noisy = dict(live_metric=0.85, live_low=0.70, live_high=0.97, live_rows=32, new_labels=500)
    assert next_step(obs(drift=False, **noisy), RETRAIN, TH).action == "none"
    # the world may be moving (drift flagged, or undecided): buy the evidence, do not retrain
    for drift in (True, None):
        audit = next_step(obs(drift=drift, **noisy), RETRAIN, TH)
        assert audit.action == "queue_labels" and audit.numbers["audit"], drift
    sure = obs(live_metric=0.80, live_low=0.76, live_high=0.84, live_rows=600, new_labels=500)
    d = next_step(sure, RETRAIN, TH)
    assert d.action == "retrain" and "interval clear of the goal" in d.triggers[0]
    # an error metric: lower is better, so the interval's low edge must clear the goal
    rmse = obs(goal=1.0, evaluation_metric=0.9, greater_is_better=False, new_labels=500,
               drift=False, live_metric=1.3, live_low=0.8, live_high=1.8, live_rows=30)  # fmt: skip
    assert next_step(rmse, RETRAIN, TH).action == "none"


def test_a_slow_machine_is_not_a_slow_challenger() -> None:
    # production answered the same traffic at the same time as slowly: the machine, not the model
    busy = stats(p95_ms=80.0, champion_p95_ms=75.0)
    assert canary_verdict(busy, ROLLOUT, share=0.1).action != "rollback"
    # clearly slower than production, or production within the limit: the challenger is slow
    for slower in (
        stats(p95_ms=80.0, champion_p95_ms=50.0),
        stats(p95_ms=80.0, champion_p95_ms=20.0),
    ):
        v = canary_verdict(slower, ROLLOUT, share=0.1)
        assert v.action == "rollback" and "p95 latency" in " ".join(v.reasons)


def test_an_undecided_gate_asks_for_its_estimate_up_to_four_times_its_rows() -> None:
    from fullcycle.loop.policy import pending_budget

    assert pending_budget(80, 288, 0) == 208  # a modest estimate is asked for whole
    assert pending_budget(64, 115_480, 0) == 192  # a gain near zero: four times the rows at most
    assert pending_budget(400, 594, 150) == 44  # less what is queued already
    assert pending_budget(400, 594, 500) == 0


def test_a_champion_its_gate_measured_short_of_the_goal_is_not_waited_on() -> None:
    """Just promoted: too few live labels of its own to judge, but the gate scored it on
    held-out labelled rows it never saw, and it missed the goal there."""
    short = obs(drift=None, live_metric=None, gate_metric=0.71, gate_rows=211, new_labels=350)
    d = next_step(short, RETRAIN, TH)
    assert d.action == "retrain"
    assert d.triggers == [
        "the champion's 0.7100 on the 211 held-out rows of its gate misses the goal 0.9000 "
        "(too few live labels of its own yet)"
    ]
    met = next_step(
        obs(drift=None, live_metric=None, gate_metric=0.91, new_labels=350), RETRAIN, TH
    )
    assert met.action == "none"
    # its own live metric, once there is enough of it, speaks instead
    live = obs(drift=False, live_metric=0.92, live_rows=400, gate_metric=0.71, new_labels=350)
    assert next_step(live, RETRAIN, TH).action == "none"
    # lower is better (rmse): the same reading in the metric's direction
    rmse = obs(goal=10.0, evaluation_metric=9.0, greater_is_better=False, live_metric=None,
               gate_metric=12.5, gate_rows=80, new_labels=350)  # fmt: skip
    assert next_step(rmse, RETRAIN, TH).action == "retrain"
