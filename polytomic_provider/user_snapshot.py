"""UserSnapshot: every `read` of a User in one provider process served from one list of its organization's
users, as snapshot.py serves the organizations.

Why: a refresh reads every user of the stack. One GET each costs N round trips, while one
`GET /api/organizations/{org}/users` (no pagination) answers every user of that organization. So the first
read of a user of an organization lists that organization's users, and every read after it looks its id
up in that list, until the list is older than `MAX_AGE_SECONDS` or a write made through the same client
drops it. The rules are snapshot.py's, per organization:

- A user missing from the list is confirmed with its own GET before anyone is told it is gone: a list can
  lag a write (a user this same operation created after the list was taken), and "gone" makes the engine
  drop the user. So the 404 semantics are exactly those of one GET per user.
- A write through the client (any create, update or delete) drops every list for the reads that begin
  after it ends, and a list fetched while a write was under way serves no such read.
- Concurrent first reads of users of one organization wait for one list call, not one each.

If the list cannot be had (the organization is gone, the key may not list, the API fails, or the answer
does not parse), the reads of that organization fall back to one GET each for `MAX_AGE_SECONDS`: each
then meets (and reports) the failure for its own user, as before the snapshot existed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import PolytomicError, UnexpectedAnswer
from .snapshot import _UNPARSABLE, MAX_AGE_SECONDS

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient
    from .user_models import User

__all__ = ["UserSnapshot", "user_snapshot_of"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Listing:
    """One list call's answer for one organization (None: it failed), when that call started, and how
    many writes had ended by then."""

    by_id: dict[str, User] | None
    taken_at: float
    writes_before: int


class UserSnapshot:
    """Reads of users through one client, served from one list per organization; used on the client's
    event loop (`invalidate` runs there too, after each write)."""

    def __init__(
        self,
        client: AsyncPolytomicClient,
        *,
        max_age: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._max_age = max_age
        self._clock = clock
        self._fetching: dict[str, asyncio.Lock] = {}  # per organization: one list call at a time
        self._listings: dict[str, _Listing] = {}
        self._lists_done: dict[str, int] = {}
        self._writes = 0
        client.on_write(self.invalidate)

    async def user(self, organization_id: str, user_id: str) -> User:
        """The user as its organization's list holds it, else as its own GET returns it (NotFound when it
        is truly gone, or its organization is)."""
        org, wanted = organization_id.lower(), user_id.lower()
        began_after = self._writes
        listing = self._usable(org, began_after) or await self._refill(org, organization_id, began_after)
        if listing.by_id is not None:
            found = listing.by_id.get(wanted)
            if found is not None:
                return found
        return await self._client.get_user(organization_id, user_id)

    def invalidate(self) -> None:
        """A write has ended: no read that begins from now on is served from a list taken before it."""
        self._writes += 1

    def _usable(self, org: str, began_after: int) -> _Listing | None:
        listing = self._listings.get(org)
        if listing is None or self._clock() - listing.taken_at >= self._max_age:
            return None
        return listing if listing.writes_before >= began_after else None

    async def _refill(self, org: str, organization_id: str, began_after: int) -> _Listing:
        lists_done_before = self._lists_done.get(org, 0)
        async with self._fetching.setdefault(org, asyncio.Lock()):
            listing = self._listings.get(org)
            if (
                listing is not None
                and self._lists_done.get(org, 0) > lists_done_before
                and listing.writes_before >= began_after
            ):
                return listing  # the call this one waited for, however long it took
            current = self._usable(org, began_after)
            if current is not None:
                return current
            writes_before = self._writes
            taken_at = self._clock()
            by_id: dict[str, User] | None = None  # None: each read GETs its own user
            try:
                users = await self._client.list_users(organization_id)
            except (UnexpectedAnswer, *_UNPARSABLE) as exc:
                _log.warning(
                    "polytomic: GET /api/organizations/%s/users: the answer could not be read (%s); each "
                    "user is read with its own GET instead",
                    org,
                    type(exc).__name__,
                )
            except PolytomicError:  # refused, failed, or no such organization: each read meets it itself
                pass
            else:
                by_id = {u.id.lower(): u for u in users}
            listing = self._listings[org] = _Listing(by_id, taken_at, writes_before)
            self._lists_done[org] = self._lists_done.get(org, 0) + 1
            return listing


_SNAPSHOTS: weakref.WeakKeyDictionary[AsyncPolytomicClient, UserSnapshot] = weakref.WeakKeyDictionary()
_SNAPSHOTS_LOCK = threading.Lock()


def user_snapshot_of(client: AsyncPolytomicClient) -> UserSnapshot:
    """The one user snapshot of `client`: it lives and dies with the client (new settings, new snapshot)."""
    with _SNAPSHOTS_LOCK:
        snapshot = _SNAPSHOTS.get(client)
        if snapshot is None:
            snapshot = _SNAPSHOTS[client] = UserSnapshot(client)
        return snapshot
