"""API errors the emulator can answer with.

Why: the store, the routes and the fault plan all need to say "this request fails with status S, key K,
message M" without knowing how a response is rendered. Each error is a small class carrying those three
values (plus optional metadata); `rendering.py` turns any of them into the documented wire shape
``{"key", "message", "status", "metadata"}``. Messages are built from field names and ids only, never from
request values, so a secret sent in a bad request cannot come back in an error body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class EmulatorError(Exception):
    """An error the emulated API reports to its caller.

    Subclasses fix the status and the default key; `status=` overrides the status for the one place that
    needs a free choice (the fault plan's "fail the next N requests with status S").
    """

    status: int = 500
    key: str = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        status: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if key is not None:
            self.key = key
        if status is not None:
            self.status = status
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The wire body shared by every error response."""
        return {"key": self.key, "message": self.message, "status": self.status, "metadata": self.metadata}


class Unauthorized(EmulatorError):
    status = 401
    key = "unauthorized"


class Forbidden(EmulatorError):
    status = 403
    key = "forbidden"


class NotFound(EmulatorError):
    status = 404
    key = "not_found"


class MethodNotAllowed(EmulatorError):
    status = 405
    key = "method_not_allowed"


class Conflict(EmulatorError):
    status = 409
    key = "conflict"


class PayloadTooLarge(EmulatorError):
    status = 413
    key = "payload_too_large"


class Unprocessable(EmulatorError):
    status = 422
    key = "unprocessable_entity"


class InternalError(EmulatorError):
    status = 500
    key = "internal_error"


INJECTED_KEYS = {
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


def injected_error(status: int, *, retry_after_s: int | None = None) -> EmulatorError:
    """The error the fault plan answers with; 429s carry a Retry-After header."""
    headers = {"Retry-After": str(retry_after_s)} if status == 429 and retry_after_s is not None else {}
    return EmulatorError(
        f"injected fault: HTTP {status}",
        key=INJECTED_KEYS.get(status, "injected_fault"),
        status=status,
        headers=headers,
    )
