"""The emulated Polytomic Organizations API as a Starlette application.

`create_app(settings)` builds everything from an `EmulatorSettings`: the SQLite store (seeded with the
partner's owner organization and one organization per org-scoped API key), the journal, the fault plan,
the six API routes and the ``/_emulator/`` control routes. Nothing is read from the environment here.

Request path of an ``/api/`` request: `ApiPipeline` (reads the body, applies the fault plan, writes the
journal, adds ``X-Polytomic-Version``) -> `AuthenticationMiddleware` (Bearer key -> `Caller`) -> route ->
store. Errors are `EmulatorError`s raised anywhere below the pipeline and rendered in one place. Routes
are async and call SQLite directly: each statement takes microseconds, and the store's lock makes it safe
from any thread. The fault plan and the journal document their own rules (faults.py, journal.py).

Choices made where the fact sheet (shared/reference/organizations-api.md) is silent:

Auth
- Only ``Authorization: Bearer <key>`` is accepted on /api/. A missing header, another scheme, an empty or
  unknown key: 401 (``WWW-Authenticate: Bearer``), checked before routing, so even an unknown /api/ path
  answers 401 to an anonymous caller.
- The partner key may do everything. An org-scoped API key may read only its own organization:
  ``GET /api/organization`` and ``GET /api/organizations/{its id}``. Any other id: 403, whether or not that
  organization exists, so org keys cannot probe for ids. List, create, update, delete: 403
  (``partner_key_required``). An API key whose organization was deleted stops working (401).
- ``GET /api/organization`` with the partner key returns the partner's owner organization.
- A database holds one partner account. Keys are not stored, so a database reopened with another partner
  key still belongs to that one account; an API key maps to its organization by SHA-256 digest, and
  starting again with the same key finds the same organization.

Ids and paths
- Ids are random UUIDv4 strings. A path id must be a 36-character hyphenated UUID (any case; it is
  lower-cased before lookup); anything else is 404 like an unknown id (the path parameter is
  ``format: uuid``, so a malformed id cannot name an organization). For org-scoped keys the 404 for a
  malformed id comes before the 403.
- Trailing slashes are not redirected: ``/api/organizations/`` is 404. Query parameters are ignored.
- Unknown /api/ paths: 404; a known path with another method: 405 with ``Allow``. Both use the error body.

Request bodies (details in models.py)
- Strict JSON types, ``name`` required and not blank, ``name`` <= 255 and other fields <= 1024 characters,
  unknown fields ignored, names stored as sent. Content-Type is not checked: every body is parsed as JSON.
  Bodies over 1 MiB: 413. Validation failures are 422 with ``metadata.fields`` naming each bad field;
  messages never echo submitted values.
- Check order for writes: auth (401), Idempotency-Key format (422) and claim (replay / 409 / 422), scope
  (403), id format (404), body (422), existence (404), name (409).
- Names are unique within the partner account (one account per database): exact, case-sensitive match on
  the name with surrounding whitespace removed. Renaming an organization to its own name is allowed.
- PUT replaces the name and all five optional fields; an omitted field becomes null (its secret is gone).
- Responses always carry all five public fields (null when unset), never client_id or client_secret.
  ``GET /api/organizations`` lists the owner first, then the others in creation order; no pagination.
- The owner organization can be renamed and given SSO settings, but not deleted (403
  ``owner_organization``). DELETE answers 204 with no body (``--delete-status 200`` answers 200 with
  the deleted organization in the envelope instead).

Versioning
- ``X-Polytomic-Version`` is echoed on every response, control routes included; if the request had none,
  the answer says ``2025-09-18``. Any value is accepted: the emulator has one behaviour for all versions.

Idempotency (``Idempotency-Key`` on POST, PUT and DELETE; ignored on GET)
- Keys must be 8-255 characters of ``[A-Za-z0-9_-]``, else 422 ``invalid_idempotency_key``.
- Records are scoped per credential (by SHA-256 of the key, never the key itself) and kept 24 hours.
- The first outcome, errors included (403/404/409/422), is stored and replayed byte for byte with
  ``Idempotent-Replayed: true``. Outcomes that never reached the API (401, faults injected before
  handling) are not stored. An unexpected crash releases the key.
- A second request while the first is in flight: 409 ``idempotency_key_in_use``.
- The same key with another method, path or body (compared as canonical JSON): 422
  ``idempotency_key_reused``. Records survive a restart; in-flight claims do not.

Control plane (``/_emulator/``)
- Authorised only by ``X-Emulator-Admin-Token``: missing 401, wrong 403. API credentials never work there.
  ``GET /_emulator/health`` needs no token. Control routes are never journaled and never faulted.
- ``POST /_emulator/reset`` goes back to the seeded state: every organization except the owner and the
  API-key organizations is deleted, those keep their ids but get their seed names back and lose SSO
  settings; idempotency records, journal and faults are cleared.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import (
    Conflict,
    EmulatorError,
    Forbidden,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    Unprocessable,
)
from .faults import NO_FAULT, FaultInjector, FaultPlan
from .journal import Journal, RequestFacts
from .models import OrganizationRecord, parse_organization_request
from .settings import EmulatorSettings
from .store import Claimed, InFlight, Mismatch, Store, StoredOutcome, digest

logger = logging.getLogger("polytomic_provider.emulator")

#: Scope extension through which the server (server.py) lets the app close the TCP connection.
ABORT_EXTENSION = "polytomic_emulator.abort"
MAX_BODY_BYTES = 1024 * 1024
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,255}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})
_CONTEXT = "polytomic_emulator.context"


class ConnectionDropped(Exception):
    """Raised instead of dropping when the server offers no way to close the connection (e.g. TestClient)."""


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


def create_app(
    settings: EmulatorSettings,
    *,
    clock: Callable[[], float] = time.time,
    faults: FaultPlan | None = None,
) -> Starlette:
    """Build the emulator app; the store is opened (and seeded) now and closed on lifespan shutdown."""
    store = Store(settings.db_path, clock=clock)
    store.seed(owner_name=settings.owner_name, api_keys=settings.api_keys)
    journal = Journal(capacity=settings.journal_capacity, secrets=settings.secrets)
    journal.remember_client_secrets(store.client_secrets())
    emulator = Emulator(settings, store, journal, FaultInjector(seed=settings.fault_seed, plan=faults), clock)
    api = OrganizationRoutes(emulator)
    control = ControlRoutes(emulator)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    app = Starlette(
        routes=[*api.routes(), *control.routes()],
        middleware=[
            Middleware(ApiPipeline, emulator=emulator),
            Middleware(AuthenticationMiddleware, backend=BearerKeyBackend(emulator), on_error=_auth_failed),
        ],
        exception_handlers={EmulatorError: _render_error, HTTPException: _render_http_exception},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.emulator = emulator
    return app


# -- rendering --------------------------------------------------------------------------------------


def error_response(error: EmulatorError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def _envelope(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse({"data": data}, status_code=status)


async def _render_error(request: Request, exc: Exception) -> Response:
    return error_response(cast(EmulatorError, exc))


async def _render_http_exception(request: Request, exc: Exception) -> Response:
    http = cast(HTTPException, exc)
    if http.status_code == 405:
        error: EmulatorError = MethodNotAllowed(
            f"method {request.method} is not allowed on this path",
            headers={"Allow": ", ".join(_allowed_methods(request))},
        )
    elif http.status_code == 404:
        error = NotFound("no such endpoint", key="route_not_found")
    else:
        error = EmulatorError(http.detail, key="http_error", status=http.status_code)
    return error_response(error)


def _allowed_methods(request: Request) -> list[str]:
    """Every method routed for this path (Starlette reports only the first matching route's)."""
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(request.url.path):
            methods |= route.methods
    return sorted(methods)


# -- authentication ---------------------------------------------------------------------------------


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
        if not _is_api(conn.scope["path"]):
            return None
        header = conn.headers.get("authorization")
        if header is None:
            raise AuthenticationError("missing Authorization header")
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise AuthenticationError("expected Authorization: Bearer <API key>")
        if _same_secret(key.encode(), self._partner_key):
            return AuthCredentials(["partner"]), Caller(
                is_partner=True, org_id=self._emulator.owner_id, credential=digest(key)
            )
        org_id = self._emulator.store.org_id_for_api_key(key)
        if org_id is None:
            raise AuthenticationError("invalid or unknown API key")
        return AuthCredentials(["organization"]), Caller(
            is_partner=False, org_id=org_id, credential=digest(key)
        )


def _same_secret(given: bytes, expected: bytes) -> bool:
    return hmac.compare_digest(given, expected)


def _auth_failed(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    error = Unauthorized(str(exc), headers={"WWW-Authenticate": "Bearer"})
    return error_response(error)


def _caller(request: Request) -> Caller:
    user = request.user
    if not isinstance(user, Caller):  # pragma: no cover - the backend guarantees a Caller on /api/
        raise Unauthorized("missing Authorization header")
    return user


def _require_partner(caller: Caller) -> None:
    if not caller.is_partner:
        raise Forbidden("this operation requires a partner key", key="partner_key_required")


def _path_id(request: Request) -> str:
    raw = str(request.path_params["org_id"])
    if not _UUID.fullmatch(raw):
        raise NotFound("organization not found: the id is not a UUID", key="not_found")
    return raw.lower()


# -- the public API ---------------------------------------------------------------------------------


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
        return _envelope(self._store.get(_caller(request).org_id).public_view())

    async def list_organizations(self, request: Request) -> Response:
        _require_partner(_caller(request))
        return _envelope([record.public_view() for record in self._store.list()])

    async def get_organization(self, request: Request) -> Response:
        caller = _caller(request)
        org_id = _path_id(request)
        if not caller.is_partner and org_id != caller.org_id:
            raise Forbidden("an organization key can only read its own organization")
        return _envelope(self._store.get(org_id).public_view())

    async def create_organization(self, request: Request) -> Response:
        caller = _caller(request)

        def create(body: bytes) -> Response:
            _require_partner(caller)
            record = self._store.create(parse_organization_request(body))
            return _envelope(record.public_view())

        return await self._idempotent(request, caller, create)

    async def update_organization(self, request: Request) -> Response:
        caller = _caller(request)

        def update(body: bytes) -> Response:
            _require_partner(caller)
            org_id = _path_id(request)
            record = self._store.replace(org_id, parse_organization_request(body))
            return _envelope(record.public_view())

        return await self._idempotent(request, caller, update)

    async def delete_organization(self, request: Request) -> Response:
        caller = _caller(request)

        def delete(body: bytes) -> Response:
            _require_partner(caller)
            record: OrganizationRecord = self._store.delete(_path_id(request))
            if self._emulator.settings.delete_status == 200:
                return _envelope(record.public_view())
            return Response(status_code=204)

        return await self._idempotent(request, caller, delete)

    async def _idempotent(
        self, request: Request, caller: Caller, handle: Callable[[bytes], Response]
    ) -> Response:
        """Run a write, honouring Idempotency-Key: claim, run, store the outcome (errors too), replay."""
        body = await request.body()
        key = request.headers.get("idempotency-key")
        if key is None:
            return handle(body)
        if not IDEMPOTENCY_KEY.fullmatch(key):
            raise Unprocessable(
                "Idempotency-Key must be 8-255 characters of A-Z, a-z, 0-9, '_' or '-'",
                key="invalid_idempotency_key",
            )
        store, ttl = self._store, self._emulator.settings.idempotency_ttl_s
        claim = store.claim_idempotency(caller.credential, key, _fingerprint(request, body), ttl)
        if isinstance(claim, InFlight):
            raise Conflict(
                "a request with this Idempotency-Key is still in progress", key="idempotency_key_in_use"
            )
        if isinstance(claim, Mismatch):
            raise Unprocessable(
                "this Idempotency-Key was already used for a different request", key="idempotency_key_reused"
            )
        if isinstance(claim, StoredOutcome):
            media_type = "application/json" if claim.body else None
            headers = {"Idempotent-Replayed": "true"}
            return Response(claim.body, status_code=claim.status, media_type=media_type, headers=headers)
        assert isinstance(claim, Claimed)
        try:
            await _context(request).pause()
            try:
                response = handle(body)
            except EmulatorError as exc:
                response = error_response(exc)
        except BaseException:
            store.release_idempotency(caller.credential, key)
            raise
        store.finish_idempotency(
            caller.credential, key, StoredOutcome(response.status_code, bytes(response.body))
        )
        return response


def _fingerprint(request: Request, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(
        b"\0".join([request.method.encode(), request.url.path.encode(), canonical])
    ).hexdigest()


# -- the control plane ------------------------------------------------------------------------------

ADMIN_HEADER = "x-emulator-admin-token"


class ControlRoutes:
    """``/_emulator/`` routes for tests: health, journal, faults, organizations, reset."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._token = emulator.settings.admin_token.encode()

    def routes(self) -> list[Route]:
        return [
            Route("/_emulator/health", self.health, methods=["GET"]),
            Route("/_emulator/journal", self.journal, methods=["GET"]),
            Route("/_emulator/journal", self.clear_journal, methods=["DELETE"]),
            Route("/_emulator/faults", self.get_faults, methods=["GET"]),
            Route("/_emulator/faults", self.set_faults, methods=["PUT"]),
            Route("/_emulator/faults", self.clear_faults, methods=["DELETE"]),
            Route("/_emulator/organizations", self.organizations, methods=["GET"]),
            Route("/_emulator/reset", self.reset, methods=["POST"]),
        ]

    def _authorise(self, request: Request) -> None:
        token = request.headers.get(ADMIN_HEADER)
        if token is None:
            raise Unauthorized(f"control routes need the {ADMIN_HEADER} header", key="admin_token_required")
        if not _same_secret(token.encode(), self._token):
            raise Forbidden("wrong admin token", key="admin_token_invalid")

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def journal(self, request: Request) -> Response:
        self._authorise(request)
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            raise Unprocessable("since must be an integer", key="validation_failed") from None
        return _envelope(self._emulator.journal.entries(since=since))

    async def clear_journal(self, request: Request) -> Response:
        self._authorise(request)
        self._emulator.journal.clear()
        return Response(status_code=204)

    async def get_faults(self, request: Request) -> Response:
        self._authorise(request)
        return _envelope(self._emulator.faults.describe())

    async def set_faults(self, request: Request) -> Response:
        self._authorise(request)
        try:
            plan = FaultPlan.model_validate_json(await request.body() or b"{}")
        except ValueError as exc:
            raise Unprocessable(f"invalid fault plan: {exc}", key="validation_failed") from None
        self._emulator.faults.set_plan(plan)
        return _envelope(self._emulator.faults.describe())

    async def clear_faults(self, request: Request) -> Response:
        self._authorise(request)
        self._emulator.faults.clear()
        return Response(status_code=204)

    async def organizations(self, request: Request) -> Response:
        self._authorise(request)
        return _envelope([record.admin_view() for record in self._emulator.store.list()])

    async def reset(self, request: Request) -> Response:
        self._authorise(request)
        settings = self._emulator.settings
        self._emulator.store.reset(owner_name=settings.owner_name, api_keys=settings.api_keys)
        self._emulator.journal.clear()
        self._emulator.faults.clear()
        return Response(status_code=204)


# -- the /api/ pipeline -----------------------------------------------------------------------------


class RequestContext:
    """Per-request state shared between the pipeline and the routes: the latency still owed."""

    def __init__(self, latency_ms: int) -> None:
        self._latency_ms = latency_ms

    async def pause(self) -> None:
        """Sleep the plan's latency, once per request, wherever it is first asked for."""
        delay, self._latency_ms = self._latency_ms, 0
        if delay:
            await asyncio.sleep(delay / 1000)


def _context(request: Request) -> RequestContext:
    context = request.scope.get(_CONTEXT)
    return context if isinstance(context, RequestContext) else RequestContext(0)


@dataclass
class _Outcome:
    """The response the app produced for one /api/ request, held back until faults have had their say."""

    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)

    def set_error(self, error: EmulatorError) -> None:
        response = error_response(error)
        self.status, self.headers, self.body = (
            response.status_code,
            list(response.raw_headers),
            bytearray(response.body),
        )


class ApiPipeline:
    """Pure ASGI middleware around every request.

    For all requests it adds ``X-Polytomic-Version``. For /api/ requests it also reads the whole body,
    asks the fault plan what to do, runs the app (or not), owes the plan's latency, drops the connection
    or sends the buffered response, and writes one journal entry.
    """

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self._emulator = emulator
        self._default_version = emulator.settings.default_api_version.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        version = self._default_version
        for name, value in scope["headers"]:
            if name == b"x-polytomic-version":
                version = value
                break
        if not _is_api(scope["path"]):
            await self.app(scope, receive, _adding_header(send, version))
            return
        await self._handle_api(scope, receive, send, version)

    async def _handle_api(self, scope: Scope, receive: Receive, send: Send, version: bytes) -> None:
        started_at, t0 = self._emulator.clock(), time.perf_counter()
        outcome = _Outcome()
        decision = NO_FAULT
        body = b""
        try:
            body = await _read_body(receive)
        except PayloadTooLarge as exc:
            outcome.set_error(exc)
        else:
            decision = self._emulator.faults.decide(scope["method"])
            context = RequestContext(decision.latency_ms)
            scope[_CONTEXT] = context
            if decision.error is not None:
                outcome.set_error(decision.error)
            elif decision.action != "drop_before":
                await self._run_app(scope, receive, body, outcome)
            await context.pause()  # no-op if the route already paused after claiming an idempotency key

        self._emulator.journal.record(
            RequestFacts(
                method=scope["method"],
                path=scope["path"],
                query=scope["query_string"].decode("latin-1"),
                headers=list(scope["headers"]),
                body=body,
                status=outcome.status,
                fault=decision.fault,
                latency_ms=decision.latency_ms,
                replayed=(b"idempotent-replayed", b"true") in outcome.headers,
                error_key=_error_key(outcome.body) if (outcome.status or 0) >= 400 else None,
                duration_ms=(time.perf_counter() - t0) * 1000,
                started_at=started_at,
            )
        )
        if decision.action in ("drop_before", "drop_after"):
            await _drop(scope)
            return
        headers = [(k, v) for k, v in outcome.headers if k != b"x-polytomic-version"]
        headers.append((b"x-polytomic-version", version))
        await send({"type": "http.response.start", "status": outcome.status or 500, "headers": headers})
        await send({"type": "http.response.body", "body": bytes(outcome.body)})

    async def _run_app(self, scope: Scope, receive: Receive, body: bytes, outcome: _Outcome) -> None:
        """Run the Starlette app with the already-read body, buffering its response into `outcome`."""
        delivered = False

        async def replay_body() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome.status = message["status"]
                outcome.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                outcome.body += message.get("body", b"")

        try:
            await self.app(scope, replay_body, capture)
        except Exception:
            logger.exception("unexpected error while handling %s %s", scope["method"], scope["path"])
            outcome.set_error(InternalError("unexpected emulator error"))


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _adding_header(send: Send, version: bytes) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-polytomic-version"]
            message = {**message, "headers": [*headers, (b"x-polytomic-version", version)]}
        await send(message)

    return wrapped


async def _read_body(receive: Receive) -> bytes:
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks += message.get("body", b"")
        if len(chunks) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"request bodies are limited to {MAX_BODY_BYTES} bytes")
        if not message.get("more_body", False):
            break
    return bytes(chunks)


def _error_key(body: bytes | bytearray) -> str | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    key = parsed.get("key") if isinstance(parsed, dict) else None
    return key if isinstance(key, str) else None


async def _drop(scope: Scope) -> None:
    """Close the TCP connection without a response; the server put the means in the scope."""
    abort = scope.get("extensions", {}).get(ABORT_EXTENSION)
    if abort is None:
        raise ConnectionDropped("fault plan dropped the connection (no transport to abort here)")
    abort()
    # Let the transport report the loss before the server looks at the finished request, so it does not
    # try to send a fallback 500 on the dead connection.
    for _ in range(3):
        await asyncio.sleep(0)
