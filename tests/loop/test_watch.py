"""The post-promotion watch judges the scope's rollback limits, each on its own."""

from fullcycle.loop.watch import Live, breaches
from fullcycle.scope import Rollback

LIMITS = Rollback(max_error_rate=0.02, max_metric_drop=0.05, max_p95_ms=100)


def test_a_healthy_promotion_stays() -> None:
    assert breaches(Live(1000, 5, 40.0, 0.90, 200), LIMITS, "accuracy", 0.92) == []


def test_an_error_rate_above_the_limit_rolls_back() -> None:
    (why,) = breaches(Live(1000, 30, 40.0, None, 0), LIMITS, "accuracy", 0.92)
    assert why == "error rate 0.030 above 0.02"


def test_a_slow_promotion_rolls_back() -> None:
    (why,) = breaches(Live(1000, 0, 250.0, None, 0), LIMITS, "accuracy", 0.92)
    assert why == "p95 latency 250.0 ms above 100.0 ms"


def test_a_metric_drop_rolls_back_in_the_metrics_direction() -> None:
    (why,) = breaches(Live(1000, 0, 40.0, 0.80, 200), LIMITS, "accuracy", 0.92)
    assert why.startswith("live accuracy 0.8000 is 0.1200 worse than 0.9200")
    # rmse: lower is better, so a rise is the drop
    assert breaches(Live(1000, 0, 40.0, 3.0, 200), LIMITS, "rmse", 2.0)
    assert breaches(Live(1000, 0, 40.0, 1.0, 200), LIMITS, "rmse", 2.0) == []


def test_too_few_labels_never_roll_back_on_the_metric() -> None:
    assert breaches(Live(1000, 0, 40.0, 0.10, 29), LIMITS, "accuracy", 0.92) == []
