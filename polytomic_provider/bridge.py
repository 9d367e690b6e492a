"""Run the async core from synchronous callers, on one event loop per process.

The core (client, snapshot, operations) is async, so the provider plugin serves as many calls at once as
the engine sends, on one HTTP client. The dynamic provider host, Pulumi programs (lookups) and the
command-line tool are synchronous: they hand each coroutine to one background event loop and wait for
it. One loop, not `asyncio.run` per call, because the client's connection pool and the snapshot's lock
belong to the loop they were first used on, and are shared by every call of the process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run", "start"]

_T = TypeVar("_T")
_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _background_loop() -> asyncio.AbstractEventLoop:
    """The process's loop, started on first use in a daemon thread (it never blocks interpreter exit)."""
    global _loop
    with _lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="polytomic-core", daemon=True).start()
            _loop = loop
        return _loop


def start(coroutine: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
    """Schedule `coroutine` on the background loop without waiting for it: its future holds the outcome."""
    loop = _background_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        coroutine.close()
        raise RuntimeError("bridge called from the core's own loop: await the coroutine instead")
    return asyncio.run_coroutine_threadsafe(coroutine, loop)


def run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run `coroutine` on the background loop and return its result (or raise its exception) here."""
    return start(coroutine).result()
