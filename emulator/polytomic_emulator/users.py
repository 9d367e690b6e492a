"""The Users endpoints (both levels) and the read-only permissions roles under ``/api/``.

Why a module of its own: users are the second resource of the emulated API, with rules of their own
(which credential may act on which organization, role assignment, minted API keys). The shapes and body
rules live in models.py, the data in store.py; this module decides who may call what and runs writes
through the same Idempotency-Key path as the organizations (api.py).

Who may call (users-api.md, "For the emulator"):
- ``/api/organizations/{org_id}/users...`` (partner level): the partner key as Bearer (any organization),
  the partner key in Basic form naming that organization, or an org-scoped key (seeded, or minted for a
  user) of that organization. Another organization's credential: 403, whether or not ``org_id`` exists.
- ``/api/organization/users...`` and ``/api/permissions/roles...`` act on the caller's organization, so
  they need an org-scoped caller (an org key, a minted key, or Basic ``org_id:partner_key``); the partner
  key as Bearer names no organization: 403.

A minted key is shown once. Its plaintext never reaches the store: with an Idempotency-Key, the stored
outcome holds a random reference instead, and the answer itself is kept in this process's memory
(`ShownKeys`) so that a retry gets the same key; after a restart (or once evicted) a replay is a 409
``api_key_not_replayable``.
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import jsonbody
from .api import idempotent_write, path_uuid, replayed
from .auth import Caller, current_caller
from .errors import Conflict, Forbidden, Unprocessable
from .models import UserRequest, parse_user_request
from .rendering import envelope
from .state import Emulator
from .store import StoredOutcome

#: Go's strconv.ParseBool spellings (Polytomic's backend is Go).
_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})
#: Minted-key answers kept in memory for Idempotency-Key replays (least recently used dropped first).
MAX_SHOWN_KEYS = 1024


class ShownKeys:
    """The `Sealing` of key mints: the answer (with its plaintext key) stays in memory, the store gets a
    reference to it. Errors are stored and replayed as they are."""

    def __init__(self, capacity: int = MAX_SHOWN_KEYS) -> None:
        self._capacity = capacity
        self._answers: OrderedDict[str, bytes] = OrderedDict()

    def seal(self, outcome: StoredOutcome) -> StoredOutcome:
        if outcome.status != 200:
            return outcome
        reference = uuid.uuid4().hex
        self._answers[reference] = outcome.body
        while len(self._answers) > self._capacity:
            self._answers.popitem(last=False)
        return StoredOutcome(200, json.dumps({"sealed_api_key": reference}).encode())

    def unseal(self, stored: StoredOutcome) -> Response:
        if stored.status != 200:
            return replayed(stored)
        try:
            sealed = json.loads(stored.body)
        except ValueError:
            sealed = None
        reference = sealed.get("sealed_api_key") if isinstance(sealed, dict) else None
        answer = self._answers.get(reference) if isinstance(reference, str) else None
        if answer is None or not isinstance(reference, str):
            raise Conflict(
                "the API key minted for this Idempotency-Key was shown once and is no longer kept;"
                " mint another with a new Idempotency-Key",
                key="api_key_not_replayable",
            )
        self._answers.move_to_end(reference)
        return replayed(StoredOutcome(200, answer))


class UserRoutes:
    """Users at both levels, API-key minting, and the read-only roles."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._store = emulator.store
        self._shown = ShownKeys()

    def routes(self) -> list[Route]:
        partner = "/api/organizations/{org_id}/users"
        current = "/api/organization/users"
        return [
            Route(partner, self.list_users, methods=["GET"]),
            Route(partner, self.create_user, methods=["POST"]),
            Route(partner + "/{user_id}", self.get_user, methods=["GET"]),
            Route(partner + "/{user_id}", self.update_user, methods=["PUT"]),
            Route(partner + "/{user_id}", self.delete_user, methods=["DELETE"]),
            Route(partner + "/{user_id}/keys", self.create_api_key, methods=["POST"]),
            Route(current, self.list_current, methods=["GET"]),
            Route(current, self.create_current, methods=["POST"]),
            Route(current + "/{user_id}", self.get_current, methods=["GET"]),
            Route(current + "/{user_id}", self.update_current, methods=["PUT"]),
            Route(current + "/{user_id}", self.delete_current, methods=["DELETE"]),
            Route("/api/permissions/roles", self.list_roles, methods=["GET"]),
            Route("/api/permissions/roles/{role_id}", self.get_role, methods=["GET"]),
        ]

    # -- partner level -----------------------------------------------------------------------------------

    async def list_users(self, request: Request) -> Response:
        return self._list(_partner_scope(request))

    async def get_user(self, request: Request) -> Response:
        return self._get(request, _partner_scope(request))

    async def create_user(self, request: Request) -> Response:
        return await self._create(request, _partner_scope(request))

    async def update_user(self, request: Request) -> Response:
        return await self._update(request, _partner_scope(request), with_email=True)

    async def delete_user(self, request: Request) -> Response:
        return await self._delete(request, _partner_scope(request))

    async def create_api_key(self, request: Request) -> Response:
        org_id = _partner_scope(request)
        force = _force(request)

        def mint(body: bytes) -> Response:
            user_id = _user_id(request)
            _no_body(body)
            key = self._store.mint_api_key(org_id, user_id, force=force)
            self._emulator.journal.learn_credential(key)
            return envelope({"value": key})

        return await idempotent_write(
            self._emulator,
            request,
            current_caller(request),
            mint,
            extra=f"force={force}",
            sealing=self._shown,
        )

    # -- organization level ------------------------------------------------------------------------------

    async def list_current(self, request: Request) -> Response:
        return self._list(_current_scope(request))

    async def get_current(self, request: Request) -> Response:
        return self._get(request, _current_scope(request))

    async def create_current(self, request: Request) -> Response:
        return await self._create(request, _current_scope(request))

    async def update_current(self, request: Request) -> Response:
        return await self._update(request, _current_scope(request), with_email=False)

    async def delete_current(self, request: Request) -> Response:
        return await self._delete(request, _current_scope(request))

    # -- roles -------------------------------------------------------------------------------------------

    async def list_roles(self, request: Request) -> Response:
        org_id = _current_scope(request)
        return envelope([role.public_view() for role in self._store.list_roles(org_id)])

    async def get_role(self, request: Request) -> Response:
        org_id = _current_scope(request)
        return envelope(self._store.get_role(org_id, path_uuid(request, "role_id", "role")).public_view())

    # -- shared by both levels, once the organization is known ------------------------------------------

    def _list(self, org_id: str) -> Response:
        return envelope([user.public_view() for user in self._store.list_users(org_id)])

    def _get(self, request: Request, org_id: str) -> Response:
        return envelope(self._store.get_user(org_id, _user_id(request)).public_view())

    async def _create(self, request: Request, org_id: str) -> Response:
        def create(body: bytes) -> Response:
            parsed = parse_user_request(body)
            assert isinstance(parsed, UserRequest)
            return envelope(self._store.create_user(org_id, parsed).public_view())

        return await idempotent_write(self._emulator, request, current_caller(request), create)

    async def _update(self, request: Request, org_id: str, *, with_email: bool) -> Response:
        def update(body: bytes) -> Response:
            user_id = _user_id(request)
            parsed = parse_user_request(body, with_email=with_email)
            return envelope(self._store.update_user(org_id, user_id, parsed).public_view())

        return await idempotent_write(self._emulator, request, current_caller(request), update)

    async def _delete(self, request: Request, org_id: str) -> Response:
        def delete(body: bytes) -> Response:
            return envelope(self._store.delete_user(org_id, _user_id(request)).public_view())

        return await idempotent_write(self._emulator, request, current_caller(request), delete)


def _partner_scope(request: Request) -> str:
    """The path's organization, if the caller may act on it (checked before any Idempotency-Key claim)."""
    caller: Caller = current_caller(request)
    org_id = path_uuid(request, "org_id", "organization")
    if not caller.is_partner and caller.org_id != org_id:
        raise Forbidden("this credential is scoped to another organization", key="organization_mismatch")
    return org_id


def _current_scope(request: Request) -> str:
    """The caller's own organization; the partner key as Bearer names none."""
    caller: Caller = current_caller(request)
    if caller.is_partner:
        raise Forbidden(
            "this endpoint acts on the caller's organization: use an organization's API key, or"
            " Basic base64(<organization id>:<partner key>)",
            key="organization_key_required",
        )
    return caller.org_id


def _user_id(request: Request) -> str:
    return path_uuid(request, "user_id", "user")


def _force(request: Request) -> bool:
    raw = request.query_params.get("force")
    if raw is None or raw == "":
        return False
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise Unprocessable(
        "force: must be true or false",
        key="validation_failed",
        metadata={"fields": {"force": "must be a boolean"}},
    )


def _no_body(body: bytes) -> None:
    """Key minting takes no body; an empty one or any JSON object (``{}`` in the docs' example) is fine."""
    if not body.strip():
        return
    try:
        parsed = jsonbody.loads(body)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise Unprocessable(
            "request body must be empty or a JSON object",
            key="invalid_body",
            metadata={"fields": {"body": "must be empty or a JSON object"}},
        )
