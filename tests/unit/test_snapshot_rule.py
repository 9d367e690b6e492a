"""The snapshot's rule, step by step, with a client whose list call answers when the test says so.

tests/provider/test_snapshot.py checks the same promises against the emulator through the provider; here
each interleaving (a write ending while a list is in flight, a list slower than the snapshot's age limit,
a list whose answer does not parse) is set up exactly, on one event loop, with a clock the test moves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from polytomic_provider.errors import NotFound
from polytomic_provider.models import Organization
from polytomic_provider.snapshot import OrganizationSnapshot
from tests.fake_clock import FakeClock


class GatedAccount:
    """The client's side of the snapshot: each list call answers (with the names as they are when it
    was sent) once the test opens its gate; GETs answer at once, with the names as they are now."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.lists: list[asyncio.Event] = []
        self.gets: list[str] = []
        self.fail_lists_with: Exception | None = None
        self._listeners: list[Callable[[], None]] = []

    def on_write(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def write(self, organization_id: str, name: str) -> None:
        """A write through the client has ended."""
        self.names[organization_id] = name
        for listener in self._listeners:
            listener()

    async def list_organizations(self) -> list[Organization]:
        as_sent = [Organization(id=i, name=n) for i, n in self.names.items()]
        gate = asyncio.Event()
        self.lists.append(gate)
        await gate.wait()
        if self.fail_lists_with is not None:
            raise self.fail_lists_with
        return as_sent

    async def get_organization(self, organization_id: str) -> Organization:
        self.gets.append(organization_id)
        if organization_id not in self.names:
            raise NotFound(404, "not_found", "no such organization")
        return Organization(id=organization_id, name=self.names[organization_id])


def snapshot_of(account: GatedAccount, clock: FakeClock | None = None) -> OrganizationSnapshot:
    """The snapshot over `account`, on `clock` (a clock that stays at 0 unless given)."""
    client: Any = account  # the snapshot uses on_write, list_organizations and get_organization
    return OrganizationSnapshot(client, max_age=5.0, clock=clock or FakeClock())


async def until_listed(account: GatedAccount, calls: int) -> None:
    while len(account.lists) < calls:
        await asyncio.sleep(0)


async def answer(account: GatedAccount, call: int) -> None:
    """Wait for the account's `call`-th list call (from 1), then let it answer."""
    await until_listed(account, call)
    account.lists[call - 1].set()


def run(scenario: Callable[[], Any]) -> Any:
    """Run on a fresh loop; a read left waiting for a list call nobody answers fails, after 5 s."""
    return asyncio.run(asyncio.wait_for(scenario(), timeout=5))


def test_a_read_that_overlapped_a_write_may_be_served_by_the_list_it_waited_for() -> None:
    async def scenario() -> None:
        account = GatedAccount({"a": "Before"})
        snapshot = snapshot_of(account)
        began_after = snapshot.writes_ended  # the read begins...
        read = asyncio.create_task(snapshot.organization("a", began_after=began_after))
        await until_listed(account, 1)
        account.write("a", "After")  # ...a write ends while its list is in flight...
        account.lists[0].set()
        assert (await read).name == "Before"  # ...and the list it waited for answers it
        assert len(account.lists) == 1

    run(scenario)


def test_no_read_that_begins_after_a_write_is_served_by_a_list_taken_before_it() -> None:
    async def scenario() -> None:
        account = GatedAccount({"a": "Before"})
        snapshot = snapshot_of(account)
        early = asyncio.create_task(snapshot.organization("a"))
        await until_listed(account, 1)
        account.write("a", "After")
        late = asyncio.create_task(snapshot.organization("a"))  # begins with the old list still in flight
        account.lists[0].set()
        assert (await early).name == "Before"
        await answer(account, 2)  # the late read does not join the old list: it lists afresh
        assert (await late).name == "After"
        assert snapshot.listed("a") is not None and snapshot.listed("a").name == "After"  # type: ignore[union-attr]

    run(scenario)


def test_concurrent_reads_join_one_list_call_even_when_it_outlasts_the_age_limit() -> None:
    async def scenario() -> None:
        account, clock = GatedAccount({"a": "A", "b": "B", "c": "C", "d": "D"}), FakeClock()
        snapshot = snapshot_of(account, clock)
        reads = [asyncio.create_task(snapshot.organization(i)) for i in "abcd"]
        await until_listed(account, 1)
        clock.now = 12.0  # the list answers 12 s after it was sent: older than max_age on arrival
        account.lists[0].set()
        assert [(await read).name for read in reads] == ["A", "B", "C", "D"]
        assert len(account.lists) == 1 and account.gets == []
        assert snapshot.listed("a") is None  # too old to serve a read that begins now

    run(scenario)


def test_an_id_missing_from_the_list_gets_its_own_get_before_it_counts_as_gone() -> None:
    async def scenario() -> None:
        account = GatedAccount({"a": "A"})
        snapshot = snapshot_of(account)
        read = asyncio.create_task(snapshot.organization("a"))
        await answer(account, 1)
        await read
        account.names["late"] = "Late"  # made behind the snapshot's back: not in its list
        assert (await snapshot.organization("late")).name == "Late"
        with pytest.raises(NotFound):
            await snapshot.organization("gone")
        assert account.gets == ["late", "gone"] and len(account.lists) == 1

    run(scenario)


def test_a_read_that_noted_its_start_before_a_write_joins_the_list_it_started() -> None:
    """The dynamic provider's read notes `writes_ended` on arrival and starts the list (start_listing),
    then loads the core; a write that ends meanwhile must not make its lookup list a second time."""

    async def scenario() -> None:
        account = GatedAccount({"a": "Before"})
        snapshot = snapshot_of(account)
        noted = snapshot.writes_ended
        prefetch = asyncio.create_task(snapshot._refill(noted))  # what start_listing schedules
        await until_listed(account, 1)
        account.write("a", "After")  # ends while the read is still loading the core
        lookup = asyncio.create_task(snapshot.organization("a", began_after=noted))
        account.lists[0].set()
        assert (await lookup).name == "Before" and len(account.lists) == 1
        await prefetch
        fresh = asyncio.create_task(snapshot.organization("a"))  # a read that begins after the write
        await answer(account, 2)
        assert (await fresh).name == "After"

    run(scenario)


def test_a_list_that_fails_in_any_way_leaves_each_read_to_its_own_get() -> None:
    async def scenario() -> None:
        account = GatedAccount({"a": "A", "b": "B"})
        account.fail_lists_with = ValueError("an answer that does not parse")
        snapshot = snapshot_of(account)
        reads = [asyncio.create_task(snapshot.organization(i)) for i in "ab"]
        await answer(account, 1)
        assert [(await read).name for read in reads] == ["A", "B"]
        assert len(account.lists) == 1 and sorted(account.gets) == ["a", "b"]

    run(scenario)


def test_an_answer_that_does_not_parse_is_logged_by_its_kind_only(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        account = GatedAccount({"a": "A"})
        account.fail_lists_with = ValueError("an answer echoing pk-secret-value")
        snapshot = snapshot_of(account)
        read = asyncio.create_task(snapshot.organization("a"))
        await answer(account, 1)
        assert (await read).name == "A"

    run(scenario)
    assert [r.getMessage() for r in caplog.records] == [
        "polytomic: GET /api/organizations: the answer could not be read (ValueError); each organization "
        "is read with its own GET instead"
    ]


def test_a_bug_in_listing_fails_the_read_instead_of_hiding_behind_gets() -> None:
    async def scenario() -> None:
        account = GatedAccount({"a": "A"})
        account.fail_lists_with = ZeroDivisionError("a bug of ours")
        snapshot = snapshot_of(account)
        read = asyncio.create_task(snapshot.organization("a"))
        await answer(account, 1)
        with pytest.raises(ZeroDivisionError):
            await read
        assert account.gets == []

    run(scenario)
