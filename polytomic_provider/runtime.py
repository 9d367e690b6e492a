"""Process-wide provider state: the resolved settings and the one shared HTTP client.

It lives at module level, never on the provider object, because the provider object is pickled into
Pulumi state: a key, a config value or a client captured there would leak or fail to pickle.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .config import Settings, resolve_settings

if TYPE_CHECKING:
    from .client import PolytomicClient
    from .snapshot import OrganizationSnapshot

__all__ = ["RUNTIME", "ProviderRuntime"]


class ProviderRuntime:
    """Holds settings from `configure()` and creates the client lazily, once, under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: Settings | None = None
        self._client: PolytomicClient | None = None

    def configure(self, settings: Settings) -> None:
        with self._lock:
            if settings == self._settings:
                return
            if self._client is not None:
                self._client.close()
            self._settings, self._client = settings, None

    @property
    def settings(self) -> Settings:
        current = self._settings
        if current is None:
            # No configure() call (an old engine): fall back to the environment alone.
            fallback = resolve_settings(lambda _key: None)
            with self._lock:
                current = self._settings = self._settings or fallback
        return current

    def client(self) -> PolytomicClient:
        existing = self._client
        if existing is not None:
            return existing
        from .client import PolytomicClient  # httpx is loaded only once a call needs the API

        # Built outside the lock (it takes tens of milliseconds), so concurrent first calls do not queue.
        fresh = PolytomicClient(self.settings)
        with self._lock:
            if self._client is None:
                self._client = fresh
                return fresh
            winner = self._client
        fresh.close()  # another call built one first
        return winner

    def snapshot(self) -> OrganizationSnapshot:
        """Reads served from one list of organizations per client (see snapshot.py)."""
        from .snapshot import snapshot_of

        return snapshot_of(self.client())


RUNTIME = ProviderRuntime()
