"""The benchmark's ideal: the no-op floor plus the counted API calls, `--parallel` at a time; and the span
and concurrency of the API calls a command made, read from the emulator's journal."""

from __future__ import annotations

import pytest

from bench.measure import Sample, api_concurrency
from bench.report import ideal_extra, waves


@pytest.mark.parametrize(
    ("command", "calls", "expected"),
    [
        ("up", 100, 13),  # 100 POSTs, 8 at a time
        ("up", 8, 1),
        ("up", 9, 2),
        ("refresh", 2, 2),  # one list in the preview, one in the refresh: two rounds, one after the other
        ("refresh", 200, 26),  # a GET per organization in each of the two operations
        ("up --refresh", 1, 1),
        ("preview", 0, 0),
        ("destroy", None, 0),
    ],
)
def test_waves_group_the_calls_of_each_operation_by_parallel(
    command: str, calls: int | None, expected: int
) -> None:
    assert waves(command, calls, parallel=8) == expected


def test_the_ideal_adds_the_latency_once_per_wave() -> None:
    provider = [Sample(5.0, api_call_count=100), Sample(5.0, api_call_count=16)]
    assert [s.seconds for s in ideal_extra("up", provider, latency_ms=100, parallel=8)] == pytest.approx(
        [1.3, 0.2]
    )
    assert [s.seconds for s in ideal_extra("up", provider, latency_ms=0, parallel=8)] == [0.0, 0.0]


def _entry(at_ms: int, duration_ms: float) -> dict[str, object]:
    seconds, ms = divmod(at_ms, 1000)
    return {"time": f"2025-01-01T00:00:{seconds:02d}.{ms:03d}Z", "duration_ms": duration_ms}


def test_api_concurrency_is_the_span_and_the_most_requests_in_flight() -> None:
    # Two waves of two requests, 100 ms each: the second wave starts as the first one is answered.
    entries = [_entry(0, 100), _entry(0, 100), _entry(100, 100), _entry(100, 100)]
    span, peak = api_concurrency(entries)
    assert span == pytest.approx(0.2)
    assert peak == 2  # an answer and an arrival at the same instant do not overlap
    assert api_concurrency([]) == (None, None)
