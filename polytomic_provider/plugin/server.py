"""Serve PolytomicProvider over gRPC, with the core's error messages shown as they are written.

Pulumi's provider server (`pulumi.provider.experimental.server.ProviderServicer`) re-raises any exception
of a call as a new one carrying the message and a Python stack trace, which the CLI prints in full. Our
errors already say what failed and what to do (and are scrubbed of secrets), so for them the call is
aborted with that message alone; anything else is a bug, and keeps the SDK's stack trace.

Only public behaviour is relied on: the SDK raises its exception while handling ours, so Python chains
ours to it (`__context__`), and this module finds it there. The SDK has no public way to serve a provider
with other error handling: `pulumi.provider.experimental.server.main` is the same server without the hook.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import grpc.aio
from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime.proto import provider_pb2_grpc

from ..errors import PolytomicError
from .engine_log import attach_loop

__all__ = ["serve"]

_RPCS = ("CheckConfig", "Configure", "Check", "Diff", "Create", "Read", "Update", "Delete", "Invoke")

# What Pulumi's own provider servers set: state and schema messages up to 400 MB, and requests that wait
# up to half an hour for the event loop (a program that blocks it must not have its calls cancelled).
_SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.server_max_unrequested_time_in_server", 30 * 60),
]

Handler = Callable[[Any, Any, Any], Awaitable[Any]]


def _ours(error: BaseException) -> PolytomicError | None:
    """The core's error a call failed with: the error itself, or the one the SDK's wrapper (a bare
    `Exception` raised while handling it) carries as its context. Nothing further down the chain: a bug
    raised while handling one of our errors is a bug, and keeps its stack trace."""
    if isinstance(error, PolytomicError):
        return error
    context = error.__context__
    if type(error) is Exception and isinstance(context, PolytomicError):
        return context
    return None


def _plain_errors(name: str) -> Handler:
    served: Handler = getattr(ProviderServicer, name)

    async def handler(self: Any, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        try:
            return await served(self, request, context)
        except Exception as error:
            ours = _ours(error)
            if ours is None:
                raise  # not ours: a bug, so the SDK's stack trace comes along
            await context.abort(grpc.StatusCode.UNKNOWN, str(ours))

    handler.__name__ = name
    return handler


_PlainErrorServicer = type(
    "_PlainErrorServicer", (ProviderServicer,), {name: _plain_errors(name) for name in _RPCS}
)


def serve(engine_address: str, version: str, provider: rpc.Provider) -> None:
    """Start the server on a free loopback port, print the port (the engine reads it), serve until ended."""

    async def run() -> None:
        attach_loop(asyncio.get_running_loop())  # retry lines logged on any thread are sent from here
        server = grpc.aio.server(options=_SERVER_OPTIONS)
        servicer = _PlainErrorServicer(sys.argv[1:], version, provider, engine_address=engine_address)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
        port = server.add_insecure_port(address="127.0.0.1:0")
        await server.start()
        sys.stdout.buffer.write(f"{port}\n".encode())
        sys.stdout.buffer.flush()
        await server.wait_for_termination()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
