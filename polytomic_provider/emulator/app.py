"""The emulated Polytomic Organizations API as a Starlette application.

`create_app(settings)` builds everything from an `EmulatorSettings`: the SQLite store (seeded with the
partner's owner organization and one organization per org-scoped API key), the journal, the fault plan,
the six API routes and the ``/_emulator/`` control routes. Nothing is read from the environment here.

Request path of an ``/api/`` request: `ApiPipeline` (pipeline.py: reads the body, applies the fault plan,
writes the journal, adds ``X-Polytomic-Version``) -> `AuthenticationMiddleware` (auth.py: Bearer key ->
`Caller`) -> route (api.py) -> store. Errors are `EmulatorError`s raised anywhere below the pipeline and
rendered in one place (rendering.py). The control routes live in control.py. Routes are async and call
SQLite directly: each statement takes microseconds, and the store's lock makes it safe from any thread.
The fault plan and the journal document their own rules (faults.py, journal.py).

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
  ``idempotency_key_reused``. Records survive a restart. An in-flight claim survives too while the
  process that made it runs (two emulators may share one ``--db``); a claim whose process is gone is taken
  over by the next request with its key. Only the claiming process stores the outcome, and a stored
  outcome is never replaced.
- Request bodies nested more than 32 levels deep are malformed (422 ``invalid_body``), like any body that
  is not one JSON object; nothing parses them recursively.

Control plane (``/_emulator/``)
- Authorised only by ``X-Emulator-Admin-Token``: missing 401, wrong 403. API credentials never work there.
  ``GET /_emulator/health`` needs no token. Control routes are never journaled and never faulted.
- ``POST /_emulator/reset`` goes back to the seeded state: every organization except the owner and the
  API-key organizations is deleted, those keep their ids but get their seed names back and lose SSO
  settings; idempotency records, journal and faults are cleared.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware

from .api import OrganizationRoutes
from .auth import BearerKeyBackend, auth_failed
from .control import ControlRoutes
from .errors import EmulatorError
from .faults import FaultInjector, FaultPlan
from .journal import Journal
from .pipeline import ApiPipeline, ConnectionDropped
from .rendering import render_error, render_http_exception
from .settings import EmulatorSettings
from .state import Emulator
from .store import Store

# ConnectionDropped is re-exported: tests name it through this module.
__all__ = ["ConnectionDropped", "create_app"]


def create_app(
    settings: EmulatorSettings,
    *,
    clock: Callable[[], float] = time.time,
    faults: FaultPlan | None = None,
) -> Starlette:
    """Build the emulator app; the store is opened (and seeded) now and closed on lifespan shutdown."""
    store = Store(settings.db_path, clock=clock)
    store.seed(owner_name=settings.owner_name, api_keys=settings.api_keys)
    journal = Journal(
        capacity=settings.journal_capacity, max_bytes=settings.journal_max_bytes, secrets=settings.secrets
    )
    journal.reset_client_secrets(store.client_secrets())
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
            Middleware(AuthenticationMiddleware, backend=BearerKeyBackend(emulator), on_error=auth_failed),
        ],
        exception_handlers={EmulatorError: render_error, HTTPException: render_http_exception},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.emulator = emulator
    return app
