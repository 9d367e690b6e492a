"""The ASGI layer every request passes through before (and after) the Starlette app.

Why a module of its own: faults, the journal and the version header must see each /api/ request whole,
including requests the app never handles (413, injected errors, dropped connections), so they are applied
around the app rather than inside the routes. The routes take only one thing from here: the per-request
`RequestContext`, through which an idempotent write owes the plan's latency after claiming its key.
A request whose client went away before its body was complete is journaled (fault `client_aborted`, or
`body_timeout` when the server closed the connection because the body took too long) and never handled, as
a real server never hands a cut-off body to its application.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import traceback
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import EmulatorError, InternalError, PayloadTooLarge
from .faults import NO_FAULT
from .journal import RequestFacts
from .rendering import error_response
from .state import Emulator

logger = logging.getLogger("polytomic_emulator")

#: Scope extension through which the server (server.py) lets the app close the TCP connection.
ABORT_EXTENSION = "polytomic_emulator.abort"
#: Scope extension through which the server tells whether the request's body timed out (server.py).
BODY_TIMEOUT_EXTENSION = "polytomic_emulator.body_deadline"
#: Scope extension through which the app tells the server that a request showed a valid credential, so
#: that its connection no longer counts against the cap on unauthenticated ones (server.py).
TRUST_EXTENSION = "polytomic_emulator.trust"
MAX_BODY_BYTES = 1024 * 1024
_CONTEXT = "polytomic_emulator.context"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ConnectionDropped(Exception):
    """Raised instead of dropping when the server offers no way to close the connection (e.g. TestClient)."""


def is_api_path(path: str) -> bool:
    """Whether a path belongs to the public API (authenticated, faulted, journaled)."""
    return path == "/api" or path.startswith("/api/")


class RequestContext:
    """Per-request state shared between the pipeline and the routes: the latency still owed."""

    def __init__(self, latency_ms: int) -> None:
        self._latency_ms = latency_ms

    async def pause(self) -> None:
        """Sleep the plan's latency, once per request, wherever it is first asked for."""
        delay, self._latency_ms = self._latency_ms, 0
        if delay:
            await asyncio.sleep(delay / 1000)


def request_context(request: Request) -> RequestContext:
    """The context the pipeline put in the scope, or one owing nothing if the request bypassed it."""
    context = request.scope.get(_CONTEXT)
    return context if isinstance(context, RequestContext) else RequestContext(0)


@dataclass
class _Outcome:
    """The response the app produced for one /api/ request, held back until faults have had their say."""

    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)

    def set_error(self, error: EmulatorError) -> None:
        response = error_response(error)
        self.status, self.headers, self.body = (
            response.status_code,
            list(response.raw_headers),
            bytearray(response.body),
        )


class ApiPipeline:
    """Pure ASGI middleware around every request.

    For all requests it adds ``X-Polytomic-Version``. For /api/ requests it also reads the whole body,
    asks the fault plan what to do, runs the app (or not), owes the plan's latency, drops the connection
    or sends the buffered response, and writes one journal entry.
    """

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self._emulator = emulator
        self._default_version = emulator.settings.default_api_version.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        version = self._default_version
        for name, value in scope["headers"]:
            if name == b"x-polytomic-version":
                version = value
                break
        if not is_api_path(scope["path"]):
            await self.app(scope, receive, _adding_header(send, version))
            return
        await self._handle_api(scope, receive, send, version)

    async def _handle_api(self, scope: Scope, receive: Receive, send: Send, version: bytes) -> None:
        started_at, t0 = self._emulator.clock(), time.perf_counter()
        if self._emulator.identify_authorization(_header(scope, b"authorization")) is not None:
            trust(scope)  # before its body: a slow upload by a real client is not evicted as anonymous
        outcome = _Outcome()
        decision = NO_FAULT
        body = b""
        try:
            body = await _read_body(receive)
        except PayloadTooLarge as exc:
            outcome.set_error(exc)
        except _ClientGone as gone:
            # As a real server does: a request cut off before its body ended is never handled, so it can
            # neither claim an Idempotency-Key nor store an outcome (a client cancelled between writing
            # its headers and its body would otherwise leave a 422 that refuses the real request later).
            deadline = scope.get("extensions", {}).get(BODY_TIMEOUT_EXTENSION)
            fault = "body_timeout" if getattr(deadline, "timed_out", False) else "client_aborted"
            await self._record(scope, gone.received, started_at, t0, status=None, fault=fault)
            return
        else:
            decision = self._emulator.faults.decide(scope["method"])
            context = RequestContext(decision.latency_ms)
            scope[_CONTEXT] = context
            if decision.error is not None:
                outcome.set_error(decision.error)
            elif decision.action != "drop_before":
                await self._run_app(scope, receive, body, outcome)
            await context.pause()  # no-op if the route already paused after claiming an idempotency key

        await self._record(
            scope,
            body,
            started_at,
            t0,
            status=outcome.status,
            fault=decision.fault,
            latency_ms=decision.latency_ms,
            replayed=(b"idempotent-replayed", b"true") in outcome.headers,
            error_key=_error_key(outcome.body) if (outcome.status or 0) >= 400 else None,
        )
        if decision.action in ("drop_before", "drop_after"):
            await _drop(scope)
            return
        headers = [(k, v) for k, v in outcome.headers if k != b"x-polytomic-version"]
        headers.append((b"x-polytomic-version", version))
        await send({"type": "http.response.start", "status": outcome.status or 500, "headers": headers})
        await send({"type": "http.response.body", "body": bytes(outcome.body)})

    async def _record(
        self,
        scope: Scope,
        body: bytes,
        started_at: float,
        t0: float,
        *,
        status: int | None,
        fault: str | None,
        latency_ms: int = 0,
        replayed: bool = False,
        error_key: str | None = None,
    ) -> None:
        """Journal one /api/ request; a failure to do so never changes the answer.

        The answer to a request with a valid key waits for its entry (a test that has its answer finds it),
        at most `journal.ENTRY_WAIT_S`: another caller's costly entries must not hold it up.
        The answer to any other is sent at once: its entry is written behind everyone else's, and a burst of
        costly anonymous requests must not hold up anyone's answer, its own included (review point 10).
        A reader of the journal waits for entries on their way (`Journal.settled`)."""
        facts = RequestFacts(
            method=scope["method"],
            path=scope["path"],
            query=scope["query_string"].decode("latin-1"),
            headers=list(scope["headers"]),
            body=body,
            status=status,
            fault=fault,
            latency_ms=latency_ms,
            replayed=replayed,
            error_key=error_key,
            duration_ms=(time.perf_counter() - t0) * 1000,
            started_at=started_at,
            authenticated=self._emulator.identify_authorization(_header(scope, b"authorization")) is not None,
        )
        try:
            if facts.authenticated:
                await self._emulator.journal.write(facts)  # off the event loop (journal.py)
            else:
                self._emulator.journal.submit(facts)
        except Exception as exc:  # the answer matters more than its journal entry
            _log_failure("could not journal", scope, exc)

    async def _run_app(self, scope: Scope, receive: Receive, body: bytes, outcome: _Outcome) -> None:
        """Run the Starlette app with the already-read body, buffering its response into `outcome`."""
        delivered = False

        async def replay_body() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome.status = message["status"]
                outcome.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                outcome.body += message.get("body", b"")

        try:
            await self.app(scope, replay_body, capture)
        except Exception as exc:
            _log_failure("unexpected error while handling", scope, exc)
            outcome.set_error(InternalError("unexpected emulator error"))


def _log_failure(what: str, scope: Scope, exc: BaseException) -> None:
    """Log an unexpected exception without anything the client sent: the path, the query and the
    exception's message (a UnicodeDecodeError quotes the body's bytes) may carry a secret, and the log is
    not redacted as the journal is. The method, the exception's type and its stack are enough to debug."""
    method = scope["method"] if scope["method"] in _METHODS else "non-standard"
    stack = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("%s a %s /api/ request: %s\n%s", what, method, type(exc).__name__, stack)


def trust(scope: Scope) -> None:
    """Tell the server (if it asked) that this request showed a valid credential."""
    callback = scope.get("extensions", {}).get(TRUST_EXTENSION)
    if callback is not None:
        callback()


def _adding_header(send: Send, version: bytes) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-polytomic-version"]
            message = {**message, "headers": [*headers, (b"x-polytomic-version", version)]}
        await send(message)

    return wrapped


class _ClientGone(Exception):
    """The client disconnected before the request's body was complete."""

    def __init__(self, received: bytes) -> None:
        super().__init__("client disconnected mid-request")
        self.received = received


async def _read_body(receive: Receive) -> bytes:
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone(bytes(chunks))
        chunks += message.get("body", b"")
        if len(chunks) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"request bodies are limited to {MAX_BODY_BYTES} bytes")
        if not message.get("more_body", False):
            break
    return bytes(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    return next((value.decode("latin-1") for key, value in scope["headers"] if key == name), None)


def _error_key(body: bytes | bytearray) -> str | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    key = parsed.get("key") if isinstance(parsed, dict) else None
    return key if isinstance(key, str) else None


async def _drop(scope: Scope) -> None:
    """Close the TCP connection without a response; the server put the means in the scope."""
    abort = scope.get("extensions", {}).get(ABORT_EXTENSION)
    if abort is None:
        raise ConnectionDropped("fault plan dropped the connection (no transport to abort here)")
    abort()
    # Let the transport report the loss before the server looks at the finished request, so it does not
    # try to send a fallback 500 on the dead connection.
    for _ in range(3):
        await asyncio.sleep(0)
