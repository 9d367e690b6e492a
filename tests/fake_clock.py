"""A clock the test sets, for code that takes its clock as a callable (the retry budget, the read
snapshot, the emulator's idempotency expiry and journal timestamps). It imports nothing of ours, so every
suite may use it."""

from __future__ import annotations


class FakeClock:
    """Reads `now`; moved only by the test (`advance`, or `now` set directly)."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
