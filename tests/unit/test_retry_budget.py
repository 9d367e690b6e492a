"""The retry budget is exact: no attempt starts after it, and a wait that would cross it ends the call.

The decision itself is tested with a fake clock, at the boundary (times that are exact binary fractions, so
the comparison is exact). The end-to-end tests wait for real (half a second each), since the budget is about
wall-clock time: stamina's testing mode, which the other retry tests use, turns every wait into zero. They
take the jitter out, so that the waits are known, and a real sleep ends a little after it was asked to (the
OS schedules the thread back late, more so on a busy 2-core machine), so they allow `SLEEP_OVERSHOOT`.
"""

from __future__ import annotations

import random
import time

import httpx
import pytest

from polytomic_provider.client import PolytomicClient
from polytomic_provider.config import Secret, Settings
from polytomic_provider.errors import RateLimited, ServerError
from polytomic_provider.retry import CallBudget
from tests.fake_clock import FakeClock

BUDGET = 1.0
SLEEP_OVERSHOOT = 0.1  # how late a real sleep may end on a loaded machine; not the code's to control


class Clocked:
    """A transport that answers from a list (the last answer repeats) and records when attempts started."""

    def __init__(self, *answers: tuple[int, dict[str, str]]) -> None:
        self.answers = answers
        self.started: list[float] = []
        self.t0 = time.monotonic()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.started.append(time.monotonic() - self.t0)
        status, headers = self.answers[min(len(self.started), len(self.answers)) - 1]
        body = {"data": {"id": "11111111-1111-4111-8111-111111111111", "name": "a"}}
        return httpx.Response(status, headers=headers, json=body if status == 200 else {"message": "busy"})


def client_for(transport: Clocked, attempts: int = 10) -> PolytomicClient:
    settings = Settings(
        partner_key=Secret("pk-test-budget"),
        deployment_url="https://api.test",
        max_attempts=attempts,
        retry_budget=BUDGET,
    )
    return PolytomicClient(settings, transport=httpx.MockTransport(transport))


def test_a_retry_after_beyond_the_budget_ends_the_call_at_once() -> None:
    transport = Clocked((429, {"Retry-After": "4"}))
    started = time.monotonic()
    with pytest.raises(RateLimited):
        client_for(transport).get_organization("x")
    assert len(transport.started) == 1, f"attempts started at {transport.started}"
    assert time.monotonic() - started < BUDGET


def test_no_attempt_starts_after_the_budget_with_exponential_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("polytomic_provider.client.RETRY_WAIT_JITTER", 0.0)  # waits of 0.5 s, then 1.0 s
    # (refused: it would end at 1.5 s)
    transport = Clocked((503, {}))
    client = client_for(transport)
    started = transport.t0 = time.monotonic()
    with pytest.raises(ServerError):
        client.get_organization("x")
    assert len(transport.started) == 2  # the first wait fits in the budget, the second would cross it
    assert all(at <= BUDGET + SLEEP_OVERSHOOT for at in transport.started), f"started at {transport.started}"
    assert time.monotonic() - started <= BUDGET + 0.25


def test_a_wait_that_ends_exactly_at_the_budget_is_taken_and_one_past_it_ends_the_call() -> None:
    failure = httpx.ConnectError("refused")
    clock = FakeClock(100.0)
    budget = CallBudget(budget=BUDGET, initial=0.5, maximum=10.0, jitter=0.0, clock=clock)
    assert budget(failure) == 0.5  # at 0 s: the next attempt would start at 0.5 s
    clock.now += 0.5
    assert budget(failure) is False  # 0.5 s spent, then 1.0 s: it would end at 1.5 s
    budget = CallBudget(budget=BUDGET, initial=0.5, maximum=10.0, jitter=0.0, clock=clock)
    clock.now += 0.5  # the first attempt took 0.5 s: a 0.5 s wait ends exactly at the budget
    assert budget(failure) == 0.5
    budget = CallBudget(budget=BUDGET, initial=0.5, maximum=10.0, jitter=0.0, clock=clock)
    clock.now += 0.5 + 2**-20  # a microsecond later, the same wait would cross it
    assert budget(failure) is False


def test_the_jitter_counts_against_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", lambda low, high: high)  # the largest jitter
    failure = httpx.ConnectError("refused")
    clock = FakeClock(100.0)
    budget = CallBudget(budget=BUDGET, initial=0.25, maximum=10.0, jitter=0.5, clock=clock)
    clock.now += 0.25  # 0.25 s spent + 0.25 s + 0.5 s of jitter: ends exactly at the budget
    assert budget(failure) == 0.75
    budget = CallBudget(budget=BUDGET, initial=0.25, maximum=10.0, jitter=0.5, clock=clock)
    clock.now += 0.25 + 2**-20  # without the jitter it would fit; with it, it crosses the budget
    assert budget(failure) is False


def test_a_retry_after_of_nan_is_waited_out_as_ordinary_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("polytomic_provider.client.RETRY_WAIT_JITTER", 0.0)  # a 0.5 s wait: within the budget
    transport = Clocked((429, {"Retry-After": "nan"}), (200, {}))
    assert client_for(transport).get_organization("x").name == "a"
    assert len(transport.started) == 2
