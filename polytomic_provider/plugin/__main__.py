"""Entry point of `pulumi-resource-polytomic`: the engine starts it with its own address as argument and
reads the port it prints."""

from __future__ import annotations

import gc
import sys

from ..version import __version__
from ..watchdog import start_engine_watchdog

__all__ = ["engine_address", "main"]


def engine_address(arguments: list[str]) -> str | None:
    """The engine's address: the last argument, after any flags (`--tracing <endpoint>`, `-v=9`)."""
    return arguments[-1] if arguments and not arguments[-1].startswith("-") else None


def main() -> None:
    # What startup imports and builds all lives until exit: collecting it is wasted work (50 to 70 ms of
    # a start's 0.4 s of CPU). Frozen, later collections do not walk it again.
    gc.disable()
    try:
        from .engine_log import forward_warnings
        from .provider import PolytomicProvider
        from .server import serve
    finally:
        gc.freeze()
        gc.enable()

    engine = engine_address(sys.argv[1:])
    if engine is None:
        sys.exit("pulumi-resource-polytomic is a Pulumi provider plugin: the Pulumi engine starts it")
    start_engine_watchdog(engine)  # a killed CLI leaves no plugin process behind
    forward_warnings(engine)
    serve(engine, __version__, PolytomicProvider())


if __name__ == "__main__":
    main()
