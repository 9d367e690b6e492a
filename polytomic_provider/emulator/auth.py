"""Who is calling the public API: ``Authorization: Bearer <key>`` resolved to a `Caller`.

Why a module of its own: authentication runs as middleware before routing, so that every /api/ path, known
or not, answers 401 to an anonymous caller; the routes then only decide what that caller may do.
"""

from __future__ import annotations

import hmac

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from .errors import Unauthorized
from .pipeline import is_api_path
from .rendering import error_response
from .state import Emulator
from .store import digest


class Caller(BaseUser):
    """Who is calling: the partner, or an organization through its org-scoped API key."""

    def __init__(self, *, is_partner: bool, org_id: str, credential: str) -> None:
        self.is_partner = is_partner
        self.org_id = org_id
        #: SHA-256 of the key: scopes idempotency records without keeping the key.
        self.credential = credential

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return "partner" if self.is_partner else f"organization {self.org_id}"


class BearerKeyBackend(AuthenticationBackend):
    """Resolves ``Authorization: Bearer <key>`` on /api/ paths; other paths stay anonymous."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._partner_key = emulator.settings.partner_key.encode()

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        if not is_api_path(conn.scope["path"]):
            return None
        header = conn.headers.get("authorization")
        if header is None:
            raise AuthenticationError("missing Authorization header")
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise AuthenticationError("expected Authorization: Bearer <API key>")
        if hmac.compare_digest(key.encode(), self._partner_key):
            return AuthCredentials(["partner"]), Caller(
                is_partner=True, org_id=self._emulator.owner_id, credential=digest(key)
            )
        org_id = self._emulator.store.org_id_for_api_key(key)
        if org_id is None:
            raise AuthenticationError("invalid or unknown API key")
        return AuthCredentials(["organization"]), Caller(
            is_partner=False, org_id=org_id, credential=digest(key)
        )


def auth_failed(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    """The middleware's error handler: every authentication failure is a 401 asking for a Bearer key."""
    error = Unauthorized(str(exc), headers={"WWW-Authenticate": "Bearer"})
    return error_response(error)


def current_caller(request: Request) -> Caller:
    """The authenticated caller of an /api/ route."""
    user = request.user
    if not isinstance(user, Caller):  # pragma: no cover - the backend guarantees a Caller on /api/
        raise Unauthorized("missing Authorization header")
    return user
