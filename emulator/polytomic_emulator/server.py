"""Serving the emulator with uvicorn on a loopback socket.

Why a module of its own: three things here are about the server, not the API.

- The socket is bound before uvicorn starts, so ``--port 0`` yields a real port that can be announced, and
  with SO_REUSEADDR so that a restart can take the same port back at once.
- The ready line ``Polytomic emulator listening on http://HOST:PORT`` is printed (and flushed) only after
  uvicorn has finished its start-up and is accepting connections; the launcher waits for it.
- Dropped-connection faults need the TCP transport, which ASGI does not expose. The HTTP protocol class is
  subclassed so that each request's scope carries a callable (`pipeline.ABORT_EXTENSION`) that aborts the
  connection; the app calls it instead of sending a response. The subclass only wraps ``self.app``, which
  every uvicorn HTTP protocol (h11, httptools) uses to run a request.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable
from typing import Any, cast

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from .pipeline import ABORT_EXTENSION


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


def abortable(base: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
    """Subclass a uvicorn HTTP protocol so the app can abort the connection of the current request."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        base.__init__(self, *args, **kwargs)
        inner: ASGIApp = self.app

        def abort() -> None:
            transport = getattr(self, "transport", None)
            if transport is not None:
                transport.abort()

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            scope["extensions"] = {**(scope.get("extensions") or {}), ABORT_EXTENSION: abort}
            await inner(scope, receive, send)

        self.app = app

    return type(f"Abortable{base.__name__}", (base,), {"__init__": __init__})


def http_protocol() -> type[asyncio.Protocol]:
    """httptools when installed (much faster), else h11; either way abortable."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - depends on the environment
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return abortable(H11Protocol)
    return abortable(HttpToolsProtocol)


class _AnnouncingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, announce: Callable[[], None]) -> None:
        super().__init__(config)
        self._announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            self._announce()


def serve(app: ASGIApp, sock: socket.socket, *, log_level: str = "warning") -> None:
    """Run until SIGINT/SIGTERM; print the ready line once connections are being accepted."""
    host, port = sock.getsockname()[:2]
    url = format_url(host, port)
    config = uvicorn.Config(
        cast(Any, app),
        http=http_protocol(),
        lifespan="on",
        log_level=log_level,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=2,
        timeout_keep_alive=30,
    )

    def announce() -> None:
        print(f"Polytomic emulator listening on {url}", flush=True)

    server = _AnnouncingServer(config, announce)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        sys.stdout.flush()
