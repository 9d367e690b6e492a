"""Ends a provider process (the dynamic provider host, the plugin) once the engine that started it is gone.

Pulumi starts each plugin in a process group of its own. If the CLI is killed (SIGKILL, a runner's
timeout), Pulumi's Python provider host keeps running with nobody to talk to; Pulumi's Go plugins watch the
engine for this reason, and so does this module: it polls the engine's address and exits the process once
the engine has stopped answering for a few seconds. It is started from `configure()`, so only in the
provider host, never in a Pulumi program.
"""

from __future__ import annotations

import os
import socket
import sys
import threading

__all__ = ["start_engine_watchdog"]

CHECK_SECONDS = 1.0
MISSES_BEFORE_EXIT = 3
_lock = threading.Lock()
_started = False


def _engine_address() -> str | None:
    """The engine address the provider host was started with: `python -m pulumi.dynamic <address>`."""
    launched_as_host = sys.argv and sys.argv[0].endswith(os.path.join("pulumi", "dynamic", "__main__.py"))
    return sys.argv[-1] if launched_as_host and len(sys.argv) > 1 else None


def _reachable(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=1.0):
            return True
    except (OSError, ValueError):
        return False


def _watch(address: str) -> None:
    misses = 0
    while misses < MISSES_BEFORE_EXIT:
        threading.Event().wait(CHECK_SECONDS)
        misses = 0 if _reachable(address) else misses + 1
    os._exit(1)  # the engine is gone: nothing can reach or use this process any more


def start_engine_watchdog(address: str | None = None) -> None:
    """Start watching once per process: the engine at `address`, else the one the dynamic provider host
    was started with; a no-op outside a provider process."""
    global _started
    address = address or _engine_address()
    with _lock:
        if address is None or _started:
            return
        _started = True
    threading.Thread(target=_watch, args=(address,), name="engine-watchdog", daemon=True).start()
