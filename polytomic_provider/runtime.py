"""Provider state: the resolved settings and the one shared HTTP client built from them.

The dynamic provider keeps one `ProviderRuntime` per process (`RUNTIME`); the plugin one per provider
instance it serves, so two partner accounts in one program never share settings or a client.

The dynamic provider's lives at module level, never on the provider object, because that object is
pickled into Pulumi state: a key, a config value or a client captured there would leak or fail to pickle.

It also holds what the operation it serves has claimed so far (`operation`, claims.py): a provider process
serves one operation, so the runtime's lifetime is the operation's.

Settings and the client built from them are one immutable pair, swapped whole under a lock, so no caller
can see the settings of one configuration with the client of another. `configure()` never closes the
client it replaces: another call may be in the middle of using it. It is only dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .claims import ThisOperation
from .config import MISSING_KEY, ConfigLookup, Settings, check_settings
from .errors import ConfigurationError
from .problems import Problem

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient

__all__ = ["RUNTIME", "ProviderRuntime"]


@dataclass(frozen=True)
class _Configuration:
    """One configuration: its settings (None when a value is unusable) and the client built for it."""

    settings: Settings | None
    problems: tuple[Problem, ...] = ()
    client: AsyncPolytomicClient | None = None


class ProviderRuntime:
    """Holds the configuration from `configure()` and creates its client lazily, once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: _Configuration | None = None
        self._operation = ThisOperation()

    @property
    def operation(self) -> ThisOperation:
        """What this operation's calls have claimed so far."""
        return self._operation

    def new_operation(self) -> None:
        """Forget the claims of the operation before: for a process that serves several one after another
        (tests, which call the provider's methods directly). Not tied to `configure`: the dynamic provider
        host configures once per pickled provider string, and two of those may serve one operation."""
        self._operation = ThisOperation()

    def configure(self, settings: Settings) -> None:
        self._install(_Configuration(settings))

    def configure_from(self, lookup: ConfigLookup, given: Iterable[str] = ()) -> None:
        """Read the settings from stack config (then the environment); bad values, and `given` names that
        are no setting, are kept as problems for `check` to report, not raised here, where the engine would
        show them as a crash."""
        settings, problems = check_settings(lookup, given=given)
        self._install(_Configuration(settings, tuple(problems)))

    def _install(self, wanted: _Configuration) -> None:
        with self._lock:
            current = self._current
            if current is not None and (current.settings, current.problems) == (
                wanted.settings,
                wanted.problems,
            ):
                return
            self._current = wanted  # the old client is dropped, not closed: it may be in use

    def _configuration(self) -> _Configuration:
        current = self._current
        if current is None:
            # No configure() call (an old engine): fall back to the environment alone.
            settings, problems = check_settings(lambda _key: None)
            with self._lock:
                current = self._current = self._current or _Configuration(settings, tuple(problems))
        return current

    def problems(self) -> list[Problem]:
        """What keeps the provider from calling the API, each naming its setting: empty when all is well."""
        current = self._configuration()
        if current.settings is None:
            return list(current.problems)
        return [] if current.settings.partner_key is not None else [MISSING_KEY]

    @property
    def settings(self) -> Settings:
        return _settings_of(self._configuration())

    def client(self) -> AsyncPolytomicClient:
        while True:
            current = self._configuration()
            if current.client is not None:
                return current.client
            from . import tls

            settings = _settings_of(current)
            if tls.verifies(settings.deployment_url):
                tls.start_building()  # loads the CA bundle beside the import of httpx, not after it
            from .client import AsyncPolytomicClient  # httpx is loaded only once a call needs the API

            # Built outside the lock (it takes tens of milliseconds), so concurrent first calls do not queue.
            fresh = AsyncPolytomicClient(settings)
            with self._lock:
                if self._current is current:
                    self._current = replace(current, client=fresh)
                    return fresh
            # configure() or another first call got in meanwhile: ours was never handed out (nor opened a
            # connection), so it is dropped, and the client of the configuration now in force is taken.


def _settings_of(configuration: _Configuration) -> Settings:
    if configuration.settings is None:
        raise ConfigurationError("; ".join(problem.reason for problem in configuration.problems))
    return configuration.settings


RUNTIME = ProviderRuntime()
