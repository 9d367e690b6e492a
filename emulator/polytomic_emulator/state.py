"""The state one emulator app shares between its routes and its request pipeline.

Why a module of its own: the public routes, the control routes and the pipeline all need the same store,
journal and fault plan, and each lives in its own module; holding them in one object passed to each (rather
than module-level globals) lets several apps, with their own databases, run in one process.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field

from .faults import FaultInjector
from .journal import Journal
from .settings import EmulatorSettings
from .store import Store, digest


@dataclass(frozen=True)
class Identity:
    """Whom a key belongs to: the partner, or the organization of an org-scoped API key."""

    is_partner: bool
    org_id: str
    #: SHA-256 of the key: scopes idempotency records without keeping the key.
    credential: str


def bearer_key(authorization: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header, or None for any other header (or none)."""
    scheme, _, key = (authorization or "").partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


@dataclass
class Emulator:
    """Everything the routes share; one per app, no module-level state."""

    settings: EmulatorSettings
    store: Store
    journal: Journal
    faults: FaultInjector
    clock: Callable[[], float]
    owner_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.owner_id = self.store.owner_id
        self._partner_key = self.settings.partner_key.encode()

    def identify(self, key: str | None) -> Identity | None:
        """Whom `key` belongs to, or None if it is nobody's (or its organization was deleted)."""
        if not key:
            return None
        if hmac.compare_digest(key.encode(), self._partner_key):
            return Identity(is_partner=True, org_id=self.owner_id, credential=digest(key))
        org_id = self.store.org_id_for_api_key(key)
        return None if org_id is None else Identity(is_partner=False, org_id=org_id, credential=digest(key))
