"""The core's warnings, sent to the engine: `pulumi up` shows them under the resource they concern.

The dynamic provider host's stderr reaches the CLI's output; a plugin's stderr reaches only the engine's
log file. So the plugin forwards the lines of the core's loggers that speak to the user (`FORWARDED`: the
retry reporter, retry.py, and a delete that leaves its organization or user to another resource of
the stack, claims.py) through the engine's Log call, tagged with the URN of the call that logged: each
request of the server runs in a task of its own, and `CURRENT_URN` is set there by the provider method
serving it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys

import grpc.aio
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

__all__ = ["CURRENT_URN", "FORWARDED", "EngineLogHandler", "attach_loop", "forward_warnings"]

FORWARDED = ("polytomic_provider.retry", "polytomic_provider.claims")

CURRENT_URN: contextvars.ContextVar[str] = contextvars.ContextVar("polytomic_current_urn", default="")


class EngineLogHandler(logging.Handler):
    """A logging handler that sends each record to the engine as a warning of the current resource."""

    def __init__(self, engine_address: str) -> None:
        super().__init__(level=logging.WARNING)
        self._address = engine_address
        self._stub: engine_pb2_grpc.EngineStub | None = None
        self._sending: set[asyncio.Future[object]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None  # the server's, once a line came from it

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """The server's event loop: lines are sent from it (the engine's channel belongs to it)."""
        self._loop = loop

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message, urn = self.format(record), CURRENT_URN.get()
            try:
                running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if self._loop is None:
                self._loop = running  # no server loop attached: the first loop a line comes from
            loop = self._loop
            if loop is None or loop.is_closed():
                return  # no loop to send with yet: the line is on stderr
            if running is loop:
                self._send(message, urn)
            else:  # logged on another thread or loop: handed to the server's loop
                loop.call_soon_threadsafe(self._send, message, urn)
        except Exception:  # a line that cannot be reported must never fail the call that retried
            self.handleError(record)

    def _send(self, message: str, urn: str) -> None:
        if self._stub is None:
            self._stub = engine_pb2_grpc.EngineStub(grpc.aio.insecure_channel(self._address))
        request = engine_pb2.LogRequest(severity=engine_pb2.WARNING, message=message, urn=urn)
        task = asyncio.ensure_future(self._stub.Log(request))
        self._sending.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Future[object]) -> None:
        self._sending.discard(task)
        if not task.cancelled():
            task.exception()  # an engine that is gone cannot be told; the line is in the plugin's log


def attach_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Tell the engine handlers which loop the server runs on (called once it runs)."""
    for name in FORWARDED:
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, EngineLogHandler):
                handler.attach(loop)


def forward_warnings(engine_address: str) -> None:
    """Send the `FORWARDED` loggers' lines (retries, an organization or user left to another resource) to
    the engine, and to stderr, the plugin's own log (the engine's log file). The stderr handler is
    explicit: Python's last-resort handler writes to stderr only while a logger has no handler at all, so
    the engine's handler alone would take the lines away from it."""
    for name in FORWARDED:
        logger = logging.getLogger(name)
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setLevel(logging.WARNING)
        logger.addHandler(stderr)
        logger.addHandler(EngineLogHandler(engine_address))
