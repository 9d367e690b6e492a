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
  its body, idle time between requests, the size of a request's head (uvicorn's httptools protocol has no
  limit: a never-ending head grew the emulator's memory byte for byte), and how many connections may be
  open without having authenticated.
"""

from __future__ import annotations

import asyncio
import json
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
    #: anonymous requests); a new one beyond this closes the oldest of them past `unauthenticated_grace_s` at
    #: once (one that has sent nothing first), so silent connections cannot lock anyone out. A connection that
    #: has authenticated is no longer counted.
    max_unauthenticated: int
    #: A connection younger than this is never closed to make room: a real client has connected but not yet
    #: sent its key. When every counted connection is that young, the cap is exceeded, up to twice over;
    #: beyond that the oldest that has sent nothing is closed (else the oldest not in a request; else the new
    #: one): a real client sends its request at once, so a flood of silent connections never crowds it out.
    unauthenticated_grace_s: float = 1.0
    #: A request head (request line and headers) longer than this is answered 431 and the connection closed.
    max_head_bytes: int = 64 * 1024

    @classmethod
    def of(cls, settings: EmulatorSettings) -> ConnectionLimits:
        return cls(
            header_timeout_s=settings.header_timeout_s,
            body_timeout_s=settings.body_timeout_s,
            idle_timeout_s=settings.idle_timeout_s,
            max_unauthenticated=settings.max_unauthenticated_connections,
            unauthenticated_grace_s=settings.unauthenticated_grace_s,
            max_head_bytes=settings.max_head_bytes,
        )


#: After a 431 the connection is half-closed and what the client still sends is read and dropped for at most
#: this long (or this many head-limits' worth of bytes), so that the answer is not lost to a reset; then it is
#: closed for good.
REFUSAL_LINGER_S = 1.0
REFUSAL_DISCARD_HEADS = 16


def head_too_large(limit: int) -> bytes:
    """The whole 431 answer, written straight to the transport (the head never reached the app)."""
    body = json.dumps(
        {
            "key": "request_head_too_large",
            "message": f"request heads (request line and headers) are limited to {limit} bytes",
            "status": 431,
            "metadata": {},
        }
    ).encode()
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
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

    The head's size is measured on the bytes as they arrive, before the parser sees them: from the first byte
    that is not a blank line up to the blank line that ends the head (``\\r\\n\\r\\n`` ends a head for
    either parser). Bytes over the limit never reach the parser.
    """
    #: Connections that have not authenticated yet, oldest first (all on one event loop: no lock).
    unauthenticated: OrderedDict[Any, None] = OrderedDict()
    refusal = head_too_large(limits.max_head_bytes)

    def evictable(now: float) -> Any:
        """The connection to close to make room: the oldest past the grace period, preferring one that has
        sent nothing, then one not in the middle of a request; None if every counted one is in its grace."""
        past_grace = [c for c in unauthenticated if now - c._opened >= limits.unauthenticated_grace_s]
        return next(
            (c for c in past_grace if c._silent),
            next((c for c in past_grace if not c._busy), past_grace[0] if past_grace else None),
        )

    def crowded_out() -> Any:
        """With the cap twice over and every counted connection within its grace: the oldest that has sent
        nothing at all, else the oldest not in the middle of a request; None if every one is (then the
        newcomer is refused). A real client sends its request as soon as it has connected, so under a flood
        of silent connections it is the newcomer that stays and the flood's oldest that goes (point 12)."""
        return next(
            (c for c in unauthenticated if c._silent), next((c for c in unauthenticated if not c._busy), None)
        )

    class Guarded(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._head_timer: asyncio.TimerHandle | None = None
            self._idle = False
            self._opened = 0.0
            self._busy = False
            #: No byte has arrived on this connection yet.
            self._silent = True
            #: Bytes of the current request's head so far; None once it is complete.
            self._head_bytes: int | None = 0
            self._head_started = False
            self._tail = b""
            self._discarded: int | None = None  # after a 431: bytes dropped since
            self._inner_app: ASGIApp = self.app  # type: ignore[has-type]
            self.app = self._guarded_app

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self._opened = self.loop.time()
            self._await_head()
            while len(unauthenticated) >= limits.max_unauthenticated:
                victim = evictable(self._opened)
                if victim is None:
                    break
                victim._abort()  # which stops counting it
            while len(unauthenticated) >= 2 * limits.max_unauthenticated:
                victim = crowded_out()  # every counted one is within its grace and the cap is twice over
                if victim is None:
                    self._abort()
                    return
                victim._abort()
            unauthenticated[self] = None

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_arrived()
            self._trust()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._idle = True  # uvicorn's keep-alive timer runs until the next request's first byte

        def data_received(self, data: bytes) -> None:
            self._silent = False
            if self._discarded is not None:  # refused: read and drop until the linger ends
                self._discarded += len(data)
                if self._discarded > REFUSAL_DISCARD_HEADS * limits.max_head_bytes:
                    self._abort()
                return
            if self._idle:
                self._idle = False
                self._await_head()
            if self._head_bytes is not None and not self._measure_head(data):
                self._refuse_head()
                return
            super().data_received(data)

        def _measure_head(self, data: bytes) -> bool:
            """Count `data` into the current head; False if the head is now over the limit."""
            assert self._head_bytes is not None
            seen = self._tail + data
            start = 0
            if not self._head_started:  # blank lines before a request line are not its head
                start = len(seen) - len(seen.lstrip(b"\r\n"))
                self._head_started = start < len(seen)
            end = seen.find(b"\r\n\r\n", start) if self._head_started else -1
            if end == -1:
                self._head_bytes += len(data)
                self._tail = seen[-3:]
                return self._head_bytes <= limits.max_head_bytes
            size = self._head_bytes + end + 4 - len(self._tail)
            self._head_bytes = None  # complete: what follows is its body (or a pipelined request)
            return size <= limits.max_head_bytes

        def _refuse_head(self) -> None:
            """Answer 431 without the parser or the app, half-close, and drop the rest of the head."""
            self._head_arrived()
            self._trust()  # closing: no longer counted
            self._discarded = 0
            transport = self.transport
            transport.write(refusal)
            if transport.can_write_eof():
                transport.write_eof()
            self._head_timer = self.loop.call_later(REFUSAL_LINGER_S, self._abort)

        def _await_head(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._head_timer = self.loop.call_later(limits.header_timeout_s, self._abort)
            self._head_bytes, self._head_started, self._tail = 0, False, b""

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
            self._head_bytes = None
            deadline = BodyDeadline()
            scope["extensions"] = {
                **(scope.get("extensions") or {}),
                ABORT_EXTENSION: self._abort,
                BODY_TIMEOUT_EXTENSION: deadline,
                TRUST_EXTENSION: self._trust,
            }
            self._busy = True
            try:
                await self._inner_app(scope, self._timed(receive, deadline), send)
            finally:
                self._busy = False

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
