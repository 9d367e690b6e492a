"""The /_emulator/ control plane: admin-token auth, organizations view, reset, health."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from starlette.testclient import TestClient

CONTROL_ROUTES = [
    ("GET", "/_emulator/journal"),
    ("DELETE", "/_emulator/journal"),
    ("GET", "/_emulator/faults"),
    ("PUT", "/_emulator/faults"),
    ("DELETE", "/_emulator/faults"),
    ("GET", "/_emulator/organizations"),
    ("POST", "/_emulator/reset"),
]


def test_health_needs_no_token(client: TestClient) -> None:
    response = client.get("/_emulator/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize(("method", "path"), CONTROL_ROUTES)
def test_control_routes_refuse_api_credentials(client: TestClient, kit: Any, method: str, path: str) -> None:
    # No admin token at all: 401, even with a valid partner key.
    response = client.request(method, path, headers=kit.partner, json={})
    assert response.status_code == 401 and response.json()["key"] == "admin_token_required"
    # The partner key (or an API key) in the admin header: 403.
    for wrong in (kit.partner_key, kit.api_key, "nope"):
        response = client.request(method, path, headers={"X-Emulator-Admin-Token": wrong}, json={})
        assert response.status_code == 403 and response.json()["key"] == "admin_token_invalid"


@pytest.mark.parametrize(("method", "path"), CONTROL_ROUTES)
def test_control_routes_accept_the_admin_token(client: TestClient, kit: Any, method: str, path: str) -> None:
    assert client.request(method, path, headers=kit.admin, json={}).status_code in (200, 204)


def test_admin_organizations_show_client_id_but_never_the_secret(client: TestClient, kit: Any) -> None:
    created = kit.create(client, "With OIDC", client_id="cid-123", client_secret="the-secret-value")
    response = client.get("/_emulator/organizations", headers=kit.admin)
    assert "the-secret-value" not in response.text
    orgs = {org["id"]: org for org in response.json()["data"]}
    org = orgs[created["id"]]
    assert org["client_id"] == "cid-123"
    assert org["has_client_secret"] is True
    assert org["client_secret_sha256"] == hashlib.sha256(b"the-secret-value").hexdigest()
    assert org["is_owner"] is False
    owner = next(o for o in orgs.values() if o["is_owner"])
    assert owner["name"] == "Emulator Partner" and owner["has_client_secret"] is False
    assert sum(o["api_key_org"] for o in orgs.values()) == 1
    assert next(iter(orgs)) == owner["id"]


def test_reset_returns_to_the_seeded_state(client: TestClient, kit: Any) -> None:
    before = client.get("/_emulator/organizations", headers=kit.admin).json()["data"]
    owner_id = before[0]["id"]
    kit.create(client, "Temporary")
    client.put(
        f"/api/organizations/{owner_id}",
        json={"name": "Renamed", "sso_domain": "x.test"},
        headers=kit.partner,
    )
    client.post(
        "/api/organizations",
        json={"name": "Keyed"},
        headers={**kit.partner, "Idempotency-Key": "reset-key-1"},
    )
    client.put("/_emulator/faults", json={"latency_ms": 5}, headers=kit.admin)
    assert client.post("/_emulator/reset", headers=kit.admin).status_code == 204
    after = client.get("/_emulator/organizations", headers=kit.admin).json()["data"]
    assert [(o["id"], o["name"], o["sso_domain"]) for o in after] == [
        (o["id"], o["name"], None) for o in before
    ]
    assert client.get("/_emulator/journal", headers=kit.admin).json()["data"] == []
    assert client.get("/_emulator/faults", headers=kit.admin).json()["data"]["latency_ms"] == 0
    # The idempotency record is gone, so the same key creates again.
    again = client.post(
        "/api/organizations",
        json={"name": "Keyed"},
        headers={**kit.partner, "Idempotency-Key": "reset-key-1"},
    )
    assert again.status_code == 200 and "idempotent-replayed" not in again.headers
    # The org-scoped key still works: its organization kept its id.
    assert client.get("/api/organization", headers=kit.org).status_code == 200


def test_faults_round_trip(client: TestClient, kit: Any) -> None:
    plan = {"latency_ms": 10, "error_rate": 0.25, "methods": ["POST"], "fail_next": 2, "seed": 3}
    response = client.put("/_emulator/faults", json=plan, headers=kit.admin)
    assert response.status_code == 200
    assert {k: response.json()["data"][k] for k in plan} == plan
    assert client.get("/_emulator/faults", headers=kit.admin).json()["data"]["fail_next"] == 2
