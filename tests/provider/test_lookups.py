"""The lookups (`get_organization` and friends) against the emulator, configured as in a Pulumi program.

Outside a Pulumi program `pulumi.runtime.get_config` finds no stack config unless PULUMI_CONFIG is set, so
the lookups fall back to the environment, as they do when a program sets no `polytomic:*` config.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pulumi
import pytest

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider import lookups
from polytomic_provider.errors import ConfigurationError
from polytomic_provider.lookups import (
    OrganizationLookupError,
    OrganizationResult,
    get_current_organization,
    get_current_organization_output,
    get_organization,
    get_organization_output,
    get_organizations,
    get_organizations_output,
)
from tests.support import API_KEY, PARTNER_KEY

MISSING_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def configured(emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorProcess]:
    """The emulator's URL and partner key in the environment, and a fresh shared client before and after."""
    for name in ("POLYTOMIC_API_KEY", "PULUMI_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POLYTOMIC_PARTNER_KEY", PARTNER_KEY)
    monkeypatch.setenv("POLYTOMIC_DEPLOYMENT_URL", emulator.url)
    lookups._reset_client()
    yield emulator
    lookups._reset_client()


@pytest.fixture
def seeded(configured: EmulatorProcess, partner_api: httpx.Client) -> dict[str, dict[str, Any]]:
    """Two organizations, by name, as the API returned them."""
    bodies = [
        {"name": "Acme", "sso_domain": "acme.example.com", "sso_org_id": "org_acme"},
        {
            "name": "Beta",
            "issuer": "https://login.beta.example.com",
            "client_id": "c",
            "client_secret": "s3cr3t!",
        },
    ]
    created = [
        partner_api.post("/api/organizations", json=b).raise_for_status().json()["data"] for b in bodies
    ]
    return {o["name"]: o for o in created}


def owner(emulator: EmulatorProcess) -> dict[str, Any]:
    return next(o for o in emulator.admin.organizations() if o["is_owner"])


def resolve(make: Any) -> Any:
    """Build an Output inside an event loop (as a program does) and wait for its value."""

    async def run() -> Any:
        output: pulumi.Output[Any] = make()
        return await output.future()

    return asyncio.run(run())


def as_result(record: dict[str, Any]) -> OrganizationResult:
    fields = ("id", "name", "issuer", "sso_domain", "sso_org_id")
    return OrganizationResult(**{f: record[f] for f in fields})


# -- what the lookups return -----------------------------------------------------------------------------


def test_get_organization_by_id_and_by_name(seeded: dict[str, dict[str, Any]]) -> None:
    acme = as_result(seeded["Acme"])
    assert get_organization(id=acme.id) == acme
    assert get_organization(name="Acme") == acme
    beta = get_organization(name="Beta")
    assert beta.issuer == "https://login.beta.example.com" and beta.sso_domain is None
    assert not hasattr(beta, "client_id") and not hasattr(beta, "client_secret")  # write-only on the API


def test_get_organizations_lists_the_owner_first_and_filters_by_name(
    seeded: dict[str, dict[str, Any]], configured: EmulatorProcess
) -> None:
    everyone = get_organizations()
    assert [o.name for o in everyone] == [owner(configured)["name"], "Acme", "Beta"]
    assert get_organizations(name_filter="aCm") == [as_result(seeded["Acme"])]
    assert get_organizations(name_filter="nothing like it") == []


def test_get_current_organization_is_the_partners_owner(configured: EmulatorProcess) -> None:
    current = get_current_organization()
    assert (current.id, current.name) == (owner(configured)["id"], owner(configured)["name"])


def test_output_twins_resolve_to_the_same_results(seeded: dict[str, dict[str, Any]]) -> None:
    acme = as_result(seeded["Acme"])
    assert resolve(lambda: get_organization_output(id=pulumi.Output.from_input(acme.id))) == acme
    assert resolve(lambda: get_organization_output(name="Acme")) == acme
    assert resolve(lambda: get_organizations_output(name_filter="beta")) == [as_result(seeded["Beta"])]
    assert resolve(get_current_organization_output) == get_current_organization()


# -- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing_id", [MISSING_ID, "not-a-uuid"])
def test_a_missing_id_is_a_clear_error(configured: EmulatorProcess, missing_id: str) -> None:
    with pytest.raises(OrganizationLookupError) as failure:
        get_organization(id=missing_id)
    message = str(failure.value)
    assert f"no organization with id {missing_id!r}" in message and configured.url in message


def test_a_missing_name_is_a_clear_error(seeded: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(OrganizationLookupError, match=r"no organization named 'acme'.*match exactly"):
        get_organization(name="acme")


def test_exactly_one_of_id_or_name(configured: EmulatorProcess) -> None:
    for kwargs in ({}, {"id": MISSING_ID, "name": "Acme"}):
        with pytest.raises(ValueError, match="exactly one of id or name"):
            get_organization(**kwargs)
    with pytest.raises(ValueError, match="exactly one"):
        get_organization_output()
    assert configured.admin.journal() == []


def test_the_output_twin_raises_the_same_error(configured: EmulatorProcess) -> None:
    with pytest.raises(OrganizationLookupError, match="no organization with id"):
        resolve(lambda: get_organization_output(id=MISSING_ID))


def test_stack_config_wins_over_the_environment(
    seeded: dict[str, dict[str, Any]], configured: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYTOMIC_PARTNER_KEY", "pk-not-this-one-0000")
    monkeypatch.setenv("POLYTOMIC_DEPLOYMENT_URL", "http://127.0.0.1:9")
    stack_config = {"polytomic:partnerKey": PARTNER_KEY, "polytomic:deploymentUrl": configured.url}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(stack_config))
    assert get_organization(name="Acme").id == seeded["Acme"]["id"]


def test_a_rejected_key_is_explained_without_showing_it(
    configured: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYTOMIC_PARTNER_KEY", "pk-rejected-0123456789")
    with pytest.raises(OrganizationLookupError) as failure:
        get_organizations()
    message = str(failure.value)
    assert "polytomic:partnerKey" in message and "POLYTOMIC_PARTNER_KEY" in message
    assert "pk-rejected-0123456789" not in message


def test_no_key_names_where_to_set_one(configured: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLYTOMIC_PARTNER_KEY")
    with pytest.raises(ConfigurationError, match="polytomic:partnerKey"):
        get_organization(name="Acme")
    assert configured.admin.journal() == []


@pytest.mark.api_key
def test_an_organization_key_cannot_list_the_partner_account(
    configured: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POLYTOMIC_PARTNER_KEY")
    monkeypatch.setenv("POLYTOMIC_API_KEY", API_KEY)
    assert get_current_organization().name  # its own organization: allowed
    with pytest.raises(OrganizationLookupError, match="managed with a partner key"):
        get_organizations()
