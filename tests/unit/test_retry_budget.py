"""The retry budget is exact: no attempt starts after it, and a wait that would cross it ends the call.

These tests wait for real (about a second each), since the budget is about wall-clock time: stamina's
testing mode, which the other retry tests use, turns every wait into zero.
"""

from __future__ import annotations

import time

import httpx
import pytest

from polytomic_provider.client import PolytomicClient
from polytomic_provider.config import Secret, Settings
from polytomic_provider.errors import RateLimited, ServerError

BUDGET = 1.0


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


def test_no_attempt_starts_after_the_budget_with_exponential_backoff() -> None:
    transport = Clocked((503, {}))
    started = time.monotonic()
    with pytest.raises(ServerError):
        client_for(transport).get_organization("x")
    assert len(transport.started) >= 2  # the first wait (0.5-1.0 s) fits in the budget
    assert all(at <= BUDGET for at in transport.started), f"attempts started at {transport.started}"
    assert time.monotonic() - started <= BUDGET + 0.25


def test_a_retry_after_of_nan_is_waited_out_as_ordinary_backoff() -> None:
    transport = Clocked((429, {"Retry-After": "nan"}), (200, {}))
    assert client_for(transport).get_organization("x").name == "a"
    assert len(transport.started) == 2
