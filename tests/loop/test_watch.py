"""The post-promotion watch judges the scope's rollback limits, each on its own, and holds the
promoted version to the version it replaced on the same rows, never to an offline evaluation
that a drifting world has left behind."""

from fullcycle.loop.watch import Live, breaches
from fullcycle.scope import Rollback

LIMITS = Rollback(max_error_rate=0.02, max_metric_drop=0.05, max_p95_ms=100)


def live(**changes: object) -> Live:
    base = dict(requests=1000, errors=0, p95_ms=40.0, metric=0.90, labelled=200,
                previous_metric=0.88, significantly_worse=False, previous_p95_ms=40.0)  # fmt: skip
    return Live(**{**base, **changes})  # type: ignore[arg-type]


def test_a_healthy_promotion_stays() -> None:
    assert breaches(live(errors=5), LIMITS, "accuracy") == []


def test_an_error_rate_above_the_limit_rolls_back() -> None:
    (why,) = breaches(live(errors=30, metric=None, labelled=0), LIMITS, "accuracy")
    assert why == "error rate 0.030 above 0.02"


def test_a_slow_promotion_rolls_back_unless_the_previous_version_was_about_as_slow() -> None:
    (why,) = breaches(live(p95_ms=250.0), LIMITS, "accuracy")
    assert why.startswith("p95 latency 250.0 ms above 100.0 ms")
    assert breaches(live(p95_ms=250.0, previous_p95_ms=180.0), LIMITS, "accuracy") == []
    # the demo's busy machine: 117 ms against a 100 ms limit, the old version at 95 ms before
    assert breaches(live(p95_ms=117.0, previous_p95_ms=95.0), LIMITS, "accuracy") == []
    (why,) = breaches(live(p95_ms=160.0, previous_p95_ms=95.0), LIMITS, "accuracy")
    assert why == "p95 latency 160.0 ms above 100.0 ms; 95.0 ms for the previous version before"


def test_a_significant_drop_against_the_previous_version_rolls_back_in_the_metrics_direction():
    worse = live(metric=0.80, previous_metric=0.92, significantly_worse=True)
    (why,) = breaches(worse, LIMITS, "accuracy")
    assert why.startswith("live accuracy 0.8000 is 0.1200 worse than the previous version's 0.9200")
    # rmse: lower is better, so a rise is the drop
    assert breaches(live(metric=3.0, previous_metric=2.0, significantly_worse=True), LIMITS, "rmse")
    better = live(metric=1.0, previous_metric=2.0, significantly_worse=False)
    assert breaches(better, LIMITS, "rmse") == []


def test_a_live_metric_below_the_offline_evaluation_is_no_reason_when_the_old_one_is_worse():
    # the drifting world: both below their evaluation (~0.96), the new one still the better
    assert breaches(live(metric=0.83, previous_metric=0.78), LIMITS, "f1_macro") == []


def test_a_drop_within_the_noise_or_the_margin_never_rolls_back() -> None:
    assert breaches(live(metric=0.80, previous_metric=0.92), LIMITS, "accuracy") == []
    small = live(metric=0.90, previous_metric=0.92, significantly_worse=True)
    assert breaches(small, LIMITS, "accuracy") == []


def test_too_few_labels_never_roll_back_on_the_metric() -> None:
    few = live(metric=0.10, previous_metric=0.92, labelled=29, significantly_worse=True)
    assert breaches(few, LIMITS, "accuracy") == []


def test_on_cost_a_significantly_dearer_version_rolls_back() -> None:
    dear = live(metric=300.0, previous_metric=120.0, significantly_worse=True, compared_on="cost")
    (why,) = breaches(dear, LIMITS, "f1_macro")
    assert why.startswith("live cost 300.0 per 1,000 above the previous version's 120.0")
