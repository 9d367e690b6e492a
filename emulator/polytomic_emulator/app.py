"""The emulated Polytomic Organizations API as a Starlette application.

`create_app(settings)` builds everything from an `EmulatorSettings`: the SQLite store (seeded with the
partner's owner organization and one organization per org-scoped API key), the journal, the fault plan,
the six organization routes (api.py), the users and roles routes (users.py) and the ``/_emulator/``
control routes. Nothing is read from the environment here.

Request path of an ``/api/`` request: `ApiPipeline` (pipeline.py: reads the body, applies the fault plan,
writes the journal, adds ``X-Polytomic-Version``) -> `AuthenticationMiddleware` (auth.py: Bearer key or
Basic org_id:partner_key -> `Caller`) -> route (api.py, users.py) -> store. Errors are `EmulatorError`s
raised anywhere below the pipeline and rendered in one place (rendering.py). The control routes live in
control.py. Routes are async and call SQLite directly: each statement takes microseconds, and the store's
lock makes it safe from any thread.
The fault plan and the journal document their own rules (faults.py, journal.py).

Every behaviour chosen where Polytomic's documentation is silent is written down in the distribution's
README.md ("Behaviour"); tests/emulator checks each one.
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
from .users import UserRoutes

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
        capacity=settings.journal_capacity,
        max_bytes=settings.journal_max_bytes,
        secrets=settings.secrets,
        stored_secrets=store.client_secrets,
        max_header_bytes=settings.journal_max_header_bytes,
        anonymous_backlog=settings.journal_anonymous_backlog,
        max_stored_secrets=settings.journal_max_stored_secrets,
    )
    journal.reset_client_secrets(store.client_secrets())
    emulator = Emulator(settings, store, journal, FaultInjector(seed=settings.fault_seed, plan=faults), clock)
    api = OrganizationRoutes(emulator)
    users = UserRoutes(emulator)
    control = ControlRoutes(emulator)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        journal.close()
        store.close()

    app = Starlette(
        routes=[*api.routes(), *users.routes(), *control.routes()],
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
