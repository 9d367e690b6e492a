"""The Users endpoints (partner and organization level), minted API keys and permissions roles.

Checks the rules of users-api.md ("For the emulator") and the choices written down in emulator/README.md
(Users): every route, every credential form, every 4xx rule, the cascade when an organization is deleted,
Idempotency-Key replays (one invitation per user; a minted key is never stored in plaintext), key
revocation, and a journal that never holds a minted key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sqlite3
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from polytomic_emulator.app import create_app
from polytomic_emulator.journal import _MINTED_KEY
from polytomic_emulator.launcher import EmulatorProcess
from polytomic_emulator.settings import EmulatorSettings
from polytomic_emulator.store import API_KEY_PREFIX
from tests.emulator.api_errors import assert_error

USER_FIELDS = {"id", "email", "organization_id", "role", "role_ids"}
GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def basic(org_id: str, key: str, *, pad: str = "") -> dict[str, str]:
    token = base64.b64encode(f"{pad}{org_id}{pad}:{pad}{key}{pad}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def data(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["data"]


def roles(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    """The caller's organization's roles, by name."""
    return {role["name"]: role["id"] for role in data(client.get("/api/permissions/roles", headers=headers))}


def invitations(client: TestClient, kit: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = data(client.get("/_emulator/invitations", headers=kit.admin))
    return sent


def store(client: TestClient) -> Any:
    """The app's store, to look at what the API does not show (key counts, rows)."""
    return client.app.state.emulator.store  # type: ignore[attr-defined]


def journal_text(client: TestClient, kit: Any) -> str:
    return json.dumps(data(client.get("/_emulator/journal", headers=kit.admin)))


@pytest.fixture
def org(client: TestClient, kit: Any) -> str:
    org_id: str = kit.create(client, "Users Org")["id"]
    return org_id


@pytest.fixture
def other_org(client: TestClient, kit: Any) -> str:
    org_id: str = kit.create(client, "Other Org")["id"]
    return org_id


def create_user(client: TestClient, kit: Any, org_id: str, email: str, **fields: Any) -> dict[str, Any]:
    body = {"email": email, **fields}
    user: dict[str, Any] = data(
        client.post(f"/api/organizations/{org_id}/users", json=body, headers=kit.partner)
    )
    return user


def mint(client: TestClient, kit: Any, org_id: str, user_id: str, query: str = "") -> str:
    path = f"/api/organizations/{org_id}/users/{user_id}/keys{query}"
    key: str = data(client.post(path, headers=kit.partner))["value"]
    return key


# -- roles ------------------------------------------------------------------------------------------


def test_every_organization_has_the_admin_and_member_system_roles(
    client: TestClient, kit: Any, org: str, other_org: str
) -> None:
    owner_id = data(client.get("/api/organization", headers=kit.partner))["id"]
    seen: set[str] = set()
    for org_id in (owner_id, org, other_org):
        listed = data(client.get("/api/permissions/roles", headers=basic(org_id, kit.partner_key)))
        assert [(r["name"], r["system"], r["organization_id"]) for r in listed] == [
            ("Admin", True, org_id),
            ("Member", True, org_id),
        ]
        for role in listed:
            assert set(role) == {"id", "name", "organization_id", "system"}
            assert str(uuid.UUID(role["id"])) == role["id"]
            got = data(
                client.get(f"/api/permissions/roles/{role['id']}", headers=basic(org_id, kit.partner_key))
            )
            assert got == role
            seen.add(role["id"])
    assert len(seen) == 6  # role ids are per organization
    # The org-scoped API key reads its own organization's roles.
    assert set(roles(client, kit.org)) == {"Admin", "Member"}


def test_roles_need_an_organization_scoped_caller(
    client: TestClient, kit: Any, org: str, other_org: str
) -> None:
    assert_error(client.get("/api/permissions/roles", headers=kit.partner), 403, "organization_key_required")
    assert_error(client.get("/api/permissions/roles"), 401, "unauthorized")
    other_admin = roles(client, basic(other_org, kit.partner_key))["Admin"]
    assert_error(
        client.get(f"/api/permissions/roles/{other_admin}", headers=basic(org, kit.partner_key)), 404
    )
    assert_error(client.get("/api/permissions/roles/not-a-uuid", headers=basic(org, kit.partner_key)), 404)
    assert_error(
        client.get(f"/api/permissions/roles/{uuid.uuid4()}", headers=basic(org, kit.partner_key)), 404
    )


# -- partner-level users: success paths -------------------------------------------------------------


def test_create_defaults_to_admin_and_lower_cases_the_email(client: TestClient, kit: Any, org: str) -> None:
    response = client.post(
        f"/api/organizations/{org}/users", json={"email": "Jane.DOE@Example.COM"}, headers=kit.partner
    )
    user = data(response)
    assert set(user) == USER_FIELDS
    admin = roles(client, basic(org, kit.partner_key))["Admin"]
    assert user == {
        "id": user["id"],
        "email": "jane.doe@example.com",
        "organization_id": org,
        "role": "admin",
        "role_ids": [admin],
    }
    assert str(uuid.UUID(user["id"])) == user["id"]
    assert data(client.get(f"/api/organizations/{org}/users/{user['id']}", headers=kit.partner)) == user
    assert data(client.get(f"/api/organizations/{org}/users", headers=kit.partner)) == [user]


@pytest.mark.parametrize(
    ("role", "legacy", "system"),
    [
        ("admin", "admin", "Admin"),
        ("Admin", "admin", "Admin"),
        ("user", "user", "Member"),
        ("USER", "user", "Member"),
    ],
)
def test_legacy_role_names_map_to_the_system_roles(
    client: TestClient, kit: Any, org: str, role: str, legacy: str, system: str
) -> None:
    user = create_user(client, kit, org, "legacy@example.com", role=role)
    assert user["role"] == legacy
    assert user["role_ids"] == [roles(client, basic(org, kit.partner_key))[system]]


def test_role_ids_keep_their_order_and_give_the_legacy_name(client: TestClient, kit: Any, org: str) -> None:
    by_name = roles(client, basic(org, kit.partner_key))
    both = create_user(client, kit, org, "both@example.com", role_ids=[by_name["Member"], by_name["Admin"]])
    assert both["role_ids"] == [by_name["Member"], by_name["Admin"]] and both["role"] == "admin"
    member = create_user(client, kit, org, "member@example.com", role_ids=[by_name["Member"].upper()])
    assert member["role_ids"] == [by_name["Member"]] and member["role"] == "user"
    # Explicit nulls are the same as leaving the fields out.
    default = create_user(client, kit, org, "nulls@example.com", role=None, role_ids=None)
    assert default["role"] == "admin" and default["role_ids"] == [by_name["Admin"]]


def test_list_is_in_creation_order_and_scoped_to_the_organization(
    client: TestClient, kit: Any, org: str, other_org: str
) -> None:
    first = create_user(client, kit, org, "zed@example.com")
    second = create_user(client, kit, org, "amy@example.com")
    create_user(client, kit, other_org, "elsewhere@example.com")
    listed = data(client.get(f"/api/organizations/{org}/users", headers=kit.partner))
    assert [u["id"] for u in listed] == [first["id"], second["id"]]
    assert (
        data(client.get(f"/api/organizations/{kit.create(client, 'Empty')['id']}/users", headers=kit.partner))
        == []
    )


def test_put_changes_only_the_role_assignment_and_ignores_the_email(
    client: TestClient, kit: Any, org: str
) -> None:
    by_name = roles(client, basic(org, kit.partner_key))
    user = create_user(client, kit, org, "keep@example.com")
    path = f"/api/organizations/{org}/users/{user['id']}"
    updated = data(client.put(path, json={"email": "KEEP@example.com", "role": "user"}, headers=kit.partner))
    assert updated == {**user, "role": "user", "role_ids": [by_name["Member"]]}
    updated = data(
        client.put(
            path,
            json={"email": "someone.else@example.com", "role_ids": [by_name["Admin"]]},
            headers=kit.partner,
        )
    )
    assert updated == {**user, "role": "admin", "role_ids": [by_name["Admin"]]}
    # Neither role field: the assignment is kept.
    assert data(client.put(path, json={"email": "keep@example.com"}, headers=kit.partner)) == updated
    assert data(client.get(path, headers=kit.partner))["email"] == "keep@example.com"


def test_delete_answers_200_with_the_removed_user(client: TestClient, kit: Any, org: str) -> None:
    user = create_user(client, kit, org, "gone@example.com")
    path = f"/api/organizations/{org}/users/{user['id']}"
    deleted = client.delete(path, headers=kit.partner)
    assert deleted.status_code == 200 and deleted.json() == {"data": user}
    assert_error(client.get(path, headers=kit.partner), 404, "not_found")
    assert_error(client.delete(path, headers=kit.partner), 404, "not_found")
    # The address is free again.
    assert create_user(client, kit, org, "gone@example.com")["id"] != user["id"]


def test_answers_echo_the_version(client: TestClient, kit: Any, org: str) -> None:
    response = client.get(
        f"/api/organizations/{org}/users", headers={**kit.partner, "X-Polytomic-Version": "2024-02-08"}
    )
    assert response.headers["x-polytomic-version"] == "2024-02-08"


# -- partner-level users: credentials ---------------------------------------------------------------


def test_partner_level_accepts_bearer_partner_basic_and_the_organizations_own_key(
    client: TestClient, kit: Any, org: str
) -> None:
    own_org = data(client.get("/api/organization", headers=kit.org))["id"]
    for org_id, headers in [
        (org, kit.partner),
        (org, basic(org, kit.partner_key)),
        (org, basic(org.upper(), kit.partner_key, pad=" ")),  # parts whitespace-trimmed, id in any case
        (own_org, kit.org),
    ]:
        email = f"{uuid.uuid4().hex[:8]}@example.com"
        created = data(
            client.post(f"/api/organizations/{org_id}/users", json={"email": email}, headers=headers)
        )
        assert created["organization_id"] == org_id
        path = f"/api/organizations/{org_id}/users/{created['id']}"
        assert data(client.get(path, headers=headers)) == created
        assert created in data(client.get(f"/api/organizations/{org_id}/users", headers=headers))
        assert (
            data(client.put(path, json={"email": email, "role": "user"}, headers=headers))["role"] == "user"
        )
        assert data(client.post(path + "/keys", headers=headers))["value"].startswith(API_KEY_PREFIX)
        assert data(client.delete(path, headers=headers))["id"] == created["id"]


def test_another_organizations_credential_is_403(
    client: TestClient, kit: Any, org: str, other_org: str
) -> None:
    user = create_user(client, kit, org, "target@example.com")
    base = f"/api/organizations/{org}/users"
    for headers in (kit.org, basic(other_org, kit.partner_key)):
        for method, path, body in [
            ("GET", base, None),
            ("POST", base, {"email": "x@example.com"}),
            ("GET", f"{base}/{user['id']}", None),
            ("PUT", f"{base}/{user['id']}", {"email": "target@example.com"}),
            ("DELETE", f"{base}/{user['id']}", None),
            ("POST", f"{base}/{user['id']}/keys", None),
        ]:
            assert_error(
                client.request(method, path, json=body, headers=headers), 403, "organization_mismatch"
            )
    # Whether or not the organization exists: an org-scoped key cannot probe for ids.
    assert_error(client.get(f"/api/organizations/{uuid.uuid4()}/users", headers=kit.org), 403)
    assert data(client.get(base, headers=kit.partner)) == [user]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer not-a-known-key",
        "Bearer " + API_KEY_PREFIX + "0" * 48,
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Token whatever",
    ],
)
def test_missing_or_unknown_credentials_are_401(
    client: TestClient, kit: Any, org: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get(f"/api/organizations/{org}/users", headers=headers)
    assert_error(response, 401, "unauthorized")


def test_basic_needs_the_partner_key_and_an_existing_organization(
    client: TestClient, kit: Any, org: str
) -> None:
    path = f"/api/organizations/{org}/users"
    assert_error(client.get(path, headers=basic(org, "wrong-partner-key")), 401)
    assert_error(client.get(path, headers=basic(org, kit.api_key)), 401)  # an org key is not a partner key
    assert_error(client.get(path, headers=basic(str(uuid.uuid4()), kit.partner_key)), 401)
    assert_error(client.get(path, headers=basic("not-a-uuid", kit.partner_key)), 401)
    # Basic acts as that organization: partner-only routes are refused.
    assert_error(
        client.get("/api/organizations", headers=basic(org, kit.partner_key)), 403, "partner_key_required"
    )
    assert data(client.get("/api/organization", headers=basic(org, kit.partner_key)))["id"] == org


# -- partner-level users: 4xx rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": ""}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "two@@example.com"}, "email"),
        ({"email": "white space@example.com"}, "email"),
        ({"email": "a" * 250 + "@x.io"}, "email"),
        ({"email": 5}, "email"),
        ({"email": "ok@example.com", "role_ids": []}, "role_ids"),
        ({"email": "ok@example.com", "role_ids": "admin"}, "role_ids"),
        ({"email": "ok@example.com", "role_ids": [7]}, "role_ids.0"),
        ({"email": "ok@example.com", "role": "admin", "role_ids": ["x"]}, "role"),
        ({"email": "ok@example.com", "role": "owner"}, "role"),
        ({"email": "ok@example.com", "role": "member"}, "role"),
        ({"email": "ok@example.com", "role_ids": [str(uuid.uuid4())]}, "role_ids"),
        ({"email": "ok@example.com", "role_ids": ["not-a-uuid"]}, "role_ids"),
    ],
)
def test_invalid_user_bodies_are_422(
    client: TestClient, kit: Any, org: str, body: dict[str, Any], field: str
) -> None:
    error = assert_error(client.post(f"/api/organizations/{org}/users", json=body, headers=kit.partner), 422)
    assert field in error["metadata"]["fields"], error
    assert data(client.get(f"/api/organizations/{org}/users", headers=kit.partner)) == []
    assert invitations(client, kit) == []


def test_role_ids_must_be_distinct_and_of_this_organization(
    client: TestClient, kit: Any, org: str, other_org: str
) -> None:
    mine = roles(client, basic(org, kit.partner_key))
    theirs = roles(client, basic(other_org, kit.partner_key))
    path = f"/api/organizations/{org}/users"
    body = {"email": "r@example.com", "role_ids": [theirs["Admin"]]}
    assert_error(client.post(path, json=body, headers=kit.partner), 422, "unknown_role")
    body = {"email": "r@example.com", "role_ids": [mine["Admin"], mine["Admin"].upper()]}
    assert_error(client.post(path, json=body, headers=kit.partner), 422, "validation_failed")
    user = create_user(client, kit, org, "r@example.com")
    put = {"email": "r@example.com", "role_ids": [theirs["Member"]]}
    assert_error(client.put(f"{path}/{user['id']}", json=put, headers=kit.partner), 422, "unknown_role")
    put = {"email": "r@example.com", "role": "user", "role_ids": [mine["Member"]]}
    assert_error(client.put(f"{path}/{user['id']}", json=put, headers=kit.partner), 422, "validation_failed")


def test_partner_put_requires_a_valid_email(client: TestClient, kit: Any, org: str) -> None:
    user = create_user(client, kit, org, "p@example.com")
    path = f"/api/organizations/{org}/users/{user['id']}"
    assert (
        "email"
        in assert_error(client.put(path, json={"role": "user"}, headers=kit.partner), 422)["metadata"][
            "fields"
        ]
    )
    assert_error(client.put(path, json={"email": "nope", "role": "user"}, headers=kit.partner), 422)
    assert data(client.get(path, headers=kit.partner)) == user


def test_emails_are_unique_per_organization_ignoring_case(
    client: TestClient, kit: Any, org: str, other_org: str
) -> None:
    create_user(client, kit, org, "dup@example.com")
    for spelling in ("dup@example.com", "DUP@Example.com"):
        response = client.post(
            f"/api/organizations/{org}/users", json={"email": spelling}, headers=kit.partner
        )
        error = assert_error(response, 422, "user_email_taken")
        assert "dup@" not in error["message"].lower()  # messages never echo submitted values
    # Another organization may have the same address.
    assert create_user(client, kit, other_org, "Dup@example.com")["email"] == "dup@example.com"
    assert len(invitations(client, kit)) == 2


def test_unknown_or_foreign_paths_are_404(client: TestClient, kit: Any, org: str, other_org: str) -> None:
    user = create_user(client, kit, org, "where@example.com")
    missing = str(uuid.uuid4())
    for org_id in (missing, "not-a-uuid"):
        base = f"/api/organizations/{org_id}/users"
        assert_error(client.get(base, headers=kit.partner), 404)
        assert_error(client.post(base, json={"email": "n@example.com"}, headers=kit.partner), 404)
        assert_error(client.get(f"{base}/{user['id']}", headers=kit.partner), 404)
        assert_error(
            client.put(f"{base}/{user['id']}", json={"email": "n@example.com"}, headers=kit.partner), 404
        )
        assert_error(client.delete(f"{base}/{user['id']}", headers=kit.partner), 404)
        assert_error(client.post(f"{base}/{user['id']}/keys", headers=kit.partner), 404)
    # The user exists, but in another organization than the path's.
    foreign = f"/api/organizations/{other_org}/users/{user['id']}"
    assert_error(client.get(foreign, headers=kit.partner), 404)
    assert_error(client.put(foreign, json={"email": "where@example.com"}, headers=kit.partner), 404)
    assert_error(client.delete(foreign, headers=kit.partner), 404)
    assert_error(client.post(foreign + "/keys", headers=kit.partner), 404)
    for user_id in (missing, "not-a-uuid"):
        assert_error(client.get(f"/api/organizations/{org}/users/{user_id}", headers=kit.partner), 404)
    assert data(client.get(f"/api/organizations/{org}/users/{user['id']}", headers=kit.partner)) == user


def test_methods_not_routed_are_405(client: TestClient, kit: Any, org: str) -> None:
    user = create_user(client, kit, org, "m@example.com")
    response = client.get(f"/api/organizations/{org}/users/{user['id']}/keys", headers=kit.partner)
    assert_error(response, 405)
    assert response.headers["allow"] == "POST"
    assert_error(
        client.patch(f"/api/organizations/{org}/users/{user['id']}", json={}, headers=kit.partner), 405
    )


# -- organization-level users -----------------------------------------------------------------------


def test_organization_level_crud_acts_on_the_callers_organization(client: TestClient, kit: Any) -> None:
    own = data(client.get("/api/organization", headers=kit.org))["id"]
    by_name = roles(client, kit.org)
    created = data(
        client.post(
            "/api/organization/users", json={"email": "Cur@Example.com", "role": "user"}, headers=kit.org
        )
    )
    assert created["organization_id"] == own and created["email"] == "cur@example.com"
    assert created["role"] == "user" and created["role_ids"] == [by_name["Member"]]
    path = f"/api/organization/users/{created['id']}"
    assert data(client.get("/api/organization/users", headers=kit.org)) == [created]
    assert data(client.get(path, headers=kit.org)) == created
    # The same user through the partner-level path.
    assert data(client.get(f"/api/organizations/{own}/users/{created['id']}", headers=kit.partner)) == created
    # PUT takes only role/role_ids; an email in it is ignored, none is needed.
    updated = data(client.put(path, json={"role_ids": [by_name["Admin"]], "email": "x@y.z"}, headers=kit.org))
    assert updated == {**created, "role": "admin", "role_ids": [by_name["Admin"]]}
    assert data(client.put(path, json={}, headers=kit.org)) == updated
    assert_error(
        client.put(path, json={"role": "user", "role_ids": [by_name["Admin"]]}, headers=kit.org), 422
    )
    assert_error(client.put(path, json={"role_ids": []}, headers=kit.org), 422)
    assert data(client.delete(path, headers=kit.org)) == updated
    assert_error(client.get(path, headers=kit.org), 404)
    assert len(invitations(client, kit)) == 1


def test_organization_level_rules(client: TestClient, kit: Any, org: str) -> None:
    assert_error(client.get("/api/organization/users", headers=kit.partner), 403, "organization_key_required")
    assert_error(
        client.post("/api/organization/users", json={"email": "p@example.com"}, headers=kit.partner), 403
    )
    assert_error(client.get("/api/organization/users"), 401)
    # Basic org:partner is an org-scoped caller of that organization.
    created = data(
        client.post(
            "/api/organization/users", json={"email": "b@example.com"}, headers=basic(org, kit.partner_key)
        )
    )
    assert created["organization_id"] == org
    # Another organization's user is not found through this organization's credential.
    assert_error(client.get(f"/api/organization/users/{created['id']}", headers=kit.org), 404)
    assert_error(client.delete(f"/api/organization/users/{created['id']}", headers=kit.org), 404)
    assert_error(
        client.post(
            "/api/organization/users", json={"email": "B@example.com"}, headers=basic(org, kit.partner_key)
        ),
        422,
        "user_email_taken",
    )
    assert_error(client.post("/api/organization/users", json={"email": ""}, headers=kit.org), 422)


# -- minted API keys --------------------------------------------------------------------------------


def test_a_minted_key_is_an_org_scoped_key(client: TestClient, kit: Any, org: str, other_org: str) -> None:
    user = create_user(client, kit, org, "root@example.com")
    response = client.post(f"/api/organizations/{org}/users/{user['id']}/keys", headers=kit.partner)
    assert response.status_code == 200 and set(response.json()) == {"data"}
    key = response.json()["data"]["value"]
    assert (
        set(response.json()["data"]) == {"value"}
        and key.startswith(API_KEY_PREFIX)
        and _MINTED_KEY.fullmatch(key)
    )
    as_user = bearer(key)
    assert data(client.get("/api/organization", headers=as_user))["id"] == org
    assert data(client.get("/api/organization/users", headers=as_user)) == [user]
    assert set(roles(client, as_user)) == {"Admin", "Member"}
    assert data(client.get(f"/api/organizations/{org}/users", headers=as_user)) == [user]
    assert data(client.get(f"/api/organizations/{org}", headers=as_user))["id"] == org
    assert_error(client.get(f"/api/organizations/{other_org}/users", headers=as_user), 403)
    assert_error(client.get("/api/organizations", headers=as_user), 403, "partner_key_required")
    # It may mint keys for its own organization's users (the partner-level rule for org-scoped keys).
    second = create_user(client, kit, org, "second@example.com")
    assert (
        data(client.post(f"/api/organizations/{org}/users/{second['id']}/keys", headers=as_user))["value"]
        != key
    )


def test_minting_again_without_force_keeps_the_earlier_keys(client: TestClient, kit: Any, org: str) -> None:
    user = create_user(client, kit, org, "two-keys@example.com")
    first = mint(client, kit, org, user["id"])
    second = mint(client, kit, org, user["id"], "?force=false")
    assert first != second
    for key in (first, second):
        assert client.get("/api/organization", headers=bearer(key)).status_code == 200
    # An empty body and {} are both accepted; other bodies are not.
    path = f"/api/organizations/{org}/users/{user['id']}/keys"
    assert client.post(path, json={}, headers=kit.partner).status_code == 200
    assert_error(client.post(path, json=[], headers=kit.partner), 422, "invalid_body")
    assert_error(client.post(path, content=b"not json", headers=kit.partner), 422, "invalid_body")
    assert_error(client.post(path + "?force=maybe", headers=kit.partner), 422, "validation_failed")


def test_force_revokes_the_users_earlier_keys_only(client: TestClient, kit: Any, org: str) -> None:
    user = create_user(client, kit, org, "forced@example.com")
    bystander = create_user(client, kit, org, "bystander@example.com")
    old = [mint(client, kit, org, user["id"]) for _ in range(2)]
    kept = mint(client, kit, org, bystander["id"])
    new = mint(client, kit, org, user["id"], "?force=true")
    for key in old:
        assert_error(client.get("/api/organization", headers=bearer(key)), 401, "unauthorized")
    assert client.get("/api/organization", headers=bearer(new)).status_code == 200
    assert client.get("/api/organization", headers=bearer(kept)).status_code == 200
    assert store(client).api_key_count(user["id"]) == 1


def test_deleting_the_user_revokes_its_keys(client: TestClient, kit: Any, org: str) -> None:
    user = create_user(client, kit, org, "leaving@example.com")
    key = mint(client, kit, org, user["id"])
    assert (
        data(client.delete(f"/api/organization/users/{user['id']}", headers=bearer(key)))["id"] == user["id"]
    )
    assert_error(client.get("/api/organization", headers=bearer(key)), 401)
    assert_error(client.get("/api/organization/users", headers=bearer(key)), 401)


def test_deleting_the_organization_deletes_its_users_keys_and_roles(
    client: TestClient, kit: Any, org: str, other_org: str
) -> None:
    users = [create_user(client, kit, org, f"u{n}@example.com") for n in range(2)]
    keys = [mint(client, kit, org, user["id"]) for user in users]
    survivor = create_user(client, kit, other_org, "u0@example.com")
    survivor_key = mint(client, kit, other_org, survivor["id"])
    assert client.delete(f"/api/organizations/{org}", headers=kit.partner).status_code == 204
    for key in keys:
        assert_error(client.get("/api/organization", headers=bearer(key)), 401)
    assert_error(client.get("/api/permissions/roles", headers=basic(org, kit.partner_key)), 401)
    assert_error(client.get(f"/api/organizations/{org}/users", headers=kit.partner), 404)
    for user in users:
        assert_error(client.get(f"/api/organizations/{org}/users/{user['id']}", headers=kit.partner), 404)
    db = store(client)._db
    for table in ("users", "user_api_keys", "roles"):
        assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE organization_id = ?", (org,)).fetchone() == (
            0,
        )
    # The other organization is untouched; the invitations stay (mail that was sent).
    assert data(client.get("/api/organization/users", headers=bearer(survivor_key))) == [survivor]
    assert len(invitations(client, kit)) == 3


# -- idempotency and invitations --------------------------------------------------------------------


def test_each_created_user_gets_exactly_one_invitation(client: TestClient, kit: Any, org: str) -> None:
    first = create_user(client, kit, org, "Invitee@Example.com")
    second = data(
        client.post("/api/organization/users", json={"email": "org-level@example.com"}, headers=kit.org)
    )
    sent = invitations(client, kit)
    assert [(i["user_id"], i["organization_id"], i["email"]) for i in sent] == [
        (first["id"], org, "invitee@example.com"),
        (second["id"], second["organization_id"], "org-level@example.com"),
    ]
    assert_error(client.get("/_emulator/invitations"), 401, "admin_token_required")
    assert_error(client.get("/_emulator/invitations", headers=kit.partner), 401)
    client.post("/_emulator/reset", headers=kit.admin)
    assert invitations(client, kit) == []


def test_a_replayed_create_returns_the_recorded_answer_and_invites_once(
    client: TestClient, kit: Any, org: str
) -> None:
    headers = {**kit.partner, "Idempotency-Key": "create-user-once-1"}
    path = f"/api/organizations/{org}/users"
    first = client.post(path, json={"email": "once@example.com"}, headers=headers)
    again = client.post(path, json={"email": "once@example.com"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert len(data(client.get(path, headers=kit.partner))) == 1
    assert len(invitations(client, kit)) == 1
    # The same key for another body: 422; an error is replayed as well.
    assert_error(
        client.post(path, json={"email": "other@example.com"}, headers=headers), 422, "idempotency_key_reused"
    )
    dup = {**kit.partner, "Idempotency-Key": "create-user-dup-1"}
    assert_error(client.post(path, json={"email": "ONCE@example.com"}, headers=dup), 422, "user_email_taken")
    replay = client.post(path, json={"email": "ONCE@example.com"}, headers=dup)
    assert replay.status_code == 422 and replay.headers["idempotent-replayed"] == "true"
    assert len(invitations(client, kit)) == 1


def test_put_delete_and_org_level_writes_are_idempotent(client: TestClient, kit: Any, org: str) -> None:
    user = create_user(client, kit, org, "idem@example.com")
    path = f"/api/organizations/{org}/users/{user['id']}"
    put = {**kit.partner, "Idempotency-Key": "put-user-key-1"}
    first = client.put(path, json={"email": "idem@example.com", "role": "user"}, headers=put)
    client.put(path, json={"email": "idem@example.com", "role": "admin"}, headers=kit.partner)
    replay = client.put(path, json={"email": "idem@example.com", "role": "user"}, headers=put)
    assert replay.content == first.content and replay.headers["idempotent-replayed"] == "true"
    delete = {**kit.partner, "Idempotency-Key": "delete-user-key-1"}
    gone = client.delete(path, headers=delete)
    again = client.delete(path, headers=delete)
    assert gone.status_code == again.status_code == 200 and again.content == gone.content
    org_level = {**kit.org, "Idempotency-Key": "org-level-create-1"}
    a = client.post("/api/organization/users", json={"email": "ol@example.com"}, headers=org_level)
    b = client.post("/api/organization/users", json={"email": "ol@example.com"}, headers=org_level)
    assert a.content == b.content and len(invitations(client, kit)) == 2


def test_a_foreign_organizations_403_claims_no_idempotency_key(
    client: TestClient, kit: Any, org: str
) -> None:
    headers = {**kit.org, "Idempotency-Key": "foreign-create-1"}
    assert_error(
        client.post(f"/api/organizations/{org}/users", json={"email": "f@example.com"}, headers=headers), 403
    )
    own = data(client.get("/api/organization", headers=kit.org))["id"]
    ok = client.post(f"/api/organizations/{own}/users", json={"email": "f@example.com"}, headers=headers)
    assert ok.status_code == 200 and "idempotent-replayed" not in ok.headers


def test_an_injected_fault_on_create_sends_no_invitation_and_the_retry_does(
    client: TestClient, kit: Any, org: str
) -> None:
    client.put("/_emulator/faults", json={"fail_next": 1, "fail_status": 503}, headers=kit.admin)
    headers = {**kit.partner, "Idempotency-Key": "faulted-create-1"}
    path = f"/api/organizations/{org}/users"
    assert_error(client.post(path, json={"email": "retry@example.com"}, headers=headers), 503)
    assert invitations(client, kit) == []
    assert client.post(path, json={"email": "retry@example.com"}, headers=headers).status_code == 200
    assert len(invitations(client, kit)) == 1


def test_a_replayed_mint_returns_the_same_key_without_minting_another(
    client: TestClient, kit: Any, org: str
) -> None:
    user = create_user(client, kit, org, "mint-once@example.com")
    path = f"/api/organizations/{org}/users/{user['id']}/keys?force=true"
    headers = {**kit.partner, "Idempotency-Key": "mint-key-once-1"}
    first = client.post(path, headers=headers)
    again = client.post(path, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert store(client).api_key_count(user["id"]) == 1
    assert client.get("/api/organization", headers=bearer(first.json()["data"]["value"])).status_code == 200
    # force is part of the request: the same key without it is another request.
    other = f"/api/organizations/{org}/users/{user['id']}/keys"
    assert_error(client.post(other, headers=headers), 422, "idempotency_key_reused")
    # Errors are stored and replayed as for any write.
    missing = {**kit.partner, "Idempotency-Key": "mint-key-missing-1"}
    gone = f"/api/organizations/{org}/users/{uuid.uuid4()}/keys"
    assert_error(client.post(gone, headers=missing), 404)
    assert client.post(gone, headers=missing).headers["idempotent-replayed"] == "true"


@pytest.fixture
def db_settings(tmp_path: Path, settings: EmulatorSettings) -> EmulatorSettings:
    return EmulatorSettings(
        partner_key=settings.partner_key,
        api_keys=settings.api_keys,
        admin_token=settings.admin_token,
        db_path=tmp_path / "users.db",
    )


def test_minted_keys_never_reach_the_database_in_plaintext(db_settings: EmulatorSettings, kit: Any) -> None:
    with TestClient(create_app(db_settings)) as client:
        org_id = kit.create(client, "Persisted")["id"]
        user = create_user(client, kit, org_id, "persist@example.com")
        path = f"/api/organizations/{org_id}/users/{user['id']}/keys"
        headers = {**kit.partner, "Idempotency-Key": "persisted-mint-1"}
        key = data(client.post(path, headers=headers))["value"]
        plain = mint(client, kit, org_id, user["id"])
        # Within this process a retry still gets the key.
        assert data(client.post(path, headers=headers))["value"] == key
    assert db_settings.db_path is not None
    with sqlite3.connect(db_settings.db_path) as db:
        dump = "\n".join(db.iterdump())
    for value in (key, plain):
        assert value not in dump and value.upper() not in dump
        assert hashlib.sha256(value.encode()).hexdigest() in dump
    with TestClient(create_app(db_settings)) as client:
        # The keys survive the restart (the store has their digests)...
        for value in (key, plain):
            assert data(client.get("/api/organization", headers=bearer(value)))["id"] == org_id
        # ...but the plaintext answer does not: a replay is refused instead of showing another value.
        assert_error(client.post(path, headers=headers), 409, "api_key_not_replayable")
        assert store(client).api_key_count(user["id"]) == 2


# -- journal ----------------------------------------------------------------------------------------


def spellings(key: str) -> list[str]:
    return [key, key.upper(), base64.b64encode(key.encode()).decode(), urllib.parse.quote(key)]


def test_the_journal_never_holds_a_minted_key(client: TestClient, kit: Any, org: str) -> None:
    user = create_user(client, kit, org, "secret-holder@example.com")
    key = mint(client, kit, org, user["id"])
    forced = mint(client, kit, org, user["id"], "?force=true")
    as_user = bearer(forced)
    client.get("/api/organization/users", headers=as_user)
    client.post(
        "/api/organization/users",
        json={"email": "n@example.com", "note": f"my key is {forced}"},
        headers=as_user,
    )
    client.get(f"/api/organization/users?token={urllib.parse.quote(forced)}", headers=as_user)
    client.get(f"/api/organization/users/{forced}", headers=as_user)
    client.post(
        "/api/organization/users",
        content=f"key={forced}&b64={base64.b64encode(forced.encode()).decode()}",
        headers=as_user,
    )
    # Spellings only a known value catches (its shape is hidden): \u-escapes in a body that is not JSON.
    escaped = "".join(f"\\u{ord(c):04x}" for c in forced)
    client.post("/api/organization/users", content=f'not json, "{escaped}"', headers=as_user)
    client.get("/api/organization", headers={**bearer(key), "X-Leak": key})  # revoked: unauthenticated entry
    client.get("/api/organization", headers=basic(org, kit.partner_key))
    text = journal_text(client, kit)
    for value in (key, forced):
        for spelling in spellings(value):
            assert spelling not in text
    assert API_KEY_PREFIX not in text
    entries = data(client.get("/_emulator/journal", headers=kit.admin))
    assert not any(escaped[:42] in str(e["body"]) for e in entries)
    assert entries[-1]["headers"]["authorization"] == "Basic <redacted>"
    assert all(e["headers"].get("authorization", "Bearer <redacted>").endswith("<redacted>") for e in entries)


def test_a_key_minted_before_a_restart_is_still_redacted_by_its_shape(
    db_settings: EmulatorSettings, kit: Any
) -> None:
    with TestClient(create_app(db_settings)) as client:
        org_id = kit.create(client, "Restarted")["id"]
        user = create_user(client, kit, org_id, "restart@example.com")
        key = mint(client, kit, org_id, user["id"])
    with TestClient(create_app(db_settings)) as client:
        client.post(
            "/api/organization/users", json={"email": "later@example.com", "copy": key}, headers=bearer(key)
        )
        client.get(f"/api/organization/users?k={key}", headers=bearer(key))
        text = journal_text(client, kit)
    assert key not in text and key[len(API_KEY_PREFIX) :] not in text
    assert '"copy": "<redacted>"' in text


# -- databases written before users existed ---------------------------------------------------------


@pytest.mark.parametrize("version", sorted(p.name for p in GOLDEN.iterdir() if (p / "emulator.db").is_file()))
def test_golden_databases_still_load_and_gain_system_roles(tmp_path: Path, kit: Any, version: str) -> None:
    db_path = tmp_path / "golden.db"
    shutil.copy(GOLDEN / version / "emulator.db", db_path)
    with sqlite3.connect(db_path) as db:
        before = db.execute("SELECT id, name FROM organizations ORDER BY seq").fetchall()
    assert before
    settings = EmulatorSettings(partner_key=kit.partner_key, admin_token=kit.admin_token, db_path=db_path)
    first_roles: dict[str, list[dict[str, Any]]] = {}
    created: list[dict[str, Any]] = []
    for _ in range(2):  # opened twice: the roles are added once and keep their ids, the user stays
        with TestClient(create_app(settings)) as client:
            listed = data(client.get("/api/organizations", headers=kit.partner))
            assert sorted((o["id"], o["name"]) for o in listed) == sorted(before)
            for org_id, _name in before:
                got = data(client.get("/api/permissions/roles", headers=basic(org_id, kit.partner_key)))
                assert [r["name"] for r in got] == ["Admin", "Member"]
                assert first_roles.setdefault(org_id, got) == got
                users = data(client.get(f"/api/organizations/{org_id}/users", headers=kit.partner))
                assert users == [u for u in created if u["organization_id"] == org_id]
            if not created:
                org_id = before[-1][0]
                created.append(create_user(client, kit, org_id, "first@golden.example"))
                assert created[0]["role_ids"] == [first_roles[org_id][0]["id"]]


# -- the real server --------------------------------------------------------------------------------


@pytest.fixture
def partner_http(live: EmulatorProcess, kit: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, headers=kit.partner, timeout=10) as http:
        yield http


def test_a_create_whose_answer_was_lost_is_replayed_with_one_invitation(
    live: EmulatorProcess, partner_http: httpx.Client
) -> None:
    org_id = data(partner_http.post("/api/organizations", json={"name": "Lossy"}))["id"]
    live.admin.set_faults(drop_after_next=1, methods=["POST"])
    headers = {"Idempotency-Key": "lost-answer-create-1"}
    with pytest.raises(httpx.TransportError):
        partner_http.post(
            f"/api/organizations/{org_id}/users", json={"email": "lost@example.com"}, headers=headers
        )
    retry = partner_http.post(
        f"/api/organizations/{org_id}/users", json={"email": "lost@example.com"}, headers=headers
    )
    assert retry.status_code == 200 and retry.headers["idempotent-replayed"] == "true"
    assert [i["user_id"] for i in live.admin.invitations()] == [retry.json()["data"]["id"]]


def test_a_mint_whose_answer_was_lost_gives_the_same_key_on_retry(
    live: EmulatorProcess, partner_http: httpx.Client
) -> None:
    org_id = data(partner_http.post("/api/organizations", json={"name": "Lossy keys"}))["id"]
    user = data(partner_http.post(f"/api/organizations/{org_id}/users", json={"email": "k@example.com"}))
    live.admin.set_faults(drop_after_next=1, methods=["POST"])
    path = f"/api/organizations/{org_id}/users/{user['id']}/keys"
    headers = {"Idempotency-Key": "lost-answer-mint-1"}
    with pytest.raises(httpx.TransportError):
        partner_http.post(path, params={"force": "true"}, headers=headers)
    key = data(partner_http.post(path, params={"force": "true"}, headers=headers))["value"]
    assert partner_http.get("/api/organization", headers=bearer(key)).json()["data"]["id"] == org_id
    text = json.dumps(live.admin.journal())
    assert key not in text and API_KEY_PREFIX not in text


def test_an_organization_written_without_roles_gets_them_when_a_user_needs_them(
    client: TestClient, kit: Any, org: str
) -> None:
    # As if an older emulator sharing the file had created the organization: no roles rows.
    store(client)._db.execute("DELETE FROM roles WHERE organization_id = ?", (org,))
    user = create_user(client, kit, org, "late-roles@example.com", role="user")
    by_name = roles(client, basic(org, kit.partner_key))
    assert set(by_name) == {"Admin", "Member"} and user["role_ids"] == [by_name["Member"]]
