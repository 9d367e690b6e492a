"""The check every emulator test makes of an error answer: its status and the documented error body."""

from __future__ import annotations

from typing import Any

ERROR_FIELDS = {"key", "message", "status", "metadata"}


def assert_error(response: Any, status: int, key: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_FIELDS
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["metadata"], dict)
    if key is not None:
        assert body["key"] == key
    return body
