"""When and how long to retry a request: the policy, kept apart from the HTTP plumbing.

Idempotent calls (GET, PUT, DELETE) and POSTs that carry an Idempotency-Key are retried on connection
errors, timeouts, 408, 429 and 5xx, and on a 409 that reports the same Idempotency-Key still in flight.
`Retry-After` (seconds or an HTTP date) is honoured, capped; otherwise stamina's exponential backoff with
jitter applies. Every retry is bounded by a count and by a total time budget.
"""

from __future__ import annotations

import email.utils
import logging
import time
from dataclasses import dataclass

import httpx
from stamina.instrumentation import RetryDetails, set_on_retry_hooks

__all__ = [
    "MAX_RETRY_AFTER_SECONDS",
    "RETRYABLE_STATUSES",
    "RetryableResponse",
    "backoff_for",
    "install_retry_reporting",
    "retry_after",
]

RETRYABLE_STATUSES = frozenset({408, 429})  # and every 5xx but 501 (Not Implemented never changes)
MAX_RETRY_AFTER_SECONDS = 30.0


@dataclass
class RetryableResponse(Exception):
    """Raised inside an attempt so that stamina sees a retryable status as a failure."""

    response: httpx.Response

    def __str__(self) -> str:
        return f"HTTP {self.response.status_code}"


def retry_after(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait, from Retry-After (delta or HTTP date), capped."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def is_idempotency_in_flight(response: httpx.Response) -> bool:
    """A 409 that means "your earlier attempt with this key is still running", not a name conflict."""
    if response.status_code != 409:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    text = f"{body.get('key', '')} {body.get('message', '')}" if isinstance(body, dict) else ""
    return "idempotency" in text.lower()


def backoff_for(exc: Exception) -> bool | float:
    """stamina's `on` hook: False stops, True backs off exponentially, a number waits that long."""
    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, RetryableResponse):
        waited = retry_after(exc.response)
        return True if waited is None else waited
    return False


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
