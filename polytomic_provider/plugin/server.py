"""Serve PolytomicProvider over gRPC, with the core's error messages shown as they are written.

Pulumi's experimental server turns any exception into its message plus a Python stack trace, which the
CLI prints in full. Our errors already say what failed and what to do (and are scrubbed of secrets), so
for them the call is aborted with that message alone; anything else is a bug, and keeps its stack trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import grpc.aio
from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import provider_pb2_grpc

from ..errors import PolytomicError

__all__ = ["serve"]

_RPCS = ("CheckConfig", "Configure", "Check", "Diff", "Create", "Read", "Update", "Delete", "Invoke")

Handler = Callable[[Any, Any, Any], Awaitable[Any]]


def _undecorated(handler: Handler) -> Handler:
    """The SDK's handler without its traceback-appending decorator, if it can be found (else as it is)."""
    for cell in getattr(handler, "__closure__", None) or ():
        if callable(cell.cell_contents) and asyncio.iscoroutinefunction(cell.cell_contents):
            inner: Handler = cell.cell_contents
            return inner
    return handler


def _plain_errors(name: str) -> Handler:
    undecorated = _undecorated(getattr(ProviderServicer, name))

    async def handler(self: Any, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        try:
            return await undecorated(self, request, context)
        except PolytomicError as error:
            await context.abort(grpc.StatusCode.UNKNOWN, str(error))
        except Exception as error:  # not ours: a bug, so the stack trace comes along
            raise RuntimeError(f"{error}\n{traceback.format_exc()}") from None

    handler.__name__ = name
    return handler


_PlainErrorServicer = type(
    "_PlainErrorServicer", (ProviderServicer,), {name: _plain_errors(name) for name in _RPCS}
)


def serve(engine_address: str, version: str, provider: rpc.Provider) -> None:
    """Start the server on a free loopback port, print the port (the engine reads it), serve until ended."""

    async def run() -> None:
        server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
        servicer = _PlainErrorServicer(sys.argv[1:], version, provider, engine_address=engine_address)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
        port = server.add_insecure_port(address="127.0.0.1:0")
        await server.start()
        sys.stdout.buffer.write(f"{port}\n".encode())
        sys.stdout.buffer.flush()
        await server.wait_for_termination()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
