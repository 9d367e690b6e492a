"""OrganizationSnapshot: every `read` of one provider process served from one list of organizations.

Why: a refresh reads every organization of the stack. One GET each costs N round trips (a hundred
organizations at 100 ms a call is seconds of waiting, even four at a time), while one
`GET /api/organizations` answers them all. So the first read of a run lists the partner account, and
every read after it looks its id up in that list, until the list is older than `MAX_AGE_SECONDS` or a
write made through the same client drops it.

Three rules keep it from ever serving a wrong answer:

- An id missing from the list is confirmed with its own GET before anyone is told it is gone: a list can
  lag a write, and "gone" makes the engine drop the organization from the stack.
- A write through the client (create, update, delete, successful or not) drops the list for every read
  that begins after it ends, and a list fetched while a write was under way serves no such read: it may
  predate that write. (A read that overlapped the write may be answered from either side of it.)
- Concurrent first reads (the dynamic provider host runs four at once, the plugin as many as the engine
  sends) wait for one list call, not one each.

If the list cannot be had (an organization-scoped key may not list, the API fails, or its answer does not
parse, which is also logged), reads fall back to one GET each for `MAX_AGE_SECONDS`, which is exactly what
they did before the snapshot existed: each read then meets (and reports) the failure for its own
organization, if it persists.
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

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient
    from .models import Organization

__all__ = ["MAX_AGE_SECONDS", "OrganizationSnapshot", "snapshot_of"]

_log = logging.getLogger(__name__)
# What parsing an answer of an unexpected shape raises (pydantic's ValidationError is a ValueError); a bug
# of ours raises something else, and the read fails with it, traceback and all.
_UNPARSABLE = (ValueError, LookupError, TypeError, AttributeError)

MAX_AGE_SECONDS = 5.0
"""A few seconds: long enough for every read of one refresh, short enough that a long-lived process
does not answer from a list taken before someone changed the account by hand."""


@dataclass(frozen=True)
class _Listing:
    """One list call's answer (or its failure: `by_id` is None), when that call started, and how many
    writes had ended by then: the list holds every one of those, and maybe none of the later ones."""

    by_id: dict[str, Organization] | None
    taken_at: float
    writes_before: int


class OrganizationSnapshot:
    """Reads of one client, served from one list of organizations. The list calls and writes run on the
    client's event loop; `writes_ended` and `listed` may be called from any thread, `start_listing` from
    any thread but the loop's."""

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
        self._fetching = asyncio.Lock()  # one list call at a time; the others wait for its answer
        self._listing: _Listing | None = None  # the latest list call's, kept even when a write overtook it
        self._lists_done = 0  # list calls answered (or failed) so far: a waiter joins the one it waited for
        self._writes = 0  # bumped as each write ends
        client.on_write(self.invalidate)

    @property
    def writes_ended(self) -> int:
        """How many writes through the client have ended: a read notes it when it begins."""
        return self._writes

    async def organization(self, organization_id: str, *, began_after: int | None = None) -> Organization:
        """The organization as listed, else as its own GET returns it (NotFound when it is truly gone).

        `began_after`: `writes_ended` when the read began, if that was before this call (the dynamic
        provider's read notes it on arrival, then loads the core); by default, now.
        """
        began_after = self._writes if began_after is None else began_after
        listing = self._usable(began_after) or await self._refill(began_after)
        if listing.by_id is not None:
            found = listing.by_id.get(organization_id)
            if found is not None:
                return found
        return await self._client.get_organization(organization_id)

    async def organizations(self) -> list[Organization] | None:
        """Every organization of the account as the current list holds it (one list call serves the run),
        or None when the list cannot be had."""
        listing = self._usable(self._writes) or await self._refill(self._writes)
        return None if listing.by_id is None else list(listing.by_id.values())

    def listed(self, organization_id: str) -> Organization | None:
        """The organization as the current list holds it, or None (no list yet, too old, or not in it).

        Safe from any thread, and never waits: the dynamic provider's host threads answer a refresh from
        the list without a round trip through the event loop; on None they take `organization`.
        """
        listing = self._usable(self._writes)
        if listing is None or listing.by_id is None:
            return None
        return listing.by_id.get(organization_id)

    def start_listing(self, began_after: int) -> None:
        """From a thread other than the loop's: have a list call under way for a read that began once
        `began_after` writes had ended, without waiting for it.

        The dynamic provider's first read calls this before it loads what it answers with (the pydantic
        models, the operations), so the list's round trip and those imports overlap instead of adding up;
        its `organization` call then joins this list call. A list that is current already is not fetched
        again, and one under way is joined (`_refill`).
        """
        from . import bridge

        if self._usable(began_after) is None:
            bridge.start(self._refill(began_after))

    def invalidate(self) -> None:
        """A write has ended: no read that begins from now on is served from a list taken before it."""
        self._writes += 1

    def _usable(self, began_after: int) -> _Listing | None:
        """The latest list if it may serve a read that began once `began_after` writes had ended, and is
        not too old."""
        listing = self._listing
        if listing is None or self._clock() - listing.taken_at >= self._max_age:
            return None
        return listing if _may_serve(listing, began_after) else None

    async def _refill(self, began_after: int) -> _Listing:
        lists_done_before = self._lists_done
        async with self._fetching:
            listing = self._listing
            if (
                listing is not None
                and self._lists_done > lists_done_before
                and _may_serve(listing, began_after)
            ):
                return listing  # the call this one waited for, however long it took
            current = self._usable(began_after)
            if current is not None:
                return current
            writes_before = self._writes
            taken_at = self._clock()  # the age counts from the call's start: its answer is that old
            by_id: dict[str, Organization] | None = None  # None: each read GETs its own organization
            try:
                organizations = await self._client.list_organizations()
            except (UnexpectedAnswer, *_UNPARSABLE) as exc:  # an answer of another shape: say so
                _log.warning(
                    "polytomic: GET /api/organizations: the answer could not be read (%s); each "
                    "organization is read with its own GET instead",
                    type(exc).__name__,
                )
            except PolytomicError:  # refused or failed (a key that may not list)
                pass
            else:
                by_id = {o.id: o for o in organizations}
            listing = self._listing = _Listing(by_id, taken_at, writes_before)
            self._lists_done += 1
            return listing


def _may_serve(listing: _Listing, began_after: int) -> bool:
    """Whether a list may answer a read that began once `began_after` writes had ended: only if it was
    taken after all of them. A write that ended later overlapped that read, which may see either side
    of it; a read that begins after a write never sees a list taken before that write ended."""
    return listing.writes_before >= began_after


_SNAPSHOTS: weakref.WeakKeyDictionary[AsyncPolytomicClient, OrganizationSnapshot]
_SNAPSHOTS = weakref.WeakKeyDictionary()
_SNAPSHOTS_LOCK = threading.Lock()


def snapshot_of(client: AsyncPolytomicClient) -> OrganizationSnapshot:
    """The one snapshot of `client`: it lives and dies with the client (new settings, new snapshot)."""
    with _SNAPSHOTS_LOCK:
        snapshot = _SNAPSHOTS.get(client)
        if snapshot is None:
            snapshot = _SNAPSHOTS[client] = OrganizationSnapshot(client)
        return snapshot
