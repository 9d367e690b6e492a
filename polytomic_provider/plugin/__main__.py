"""Entry point of `pulumi-resource-polytomic`: the engine starts it with its own address as argument and
reads the port it prints."""

from __future__ import annotations

import sys

from ..version import __version__
from ..watchdog import start_engine_watchdog

__all__ = ["main"]


def main() -> None:
    from .provider import PolytomicProvider
    from .server import serve

    engine = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    if engine is None:
        sys.exit("pulumi-resource-polytomic is a Pulumi provider plugin: the Pulumi engine starts it")
    start_engine_watchdog(engine)  # a killed CLI leaves no plugin process behind
    serve(engine, __version__, PolytomicProvider())


if __name__ == "__main__":
    main()
