"""The request journal: one redacted entry per /api/ request, for tests to inspect.

Why: tests need to see what a client actually sent (headers, body, Idempotency-Key, retries) and what the
emulator did with it (status, injected fault), without the journal becoming a place where credentials
leak. Redaction therefore happens when an entry is written, not when it is read:

- header names are lower-cased; ``authorization`` keeps only its scheme (``"Bearer <redacted>"``);
  ``x-emulator-admin-token``, ``cookie`` and ``proxy-authorization`` are replaced whole;
- a JSON body is stored parsed, with the value of every ``client_secret`` key replaced by ``"<redacted>"``
  (a ``null`` stays ``null``), so a test can still see that the field was sent;
- a body that is not JSON is stored as text, with ``"client_secret": "..."`` pairs redacted;
- finally every known secret (partner key, API keys, admin token, and every client_secret seen so far of
  at least `MIN_LITERAL_SECRET` characters) is replaced wherever it appears: path, query, headers, body.

The journal keeps the last `capacity` entries in memory (it does not survive a restart). ``seq`` keeps
counting across ``clear()`` so that a reader can ask for entries after a given seq.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

REDACTED = "<redacted>"
#: Client secrets shorter than this are redacted only where they appear as a ``client_secret`` value;
#: replacing them everywhere would mangle unrelated text.
MIN_LITERAL_SECRET = 4
_WHOLE_HEADER_SECRETS = frozenset({"x-emulator-admin-token", "cookie", "proxy-authorization"})
_SECRET_PAIR = re.compile(r'("client_secret"\s*:\s*)"(?:[^"\\]|\\.)*"')


@dataclass(frozen=True)
class RequestFacts:
    """What the API pipeline knows about one finished /api/ request."""

    method: str
    path: str
    query: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    status: int | None
    fault: str | None
    latency_ms: int
    replayed: bool
    error_key: str | None
    duration_ms: float
    started_at: float


class Journal:
    """A bounded, thread-safe list of redacted request entries."""

    def __init__(self, *, capacity: int, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._seq = 0
        self._credentials = {secret for secret in secrets if secret}
        self._client_secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._rebuild()

    def remember_client_secrets(self, secrets: Iterable[str | None]) -> None:
        """Add client_secret values (from the store or a request) to the set redacted everywhere."""
        wanted = {s for s in secrets if s and len(s) >= MIN_LITERAL_SECRET}
        with self._lock:
            if not wanted <= self._client_secrets:
                self._client_secrets |= wanted
                self._rebuild()

    def _rebuild(self) -> None:
        secrets = sorted(self._credentials | self._client_secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, secrets))) if secrets else None

    def record(self, facts: RequestFacts) -> dict[str, Any]:
        body = _parse_body(facts.body)
        self.remember_client_secrets(_client_secrets_in(body))
        with self._lock:
            pattern = self._pattern
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(facts.started_at, UTC).isoformat(timespec="milliseconds")[:-6]
            + "Z",
            "method": facts.method,
            "path": _scrub(facts.path, pattern),
            "query": _scrub(facts.query, pattern),
            "status": facts.status,
            "fault": facts.fault,
            "latency_ms": facts.latency_ms,
            "replayed": facts.replayed,
            "error_key": facts.error_key,
            "duration_ms": round(facts.duration_ms, 3),
            "headers": _headers(facts.headers, pattern),
            "body": _redact_body(body, pattern),
        }
        with self._lock:
            self._seq += 1
            entry = {"seq": self._seq, **entry}
            self._entries.append(entry)
        return entry

    def entries(self, *, since: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [entry for entry in self._entries if entry["seq"] > since]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class _Text(str):
    """A body that was not JSON, kept as text."""


def _parse_body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _Text(raw.decode("utf-8", errors="replace"))


def _client_secrets_in(body: Any) -> list[str]:
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "client_secret" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_client_secrets_in(value))
    elif isinstance(body, list):
        for item in body:
            found.extend(_client_secrets_in(item))
    return found


def _redact_body(body: Any, pattern: re.Pattern[str] | None) -> Any:
    if isinstance(body, _Text):
        return _scrub(_SECRET_PAIR.sub(rf'\1"{REDACTED}"', body), pattern)
    return _redact_json(body, pattern)


def _redact_json(value: Any, pattern: re.Pattern[str] | None) -> Any:
    if isinstance(value, dict):
        return {
            _scrub(str(key), pattern): (
                REDACTED
                if key == "client_secret" and value[key] is not None
                else _redact_json(value[key], pattern)
            )
            for key in value
        }
    if isinstance(value, list):
        return [_redact_json(item, pattern) for item in value]
    if isinstance(value, str):
        return _scrub(value, pattern)
    return value


def _headers(raw: list[tuple[bytes, bytes]], pattern: re.Pattern[str] | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name == "authorization":
            scheme, _, credential = value.partition(" ")
            value = f"{scheme} {REDACTED}" if credential else REDACTED
        elif name in _WHOLE_HEADER_SECRETS:
            value = REDACTED
        value = _scrub(value, pattern)
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _scrub(text: str, pattern: re.Pattern[str] | None) -> str:
    return text if pattern is None or not text else pattern.sub(REDACTED, text)
