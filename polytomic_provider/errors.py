"""Exceptions raised by the Polytomic client and provider.

Messages are built from names, fields, HTTP status and the API's own `message` only: never from request
headers, bodies or configuration values, so that no credential or `client_secret` can reach a CLI traceback.
What the API sends back is scrubbed of every secret we sent, in any encoding, before it gets here.
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "ConfigurationError",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PolytomicError",
    "RateLimited",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "Unprocessable",
    "api_error_for",
]


class PolytomicError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigurationError(PolytomicError):
    """The provider is missing a setting it needs, or a setting is malformed."""


class TransportError(PolytomicError):
    """No HTTP response arrived (connection refused or dropped, timeout), even after retrying."""

    def __init__(self, message: str, *, attempts: int = 1) -> None:
        super().__init__(message)
        self.attempts = attempts


class UnexpectedAnswer(PolytomicError):
    """A success status with a body that is not the API's (an HTML sign-in page, a bad gzip stream, JSON
    of another shape or nested beyond reason): something else answers at the deployment URL."""


class ApiError(PolytomicError):
    """The API answered with an error status."""

    def __init__(self, status: int, key: str | None, api_message: str, *, attempts: int = 1) -> None:
        self.status = status
        self.key = key
        self.api_message = api_message
        self.attempts = attempts
        super().__init__(self.describe())

    def describe(self) -> str:
        detail = self.api_message or self.key or "no message"
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"HTTP {self.status}: {detail}{tries}"


class Unauthorized(ApiError):
    """401: the key is missing, unknown or revoked."""


class Forbidden(ApiError):
    """403: the key is valid but not allowed to do this (e.g. not a partner key)."""


class NotFound(ApiError):
    """404: no organization with that id in this partner account."""


class Conflict(ApiError):
    """409: the name is taken, or a request with the same Idempotency-Key is still in flight."""


class Unprocessable(ApiError):
    """422: the API rejected the payload."""


class RateLimited(ApiError):
    """429: too many requests."""


class ServerError(ApiError):
    """5xx: the API failed."""


_BY_STATUS: dict[int, type[ApiError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: Unprocessable,
    429: RateLimited,
}


def api_error_for(status: int, key: str | None, api_message: str, *, attempts: int = 1) -> ApiError:
    """The most specific ApiError subclass for a status."""
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return cls(status, key, api_message, attempts=attempts)
