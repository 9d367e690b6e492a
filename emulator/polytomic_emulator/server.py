"""Serving the emulator with uvicorn on a loopback socket.

Why a module of its own: three things here are about the server, not the API.

- The socket is bound before uvicorn starts, so ``--port 0`` yields a real port that can be announced, and
  with SO_REUSEADDR so that a restart can take the same port back at once.
- The ready line ``Polytomic emulator listening on http://HOST:PORT`` is printed (and flushed) only after
  uvicorn has finished its start-up and is accepting connections; the launcher waits for it.
- Dropped-connection faults need the TCP transport, which ASGI does not expose. The HTTP protocol class is
  subclassed so that each request's scope carries a callable (`pipeline.ABORT_EXTENSION`) that aborts the
  connection; the app calls it instead of sending a response.
- The same subclass bounds what a connection may hold (`ConnectionLimits`): time for a request's head, for
  its body, idle time between requests, and how many connections may be open without having authenticated.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .pipeline import ABORT_EXTENSION, BODY_TIMEOUT_EXTENSION, TRUST_EXTENSION
from .settings import EmulatorSettings


def format_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0 picks a free one)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


@dataclass(frozen=True)
class ConnectionLimits:
    """How long a connection may take over each part of a request, and how many may not have sent one yet.

    Why here and not in uvicorn's config: uvicorn closes idle keep-alive connections (`idle_timeout_s` is its
    ``timeout_keep_alive``) but has no timeout for a request's head or body, and its ``limit_concurrency``
    answers 503 to *requests* while still holding every silent connection open. Without these a few hundred
    silent or half-sent connections held descriptors and memory indefinitely (review point 12).
    """

    #: From the connection's opening, or a later request's first byte, to a complete request head.
    header_timeout_s: float
    #: From a complete request head to the end of its body, for a body the app reads.
    body_timeout_s: float
    #: A keep-alive connection with no new request after a response.
    idle_timeout_s: float
    #: Connections on which no request has yet shown a valid credential (silent ones, half-sent heads,
    #: anonymous requests); a new one beyond this closes the oldest of them at once, so such connections
    #: cannot lock anyone out. A connection that has authenticated is no longer counted.
    max_unauthenticated: int

    @classmethod
    def of(cls, settings: EmulatorSettings) -> ConnectionLimits:
        return cls(
            header_timeout_s=settings.header_timeout_s,
            body_timeout_s=settings.body_timeout_s,
            idle_timeout_s=settings.idle_timeout_s,
            max_unauthenticated=settings.max_unauthenticated_connections,
        )


class BodyDeadline:
    """Put in each request's scope (`pipeline.BODY_TIMEOUT_EXTENSION`): whether its body timed out."""

    timed_out = False


def guarded(base: type[asyncio.Protocol], limits: ConnectionLimits) -> type[asyncio.Protocol]:
    """Subclass a uvicorn HTTP protocol (h11 or httptools) so that the app can abort the connection of the
    current request, and so that `limits` are enforced.

    Only what both protocols share is used: ``connection_made``, ``connection_lost``, ``data_received``,
    ``on_response_complete``, ``self.app`` (run once a request's head is complete), ``self.transport`` and
    ``self.loop``. The app says when a request has authenticated, through `pipeline.TRUST_EXTENSION`.
    """
    #: Connections that have not authenticated yet, oldest first (all on one event loop: no lock).
    unauthenticated: OrderedDict[Any, None] = OrderedDict()

    class Guarded(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._head_timer: asyncio.TimerHandle | None = None
            self._idle = False
            self._inner_app: ASGIApp = self.app  # type: ignore[has-type]
            self.app = self._guarded_app

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self._await_head()
            unauthenticated[self] = None
            while len(unauthenticated) > limits.max_unauthenticated:
                oldest, _ = unauthenticated.popitem(last=False)
                oldest._abort()

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_arrived()
            self._trust()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._idle = True  # uvicorn's keep-alive timer runs until the next request's first byte

        def data_received(self, data: bytes) -> None:
            if self._idle:
                self._idle = False
                self._await_head()
            super().data_received(data)

        def _await_head(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._head_timer = self.loop.call_later(limits.header_timeout_s, self._abort)

        def _head_arrived(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _trust(self) -> None:
            unauthenticated.pop(self, None)

        def _abort(self) -> None:
            self._head_arrived()
            self._trust()  # no longer counted, as it is closing
            transport = getattr(self, "transport", None)
            if transport is not None:
                transport.abort()

        async def _guarded_app(self, scope: Scope, receive: Receive, send: Send) -> None:
            self._head_arrived()
            deadline = BodyDeadline()
            scope["extensions"] = {
                **(scope.get("extensions") or {}),
                ABORT_EXTENSION: self._abort,
                BODY_TIMEOUT_EXTENSION: deadline,
                TRUST_EXTENSION: self._trust,
            }
            await self._inner_app(scope, self._timed(receive, deadline), send)

        def _timed(self, receive: Receive, deadline: BodyDeadline) -> Receive:
            """`receive`, but a body that is not complete within the body timeout aborts the connection and
            reads as a disconnect (the pipeline journals it, fault ``body_timeout``)."""
            ends_at = self.loop.time() + limits.body_timeout_s
            body_done = False

            async def timed_receive() -> Message:
                nonlocal body_done
                if body_done:  # waiting for a disconnect after the body is not reading a body
                    return await receive()
                try:
                    async with asyncio.timeout_at(ends_at):
                        message = await receive()
                except TimeoutError:
                    deadline.timed_out = True
                    self._abort()
                    return {"type": "http.disconnect"}
                body_done = message["type"] != "http.request" or not message.get("more_body", False)
                return message

            return timed_receive

    Guarded.__name__ = Guarded.__qualname__ = f"Guarded{base.__name__}"
    return Guarded


def http_protocol(limits: ConnectionLimits) -> type[asyncio.Protocol]:
    """httptools when installed (much faster), else h11; either way guarded."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - depends on the environment
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return guarded(H11Protocol, limits)
    return guarded(HttpToolsProtocol, limits)


class _AnnouncingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, announce: Callable[[], None]) -> None:
        super().__init__(config)
        self._announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            self._announce()


def serve(app: ASGIApp, sock: socket.socket, *, limits: ConnectionLimits, log_level: str = "warning") -> None:
    """Run until SIGINT/SIGTERM; print the ready line once connections are being accepted."""
    host, port = sock.getsockname()[:2]
    url = format_url(host, port)
    config = uvicorn.Config(
        cast(Any, app),
        http=http_protocol(limits),
        lifespan="on",
        log_level=log_level,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=2,
        timeout_keep_alive=cast(int, limits.idle_timeout_s),  # a float works: it is given to call_later
    )

    def announce() -> None:
        print(f"Polytomic emulator listening on {url}", flush=True)

    server = _AnnouncingServer(config, announce)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        sys.stdout.flush()
