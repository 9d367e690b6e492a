"""The head start: a provider process's first API call should not wait for imports it could have done
before, nor for imports that could happen while its first request is on the wire.

One place for what both front ends do to get there (the rest is capability, not policy: the client says
when its first request is out, `client.wait_for_first_request`; the TLS context is built beside the
import of httpx, `tls.start_building`; the read snapshot can send its list call early,
`snapshot.start_listing`):

- `start_prewarm`: on `configure`, a daemon thread builds the client and imports httpx's async backends
  and then the pydantic models, while the engine is still sending checks. A daemon thread, not the event
  loop's executor: the interpreter joins executor threads before it exits, and the engine waits for the
  plugin's exit (a destroy's preview exited 0.4 s late so).
- `send_first_read`: the dynamic provider's first read sends its list call and account lookup before it
  loads the rest of the core, which then loads during their round trip.

`make bench` measures what this buys (docs/benchmarks.md, "first read" and "import" rows).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient
    from .runtime import ProviderRuntime
    from .snapshot import OrganizationSnapshot

__all__ = ["PREWARM_SEND_FIRST_SECONDS", "SEND_FIRST_SECONDS", "send_first_read", "start_prewarm"]

PREWARM_SEND_FIRST_SECONDS = 0.5
"""How long the prewarm holds the models back for a call that may be about to send its first request:
importing them meanwhile would hold the GIL that the event loop sends with (client.py)."""

SEND_FIRST_SECONDS = 2.0
"""How long a first read lets the list call connect and go out before it loads the rest of the core (which
needs the GIL the loop is sending with); past it, a slow connect overlaps the loading instead."""


def start_prewarm(runtime: ProviderRuntime, client_built: Callable[[], None] = lambda: None) -> None:
    """Prewarm `runtime` on a daemon thread; `client_built` is called once its client is built (or could
    not be), before the models load: a call waiting for the client then sends its request while they do."""
    threading.Thread(
        target=_prewarm, args=(runtime, client_built), name="polytomic-prewarm", daemon=True
    ).start()


def _prewarm(runtime: ProviderRuntime, client_built: Callable[[], None]) -> None:
    """A no-op when the settings are unusable (`check` reports them)."""
    try:
        try:
            if runtime.problems():
                return
            client = runtime.client()
            import anyio._backends._asyncio  # noqa: F401 - what httpx loads on its first request
            import httpcore._backends.anyio  # noqa: F401
        finally:
            client_built()
        client.wait_for_first_request(timeout=PREWARM_SEND_FIRST_SECONDS)  # a call may be sending
        from . import models  # noqa: F401 - what every response is parsed with
    except Exception:  # a head start only: the first real call meets (and reports) any failure
        return


def send_first_read(client: AsyncPolytomicClient, snapshot: OrganizationSnapshot, began_after: int) -> None:
    """Send the read's list call (and the account lookup, unless known) now, and wait until the first
    request is out (at most `SEND_FIRST_SECONDS`) before the caller loads the rest of the core."""
    from .accounts import account_of, known_account

    snapshot.start_listing(began_after)
    if known_account(client) is None:
        from . import bridge

        bridge.start(account_of(client))
    client.wait_for_first_request(timeout=SEND_FIRST_SECONDS)
