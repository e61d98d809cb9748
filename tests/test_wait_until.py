"""fullcycle.testing.wait_until: the one way tests wait on a condition."""

from __future__ import annotations

import threading

import pytest

from fullcycle.testing import wait_until


def test_wait_until_returns_the_first_truthy_value_once_another_thread_sets_it() -> None:
    box: list[int] = []
    ready = threading.Event()
    threading.Thread(target=lambda: (ready.wait(5), box.append(7))).start()
    ready.set()
    assert wait_until(lambda: box and box[0], timeout=10, interval=0.01) == 7


def test_wait_until_names_the_condition_and_the_last_error_on_timeout() -> None:
    def flaky() -> bool:
        raise ConnectionError("refused")

    with pytest.raises(TimeoutError, match=r"the server to be ready.*ConnectionError: refused"):
        wait_until(flaky, timeout=0.2, interval=0.01, what="the server to be ready")


def test_wait_until_fails_at_once_on_an_assertion_in_the_predicate() -> None:
    calls: list[int] = []

    def dead() -> bool:
        calls.append(1)
        raise AssertionError("server exited with 1")

    with pytest.raises(AssertionError, match="server exited"):
        wait_until(dead, timeout=30, interval=0.01)
    assert calls == [1]
