"""AsyncPolytomicClient: one httpx.AsyncClient per account, with retries and typed errors.

Every call of a provider process shares one client and its connection pool: the plugin serves as many
operations at once as the engine's `--parallel` sends, the dynamic provider host four, and both go
through the same requests, retries and error wording. `PolytomicClient` is its blocking face, for the
synchronous callers (the command-line tool, lookups in a Pulumi program): it runs each call on the
process's core loop (bridge.py).

Errors carry the status, the API's message and the attempt count; secret values that were sent (the key, a
client_secret) are scrubbed, in every encoding (scrub.py), from every string that comes back: the API's
message and error key, a raw error page, the reason phrase, a transport error.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import threading
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import quote
from urllib.request import getproxies

import httpx
import stamina

from . import bridge, tls
from .config import Secret, Settings
from .errors import ConfigurationError, TransportError, UnexpectedAnswer, api_error_for
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

if TYPE_CHECKING:
    from .accounts import Account
    from .models import Organization, OrganizationSpec
    from .user_models import Role, User, UserSpec

__all__ = ["USER_AGENT", "AsyncPolytomicClient", "PolytomicClient"]

USER_AGENT = f"polytomic-pulumi/{__version__}"
CONNECT_TIMEOUT_SECONDS = 10.0
# Up to this many requests in flight per account; more wait for a connection. The plugin runs as many
# operations at once as the engine's --parallel allows, the dynamic provider host four.
POOL_SIZE = 64
#: The most an answer may decode to: the list of 10,000 organizations is about 5 MiB.
MAX_ANSWER_BYTES = 64 * 2**20
RETRY_WAIT_INITIAL = 0.5
RETRY_WAIT_MAX = 10.0
RETRY_WAIT_JITTER = 0.5
_IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _announces_write(
    method: Callable[Concatenate[AsyncPolytomicClient, _P], Coroutine[Any, Any, _R]],
) -> Callable[Concatenate[AsyncPolytomicClient, _P], Coroutine[Any, Any, _R]]:
    """Tell the client's write listeners once the write is over, even when it failed: a failed or lost
    write may still have changed the account, so anything read before it is stale."""

    @functools.wraps(method)
    async def wrapper(self: AsyncPolytomicClient, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return await method(self, *args, **kwargs)
        finally:
            for listener in tuple(self._write_listeners):
                listener()

    return wrapper


class AsyncPolytomicClient:
    """Typed calls to the Organizations API of one deployment; safe to share between concurrent tasks."""

    def scrub(self, text: str, *, secrets: Iterable[str | None] = ()) -> str:
        """`text` without the secrets this client sends, in any form: the one rule for a user-facing
        message that quotes anything the server returned (a role name, a user's email, an id), as the
        API's own errors are (#27 hardening finding 3). `secrets`: others the call sent (a client_secret)."""
        extra = tuple(secret for secret in secrets if secret)
        return _scrubbed_message(text, Scrubber(self._secrets + extra))

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        install_retry_reporting()
        key = settings.require_key()
        self._secrets: tuple[str, ...] = (key.reveal(),)
        self._write_listeners: list[Callable[[], None]] = []
        self._first_request_out = threading.Event()
        self._http = _proxied_client(
            base_url=settings.deployment_url,
            headers={
                "Authorization": f"Bearer {key.reveal()}",
                "X-Polytomic-Version": settings.api_version,
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(settings.timeout, connect=min(CONNECT_TIMEOUT_SECONDS, settings.timeout)),
            limits=httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE),
            verify=(
                tls.default_context() if tls.verifies(settings.deployment_url) else tls.plain_http_context()
            ),
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the connections. A client the runtime replaced is not closed (a call may still be using
        it): its sockets go when it is collected or the process ends."""
        await self._http.aclose()

    def wait_for_first_request(self, timeout: float) -> bool:
        """Block until this client's first request is on the wire (or over), or `timeout` has passed
        (then False).

        Why: a thread that imports while the loop connects and sends holds the GIL, and the loop then
        waits a switch interval (5 ms) for it at each step of the way; the first request of a provider
        process went out some 80 ms late so. Waiting here hands the loop the GIL until its request is out;
        the import then overlaps the answer's round trip instead.
        """
        return self._first_request_out.wait(timeout)

    async def _trace(self, event: str, _info: dict[str, Any]) -> None:
        """httpcore's trace hook, on the requests that start before the first one is out: a request is out
        once its answer is awaited. (Through a proxy, the CONNECT request's counts: the signal comes a TLS
        handshake early, which costs only some of the overlap.)"""
        if event.endswith(".receive_response_headers.started"):
            self._first_request_out.set()

    def on_write(self, listener: Callable[[], None]) -> None:
        """Call `listener` after each create, update or delete made through this client (see snapshot.py)."""
        self._write_listeners.append(listener)

    # -- the six endpoints -------------------------------------------------------------------------------
    # The response models (pydantic) are imported after the request is sent, not with this module: a
    # provider process's first call then has its request on the wire while they load (see runtime.py).

    async def current_organization(self) -> Organization:
        response = await self._request("GET", "/api/organization")
        return self._parsed(response, lambda body: _organization_model().from_envelope(body))

    async def list_organizations(self) -> list[Organization]:
        response = await self._request("GET", "/api/organizations")
        return self._parsed(response, lambda body: _organization_model().list_from_envelope(body))

    async def get_organization(self, organization_id: str) -> Organization:
        response = await self._request("GET", _org_path(organization_id))
        return self._parsed(response, lambda body: _organization_model().from_envelope(body))

    @_announces_write
    async def create_organization(
        self, spec: OrganizationSpec, *, idempotency_key: str | None = None
    ) -> Organization:
        """POST; retried only under an Idempotency-Key that stays the same across attempts."""
        response = await self._request(
            "POST", "/api/organizations", json=spec.payload(), idempotency_key=idempotency_key, spec=spec
        )
        return self._parsed(response, lambda body: _organization_model().from_envelope(body))

    @_announces_write
    async def update_organization(self, organization_id: str, spec: OrganizationSpec) -> Organization:
        """PUT the whole desired payload: the API replaces SSO/OIDC settings in full."""
        response = await self._request("PUT", _org_path(organization_id), json=spec.payload(), spec=spec)
        return self._parsed(response, lambda body: _organization_model().from_envelope(body))

    @_announces_write
    async def delete_organization(self, organization_id: str) -> None:
        await self._request("DELETE", _org_path(organization_id))

    # -- the users of an organization (partner level) and its roles ---------------------------------------
    # The same requests, retries, scrubbing and errors as the organization calls; a create is retried only
    # under its Idempotency-Key, so a lost answer never makes a second user (nor a second invitation).

    async def list_users(self, organization_id: str) -> list[User]:
        response = await self._request("GET", _users_path(organization_id))
        return self._parsed(response, lambda body: _user_model().list_from_envelope(body))

    async def get_user(self, organization_id: str, user_id: str) -> User:
        response = await self._request("GET", _users_path(organization_id, user_id))
        return self._parsed(response, lambda body: _user_model().from_envelope(body))

    @_announces_write
    async def create_user(
        self, organization_id: str, spec: UserSpec, *, idempotency_key: str | None = None
    ) -> User:
        """POST; retried only under an Idempotency-Key that stays the same across attempts."""
        response = await self._request(
            "POST", _users_path(organization_id), json=spec.payload(), idempotency_key=idempotency_key
        )
        return self._parsed(response, lambda body: _user_model().from_envelope(body))

    @_announces_write
    async def update_user(self, organization_id: str, user_id: str, spec: UserSpec) -> User:
        """PUT the whole payload (the email is required there, and the role assignment is replaced)."""
        response = await self._request("PUT", _users_path(organization_id, user_id), json=spec.payload())
        return self._parsed(response, lambda body: _user_model().from_envelope(body))

    @_announces_write
    async def delete_user(self, organization_id: str, user_id: str) -> None:
        await self._request("DELETE", _users_path(organization_id, user_id))

    @_announces_write
    async def mint_user_api_key(
        self, organization_id: str, user_id: str, *, force: bool, idempotency_key: str | None = None
    ) -> Secret:
        """POST .../users/{id}/keys: a new API key for the user, shown only in this answer (`force` revokes
        the user's earlier keys first). Retried only under an Idempotency-Key, so a lost answer is replayed
        rather than a second key minted. The key comes back wrapped, so no repr or error can show it."""
        path = _users_path(organization_id, user_id) + "/keys" + ("?force=true" if force else "")
        response = await self._request("POST", path, idempotency_key=idempotency_key)
        return self._parsed(response, _minted_key)

    async def list_roles(self, organization_id: str) -> list[Role]:
        """The organization's roles. The list has no partner-level path: the partner becomes a caller of
        that organization with `Basic base64(org_id:partner_key)` (as Polytomic's Terraform provider does)."""
        key = self.settings.require_key().reveal()
        basic = base64.b64encode(f"{organization_id.strip()}:{key.strip()}".encode()).decode()
        response = await self._request(
            "GET", "/api/permissions/roles", headers={"Authorization": f"Basic {basic}"}
        )
        return self._parsed(response, lambda body: _role_model().list_from_envelope(body))

    # -- plumbing ----------------------------------------------------------------------------------------

    async def _attempt(
        self,
        method: str,
        path: str,
        json: dict[str, Any] | None,
        headers: dict[str, str],
        extensions: dict[str, Any] | None,
    ) -> httpx.Response:
        """One request, answer included, within `requestTimeout` as a whole: httpx's timeouts bound each
        read, so an answer trickled a byte at a time would otherwise hold the attempt open without end."""
        request = self._http.build_request(method, path, json=json, headers=headers, extensions=extensions)
        try:
            async with asyncio.timeout(self.settings.timeout):
                response = await self._http.send(request, stream=True)
                try:
                    return await _bounded(response)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise httpx.ReadTimeout(
                f"no whole answer within {self.settings.timeout:g} s (requestTimeout)",
                request=self._http.build_request(method, path),
            ) from None

    def _parsed(self, response: httpx.Response, parse: Callable[[Any], _R]) -> _R:
        """The answer's body read with `parse`, or an UnexpectedAnswer that says what came instead and
        where to look, with none of its content (it may echo what we sent)."""
        try:
            return parse(_whole_text(response.json()))
        except (ValueError, LookupError, TypeError, AttributeError, RecursionError):  # pydantic's too
            raise UnexpectedAnswer(
                _unexpected(response, self.settings.deployment_url, Scrubber(self._secrets))
            ) from None

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        spec: OrganizationSpec | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        secrets = self._secrets + ((spec.client_secret,) if spec is not None and spec.client_secret else ())
        headers = dict(headers or {})
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        retryable = method in _IDEMPOTENT_METHODS or idempotency_key is not None
        attempts = 0
        last_failure = ""
        budget = CallBudget(self.settings.retry_budget, RETRY_WAIT_INITIAL, RETRY_WAIT_MAX, RETRY_WAIT_JITTER)
        extensions = None if self._first_request_out.is_set() else {"trace": self._trace}
        try:
            # The budget is enforced by CallBudget (exactly); stamina's own timeout would let a wait cross it.
            async for attempt in stamina.retry_context(
                on=budget, attempts=self.settings.max_attempts if retryable else 1, timeout=None
            ):
                with attempt:
                    attempts += 1
                    try:
                        response = await self._attempt(method, path, json, headers, extensions)
                    except httpx.TransportError as exc:
                        last_failure = type(exc).__name__
                        raise
                    if should_retry(response):
                        last_failure = f"HTTP {response.status_code}"
                        raise RetryableResponse(response)
        except _TooLarge as exc:
            raise UnexpectedAnswer(
                Scrubber(secrets)(
                    f"{method} {path}: the answer from {self.settings.deployment_url} decodes to more than "
                    f"{MAX_ANSWER_BYTES // 2**20} MiB ({_applied_encodings(exc.response)}"
                    f"-encoded), far more than any API answer: {_SOMETHING_ELSE}"
                )
            ) from None
        except httpx.DecodingError:  # a body that does not decode (bad gzip): not the API answering
            raise UnexpectedAnswer(
                f"{method} {path}: the answer from {self.settings.deployment_url} could not be decoded "
                f"(its Content-Encoding does not match its body): {_SOMETHING_ELSE}"
            ) from None
        except httpx.TransportError as exc:
            raise TransportError(
                _transport_failure(method, path, self.settings.deployment_url, exc, Scrubber(secrets))
                + (f" after {attempts} attempts (last: {last_failure})" if attempts > 1 else ""),
                attempts=attempts,
            ) from None
        except RetryableResponse as exc:
            response = exc.response
        finally:
            self._first_request_out.set()  # over, however it ended: nobody waits for a request that failed
        if response.is_success:
            return response
        key, message = _error_details(response, Scrubber(secrets))
        raise api_error_for(response.status_code, key, message, attempts=attempts) from None


class PolytomicClient:
    """The blocking face of `AsyncPolytomicClient`, for synchronous callers: each call runs on the
    process's core loop (bridge.py), so every caller shares that loop's connections."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = AsyncPolytomicClient(settings, transport=transport)
        self.settings = settings

    def close(self) -> None:
        bridge.run(self._inner.aclose())

    def __enter__(self) -> PolytomicClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def current_organization(self) -> Organization:
        return bridge.run(self._inner.current_organization())

    def list_organizations(self) -> list[Organization]:
        return bridge.run(self._inner.list_organizations())

    def get_organization(self, organization_id: str) -> Organization:
        return bridge.run(self._inner.get_organization(organization_id))

    def create_organization(
        self, spec: OrganizationSpec, *, idempotency_key: str | None = None
    ) -> Organization:
        return bridge.run(self._inner.create_organization(spec, idempotency_key=idempotency_key))

    def update_organization(self, organization_id: str, spec: OrganizationSpec) -> Organization:
        return bridge.run(self._inner.update_organization(organization_id, spec))

    def delete_organization(self, organization_id: str) -> None:
        bridge.run(self._inner.delete_organization(organization_id))

    def list_users(self, organization_id: str) -> list[User]:
        return bridge.run(self._inner.list_users(organization_id))

    def create_user(
        self, organization_id: str, spec: UserSpec, *, idempotency_key: str | None = None
    ) -> User:
        return bridge.run(self._inner.create_user(organization_id, spec, idempotency_key=idempotency_key))

    def resolve_role(self, organization_id: str, name: str) -> list[str]:
        """The ids of the organization's role called `name` (user_roles.py; RoleNotFound when none is)."""
        from .user_roles import resolve_role

        return bridge.run(resolve_role(self._inner, organization_id, name))

    def account(self) -> Account:
        """The partner account these settings reach (accounts.py: one lookup per client)."""
        from .accounts import account_of

        return bridge.run(account_of(self._inner))

    def find_by_name(self, name: str) -> Organization | None:
        """The organization holding `name`, if the list shows one (ownership.py's one name rule)."""
        from .ownership import find_by_name

        return bridge.run(find_by_name(self._inner, name))


def _proxied_client(**options: Any) -> httpx.AsyncClient:
    """The httpx client, or a ConfigurationError when a proxy variable of the environment names a proxy
    httpx cannot use: a SOCKS proxy without socksio raised a raw ImportError, an ftp:// one a ValueError, a
    port out of range an ExceptionGroup at the first request. The variable's value is never shown: a proxy
    URL may hold a password."""
    try:
        proxies = getproxies()  # read as httpx reads them (httpx._utils.get_environment_proxies)
        ignored = "*" in (host.strip() for host in proxies.get("no", "").split(","))
        for scheme in () if ignored else ("http", "https", "all"):
            proxy = proxies.get(scheme)
            port = httpx.URL(proxy if "://" in proxy else f"http://{proxy}").port if proxy else None
            if port is not None and not 0 < port < 65536:
                raise ValueError("a port out of range")
        return httpx.AsyncClient(**options)
    except (ImportError, ValueError, httpx.InvalidURL) as error:
        reason = (
            "SOCKS needs httpx[socks] installed"
            if isinstance(error, ImportError)
            else "an http, https or socks5 URL with a port from 1 to 65535 is needed"
        )
        raise ConfigurationError(
            f"a proxy environment variable (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY or their lower-case forms) "
            f"names a proxy that cannot be used ({reason}): correct it, or unset it"
        ) from None


_SOMETHING_ELSE = (
    "something other than Polytomic's API answers there (a proxy, a sign-in page or another service): "
    "check polytomic:deploymentUrl or POLYTOMIC_DEPLOYMENT_URL, and any HTTPS_PROXY"
)


class _TooLarge(Exception):
    """An answer that decoded to more than MAX_ANSWER_BYTES."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response


async def _bounded(response: httpx.Response) -> httpx.Response:
    """The answer read whole, as decoded, up to MAX_ANSWER_BYTES: a small gzip body can decode to
    gigabytes (a "gzip bomb"), and httpx holds a body in memory. Returned as a plain response holding the
    decoded bytes (so nothing decodes them twice)."""
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise _TooLarge(response)
        chunks.append(chunk)
    # The raw bytes: a value of latin-1 text as str does not encode back to ASCII (a raw UnicodeEncodeError).
    headers = [
        (k, v) for k, v in response.headers.raw if k.lower() not in (b"content-encoding", b"content-length")
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=response.request,
        extensions=response.extensions,
    )


#: The content types named in a message; any other is the server's text, which may echo a secret the call
#: sent (a create's client_secret as a plain subtype was named: only the partner key was looked for).
_NAMED_TYPES = frozenset(
    {
        "application/json",
        "application/problem+json",
        "application/xml",
        "application/octet-stream",
        "application/javascript",
        "text/html",
        "text/plain",
        "text/xml",
        "text/javascript",
        "text/css",
    }
)
#: The decoders httpx can apply; a Content-Encoding is named only through these, never as sent.
_KNOWN_ENCODINGS = ("gzip", "deflate", "br", "zstd", "identity")


def _content_type(response: httpx.Response) -> str:
    """The content type, only if it is one of a few well-known ones: the header is the server's text, and a
    hostile server can put a secret there (#27)."""
    raw: str | None = response.headers.get("content-type")
    if raw is None:
        return "no content type"
    kind = raw.split(";")[0].strip().lower()
    return kind if kind in _NAMED_TYPES else "another content type"


def _applied_encodings(response: httpx.Response) -> str:
    """The known decoders the Content-Encoding names, in order ("identity" if none): never its text."""
    named = [part.strip().lower() for part in response.headers.get("content-encoding", "").split(",")]
    applied = [name for name in named if name in _KNOWN_ENCODINGS and name != "identity"]
    return ", ".join(applied) or "identity"


def _unexpected(response: httpx.Response, url: str, scrub: Scrubber) -> str:
    """What came instead of the API's answer: status, content type and size, never the body; scrubbed as
    a last line."""
    request = response.request
    return scrub(
        f"{request.method} {request.url.path}: HTTP {response.status_code} from {url} with a body that is "
        f"not the API's ({_content_type(response)}, {len(response.content)} bytes): {_SOMETHING_ELSE}"
    )


def _whole_text(body: Any) -> Any:
    """`body`, or a ValueError when a string of it holds half a UTF-16 pair (JSON's ``\\ud800``, or its
    bytes in a UTF-8 or UTF-16 body, which json reads with surrogatepass): no UTF-8 text does, and such an
    id raised a raw UnicodeEncodeError in a path or on its way to the engine."""
    json.dumps(body, ensure_ascii=False).encode("utf-8")  # UnicodeEncodeError is a ValueError
    return body


def _organization_model() -> type[Organization]:
    from .models import Organization

    return Organization


def _org_path(organization_id: str) -> str:
    return f"/api/organizations/{quote(organization_id, safe='')}"


def _users_path(organization_id: str, user_id: str | None = None) -> str:
    path = f"{_org_path(organization_id)}/users"
    return path if user_id is None else f"{path}/{quote(user_id, safe='')}"


def _user_model() -> type[User]:
    from .user_models import User

    return User


def _minted_key(body: Any) -> Secret:
    """The key of `{"data": {"value": "<key>"}}`; anything else raises (an UnexpectedAnswer, by `_parsed`)."""
    value = body["data"]["value"]
    if not isinstance(value, str) or not value.strip():
        raise TypeError("no API key in the answer")
    return Secret(value)


def _role_model() -> type[Role]:
    from .user_models import Role

    return Role


def _transport_failure(method: str, path: str, url: str, exc: httpx.TransportError, scrub: Scrubber) -> str:
    """What went wrong without a response; a TLS failure says what to check, as retrying cannot fix it.
    The URL is scrubbed too: the settings check refuses a key in it, but a caller may skip the check."""
    # Windowed like an error body: h11 quotes an illegal status line whole (up to ~100 KB).
    detail = _cut_scrubbed(str(exc), scrub, 300).strip() or type(exc).__name__
    url = scrub(url)
    if is_tls_failure(exc):
        return (
            f"{method} {path}: TLS handshake with {url} failed ({detail}): the server does not speak TLS "
            f"on that address or its certificate is not trusted; check the URL's scheme "
            f"(http:// for a plain-HTTP server) in polytomic:deploymentUrl or POLYTOMIC_DEPLOYMENT_URL"
        )
    return f"{method} {path}: no response from {url}: {detail}"


#: How much of a non-JSON error body is read at all: the message shows 300 characters of it.
MAX_ERROR_TEXT = 2**20
#: How much of a JSON error's `message` and `key` is shown (a hostile server sent 7.6 MiB, #27 hardening 5).
MAX_ERROR_MESSAGE = 1000


def _cut_scrubbed(text: str, scrub: Scrubber, length: int) -> str:
    """The text's first `length` characters, scrubbed. Only a window `length` plus twice the longest
    secret form long is scrubbed (scrubbing a 4 MiB body took 17 s, #27 F3); a form cut by the window's
    end lies in its last `longest` characters, which are dropped after scrubbing. A form only a decoded
    view shows (every character as ``\\u``, a zero-padded entity, spread by spaces) can be longer: while
    what is kept still shows a piece of a secret, its last token is dropped (#27 hardening finding 2)."""
    text = text[:MAX_ERROR_TEXT]
    limit = length + 2 * scrub.longest
    if len(text) <= limit:
        kept = scrub(text)[:length]
    else:
        scrubbed = scrub(text[:limit])
        kept = scrubbed[: len(scrubbed) - scrub.longest][:length]
    dropped = 1  # doubled each round: a window of a thousand one-letter tokens took a thousand rounds
    while kept and scrub.shows_part(kept):
        kept, dropped = _without_last_tokens(kept, dropped), 2 * dropped
    return kept


#: How much of a message quoting the server's text is kept, scrubbed: its start and its end (the advice). A
#: hostile list of roles made the message as long as the list: 1 MB of names took 17 s to scrub.
MAX_QUOTING_HEAD = 1000
MAX_QUOTING_TAIL = 500


def _scrubbed_message(text: str, scrub: Scrubber) -> str:
    """`text` scrubbed whole if short, else its first and last characters, each cut safely."""
    if len(text) <= MAX_QUOTING_HEAD + MAX_QUOTING_TAIL:
        return scrub(text)
    left_out = len(text) - MAX_QUOTING_HEAD - MAX_QUOTING_TAIL
    head = _cut_scrubbed(text, scrub, MAX_QUOTING_HEAD)
    return f"{head} ... ({left_out} characters left out) ... {_tail_scrubbed(text, scrub, MAX_QUOTING_TAIL)}"


def _tail_scrubbed(text: str, scrub: Scrubber, length: int) -> str:
    """`_cut_scrubbed` from the other end: the last `length` characters, scrubbed in a window wider by
    twice the longest form, whose first `longest` characters (where a form the window's start cut lies)
    are dropped after scrubbing; then first tokens, while a piece of a secret still shows."""
    scrubbed = scrub(text[-(length + 2 * scrub.longest) :])
    kept = scrubbed[scrub.longest :][-length:]
    dropped = 1
    while kept and scrub.shows_part(kept):
        kept, dropped = _without_first_tokens(kept, dropped), 2 * dropped
    return kept


def _without_first_tokens(text: str, count: int) -> str:
    parts = text.lstrip().split(None, count)
    return parts[count] if len(parts) > count else ""


def _without_last_tokens(text: str, count: int) -> str:
    parts = text.rstrip().rsplit(None, count)
    return parts[0] if len(parts) > count else ""


def _body_text(response: httpx.Response) -> str:
    """The body as UTF-8, whatever charset the server names: a charset such as rot13 or base64 raised,
    utf-16 or cp037 disguised an echoed key (#27 hardening finding 4)."""
    return response.content[:MAX_ERROR_TEXT].decode("utf-8", "replace")


def _error_details(response: httpx.Response, scrub: Scrubber) -> tuple[str | None, str]:
    """The API's `key` and `message` (else `error.message`, else the raw text, else the reason phrase),
    every one of them scrubbed: each comes from the server, which may echo what we sent."""
    reason = _cut_scrubbed(response.reason_phrase, scrub, 300).strip()  # ~100 KB are allowed
    body = json_body(response)
    if body is None:
        return None, _cut_scrubbed(_body_text(response), scrub, 300).strip() or reason
    if not isinstance(body, dict):
        return None, reason
    nested = body.get("error")
    message = body.get("message") or (nested.get("message") if isinstance(nested, dict) else None)
    key = body.get("key")
    shown = (
        _cut_scrubbed(str(part), scrub, MAX_ERROR_MESSAGE).strip() if part else "" for part in (key, message)
    )
    key_text, message_text = shown
    return key_text or None, message_text or reason
