"""The fault plan: which /api/ requests are slowed down, failed or dropped.

Why: clients must be tested against the failures a real network and a real API produce (slow answers,
5xx, 429 with Retry-After, connections that die before or after the server acted) without a real outage.
The plan is plain data, set with ``PUT /_emulator/faults`` (or ``--faults`` at start-up). It never applies
to ``/_emulator/`` routes.

For each matching request, in this order (the first that fires wins; latency always applies):

1. ``drop_before_next`` (one-shot counter): close the connection without handling the request.
2. ``fail_next`` (one-shot counter): answer ``fail_status`` (429s carry ``Retry-After``) without handling.
3. ``drop_before_rate``: like 1, with that probability.
4. ``error_rate``: answer 500 without handling.
5. ``rate_limit_rate``: answer 429 with ``Retry-After: retry_after_s`` without handling.
6. ``drop_after_next`` (one-shot) or ``drop_after_rate``: handle the request (commit the write, record the
   idempotency outcome) and then close the connection without sending the response.

Injected failures happen "in front of" the API, so they are never recorded as an idempotency outcome: a
retry with the same Idempotency-Key is handled normally. Rates draw from one ``random.Random``, seeded with
``seed`` (or ``--fault-seed``) for reproducible runs; a draw is made only for rates above zero.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .errors import EmulatorError, injected_error

Rate = Annotated[float, Field(ge=0.0, le=1.0)]
Count = Annotated[int, Field(ge=0)]
Method = Literal["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


class FaultPlan(BaseModel):
    """The JSON body of PUT /_emulator/faults. Omitted fields take these defaults (no faults)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: Annotated[int, Field(ge=0, le=60_000)] = 0
    error_rate: Rate = 0.0
    rate_limit_rate: Rate = 0.0
    retry_after_s: Annotated[int, Field(ge=0, le=3600)] = 1
    drop_before_rate: Rate = 0.0
    drop_after_rate: Rate = 0.0
    fail_next: Count = 0
    fail_status: Annotated[int, Field(ge=400, le=599)] = 500
    drop_before_next: Count = 0
    drop_after_next: Count = 0
    methods: list[Method] | None = Field(
        default=None, description="Only requests with these methods are affected; null means all."
    )
    seed: int | None = None


Action = Literal["drop_before", "fail", "drop_after"] | None


@dataclass(frozen=True)
class FaultDecision:
    """What happens to one request; `fault` is the name written to the journal."""

    latency_ms: int = 0
    action: Action = None
    fault: str | None = None
    error: EmulatorError | None = None


NO_FAULT = FaultDecision()


class FaultInjector:
    """Holds the current plan and its remaining one-shot counters; safe to use from any thread."""

    def __init__(self, *, seed: int | None = None, plan: FaultPlan | None = None) -> None:
        self._lock = threading.Lock()
        self._default_seed = seed
        self._rng = random.Random(seed)
        self._plan = FaultPlan()
        self._active = False
        self._counters: dict[str, int] = {}
        if plan is not None:
            self.set_plan(plan)

    def set_plan(self, plan: FaultPlan) -> None:
        """Replace the whole plan (fields left out go back to their defaults) and rearm the counters."""
        with self._lock:
            self._plan = plan
            self._active = plan != _EMPTY
            self._counters = {
                "fail_next": plan.fail_next,
                "drop_before_next": plan.drop_before_next,
                "drop_after_next": plan.drop_after_next,
            }
            if plan.seed is not None:
                self._rng = random.Random(plan.seed)

    def clear(self) -> None:
        with self._lock:
            self._plan = FaultPlan()
            self._active = False
            self._counters = {}
            self._rng = random.Random(self._default_seed)

    def describe(self) -> dict[str, Any]:
        """The plan with the one-shot counters as they stand now."""
        with self._lock:
            return {**self._plan.model_dump(), **self._counters}

    def decide(self, method: str) -> FaultDecision:
        with self._lock:
            plan = self._plan
            if not self._active or (plan.methods is not None and method not in plan.methods):
                return NO_FAULT
            latency = plan.latency_ms
            if self._take("drop_before_next") or self._roll(plan.drop_before_rate):
                return FaultDecision(latency, "drop_before", "drop_before")
            if self._take("fail_next"):
                error = injected_error(plan.fail_status, retry_after_s=plan.retry_after_s)
                return FaultDecision(latency, "fail", "fail_next", error)
            if self._roll(plan.error_rate):
                return FaultDecision(latency, "fail", "server_error", injected_error(500))
            if self._roll(plan.rate_limit_rate):
                error = injected_error(429, retry_after_s=plan.retry_after_s)
                return FaultDecision(latency, "fail", "rate_limit", error)
            if self._take("drop_after_next") or self._roll(plan.drop_after_rate):
                return FaultDecision(latency, "drop_after", "drop_after")
            return FaultDecision(latency, None, "latency" if latency else None)

    def _take(self, counter: str) -> bool:
        left = self._counters.get(counter, 0)
        if left <= 0:
            return False
        self._counters[counter] = left - 1
        return True

    def _roll(self, rate: float) -> bool:
        return rate > 0.0 and self._rng.random() < rate


_EMPTY = FaultPlan()
