"""Process-wide provider state: the resolved settings and the one shared HTTP client.

It lives at module level, never on the provider object, because the provider object is pickled into
Pulumi state: a key, a config value or a client captured there would leak or fail to pickle.
"""

from __future__ import annotations

import threading

from .client import PolytomicClient
from .config import Settings, resolve_settings

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
        with self._lock:
            if self._settings is None:
                # No configure() call (an old engine): fall back to the environment alone.
                self._settings = resolve_settings(lambda _key: None)
            return self._settings

    def client(self) -> PolytomicClient:
        settings = self.settings
        with self._lock:
            if self._client is None:
                self._client = PolytomicClient(settings)
            return self._client


RUNTIME = ProviderRuntime()
