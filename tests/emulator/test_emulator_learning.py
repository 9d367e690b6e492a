"""Point 9 of the hostile review: the journal learns client secrets only from the field that carries
them, on accepted creates and updates; nobody can teach it a value that garbles later entries or push a
stored organization's secret out of what it redacts."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from polytomic_emulator.journal import MAX_RECENT_SECRETS, MIN_LEARNT_SECRET

REAL_SECRET = "real-oidc-secret-4c1d9e7a"


def journal(client: TestClient, kit: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = client.get("/_emulator/journal", headers=kit.admin).json()["data"]
    return entries


def test_point_9_an_org_key_cannot_poison_or_flush_the_known_secrets(client: TestClient, kit: Any) -> None:
    kit.create(client, "Holds a real secret", client_secret=REAL_SECRET)
    flood = [f"poison-value-{n:04d}" for n in range(MAX_RECENT_SECRETS + 50)]
    for start in range(0, len(flood), 100):
        body = {
            "client_secret": "organizations",
            "Client_Secret": "organization",
            "nested": [{"client_secret": value} for value in flood[start : start + 100]],
        }
        response = client.request("GET", "/api/organization", json=body, headers=kit.org)
        assert response.status_code == 200
    client.get(f"/api/organizations?s={REAL_SECRET}&p={flood[0]}", headers=kit.partner)
    entries = journal(client, kit)
    assert entries[-1]["path"] == "/api/organizations"
    assert entries[-1]["query"] == f"s=<redacted>&p={flood[0]}"
    # The poisoned requests' own entries still hide every value sent as a client secret, by field name.
    assert entries[1]["body"]["client_secret"] == "<redacted>"
    assert entries[1]["body"]["nested"][0]["client_secret"] == "<redacted>"


def test_point_9_only_the_top_level_field_of_an_accepted_write_is_learnt(
    client: TestClient, kit: Any
) -> None:
    body = {"name": "Nested", "extra": {"client_secret": "nested-not-learnt"}, "clientSecret": "alias-value"}
    assert client.post("/api/organizations", json=body, headers=kit.partner).status_code == 200
    client.get("/api/organizations?a=nested-not-learnt&b=alias-value", headers=kit.partner)
    entries = journal(client, kit)
    assert entries[0]["body"]["extra"]["client_secret"] == "<redacted>"
    assert entries[0]["body"]["clientSecret"] == "<redacted>"
    assert entries[-1]["query"] == "a=nested-not-learnt&b=alias-value"


def test_point_9_a_value_too_short_to_be_a_credential_is_redacted_by_name_only(
    client: TestClient, kit: Any
) -> None:
    short = "s" * (MIN_LEARNT_SECRET - 1)
    kit.create(client, "Short secret", client_secret=short)
    client.get(f"/api/organizations?q={short}", headers=kit.partner)
    entries = journal(client, kit)
    assert entries[0]["body"]["client_secret"] == "<redacted>"
    assert entries[-1]["query"] == f"q={short}"


def test_point_9_stored_secrets_are_never_evicted_replaced_ones_are_bounded(
    client: TestClient, kit: Any
) -> None:
    kit.create(client, "Keeps its secret", client_secret=REAL_SECRET)
    rotating = kit.create(client, "Rotates its secret")
    path = f"/api/organizations/{rotating['id']}"
    secrets = [f"rotated-secret-{n:04d}" for n in range(MAX_RECENT_SECRETS + 2)]
    for secret in secrets:
        body = {"name": "Rotates its secret", "client_secret": secret}
        assert client.put(path, json=body, headers=kit.partner).status_code == 200
    query = f"real={REAL_SECRET}&current={secrets[-1]}&recent={secrets[2]}&oldest={secrets[0]}"
    client.get(f"/api/organizations?{query}", headers=kit.partner)
    assert journal(client, kit)[-1]["query"] == (
        f"real=<redacted>&current=<redacted>&recent=<redacted>&oldest={secrets[0]}"
    )
