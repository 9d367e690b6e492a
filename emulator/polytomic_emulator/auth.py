"""Who is calling the public API: ``Authorization: Bearer <key>`` (or ``Basic base64(org_id:partner_key)``)
resolved to a `Caller`.

Why a module of its own: authentication runs as middleware before routing, so that every /api/ path, known
or not, answers 401 to an anonymous caller; the routes then only decide what that caller may do.
"""

from __future__ import annotations

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
from .state import Emulator, basic_credentials, bearer_key


class Caller(BaseUser):
    """Who is calling: the partner, or an organization (its API key, a user's minted key, or the partner
    key in Basic form naming it)."""

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
    """Resolves ``Authorization`` (Bearer or Basic) on /api/ paths; other paths stay anonymous."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        if not is_api_path(conn.scope["path"]):
            return None
        header = conn.headers.get("authorization")
        if header is None:
            raise AuthenticationError("missing Authorization header")
        if bearer_key(header) is None and basic_credentials(header) is None:
            raise AuthenticationError(
                "expected Authorization: Bearer <API key> or Basic base64(<organization id>:<partner key>)"
            )
        identity = self._emulator.identify_authorization(header)
        if identity is None:
            raise AuthenticationError("invalid or unknown API key")
        caller = Caller(
            is_partner=identity.is_partner, org_id=identity.org_id, credential=identity.credential
        )
        return AuthCredentials(["partner" if identity.is_partner else "organization"]), caller


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
