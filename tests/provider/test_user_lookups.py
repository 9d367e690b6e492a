"""`get_user` and `get_users` against the emulator, configured from the environment as in a program that
sets no `polytomic:*` config (see test_lookups.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider import lookups
from polytomic_provider.user_lookups import UserLookupError, get_user, get_users
from tests.support import PARTNER_KEY


@pytest.fixture
def org(emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An organization with two users, made behind Pulumi's back; the lookups configured for the emulator."""
    for name in ("POLYTOMIC_API_KEY", "PULUMI_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POLYTOMIC_PARTNER_KEY", PARTNER_KEY)
    monkeypatch.setenv("POLYTOMIC_DEPLOYMENT_URL", emulator.url)
    lookups._reset_client()
    with httpx.Client(base_url=emulator.url, headers={"Authorization": f"Bearer {PARTNER_KEY}"}) as api:
        org_id = api.post("/api/organizations", json={"name": "Acme"}).json()["data"]["id"]
        for email in ("jane@example.com", "bob@example.com"):
            api.post(f"/api/organizations/{org_id}/users", json={"email": email}).raise_for_status()
    yield org_id
    lookups._reset_client()


def test_get_users_lists_them_in_order(org: str) -> None:
    assert [u.email for u in get_users(organization_id=org)] == ["jane@example.com", "bob@example.com"]


def test_get_user_by_email_ignores_case_and_by_id_agrees(org: str) -> None:
    by_email = get_user(organization_id=org, email="Bob@Example.com")
    assert by_email.organization_id == org and by_email.role == "admin" and len(by_email.role_ids) == 1
    assert get_user(organization_id=org, id=by_email.id) == by_email


def test_get_user_says_when_there_is_none(org: str) -> None:
    with pytest.raises(UserLookupError, match="no user with email"):
        get_user(organization_id=org, email="nobody@example.com")
    with pytest.raises(UserLookupError, match="no user with id"):
        get_user(organization_id=org, id="00000000-0000-4000-8000-000000000000")
    with pytest.raises(ValueError, match="exactly one of id or email"):
        get_user(organization_id=org)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda org: get_user(organization_id=org, id=f"../../../organizations/{org}"), "id"),
        (lambda org: get_users(organization_id=""), "organization_id"),
        (lambda org: get_user(organization_id="../x", email="jane@example.com"), "organization_id"),
    ],
)
def test_an_id_that_is_no_uuid_is_refused_naming_the_argument_before_any_request(
    org: str, emulator: EmulatorProcess, call: Any, argument: str
) -> None:
    """Ids go into the request's path: `../` or an empty id reached the API (review of #26, finding F5)."""
    emulator.admin.clear_journal()
    with pytest.raises(UserLookupError, match=f"{argument} .* is not an id"):
        call(org)
    assert emulator.admin.journal() == [], "nothing sent"
