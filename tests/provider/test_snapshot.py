"""`read` served from one list of organizations (polytomic_provider/snapshot.py), against a live emulator.

API calls are counted from the emulator's request journal; concurrency is made real with its latency
fault, which answers after the plan's delay but computes the answer on arrival, as a slow network does.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider import accounts, bridge
from polytomic_provider.client import AsyncPolytomicClient
from polytomic_provider.config import Secret, Settings
from polytomic_provider.provider import OrganizationProvider
from polytomic_provider.runtime import RUNTIME
from polytomic_provider.snapshot import OrganizationSnapshot
from tests.support import API_KEY, PARTNER_KEY, configure

LIST = ("GET", "/api/organizations")
MISSING_ID = "00000000-0000-4000-8000-000000000000"


ACCOUNT_LOOKUP = ("GET", "/api/organization")


def calls(emulator: EmulatorProcess) -> list[tuple[str, str]]:
    """The requests sent, but for the process's one account lookup (accounts.py, counted on its own)."""
    return [
        (e["method"], e["path"])
        for e in emulator.admin.journal()
        if (e["method"], e["path"]) != ACCOUNT_LOOKUP
    ]


def account_lookups(emulator: EmulatorProcess) -> int:
    return sum((e["method"], e["path"]) == ACCOUNT_LOOKUP for e in emulator.admin.journal())


def make(partner_api: httpx.Client, name: str) -> str:
    response = partner_api.post("/api/organizations", json={"name": name})
    response.raise_for_status()
    return str(response.json()["data"]["id"])


def rename(partner_api: httpx.Client, organization_id: str, name: str) -> None:
    partner_api.put(f"/api/organizations/{organization_id}", json={"name": name}).raise_for_status()


def stored(name: str) -> dict[str, Any]:
    """Outputs as the state holds them after `up`: what refresh hands to `read`."""
    return {"name": name, "client_id": None, "client_secret": None}


def name_read(provider: OrganizationProvider, organization_id: str) -> Any:
    return (provider.read(organization_id, stored("?")).outs or {}).get("name")


def assert_the_next_read_lists_afresh(
    provider: OrganizationProvider, emulator: EmulatorProcess, organization_id: str, name: str
) -> None:
    emulator.admin.clear_journal()
    assert name_read(provider, organization_id) == name
    assert calls(emulator) == [LIST]


def test_the_reads_of_one_run_share_one_list_call(
    provider: OrganizationProvider, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    ids = {make(partner_api, f"Org {i}"): f"Org {i}" for i in range(5)}
    emulator.admin.clear_journal()
    for organization_id, name in ids.items():
        result = provider.read(organization_id, stored(name))
        assert result.id == organization_id and result.outs is not None and result.outs["name"] == name
    assert calls(emulator) == [LIST]
    assert account_lookups(emulator) == 1


def test_concurrent_first_reads_make_one_list_call(
    provider: OrganizationProvider, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    ids = [make(partner_api, f"Org {i}") for i in range(4)]
    RUNTIME.client()  # built before the race, as the provider host's configure() call leaves it
    emulator.admin.clear_journal()
    emulator.admin.set_faults(latency_ms=400)  # the four reads all arrive while the first list is slow
    start = threading.Barrier(len(ids))

    def read(organization_id: str) -> str | None:
        start.wait()
        return provider.read(organization_id, stored("?")).id

    with ThreadPoolExecutor(len(ids)) as pool:
        assert list(pool.map(read, ids)) == ids
    assert calls(emulator) == [LIST]


def test_a_write_drops_the_snapshot(
    provider: OrganizationProvider, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    organization_id = make(partner_api, "Before")
    assert name_read(provider, organization_id) == "Before"
    provider.update(organization_id, stored("Before"), stored("After"))
    assert_the_next_read_lists_afresh(provider, emulator, organization_id, "After")


def test_a_list_under_way_during_a_write_is_not_kept(
    provider: OrganizationProvider, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    """The list is computed before the PUT lands and arrives after it: it may serve the read that asked
    for it (that read began before the write ended), but no read after the write."""
    organization_id = make(partner_api, "Before")
    client = RUNTIME.client()  # fresh: its first request is the early read's list call
    emulator.admin.set_faults(latency_ms=1500, methods=["GET"])
    with ThreadPoolExecutor(1) as pool:
        early = pool.submit(name_read, provider, organization_id)
        assert client.wait_for_first_request(timeout=10)  # the list call is on the wire...
        time.sleep(0.3)  # ...and answered on arrival at the emulator, which holds the reply for 1.5 s
        provider.update(organization_id, stored("Before"), stored("After"))
        assert early.result() == "Before"
    emulator.admin.clear_faults()
    assert_the_next_read_lists_afresh(provider, emulator, organization_id, "After")


def test_an_id_missing_from_the_list_is_confirmed_before_it_is_reported_gone(
    provider: OrganizationProvider, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    kept = make(partner_api, "Kept")
    provider.read(kept, stored("Kept"))  # the snapshot is taken now
    late = make(partner_api, "Late")  # behind the provider's back: the snapshot does not list it
    emulator.admin.clear_journal()
    result = provider.read(late, stored("Late"))
    assert result.id == late and (result.outs or {})["name"] == "Late"
    recorded = (result.outs or {})["__account"]  # a confirmed 404 in its own account: it is gone
    gone = provider.read(MISSING_ID, {**stored("Gone"), "__account": recorded})
    assert gone.id is None and gone.outs == {}
    assert calls(emulator) == [
        ("GET", f"/api/organizations/{late}"),
        ("GET", f"/api/organizations/{MISSING_ID}"),
    ]


def test_the_snapshot_expires_by_age(emulator: EmulatorProcess, partner_api: httpx.Client) -> None:
    configure(emulator.url)
    now = [1000.0]
    snapshot = OrganizationSnapshot(RUNTIME.client(), max_age=5.0, clock=lambda: now[0])
    organization_id = make(partner_api, "First")
    assert bridge.run(snapshot.organization(organization_id)).name == "First"
    rename(partner_api, organization_id, "Second")
    now[0] += 4.9
    assert bridge.run(snapshot.organization(organization_id)).name == "First"  # still the snapshot's answer
    now[0] += 0.2
    emulator.admin.clear_journal()
    assert bridge.run(snapshot.organization(organization_id)).name == "Second"
    assert calls(emulator) == [LIST]
    RUNTIME.configure(Settings(partner_key=None))


def test_listed_answers_without_waiting_only_from_a_current_list(
    emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    """The dynamic provider's host threads ask `listed` first: it must never answer from no list, an
    old list, or a list a write has dropped."""
    configure(emulator.url)
    now = [1000.0]
    client = RUNTIME.client()
    snapshot = OrganizationSnapshot(client, max_age=5.0, clock=lambda: now[0])
    organization_id = make(partner_api, "Listed")
    assert snapshot.listed(organization_id) is None  # nothing listed yet
    bridge.run(snapshot.organization(organization_id))
    found = snapshot.listed(organization_id)
    assert found is not None and found.name == "Listed"
    assert snapshot.listed(MISSING_ID) is None  # not in the list: the caller confirms with a GET
    now[0] += 5.0
    assert snapshot.listed(organization_id) is None  # too old
    bridge.run(snapshot.organization(organization_id))
    snapshot.invalidate()  # what every write through the client does
    assert snapshot.listed(organization_id) is None
    RUNTIME.configure(Settings(partner_key=None))


def test_a_write_through_the_provider_is_seen_by_the_next_read_from_any_thread(
    provider: OrganizationProvider, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    organization_id = make(partner_api, "Before")
    assert name_read(provider, organization_id) == "Before"
    provider.update(organization_id, stored("Before"), stored("After"))
    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(lambda _: name_read(provider, organization_id), range(8))) == {"After"}


@pytest.mark.api_key
def test_a_key_that_may_not_list_reads_with_one_get_each(emulator: EmulatorProcess) -> None:
    """An organization-scoped key gets 403 on the list but may read its own organization."""
    configure(emulator.url, key=API_KEY)
    (own,) = [o for o in emulator.admin.organizations() if not o["is_owner"]]  # the key's organization
    try:
        for _ in range(2):
            assert OrganizationProvider().read(own["id"], stored(own["name"])).id == own["id"]
    finally:
        RUNTIME.configure(Settings(partner_key=None))
    assert calls(emulator) == [LIST, *[("GET", f"/api/organizations/{own['id']}")] * 2]


def test_a_caller_arriving_as_the_account_lookup_ends_joins_it_instead_of_asking_again(
    emulator: EmulatorProcess,
) -> None:
    """The lookup keeps its answer as it ends: a caller that comes between its end and the moment its
    first waiter resumes must not send a second GET /api/organization (a loaded machine did)."""
    emulator.admin.clear_journal()
    client = AsyncPolytomicClient(Settings(partner_key=Secret(PARTNER_KEY), deployment_url=emulator.url))

    async def scenario() -> tuple[object, object]:
        first = asyncio.ensure_future(accounts.account_of(client))
        await asyncio.sleep(0)
        lookup = accounts._LOOKUPS[client]
        while lookup.under_way is None or not lookup.under_way.done():
            await asyncio.sleep(0)
        second = await accounts.account_of(client)  # the first waiter has not resumed yet
        return await first, second

    first, second = asyncio.run(scenario())
    assert first == second
    assert account_lookups(emulator) == 1
