"""The state one emulator app shares between its routes and its request pipeline.

Why a module of its own: the public routes, the control routes and the pipeline all need the same store,
journal and fault plan, and each lives in its own module; holding them in one object passed to each (rather
than module-level globals) lets several apps, with their own databases, run in one process.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field

from .faults import FaultInjector
from .journal import Journal
from .models import UUID_TEXT
from .settings import EmulatorSettings
from .store import Store, digest


@dataclass(frozen=True)
class Identity:
    """Whom a credential belongs to: the partner, or an organization (an org-scoped API key, a key minted
    for one of its users, or the partner key in Basic form naming it)."""

    is_partner: bool
    org_id: str
    #: SHA-256 of the key: scopes idempotency records without keeping the key.
    credential: str


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """``(org_id, key)`` of an ``Authorization: Basic base64(org_id:key)`` header (both parts
    whitespace-trimmed, as Polytomic's Terraform provider sends them), or None for any other header."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    org_id, colon, key = decoded.partition(":")
    return (org_id.strip(), key.strip()) if colon else None


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

    def identify_authorization(self, authorization: str | None) -> Identity | None:
        """Whom an Authorization header names: ``Bearer <key>`` (see `identify`), or ``Basic
        base64(org_id:partner_key)``, the partner acting as that existing organization (an org-scoped
        caller of it). Anything else: None."""
        basic = basic_credentials(authorization)
        if basic is None:
            return self.identify(bearer_key(authorization))
        org_id, key = basic
        if (
            not key
            or not hmac.compare_digest(key.encode(), self._partner_key)
            or not UUID_TEXT.fullmatch(org_id)
        ):
            return None
        org_id = org_id.lower()
        if not self.store.exists(org_id):
            return None
        return Identity(is_partner=False, org_id=org_id, credential=digest(f"basic:{org_id}:{key}"))

    def identify(self, key: str | None) -> Identity | None:
        """Whom `key` belongs to, or None if it is nobody's (or its organization was deleted)."""
        if not key:
            return None
        if hmac.compare_digest(key.encode(), self._partner_key):
            return Identity(is_partner=True, org_id=self.owner_id, credential=digest(key))
        org_id = self.store.org_id_for_api_key(key)
        return None if org_id is None else Identity(is_partner=False, org_id=org_id, credential=digest(key))
