"""The six public Organizations endpoints under ``/api/``.

Why a module of its own: this is the emulated API proper. Each route checks what its (already
authenticated) caller may do, validates the path id and body, and hands the work to the store; writes go
through the Idempotency-Key rules here, since only a route knows which outcomes reached the API and so
may be stored and replayed. That path (`idempotent_write`) is shared with the users routes (users.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import jsonbody
from .auth import Caller, current_caller
from .errors import Conflict, EmulatorError, Forbidden, NotFound, Unprocessable
from .models import UUID_TEXT, OrganizationRecord, parse_organization_request
from .pipeline import request_context
from .rendering import envelope, error_response
from .state import Emulator
from .store import Claimed, InFlight, Mismatch, StoredOutcome

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,255}")


class OrganizationRoutes:
    """The six Organizations endpoints; each is a thin layer over the store."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._store = emulator.store

    def routes(self) -> list[Route]:
        return [
            Route("/api/organization", self.get_current, methods=["GET"]),
            Route("/api/organizations", self.list_organizations, methods=["GET"]),
            Route("/api/organizations", self.create_organization, methods=["POST"]),
            Route("/api/organizations/{org_id}", self.get_organization, methods=["GET"]),
            Route("/api/organizations/{org_id}", self.update_organization, methods=["PUT"]),
            Route("/api/organizations/{org_id}", self.delete_organization, methods=["DELETE"]),
        ]

    async def get_current(self, request: Request) -> Response:
        return envelope(self._store.get(current_caller(request).org_id).public_view())

    async def list_organizations(self, request: Request) -> Response:
        _require_partner(current_caller(request))
        return envelope([record.public_view() for record in self._store.list()])

    async def get_organization(self, request: Request) -> Response:
        caller = current_caller(request)
        org_id = _path_id(request)
        if not caller.is_partner and org_id != caller.org_id:
            raise Forbidden("an organization key can only read its own organization")
        return envelope(self._store.get(org_id).public_view())

    async def create_organization(self, request: Request) -> Response:
        caller = current_caller(request)

        _require_partner(
            caller
        )  # before the Idempotency-Key is claimed: a key that may not write claims none

        def create(body: bytes) -> Response:
            record = self._store.create(parse_organization_request(body))
            return envelope(record.public_view())

        return await idempotent_write(self._emulator, request, caller, create)

    async def update_organization(self, request: Request) -> Response:
        caller = current_caller(request)

        _require_partner(caller)

        def update(body: bytes) -> Response:
            org_id = _path_id(request)
            record = self._store.replace(org_id, parse_organization_request(body))
            return envelope(record.public_view())

        return await idempotent_write(self._emulator, request, caller, update)

    async def delete_organization(self, request: Request) -> Response:
        caller = current_caller(request)

        _require_partner(caller)

        def delete(body: bytes) -> Response:
            record: OrganizationRecord = self._store.delete(_path_id(request))
            if self._emulator.settings.delete_status == 200:
                return envelope(record.public_view())
            return Response(status_code=204)

        return await idempotent_write(self._emulator, request, caller, delete)


class Sealing(Protocol):
    """How an idempotency outcome is kept: what goes into the store, and how a stored one is answered.

    The default keeps the answer verbatim; the key-minting route keeps its plaintext key out of the store
    (users.py)."""

    def seal(self, outcome: StoredOutcome) -> StoredOutcome: ...

    def unseal(self, stored: StoredOutcome) -> Response: ...


class Verbatim:
    """The answer is stored as sent and replayed byte for byte."""

    def seal(self, outcome: StoredOutcome) -> StoredOutcome:
        return outcome

    def unseal(self, stored: StoredOutcome) -> Response:
        return replayed(stored)


def replayed(stored: StoredOutcome) -> Response:
    media_type = "application/json" if stored.body else None
    headers = {"Idempotent-Replayed": "true"}
    return Response(stored.body, status_code=stored.status, media_type=media_type, headers=headers)


async def idempotent_write(
    emulator: Emulator,
    request: Request,
    caller: Caller,
    handle: Callable[[bytes], Response],
    *,
    extra: str = "",
    sealing: Sealing | None = None,
) -> Response:
    """Run a write, honouring Idempotency-Key: claim, run, store the outcome (errors too), replay.

    `extra` joins the request's fingerprint (a query parameter that changes what the write does)."""
    sealing = sealing or Verbatim()
    body = await request.body()
    key = request.headers.get("idempotency-key")
    if key is None:
        return handle(body)
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise Unprocessable(
            "Idempotency-Key must be 8-255 characters of A-Z, a-z, 0-9, '_' or '-'",
            key="invalid_idempotency_key",
        )
    store, ttl = emulator.store, emulator.settings.idempotency_ttl_s
    claim = store.claim_idempotency(caller.credential, key, _fingerprint(request, body, extra), ttl)
    if isinstance(claim, InFlight):
        raise Conflict(
            "a request with this Idempotency-Key is still in progress", key="idempotency_key_in_use"
        )
    if isinstance(claim, Mismatch):
        raise Unprocessable(
            "this Idempotency-Key was already used for a different request", key="idempotency_key_reused"
        )
    if isinstance(claim, StoredOutcome):
        return sealing.unseal(claim)
    assert isinstance(claim, Claimed)
    try:
        await request_context(request).pause()
        try:
            response = handle(body)
        except EmulatorError as exc:
            response = error_response(exc)
    except BaseException:
        store.release_idempotency(caller.credential, key)
        raise
    store.finish_idempotency(
        caller.credential, key, sealing.seal(StoredOutcome(response.status_code, bytes(response.body)))
    )
    return response


def _require_partner(caller: Caller) -> None:
    if not caller.is_partner:
        raise Forbidden("this operation requires a partner key", key="partner_key_required")


def _path_id(request: Request) -> str:
    return path_uuid(request, "org_id", "organization")


def path_uuid(request: Request, param: str, what: str) -> str:
    """The path parameter `param`, lower-cased; 404 if it is not a UUID (it cannot name a `what`)."""
    raw = str(request.path_params[param])
    if not UUID_TEXT.fullmatch(raw):
        raise NotFound(f"{what} not found: the id is not a UUID", key="not_found")
    return raw.lower()


def _fingerprint(request: Request, body: bytes, extra: str = "") -> str:
    try:
        canonical = json.dumps(jsonbody.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(
        b"\0".join(
            [
                request.method.encode(),
                request.url.path.encode(),
                canonical,
                *([extra.encode()] if extra else []),
            ]
        )
    ).hexdigest()
