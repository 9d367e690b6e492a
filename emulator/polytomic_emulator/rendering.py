"""How the emulator turns results and errors into HTTP responses.

Why a module of its own: successes are wrapped in the ``{"data": ...}`` envelope and every failure, whether
raised by a route, the store, the fault plan or Starlette's own routing (404, 405), has the one error body
of errors.py; the routes, the pipeline and the app's exception handlers all render through here.
"""

from __future__ import annotations

from typing import Any, cast

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import EmulatorError, MethodNotAllowed, NotFound


def error_response(error: EmulatorError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def envelope(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse({"data": data}, status_code=status)


async def render_error(request: Request, exc: Exception) -> Response:
    """Exception handler for `EmulatorError`s raised below the pipeline."""
    return error_response(cast(EmulatorError, exc))


async def render_http_exception(request: Request, exc: Exception) -> Response:
    """Exception handler giving Starlette's routing errors (404, 405) the emulator's error body."""
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
