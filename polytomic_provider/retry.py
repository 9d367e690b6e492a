"""When and how long to retry a request: the policy, kept apart from the HTTP plumbing.

Idempotent calls (GET, PUT, DELETE) and POSTs that carry an Idempotency-Key are retried on connection
errors, timeouts, 408, 429 and 5xx, and on a 409 that reports the same Idempotency-Key still in flight.
Failures that repeat identically are not retried: a TLS handshake with a server that does not speak TLS or
presents a bad certificate, a header value the HTTP library refuses to send, a URL scheme it cannot speak.
`Retry-After` (seconds or an HTTP date) is honoured, capped; otherwise exponential backoff with jitter.

Every call is bounded by a count of attempts and by a time budget, and the budget is exact: no attempt
starts after it. `CallBudget` decides each wait itself, so it knows whether the wait would cross the budget;
if so, the call ends there with the last failure. stamina runs the loop and reports each retry.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from stamina.instrumentation import RetryDetails, set_on_retry_hooks

__all__ = [
    "MAX_RETRY_AFTER_SECONDS",
    "RETRYABLE_STATUSES",
    "CallBudget",
    "RetryableResponse",
    "backoff_for",
    "install_retry_reporting",
    "is_tls_failure",
    "json_body",
    "retry_after",
]

RETRYABLE_STATUSES = frozenset({408, 429})  # and every 5xx but 501 (Not Implemented never changes)
MAX_RETRY_AFTER_SECONDS = 30.0
# Transport failures that a second attempt would only repeat.
_DETERMINISTIC = (httpx.LocalProtocolError, httpx.UnsupportedProtocol)


@dataclass
class RetryableResponse(Exception):
    """Raised inside an attempt so that stamina sees a retryable status as a failure."""

    response: httpx.Response

    def __str__(self) -> str:
        return f"HTTP {self.response.status_code}"


def retry_after(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait, from Retry-After (delta or HTTP date), within
    [0, MAX_RETRY_AFTER_SECONDS]; None when absent or unusable (`nan`, `inf`, garbage)."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
            seconds = when.timestamp() - (time.time() if now is None else now)
        except (TypeError, ValueError, IndexError, OverflowError, OSError):
            return None
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def json_body(response: httpx.Response) -> Any:
    """The parsed body, or None when it is not JSON (too deeply nested counts as not JSON)."""
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def is_idempotency_in_flight(response: httpx.Response) -> bool:
    """A 409 that means "your earlier attempt with this key is still running", not a name conflict."""
    if response.status_code != 409:
        return False
    body = json_body(response)
    text = f"{body.get('key', '')} {body.get('message', '')}" if isinstance(body, dict) else ""
    return "idempotency" in text.lower()


def is_tls_failure(exc: BaseException) -> bool:
    """Whether the TLS layer failed (wrong scheme for the server, bad certificate): retrying cannot help."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ssl.SSLError):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def backoff_for(exc: Exception) -> bool | float:
    """Whether a failure is worth another attempt: False stops, True backs off exponentially, a number is
    the wait the server asked for."""
    if isinstance(exc, _DETERMINISTIC) or is_tls_failure(exc):
        return False
    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, RetryableResponse):
        waited = retry_after(exc.response)
        return True if waited is None else waited
    return False


@dataclass
class CallBudget:
    """stamina's `on` hook for one API call: decides each wait, and ends the call rather than start an
    attempt after `budget` seconds.

    The wait is the server's Retry-After when given, else `initial * 2**(n-1)` plus up to `jitter`, at
    most `maximum`. If the time spent so far plus that wait exceeds the budget, the hook answers False and
    the last failure becomes the call's error.
    """

    budget: float
    initial: float
    maximum: float
    jitter: float
    clock: Callable[[], float] = time.monotonic
    started: float = field(init=False)
    failures: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def __call__(self, exc: Exception) -> bool | float:
        verdict = backoff_for(exc)
        if verdict is False:
            return False
        self.failures += 1
        wait = self._exponential() if verdict is True else float(verdict)
        if self.clock() - self.started + wait > self.budget:
            return False
        return wait

    def _exponential(self) -> float:
        jitter = random.uniform(0, self.jitter) if self.jitter else 0.0  # timing, not security
        return min(self.maximum, self.initial * 2.0 ** (self.failures - 1) + jitter)


def should_retry(response: httpx.Response) -> bool:
    status = response.status_code
    transient = status in RETRYABLE_STATUSES or (status >= 500 and status != 501)
    return transient or is_idempotency_in_flight(response)


_log = logging.getLogger("polytomic_provider.retry")


def describe_retry(details: RetryDetails) -> str:
    """One line a person can act on: which call, which attempt failed, why, and how long we wait."""
    cause = details.caused_by
    request = _request_of(cause)
    call = f"{request.method} {request.url.path}" if request is not None else "request"
    reason = str(cause) if isinstance(cause, RetryableResponse) else type(cause).__name__
    wait = f"{details.wait_for:.1f} s"
    return f"polytomic: {call}: attempt {details.retry_num} failed ({reason}); retrying in {wait}"


def _request_of(cause: Exception) -> httpx.Request | None:
    if isinstance(cause, RetryableResponse):
        return cause.response.request
    try:
        return cause.request if isinstance(cause, httpx.RequestError) else None
    except RuntimeError:  # httpx raises when the error was never tied to a request
        return None


def _report_retry(details: RetryDetails) -> None:
    _log.warning(describe_retry(details))


def install_retry_reporting() -> None:
    """Report retries as plain lines on stderr (Pulumi shows them) instead of stamina's bare event names."""
    set_on_retry_hooks([_report_retry])
