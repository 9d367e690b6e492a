"""PolytomicClient: one thread-safe httpx.Client per process, with retries and typed errors.

The dynamic provider host serves up to four operations at once, so one client (and its connection pool)
is shared by all of them. Errors carry the status, the API's message and the attempt count; secret values
that were sent (the key, a client_secret) are scrubbed, in every encoding (scrub.py), from every string
that comes back: the API's message and error key, a raw error page, the reason phrase, a transport error.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import quote

import httpx
import stamina

from .config import Settings
from .errors import TransportError, api_error_for
from .models import Organization, OrganizationSpec
from .retry import (
    CallBudget,
    RetryableResponse,
    install_retry_reporting,
    is_tls_failure,
    json_body,
    should_retry,
)
from .scrub import Scrubber
from .version import __version__

__all__ = ["USER_AGENT", "PolytomicClient"]

USER_AGENT = f"polytomic-pulumi/{__version__}"
CONNECT_TIMEOUT_SECONDS = 10.0
POOL_SIZE = 4
RETRY_WAIT_INITIAL = 0.5
RETRY_WAIT_MAX = 10.0
RETRY_WAIT_JITTER = 0.5
_IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _announces_write(
    method: Callable[Concatenate[PolytomicClient, _P], _R],
) -> Callable[Concatenate[PolytomicClient, _P], _R]:
    """Tell the client's write listeners once the write is over, even when it failed: a failed or lost
    write may still have changed the account, so anything read before it is stale."""

    @functools.wraps(method)
    def wrapper(self: PolytomicClient, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        finally:
            for listener in tuple(self._write_listeners):
                listener()

    return wrapper


class PolytomicClient:
    """Typed calls to the Organizations API of one deployment."""

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        install_retry_reporting()
        key = settings.require_key()
        self._secrets: tuple[str, ...] = (key.reveal(),)
        self._write_listeners: list[Callable[[], None]] = []
        self._http = httpx.Client(
            base_url=settings.deployment_url,
            headers={
                "Authorization": f"Bearer {key.reveal()}",
                "X-Polytomic-Version": settings.api_version,
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(settings.timeout, connect=min(CONNECT_TIMEOUT_SECONDS, settings.timeout)),
            # The provider host serves at most four calls at once; a bigger pool only costs polling.
            limits=httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE),
            transport=transport,
        )
        # A client dropped by the runtime (after a new configure()) may still be in use by another thread,
        # so it is not closed there: its connections close once the last holder lets go of it.
        self._close = weakref.finalize(self, self._http.close)

    def close(self) -> None:
        self._close()

    def on_write(self, listener: Callable[[], None]) -> None:
        """Call `listener` after each create, update or delete made through this client (see snapshot.py)."""
        self._write_listeners.append(listener)

    def __enter__(self) -> PolytomicClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the six endpoints -------------------------------------------------------------------------------

    def current_organization(self) -> Organization:
        return Organization.from_envelope(self._request("GET", "/api/organization").json())

    def list_organizations(self) -> list[Organization]:
        return Organization.list_from_envelope(self._request("GET", "/api/organizations").json())

    def get_organization(self, organization_id: str) -> Organization:
        return Organization.from_envelope(self._request("GET", _org_path(organization_id)).json())

    @_announces_write
    def create_organization(
        self, spec: OrganizationSpec, *, idempotency_key: str | None = None
    ) -> Organization:
        """POST; retried only under an Idempotency-Key that stays the same across attempts."""
        response = self._request(
            "POST", "/api/organizations", json=spec.payload(), idempotency_key=idempotency_key, spec=spec
        )
        return Organization.from_envelope(response.json())

    @_announces_write
    def update_organization(self, organization_id: str, spec: OrganizationSpec) -> Organization:
        """PUT the whole desired payload: the API replaces SSO/OIDC settings in full."""
        response = self._request("PUT", _org_path(organization_id), json=spec.payload(), spec=spec)
        return Organization.from_envelope(response.json())

    @_announces_write
    def delete_organization(self, organization_id: str) -> None:
        self._request("DELETE", _org_path(organization_id))

    # -- plumbing ----------------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        spec: OrganizationSpec | None = None,
    ) -> httpx.Response:
        secrets = self._secrets + ((spec.client_secret,) if spec is not None and spec.client_secret else ())
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        retryable = method in _IDEMPOTENT_METHODS or idempotency_key is not None
        attempts = 0
        last_failure = ""
        budget = CallBudget(self.settings.retry_budget, RETRY_WAIT_INITIAL, RETRY_WAIT_MAX, RETRY_WAIT_JITTER)
        try:
            # The budget is enforced by CallBudget (exactly); stamina's own timeout would let a wait cross it.
            for attempt in stamina.retry_context(
                on=budget, attempts=self.settings.max_attempts if retryable else 1, timeout=None
            ):
                with attempt:
                    attempts += 1
                    try:
                        response = self._http.request(method, path, json=json, headers=headers)
                    except httpx.TransportError as exc:
                        last_failure = type(exc).__name__
                        raise
                    if should_retry(response):
                        last_failure = f"HTTP {response.status_code}"
                        raise RetryableResponse(response)
        except httpx.TransportError as exc:
            raise TransportError(
                _transport_failure(method, path, self.settings.deployment_url, exc, Scrubber(secrets))
                + (f" after {attempts} attempts (last: {last_failure})" if attempts > 1 else ""),
                attempts=attempts,
            ) from None
        except RetryableResponse as exc:
            response = exc.response
        if response.is_success:
            return response
        key, message = _error_details(response, Scrubber(secrets))
        raise api_error_for(response.status_code, key, message, attempts=attempts) from None


def _org_path(organization_id: str) -> str:
    return f"/api/organizations/{quote(organization_id, safe='')}"


def _transport_failure(method: str, path: str, url: str, exc: httpx.TransportError, scrub: Scrubber) -> str:
    """What went wrong without a response; a TLS failure says what to check, as retrying cannot fix it."""
    detail = scrub(str(exc) or type(exc).__name__)
    if is_tls_failure(exc):
        return (
            f"{method} {path}: TLS handshake with {url} failed ({detail}): the server does not speak TLS "
            f"on that address or its certificate is not trusted; check the URL's scheme "
            f"(http:// for a plain-HTTP server) in polytomic:deploymentUrl or POLYTOMIC_DEPLOYMENT_URL"
        )
    return f"{method} {path}: no response from {url}: {detail}"


def _error_details(response: httpx.Response, scrub: Scrubber) -> tuple[str | None, str]:
    """The API's `key` and `message` (else `error.message`, else the raw text, else the reason phrase),
    every one of them scrubbed: each comes from the server, which may echo what we sent."""
    reason = scrub(response.reason_phrase)
    body = json_body(response)
    if body is None:
        # Scrub before cutting: a secret split by the cut would no longer match.
        return None, scrub(response.text)[:300].strip() or reason
    if not isinstance(body, dict):
        return None, reason
    nested = body.get("error")
    message = body.get("message") or (nested.get("message") if isinstance(nested, dict) else None)
    key = body.get("key")
    return (scrub(str(key)) if key else None), scrub(str(message)) if message else reason
