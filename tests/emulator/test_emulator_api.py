"""The six Organizations endpoints: success shapes, auth and scope, validation and conflicts (in-process)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from starlette.testclient import TestClient

from polytomic_emulator.app import create_app
from polytomic_emulator.settings import EmulatorSettings
from tests.emulator.api_errors import assert_error

PUBLIC_FIELDS = {"id", "name", "issuer", "sso_domain", "sso_org_id"}


def owner(client: TestClient, kit: Any) -> dict[str, Any]:
    data: dict[str, Any] = client.get("/api/organization", headers=kit.partner).json()["data"]
    return data


# -- success paths ----------------------------------------------------------------------------------


def test_current_organization_for_partner_is_the_owner(client: TestClient, kit: Any) -> None:
    response = client.get("/api/organization", headers=kit.partner)
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == PUBLIC_FIELDS
    assert data["name"] == "Emulator Partner"
    uuid.UUID(data["id"])


def test_current_organization_for_api_key_is_its_own(client: TestClient, kit: Any) -> None:
    data = client.get("/api/organization", headers=kit.org).json()["data"]
    assert data["id"] != owner(client, kit)["id"]
    listed = client.get("/api/organizations", headers=kit.partner).json()["data"]
    assert data["id"] in [org["id"] for org in listed]


def test_create_returns_envelope_without_client_credentials(client: TestClient, kit: Any) -> None:
    body = {
        "name": "Acme",
        "client_id": "acme-client",
        "client_secret": "acme-secret-value",
        "issuer": "https://idp.acme.test",
        "sso_domain": "acme.test",
        "sso_org_id": "org_123",
    }
    response = client.post("/api/organizations", json=body, headers=kit.partner)
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == PUBLIC_FIELDS
    assert data["name"] == "Acme" and data["issuer"] == "https://idp.acme.test"
    assert data["sso_domain"] == "acme.test" and data["sso_org_id"] == "org_123"
    assert "acme-client" not in response.text and "acme-secret-value" not in response.text
    assert str(uuid.UUID(data["id"])) == data["id"]


def test_optional_fields_default_to_null(client: TestClient, kit: Any) -> None:
    data = kit.create(client, "Bare")
    assert data == {"id": data["id"], "name": "Bare", "issuer": None, "sso_domain": None, "sso_org_id": None}


def test_list_puts_owner_first_then_creation_order(client: TestClient, kit: Any) -> None:
    first = kit.create(client, "Zeta")
    second = kit.create(client, "Alpha")
    response = client.get("/api/organizations", headers=kit.partner)
    assert response.status_code == 200
    ids = [org["id"] for org in response.json()["data"]]
    assert ids[0] == owner(client, kit)["id"]
    assert ids.index(first["id"]) < ids.index(second["id"])
    assert all(set(org) == PUBLIC_FIELDS for org in response.json()["data"])


def test_get_by_id(client: TestClient, kit: Any) -> None:
    created = kit.create(client, "Gettable", sso_domain="get.test", client_secret="hidden-value")
    response = client.get(f"/api/organizations/{created['id']}", headers=kit.partner)
    assert response.status_code == 200
    assert response.json() == {"data": created}


def test_get_accepts_upper_case_uuid(client: TestClient, kit: Any) -> None:
    created = kit.create(client, "Cased")
    response = client.get(f"/api/organizations/{created['id'].upper()}", headers=kit.partner)
    assert response.status_code == 200 and response.json()["data"]["id"] == created["id"]


def test_put_replaces_in_full_and_clears_omitted_fields(client: TestClient, kit: Any) -> None:
    created = kit.create(
        client,
        "Replace me",
        client_id="cid",
        client_secret="csecret",
        issuer="https://i.test",
        sso_domain="r.test",
    )
    response = client.put(
        f"/api/organizations/{created['id']}", json={"name": "Replaced"}, headers=kit.partner
    )
    assert response.status_code == 200
    assert response.json()["data"] == {
        "id": created["id"],
        "name": "Replaced",
        "issuer": None,
        "sso_domain": None,
        "sso_org_id": None,
    }
    stored = {o["id"]: o for o in client.get("/_emulator/organizations", headers=kit.admin).json()["data"]}
    assert stored[created["id"]]["client_id"] is None
    assert stored[created["id"]]["has_client_secret"] is False


def test_put_keeps_name_and_sets_new_fields(client: TestClient, kit: Any) -> None:
    created = kit.create(client, "Same name")
    body = {"name": "Same name", "sso_org_id": "org_9", "client_secret": "new-secret"}
    response = client.put(f"/api/organizations/{created['id']}", json=body, headers=kit.partner)
    assert response.status_code == 200
    assert response.json()["data"]["sso_org_id"] == "org_9"
    assert "new-secret" not in response.text


def test_delete_answers_204_and_removes(client: TestClient, kit: Any) -> None:
    created = kit.create(client, "Doomed")
    response = client.delete(f"/api/organizations/{created['id']}", headers=kit.partner)
    assert response.status_code == 204 and response.content == b""
    assert_error(client.get(f"/api/organizations/{created['id']}", headers=kit.partner), 404, "not_found")
    assert_error(client.delete(f"/api/organizations/{created['id']}", headers=kit.partner), 404)


def test_delete_status_200_returns_the_deleted_organization(kit: Any) -> None:
    settings = EmulatorSettings(partner_key=kit.partner_key, admin_token=kit.admin_token, delete_status=200)
    with TestClient(create_app(settings)) as client:
        created = kit.create(client, "Doomed")
        response = client.delete(f"/api/organizations/{created['id']}", headers=kit.partner)
        assert response.status_code == 200
        assert response.json() == {"data": created}


def test_org_key_reads_its_own_organization_by_id(client: TestClient, kit: Any) -> None:
    mine = client.get("/api/organization", headers=kit.org).json()["data"]
    response = client.get(f"/api/organizations/{mine['id']}", headers=kit.org)
    assert response.status_code == 200 and response.json()["data"] == mine


def test_unknown_fields_are_ignored(client: TestClient, kit: Any) -> None:
    body = {"name": "Extra", "colour": "blue", "Name": "ignored", "id": str(uuid.uuid4())}
    response = client.post("/api/organizations", json=body, headers=kit.partner)
    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Extra"
    assert response.json()["data"]["id"] != body["id"]


def test_names_are_stored_as_sent(client: TestClient, kit: Any) -> None:
    assert kit.create(client, "  Padded  ")["name"] == "  Padded  "


def test_empty_optional_string_is_kept(client: TestClient, kit: Any) -> None:
    assert kit.create(client, "Empty domain", sso_domain="")["sso_domain"] == ""


# -- versioning -------------------------------------------------------------------------------------


def test_version_header_is_echoed_or_defaulted_on_every_response(client: TestClient, kit: Any) -> None:
    assert client.get("/api/organization", headers=kit.partner).headers["x-polytomic-version"] == "2025-09-18"
    pinned = {**kit.partner, "X-Polytomic-Version": "2024-02-08"}
    assert client.get("/api/organizations", headers=pinned).headers["x-polytomic-version"] == "2024-02-08"
    anonymous = client.get("/api/organizations", headers={"X-Polytomic-Version": "2024-02-08"})
    assert anonymous.status_code == 401 and anonymous.headers["x-polytomic-version"] == "2024-02-08"
    missing = client.get(f"/api/organizations/{uuid.uuid4()}", headers=kit.partner)
    assert missing.status_code == 404 and missing.headers["x-polytomic-version"] == "2025-09-18"
    assert client.get("/_emulator/health").headers["x-polytomic-version"] == "2025-09-18"


# -- 401 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-real-key"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic cGs6"},
        {"Authorization": "pk-test-partner-9f2c61d0a7e34b58"},
    ],
    ids=["missing", "unknown", "empty", "basic", "no-scheme"],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/organization"),
        ("GET", "/api/organizations"),
        ("POST", "/api/organizations"),
        ("GET", "/api/organizations/00000000-0000-4000-8000-000000000000"),
        ("PUT", "/api/organizations/00000000-0000-4000-8000-000000000000"),
        ("DELETE", "/api/organizations/00000000-0000-4000-8000-000000000000"),
    ],
)
def test_bad_credentials_are_401_everywhere(
    client: TestClient, headers: dict[str, str], method: str, path: str
) -> None:
    response = client.request(method, path, headers=headers, json={"name": "x"})
    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


def test_admin_token_is_not_an_api_key(client: TestClient, kit: Any) -> None:
    response = client.get("/api/organizations", headers={"Authorization": f"Bearer {kit.admin_token}"})
    assert_error(response, 401)


def test_api_key_stops_working_when_its_org_is_deleted(client: TestClient, kit: Any) -> None:
    mine = client.get("/api/organization", headers=kit.org).json()["data"]
    assert client.delete(f"/api/organizations/{mine['id']}", headers=kit.partner).status_code == 204
    assert_error(client.get("/api/organization", headers=kit.org), 401)


# -- 403 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/organizations", None),
        ("POST", "/api/organizations", {"name": "Nope"}),
        ("PUT", "/api/organizations/{own}", {"name": "Nope"}),
        ("DELETE", "/api/organizations/{own}", None),
    ],
    ids=["list", "create", "update", "delete"],
)
def test_org_key_on_partner_only_endpoints_is_403(
    client: TestClient, kit: Any, method: str, path: str, body: dict[str, str] | None
) -> None:
    own = client.get("/api/organization", headers=kit.org).json()["data"]["id"]
    response = client.request(method, path.format(own=own), headers=kit.org, json=body)
    assert_error(response, 403, "partner_key_required")


def test_org_key_reading_another_org_is_403(client: TestClient, kit: Any) -> None:
    other = kit.create(client, "Someone else")
    assert_error(client.get(f"/api/organizations/{other['id']}", headers=kit.org), 403, "forbidden")
    # Unknown ids look the same to an org key, so it cannot probe for ids.
    assert_error(client.get(f"/api/organizations/{uuid.uuid4()}", headers=kit.org), 403, "forbidden")


def test_deleting_the_owner_organization_is_403(client: TestClient, kit: Any) -> None:
    owner_id = owner(client, kit)["id"]
    assert_error(
        client.delete(f"/api/organizations/{owner_id}", headers=kit.partner), 403, "owner_organization"
    )
    assert client.get(f"/api/organizations/{owner_id}", headers=kit.partner).status_code == 200


def test_owner_can_be_renamed(client: TestClient, kit: Any) -> None:
    owner_id = owner(client, kit)["id"]
    response = client.put(f"/api/organizations/{owner_id}", json={"name": "Partner HQ"}, headers=kit.partner)
    assert response.status_code == 200 and response.json()["data"]["name"] == "Partner HQ"


# -- 404 / 405 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize(
    "org_id",
    [
        "fe5e2ada-646e-4633-baca-627eb2c9c370",  # a well-formed id no organization has
        "not-a-uuid",
        "12345",
        "fe5e2ada646e4633baca627eb2c9c370",
    ],
)
def test_unknown_or_malformed_ids_are_404(client: TestClient, kit: Any, method: str, org_id: str) -> None:
    response = client.request(
        method, f"/api/organizations/{org_id}", headers=kit.partner, json={"name": "Valid"}
    )
    assert_error(response, 404, "not_found")


def test_org_key_with_malformed_id_is_404(client: TestClient, kit: Any) -> None:
    assert_error(client.get("/api/organizations/nope", headers=kit.org), 404)


def test_unknown_api_route_is_404_and_trailing_slash_is_not_redirected(client: TestClient, kit: Any) -> None:
    assert_error(client.get("/api/connections", headers=kit.partner), 404, "route_not_found")
    assert_error(client.get("/api/organizations/", headers=kit.partner), 404)


def test_wrong_method_is_405(client: TestClient, kit: Any) -> None:
    response = client.patch("/api/organizations", headers=kit.partner, json={})
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["allow"]


# -- 409 --------------------------------------------------------------------------------------------


def test_duplicate_name_on_create_is_409(client: TestClient, kit: Any) -> None:
    kit.create(client, "Dup")
    response = client.post("/api/organizations", json={"name": "Dup"}, headers=kit.partner)
    assert_error(response, 409, "organization_name_taken")


def test_duplicate_check_trims_but_keeps_case(client: TestClient, kit: Any) -> None:
    kit.create(client, "Trimmed")
    assert_error(client.post("/api/organizations", json={"name": "  Trimmed\t"}, headers=kit.partner), 409)
    assert client.post("/api/organizations", json={"name": "trimmed"}, headers=kit.partner).status_code == 200


def test_duplicate_of_the_owner_name_is_409(client: TestClient, kit: Any) -> None:
    assert_error(
        client.post("/api/organizations", json={"name": "Emulator Partner"}, headers=kit.partner), 409
    )


def test_renaming_onto_another_name_is_409(client: TestClient, kit: Any) -> None:
    kit.create(client, "Taken")
    mine = kit.create(client, "Mine", sso_domain="mine.test")
    response = client.put(f"/api/organizations/{mine['id']}", json={"name": "Taken "}, headers=kit.partner)
    assert_error(response, 409, "organization_name_taken")
    unchanged = client.get(f"/api/organizations/{mine['id']}", headers=kit.partner).json()["data"]
    assert unchanged == mine


# -- 422 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   \t\n"}, "name"),
        ({"name": None}, "name"),
        ({"name": 5}, "name"),
        ({"name": ["a"]}, "name"),
        ({"name": "ok", "issuer": True}, "issuer"),
        ({"name": "ok", "sso_domain": 3.5}, "sso_domain"),
        ({"name": "ok", "client_secret": {"v": 1}}, "client_secret"),
        ({"name": "n" * 256}, "name"),
        ({"name": "ok", "sso_org_id": "x" * 1025}, "sso_org_id"),
        ({"Name": "wrong case"}, "name"),
    ],
)
def test_invalid_bodies_are_422_naming_the_field(client: TestClient, kit: Any, body: Any, field: str) -> None:
    error = assert_error(
        client.post("/api/organizations", json=body, headers=kit.partner), 422, "validation_failed"
    )
    assert field in error["metadata"]["fields"]
    assert error["message"].startswith(field) or f"; {field}" in error["message"]


@pytest.mark.parametrize("raw", [b"", b"{", b"not json", b"[]", b'"name"', b"null", b"42"])
def test_non_object_bodies_are_422(client: TestClient, kit: Any, raw: bytes) -> None:
    response = client.post(
        "/api/organizations", content=raw, headers={**kit.partner, "Content-Type": "application/json"}
    )
    assert_error(response, 422, "invalid_body")


def test_limits_are_inclusive(client: TestClient, kit: Any) -> None:
    assert kit.create(client, "n" * 255, issuer="i" * 1024)["name"] == "n" * 255


def test_put_validates_too(client: TestClient, kit: Any) -> None:
    created = kit.create(client, "Valid")
    response = client.put(f"/api/organizations/{created['id']}", json={"name": " "}, headers=kit.partner)
    assert_error(response, 422)


def test_validation_errors_never_echo_values(client: TestClient, kit: Any) -> None:
    body = {"name": "ok", "client_secret": ["do-not-echo-me"], "issuer": "z" * 2000}
    response = client.post("/api/organizations", json=body, headers=kit.partner)
    assert_error(response, 422)
    assert "do-not-echo-me" not in response.text and "zzzz" not in response.text


def test_oversized_body_is_413(client: TestClient, kit: Any) -> None:
    response = client.post("/api/organizations", content=b" " * (1024 * 1024 + 1), headers=kit.partner)
    assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize("with_key", [True, False], ids=["with key", "without"])
def test_deeply_nested_json_is_422_with_a_journal_entry(client: TestClient, kit: Any, with_key: bool) -> None:
    for n, (opener, closer) in enumerate(((b"[", b"]"), (b'{"a":', b"}"))):
        raw = opener * 5000 + b"1" + closer * 5000
        headers = {**kit.partner, **({"Idempotency-Key": f"deep-body-key-{n}"} if with_key else {})}
        assert_error(client.post("/api/organizations", content=raw, headers=headers), 422, "invalid_body")
    entries = client.get("/_emulator/journal", headers=kit.admin).json()["data"]
    assert [e["status"] for e in entries] == [422, 422]
    assert client.get("/api/organizations", headers=kit.partner).status_code == 200


def test_deeply_nested_json_from_an_anonymous_caller_is_still_401(client: TestClient) -> None:
    assert client.post("/api/organizations", content=b"[" * 5000).status_code == 401
