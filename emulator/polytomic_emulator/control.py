"""The ``/_emulator/`` control routes tests use to inspect and steer the emulator.

Why a module of its own: these routes are not part of the emulated API. They have their own credential
(``X-Emulator-Admin-Token``, checked here; API keys never work), and the pipeline neither faults nor
journals them, so the public routes' auth and idempotency rules do not apply.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import Forbidden, Unauthorized, Unprocessable
from .faults import FaultPlan
from .pipeline import trust
from .rendering import envelope
from .state import Emulator

ADMIN_HEADER = "x-emulator-admin-token"


class ControlRoutes:
    """``/_emulator/`` routes for tests: health, journal, faults, organizations, invitations, reset."""

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
            Route("/_emulator/invitations", self.invitations, methods=["GET"]),
            Route("/_emulator/reset", self.reset, methods=["POST"]),
        ]

    def _authorise(self, request: Request) -> None:
        token = request.headers.get(ADMIN_HEADER)
        if token is None:
            raise Unauthorized(f"control routes need the {ADMIN_HEADER} header", key="admin_token_required")
        if not hmac.compare_digest(token.encode(), self._token):
            raise Forbidden("wrong admin token", key="admin_token_invalid")
        trust(request.scope)

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def journal(self, request: Request) -> Response:
        self._authorise(request)
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            raise Unprocessable("since must be an integer", key="validation_failed") from None
        await self._emulator.journal.settled()  # entries of answered anonymous requests on their way
        return envelope(self._emulator.journal.entries(since=since))

    async def clear_journal(self, request: Request) -> Response:
        self._authorise(request)
        self._emulator.journal.clear()
        return Response(status_code=204)

    async def get_faults(self, request: Request) -> Response:
        self._authorise(request)
        return envelope(self._emulator.faults.describe())

    async def set_faults(self, request: Request) -> Response:
        self._authorise(request)
        try:
            plan = FaultPlan.model_validate_json(await request.body() or b"{}")
        except ValueError as exc:
            raise Unprocessable(f"invalid fault plan: {exc}", key="validation_failed") from None
        self._emulator.faults.set_plan(plan)
        return envelope(self._emulator.faults.describe())

    async def clear_faults(self, request: Request) -> Response:
        self._authorise(request)
        self._emulator.faults.clear()
        return Response(status_code=204)

    async def organizations(self, request: Request) -> Response:
        self._authorise(request)
        return envelope([record.admin_view() for record in self._emulator.store.list()])

    async def invitations(self, request: Request) -> Response:
        """The invitations "sent" (one per user created, no mail), oldest first."""
        self._authorise(request)
        return envelope(self._emulator.store.invitations())

    async def reset(self, request: Request) -> Response:
        self._authorise(request)
        settings = self._emulator.settings
        self._emulator.store.reset(owner_name=settings.owner_name, api_keys=settings.api_keys)
        self._emulator.journal.clear()
        self._emulator.journal.reset_client_secrets(self._emulator.store.client_secrets())
        self._emulator.faults.clear()
        return Response(status_code=204)
