"""Waiting in tests: on a condition with a deadline, never a fixed sleep that hopes something
has happened by then. ``let_time_pass`` is for the few places where time passing is itself
the point (a frame rate, a callback made slow on purpose, an age limit); it says why.

Kept free of ROS imports so that any test can use it."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")

POLL_S = 0.01


def poll(predicate: Callable[[], T], timeout: float, interval: float = POLL_S) -> T:
    """Call ``predicate`` until it returns something truthy or ``timeout`` seconds have passed;
    return its last answer (so falsy on a timeout). For retry loops; tests use ``wait_for``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def wait_for(predicate: Callable[[], T], timeout: float, what: str,
             detail: Callable[[], str] | None = None, interval: float = POLL_S) -> T:
    """The first truthy answer of ``predicate`` within ``timeout`` seconds; otherwise an
    AssertionError naming ``what`` did not happen (and ``detail()``, when given)."""
    value = poll(predicate, timeout, interval)
    if not value:
        message = f"timed out after {timeout:g} s waiting for {what}"
        if detail is not None:
            message += f"; {detail()}"
        raise AssertionError(message)
    return value


def let_time_pass(seconds: float, why: str) -> None:
    """Sleep where the passing of time is part of what is tested, not a wait for an event:
    ``why`` says what the time is for; it is there for the reader, the call only sleeps."""
    time.sleep(seconds)
