"""The journal records every /api/ request and never keeps a credential or a client secret."""

from __future__ import annotations

import json
from typing import Any

import httpx
from starlette.testclient import TestClient

from polytomic_provider.emulator.launcher import EmulatorProcess

SECRET = "oidc-client-secret-5a1d7c9e3f"
OTHER_SECRET = "second-oidc-secret-77b1e2"


def journal(client: TestClient, kit: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = client.get("/_emulator/journal", headers=kit.admin).json()["data"]
    return entries


def test_one_entry_per_api_request_with_the_documented_fields(client: TestClient, kit: Any) -> None:
    headers = {**kit.partner, "Idempotency-Key": "journal-key-1", "X-Polytomic-Version": "2024-02-08"}
    client.post(
        "/api/organizations?debug=1", json={"name": "Logged", "client_secret": SECRET}, headers=headers
    )
    client.get("/api/organizations")
    client.get("/_emulator/health")
    entries = journal(client, kit)
    assert [e["seq"] for e in entries] == [1, 2]
    first = entries[0]
    assert set(first) == {
        "seq",
        "time",
        "method",
        "path",
        "query",
        "status",
        "fault",
        "latency_ms",
        "replayed",
        "error_key",
        "duration_ms",
        "headers",
        "body",
    }
    assert first["method"] == "POST" and first["path"] == "/api/organizations" and first["query"] == "debug=1"
    assert first["status"] == 200 and first["fault"] is None and first["replayed"] is False
    assert first["time"].endswith("Z")
    assert first["headers"]["authorization"] == "Bearer <redacted>"
    assert first["headers"]["idempotency-key"] == "journal-key-1"
    assert first["headers"]["x-polytomic-version"] == "2024-02-08"
    assert "user-agent" in first["headers"]
    assert first["body"] == {"name": "Logged", "client_secret": "<redacted>"}
    assert entries[1]["status"] == 401 and entries[1]["error_key"] == "unauthorized"


def test_null_client_secret_stays_null(client: TestClient, kit: Any) -> None:
    client.post("/api/organizations", json={"name": "No secret", "client_secret": None}, headers=kit.partner)
    assert journal(client, kit)[-1]["body"] == {"name": "No secret", "client_secret": None}


def test_replays_are_marked(client: TestClient, kit: Any) -> None:
    headers = {**kit.partner, "Idempotency-Key": "journal-replay"}
    client.post("/api/organizations", json={"name": "Twice"}, headers=headers)
    client.post("/api/organizations", json={"name": "Twice"}, headers=headers)
    assert [e["replayed"] for e in journal(client, kit)] == [False, True]


def test_clear_and_since(client: TestClient, kit: Any) -> None:
    for _ in range(3):
        client.get("/api/organization", headers=kit.partner)
    assert [e["seq"] for e in client.get("/_emulator/journal?since=2", headers=kit.admin).json()["data"]] == [
        3
    ]
    assert client.delete("/_emulator/journal", headers=kit.admin).status_code == 204
    assert journal(client, kit) == []
    client.get("/api/organization", headers=kit.partner)
    assert [e["seq"] for e in journal(client, kit)] == [4]


def test_no_secret_is_ever_stored(client: TestClient, kit: Any) -> None:
    # Make both secrets known to the emulator through ordinary requests first.
    created = kit.create(client, "Secretive", client_id="visible-client-id", client_secret=SECRET)
    path = f"/api/organizations/{created['id']}"
    client.put(path, json={"name": "Secretive", "client_secret": OTHER_SECRET}, headers=kit.partner)
    # Then try to smuggle them (and the credentials) into every part of a request.
    client.post(
        f"/api/organizations?token={kit.partner_key}&s={SECRET}",
        content=f'name=x&client_secret={SECRET}&also={OTHER_SECRET} "client_secret": "{SECRET}'.encode(),
        headers={**kit.partner, "X-Debug": f"{kit.api_key} {kit.admin_token}", "Cookie": "session=abc"},
    )
    client.post(
        "/api/organizations",
        json={
            "name": f"named {SECRET}",
            "nested": {"client_secret": "nested-secret-value", "k": kit.api_key},
        },
        headers={**kit.org, "X-Emulator-Admin-Token": kit.admin_token},
    )
    client.get(f"/api/organizations/{kit.partner_key}", headers={"Authorization": f"Basic {kit.partner_key}"})
    text = json.dumps(journal(client, kit))
    for secret in (
        SECRET,
        OTHER_SECRET,
        "nested-secret-value",
        kit.partner_key,
        kit.api_key,
        kit.admin_token,
    ):
        assert secret not in text
    assert "visible-client-id" in text  # client_id is not a secret
    assert text.count("<redacted>") >= 10


def test_secrets_stored_before_a_restart_are_still_redacted(tmp_path: Any, kit: Any) -> None:
    with EmulatorProcess(partner_key=kit.partner_key, db_path=tmp_path / "j.db") as process:
        auth = {"Authorization": f"Bearer {kit.partner_key}"}
        body = {"name": "Persisted secret", "client_secret": SECRET}
        assert httpx.post(f"{process.url}/api/organizations", json=body, headers=auth).status_code == 200
        process.restart()
        httpx.post(f"{process.url}/api/organizations", content=f"garbage {SECRET}".encode(), headers=auth)
        text = json.dumps(process.admin.journal())
        assert SECRET not in text and "garbage <redacted>" in text


def test_live_journal_is_redacted(live: EmulatorProcess, http: httpx.Client) -> None:
    http.post("/api/organizations", json={"name": "Live", "client_secret": SECRET})
    entries = live.admin.journal()
    assert len(entries) == 1 and entries[0]["body"]["client_secret"] == "<redacted>"
    assert SECRET not in json.dumps(entries) and live.partner_key not in json.dumps(entries)
