"""Which partner account a provider's settings reach, and which one holds each organization of the stack.

An organization's identity is (account, id): the same id seen through other settings is another
account's business, never "unchanged", never "deleted". So every organization records its account, in
its inputs (written by `check`, so even an `up` with nothing to change records it) and in its outputs
(written by create, update and read), as `<deployment URL>#owner=<owner organization id>`: no key, no
secret, readable in `pulumi stack export`.

The owner organization is the partner's own, the one `GET /api/organization` answers for the partner key
(the 2025-09-18 list also puts it first, which is the fallback when that endpoint is refused). Two
settings reach the same account when they reach the same owner organization; the URL is recorded for the
people reading the messages (one account may be reached through another URL, a proxy for instance).

One lookup per client, shared by every call of the process, and only when a call needs it.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from .errors import Forbidden, NotFound

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient

__all__ = ["Account", "account_of", "known_account", "recorded_account"]

_OWNER_MARK = "#owner="


@dataclass(frozen=True)
class Account:
    """A partner account: the deployment URL it was reached at and its owner organization's id."""

    url: str
    owner_id: str

    @classmethod
    def at(cls, deployment_url: str, owner_id: str) -> Account:
        """The account as recorded: the URL without credentials, query or fragment, and no trailing slash."""
        parts = urlsplit(deployment_url)
        host = (parts.hostname or "").lower()
        host = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
        netloc = f"{host}:{parts.port}" if parts.port else host
        url = urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))
        return cls(url, owner_id.lower())

    @classmethod
    def parse(cls, recorded: object) -> Account | None:
        """The account a state value names, or None for a value that names none (state of 0.2 or older)."""
        if not isinstance(recorded, str) or _OWNER_MARK not in recorded:
            return None
        url, _, owner_id = recorded.rpartition(_OWNER_MARK)
        return cls(url, owner_id) if url and owner_id else None

    @property
    def recorded(self) -> str:
        return f"{self.url}{_OWNER_MARK}{self.owner_id}"

    def same_as(self, other: Account) -> bool:
        return self.owner_id == other.owner_id

    def __str__(self) -> str:
        return f"{self.url} (owner organization {self.owner_id})"


def recorded_account(*sources: dict[str, Any] | None) -> Account | None:
    """The account the first source that records one names (outputs first, then inputs)."""
    from .fields import ACCOUNT

    for source in sources:
        account = Account.parse((source or {}).get(ACCOUNT))
        if account is not None:
            return account
    return None


class _Lookup:
    """One client's account, looked up once. Callers that arrive while the lookup is under way share it,
    its failure included (each would otherwise spend a retry budget of its own, one after another); a
    failure is not kept: a call that arrives after it asks again."""

    def __init__(self) -> None:
        self.account: Account | None = None
        self.under_way: asyncio.Future[Account] | None = None


_LOOKUPS: weakref.WeakKeyDictionary[AsyncPolytomicClient, _Lookup] = weakref.WeakKeyDictionary()


async def account_of(client: AsyncPolytomicClient) -> Account:
    """The account the client's settings reach (one request for the process's first caller)."""
    lookup = _LOOKUPS.setdefault(client, _Lookup())
    if lookup.account is not None:
        return lookup.account
    if lookup.under_way is None or lookup.under_way.done():  # none yet, or the last one failed
        lookup.under_way = asyncio.ensure_future(_remembered(lookup, client))
        # Its failure is retrieved even if every waiter was cancelled (no "never retrieved" warning).
        lookup.under_way.add_done_callback(lambda done: done.cancelled() or done.exception())
    # Shielded: a caller cancelled while waiting does not cancel the lookup the others wait for.
    return await asyncio.shield(lookup.under_way)


async def _remembered(lookup: _Lookup, client: AsyncPolytomicClient) -> Account:
    """The lookup, kept by the lookup itself as it ends: a caller arriving between its end and the
    resumption of its waiters must find it, not start another."""
    account = await _look_up(client)
    lookup.account = account
    return account


async def _look_up(client: AsyncPolytomicClient) -> Account:
    try:
        owner_id = (await client.current_organization()).id
    except (Forbidden, NotFound) as refused:  # a deployment keeping it for org-scoped keys
        listed = await client.list_organizations()  # the 2025-09-18 list names the owner first
        if not listed:
            raise refused from None
        owner_id = listed[0].id
    return Account.at(client.settings.deployment_url, owner_id)


def known_account(client: AsyncPolytomicClient) -> Account | None:
    """The client's account if a call has looked it up already (from any thread, without waiting)."""
    lookup = _LOOKUPS.get(client)
    return None if lookup is None else lookup.account
