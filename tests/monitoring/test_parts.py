"""A window's confidence comes from classifiers' probabilities only: a regression model's logged
numbers (a realdata run crashed the monitor on them) mean no confidence, never an error."""

from fullcycle.monitoring.parts import confidence


def test_confidence_is_the_top_class_probability_of_every_row() -> None:
    assert confidence([[0.2, 0.8], [0.6, 0.4]]) == [0.8, 0.6]


def test_rows_without_class_probabilities_give_no_confidence() -> None:
    assert confidence([151.2, 98.0]) is None  # a regression model's answers
    assert confidence([[0.3, 0.7], None]) is None
    assert confidence([[], [0.5, 0.5]]) is None
    assert confidence([]) is None
