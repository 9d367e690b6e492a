"""A refresh of users served from one list per organization (polytomic_provider/user_snapshot.py), through
both front ends, against a live emulator.

API calls are counted from the emulator's request journal, as in test_snapshot.py; concurrency is made real
with its latency fault.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.provider import OrganizationProvider
from polytomic_provider.runtime import RUNTIME
from polytomic_provider.user_provider import UserProvider
from tests.provider.test_snapshot import calls
from tests.support import configure


@pytest.fixture
def users(provider: OrganizationProvider) -> UserProvider:
    return UserProvider()


def make_org(partner_api: httpx.Client, name: str) -> str:
    made = partner_api.post("/api/organizations", json={"name": name})
    made.raise_for_status()
    return str(made.json()["data"]["id"])


def make_user(partner_api: httpx.Client, org: str, email: str) -> dict[str, Any]:
    """A user made behind the provider's back, with its outputs as a stack would store them."""
    made = partner_api.post(f"/api/organizations/{org}/users", json={"email": email, "role": "admin"})
    made.raise_for_status()
    user: dict[str, Any] = made.json()["data"]
    return user


def stored(user: dict[str, Any], account: str) -> dict[str, Any]:
    return {
        "organization_id": user["organization_id"],
        "email": user["email"],
        "role_ids": user["role_ids"],
        "role": user["role"],
        "__account": account,
    }


def lists(org: str) -> tuple[str, str]:
    return ("GET", f"/api/organizations/{org}/users")


def test_a_refresh_of_n_users_of_one_organization_is_one_list_call(
    users: UserProvider, emulator: EmulatorProcess, partner_api: httpx.Client, account: str
) -> None:
    orgs = [make_org(partner_api, f"Org {i}") for i in range(2)]
    made = [make_user(partner_api, org, f"u{i}@example.com") for org in orgs for i in range(6)]
    emulator.admin.clear_journal()
    for user in made:
        result = users.read(user["id"], stored(user, account))
        assert result.id == user["id"] and result.outs is not None and result.inputs is None
        assert result.outs["email"] == user["email"]
    assert sorted(calls(emulator)) == sorted(lists(org) for org in orgs)


def test_concurrent_reads_of_one_organization_make_one_list_call(
    users: UserProvider, emulator: EmulatorProcess, partner_api: httpx.Client, account: str
) -> None:
    org = make_org(partner_api, "Busy")
    made = [make_user(partner_api, org, f"c{i}@example.com") for i in range(4)]
    RUNTIME.client()
    emulator.admin.clear_journal()
    emulator.admin.set_faults(latency_ms=300)  # the four reads all arrive while the first list is slow
    start = threading.Barrier(len(made))

    def read(user: dict[str, Any]) -> str | None:
        start.wait()
        return users.read(user["id"], stored(user, account)).id

    with ThreadPoolExecutor(len(made)) as pool:
        assert list(pool.map(read, made)) == [u["id"] for u in made]
    assert calls(emulator) == [lists(org)]


def test_a_user_the_list_misses_is_read_with_its_own_get(
    users: UserProvider, emulator: EmulatorProcess, partner_api: httpx.Client, account: str
) -> None:
    """A list can lag a user made after it was taken: the user is not dropped, its GET finds it."""
    org = make_org(partner_api, "Late")
    first = make_user(partner_api, org, "first@example.com")
    assert users.read(first["id"], stored(first, account)).id == first["id"]  # the list is taken
    late = make_user(partner_api, org, "late@example.com")  # not through the client: the list stays
    emulator.admin.clear_journal()
    result = users.read(late["id"], stored(late, account))
    assert result.id == late["id"] and result.outs is not None and result.outs["email"] == "late@example.com"
    assert calls(emulator) == [("GET", f"/api/organizations/{org}/users/{late['id']}")]


def test_a_user_gone_from_the_list_is_dropped_only_once_its_get_says_404(
    users: UserProvider, emulator: EmulatorProcess, partner_api: httpx.Client, account: str
) -> None:
    org = make_org(partner_api, "Gone")
    kept, gone = (make_user(partner_api, org, f"{name}@example.com") for name in ("kept", "gone"))
    partner_api.delete(f"/api/organizations/{org}/users/{gone['id']}").raise_for_status()
    emulator.admin.clear_journal()
    assert users.read(kept["id"], stored(kept, account)).id == kept["id"]
    assert users.read(gone["id"], stored(gone, account)).id is None
    user_path = f"/api/organizations/{org}/users/{gone['id']}"
    assert calls(emulator) == [lists(org), ("GET", user_path)]


def test_users_of_a_deleted_organization_are_dropped_as_before(
    users: UserProvider, emulator: EmulatorProcess, partner_api: httpx.Client, account: str
) -> None:
    """The list answers 404: each read meets its own 404 (in the recording account), as one GET each did."""
    org = make_org(partner_api, "Doomed")
    made = [make_user(partner_api, org, f"d{i}@example.com") for i in range(2)]
    partner_api.delete(f"/api/organizations/{org}").raise_for_status()
    for user in made:
        assert users.read(user["id"], stored(user, account)).id is None


def test_a_write_through_the_provider_drops_the_list(
    users: UserProvider, emulator: EmulatorProcess, partner_api: httpx.Client, account: str
) -> None:
    org = make_org(partner_api, "Writes")
    user = make_user(partner_api, org, "w@example.com")
    assert users.read(user["id"], stored(user, account)).id == user["id"]
    users.delete(user["id"], stored(user, account))
    emulator.admin.clear_journal()
    assert users.read(user["id"], stored(user, account)).id is None
    assert calls(emulator) == [lists(org), ("GET", f"/api/organizations/{org}/users/{user['id']}")]


def test_the_plugin_refreshes_n_users_with_one_list_call(
    emulator: EmulatorProcess, partner_api: httpx.Client, account: str
) -> None:
    from pulumi.provider.experimental import provider as rpc

    from tests.provider.test_plugin_methods import configured, run, values
    from tests.provider.test_plugin_users import URN

    plugin = configured(emulator.url)
    org = make_org(partner_api, "Plugin")
    made = [make_user(partner_api, org, f"p{i}@example.com") for i in range(5)]
    emulator.admin.clear_journal()
    for user in made:
        props = values(organizationId=org, email=user["email"], roleIds=user["role_ids"], role=user["role"])
        props.update(values(__account=account))
        read = run(plugin.read(rpc.ReadRequest(URN, user["id"], props, {})))
        assert read.resource_id == user["id"]
    assert calls(emulator) == [lists(org)]
    configure(emulator.url)
